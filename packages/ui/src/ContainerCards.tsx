/**
 * The parts of a container's page that both apps show the same way: the title with its badges, the
 * facts under it, and the conflict, proposal and history cards, plus the reefer chart drawn from the
 * view and its history. What differs between the apps (the role, how an edit is sent, the words of
 * a button) comes in as props. Styled by `@tally/ui/app.css` (`.detail__*`) and styles.css.
 * Stable test IDs: `detail-id`, `conflicts`, `proposals`, `propose-toggle`, `history`.
 */
import { useState } from 'react'
import type { ReactNode } from 'react'
import type { ContainerView, Role } from '@tally/manifest'
import { ContainerBadges } from './Badges.tsx'
import type { BadgeKind } from './Badges.tsx'
import { ConflictList } from './ConflictList.tsx'
import type { ConflictListProps } from './ConflictList.tsx'
import { formatState, formatStowage } from './format.ts'
import { alarmsFromHistory } from './history.ts'
import type { HistoryEntry } from './history.ts'
import { HistoryList } from './HistoryList.tsx'
import { ProposalList, ProposeForm } from './ProposalList.tsx'
import type { ProposalListProps, ProposeFormProps } from './ProposalList.tsx'
import { ReeferChart } from './ReeferChart.tsx'

/** The container number, its ISO type and its badges (all, or `only` these). */
export function ContainerTitle({ view, only }: { view: ContainerView; only?: BadgeKind[] }) {
  return (
    <div className="detail__title">
      <h1>
        <span className="tly-mono" data-testid="detail-id">
          {view.containerId}
        </span>{' '}
        <span className="detail__type">{view.isoType}</span>
      </h1>
      <ContainerBadges view={view} only={only} />
    </div>
  )
}

/** Stowage, state, route and customs status, with whatever the app puts `before` or `after` them. */
export function ContainerFacts({
  view,
  before,
  after,
}: {
  view: ContainerView
  before?: ReactNode
  after?: ReactNode
}) {
  const { physical, cargo, customs } = view
  return (
    <p className="detail__facts">
      {before}
      <span>
        Stowage <strong className="tly-mono">{formatStowage(physical.stowage)}</strong>
      </span>
      <span>{formatState(physical.state)}</span>
      <span>
        {cargo.pol ?? '—'} → {cargo.pod ?? '—'}
      </span>
      <span>Customs {formatState(customs.status)}</span>
      {after}
    </p>
  )
}

export interface ConflictsCardProps extends ConflictListProps {
  /** A sentence under the heading. */
  intro?: ReactNode
}

/** The conflicts of a container in a card; nothing while there are none. */
export function ConflictsCard({ intro, ...list }: ConflictsCardProps) {
  if (list.conflicts.length === 0) return null
  return (
    <section className="tly-card detail__conflicts" aria-labelledby="conflicts-h" data-testid="conflicts">
      <h2 id="conflicts-h">Conflicts</h2>
      {intro && <p className="tly-muted">{intro}</p>}
      <ConflictList {...list} />
    </section>
  )
}

export interface ProposalsCardProps {
  view: ContainerView
  role: Role
  /** The words of the button that opens the proposal form. */
  proposeLabel: string
  onPropose: ProposeFormProps['onPropose']
  onDecide: NonNullable<ProposalListProps['onDecide']>
  /** Close the form once a proposal is sent (otherwise it stays open and says it was sent). */
  closeOnSent?: boolean
}

/** The container's proposals (open ones counted in the heading), with a form to propose a change. */
export function ProposalsCard({
  view,
  role,
  proposeLabel,
  onPropose,
  onDecide,
  closeOnSent,
}: ProposalsCardProps) {
  const [proposing, setProposing] = useState(false)
  const open = view.proposals.filter((p) => p.status === 'OPEN').length
  return (
    <section className="tly-card" aria-labelledby="proposals-h" data-testid="proposals">
      <header className="tly-card__header">
        <h2 id="proposals-h">Proposals{open > 0 ? ` (${open} open)` : ''}</h2>
        <button
          type="button"
          className="tly-button tly-button--secondary"
          aria-expanded={proposing}
          onClick={() => setProposing((p) => !p)}
          data-testid="propose-toggle"
        >
          {proposing ? 'Close' : proposeLabel}
        </button>
      </header>
      {proposing && (
        <ProposeForm
          view={view}
          role={role}
          onPropose={async (input) => {
            await onPropose(input)
            if (closeOnSent) setProposing(false)
          }}
        />
      )}
      <ProposalList
        proposals={view.proposals}
        role={role}
        view={view}
        emptyText="No proposals for this container."
        onDecide={onDecide}
      />
    </section>
  )
}

/** The container's history in a card; `pending` says why it is not there yet (`entries` null). */
export function HistoryCard({
  entries,
  pending,
}: {
  entries: readonly HistoryEntry[] | null
  pending: string
}) {
  return (
    <section className="tly-card" aria-labelledby="history-h" data-testid="history">
      <h2 id="history-h">History</h2>
      {entries === null ? <p className="tly-muted">{pending}</p> : <HistoryList entries={entries} />}
    </section>
  )
}

/** The reefer chart of a container (nothing for a dry box), its alarms taken from the history. */
export function ContainerReeferChart({
  view,
  history,
}: {
  view: ContainerView
  history: readonly HistoryEntry[]
}) {
  const { reefer, cargo } = view
  if (!reefer) return null
  return (
    <ReeferChart
      readings={reefer.readings}
      orderedSetpointC={cargo.reeferSetpointC}
      actualSetpointC={reefer.actualSetpointC}
      alarms={alarmsFromHistory(history, reefer.alarm)}
      title={`Temperatures of ${view.containerId}`}
    />
  )
}
