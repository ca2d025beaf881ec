/**
 * @tally/ui: React components shared by the crew UI (vessel node) and the shore UI, written against
 * the container view of @tally/manifest. Import the stylesheet once: `import '@tally/ui/styles.css'`;
 * an app using the frame (AppShell, TokenLogin, Splash, the container page) also `@tally/ui/app.css`.
 */
export * from './format.ts'
export * from './fields.ts'
export * from './problems.ts'
export * from './history.ts'
export * from './reefer-tolerance.ts'
export * from './Badges.tsx'
export * from './ContainerSummaryRow.tsx'
export * from './FieldInput.tsx'
export * from './SectionView.tsx'
export * from './ReeferChart.tsx'
export * from './ConflictList.tsx'
export * from './ProposalList.tsx'
export * from './HistoryList.tsx'
export * from './PortCallTable.tsx'
export * from './Dialog.tsx'
export * from './ContainerCards.tsx'
export * from './PhotosCard.tsx'
export * from './AppShell.tsx'
export * from './LoginScreen.tsx'
export * from './FilterChoice.tsx'
export * from './shell-worker.ts'
