/**
 * The cards of a container, built from the shared @tally/ui components (the same ones the crew UI
 * uses): conflicts, cargo and customs (editable by their owning roles), notes, physical and reefer
 * (read-only: the vessel owns them), proposals to the vessel, history and the fixed identity.
 */
import type { FocusEvent, ReactNode } from 'react'
import type { DocHandle } from '@automerge/automerge-repo'
import type { ContainerDoc, ContainerPatch, ContainerView, Role } from '@tally/manifest'
import {
  ConflictsCard,
  ContainerReeferChart,
  formatRelative,
  formatTime,
  HistoryCard,
  lastEditorOf,
  ProposalsCard,
  SectionView,
} from '@tally/ui'
import type { HistoryEntry } from '@tally/ui'
import type { Me, VesselSummary } from './api.ts'
import { decideProposal, keepConflictValue, proposeChange } from './edits.ts'
import { NotesEditor } from './NotesEditor.tsx'
import type { PresenceControl } from './presence.ts'

export interface ContainerSectionsProps {
  view: ContainerView
  handle: DocHandle<ContainerDoc>
  role: Role
  me: Me
  history: HistoryEntry[] | null
  /** Whether the relay is reachable (the history comes from it). */
  online: boolean
  /** The fleet as last fetched: the vessel's name and last report. */
  fleet: VesselSummary[] | null
  presence: PresenceControl
  save: (patch: ContainerPatch) => Promise<void>
}

export function ContainerSections({
  view,
  handle,
  role,
  me,
  history,
  online,
  fleet,
  presence,
  save,
}: ContainerSectionsProps) {
  const vessel = fleet?.find((v) => v.imo === view.vessel)
  const entries = history ?? []
  const editorsOf = (section: string) => presence.viewers.filter((v) => v.editing === section)

  return (
    <>
      <ConflictsCard
        conflicts={view.conflicts}
        role={role}
        intro="These fields were written at the same time by different people. Every value is kept; the document shows the winner until someone who owns the field keeps one."
        onKeep={async (field, value) => keepConflictValue(handle, field, value, role)}
      />

      <div className="detail__grid">
        <Editing section="cargo" presence={presence} editors={editorsOf('cargo')}>
          <SectionView
            view={view}
            section="cargo"
            role={role}
            onSave={save}
            lastEditor={lastEditorOf(entries, 'cargo')}
          />
        </Editing>
        <Editing section="customs" presence={presence} editors={editorsOf('customs')}>
          <SectionView
            view={view}
            section="customs"
            role={role}
            onSave={save}
            lastEditor={lastEditorOf(entries, 'customs')}
          />
        </Editing>
      </div>

      <NotesEditor
        handle={handle}
        role={role}
        editors={editorsOf('notes')}
        onEditing={(editing) => presence.setEditing(editing ? 'notes' : null)}
      />

      <div className="detail__grid">
        <SectionView
          view={view}
          section="physical"
          role={role}
          lastEditor={lastEditorOf(entries, 'physical')}
          readOnlyReason={null}
        >
          <VesselReport vessel={view.vessel} summary={vessel} />
        </SectionView>
        <SectionView
          view={view}
          section="reefer"
          role={role}
          lastEditor={lastEditorOf(entries, 'reefer')}
          readOnlyReason={null}
        >
          {view.reefer && (
            <>
              <VesselReport vessel={view.vessel} summary={vessel} />
              <ContainerReeferChart view={view} history={entries} />
            </>
          )}
        </SectionView>
      </div>

      <ProposalsCard
        view={view}
        role={role}
        proposeLabel="Propose a change to the vessel"
        closeOnSent
        onPropose={async (input) => proposeChange(handle, input, me.principal, role)}
        onDecide={async (id, decision) => decideProposal(handle, id, decision, me.principal, role)}
      />

      <HistoryCard
        entries={history}
        pending={
          online
            ? 'Loading the history…'
            : 'The history comes from the relay; it shows once the relay is back.'
        }
      />

      <SectionView view={view} section="identity" role={role} />
    </>
  )
}

/** Tells presence which section the user is editing while focus is inside it. */
function Editing({
  section,
  presence,
  editors,
  children,
}: {
  section: string
  presence: PresenceControl
  editors: { user: { name: string } }[]
  children: ReactNode
}) {
  const leave = (e: FocusEvent<HTMLDivElement>) => {
    if (!e.currentTarget.contains(e.relatedTarget as Node | null)) presence.setEditing(null)
  }
  return (
    <div className="editing" onFocus={() => presence.setEditing(section)} onBlur={leave}>
      {editors.length > 0 && (
        <p className="editing__who" data-testid={`editing-${section}`}>
          <span className="presence-dot" aria-hidden="true" /> {editors.map((e) => e.user.name).join(', ')}{' '}
          {editors.length === 1 ? 'is' : 'are'} editing {section}
        </p>
      )}
      {children}
    </div>
  )
}

/** Why a vessel section is read-only here, and when the vessel last reported. */
function VesselReport({ vessel, summary }: { vessel: string; summary: VesselSummary | undefined }) {
  const last = summary?.lastSyncAt ?? null
  return (
    <p className="vessel-report" data-testid="vessel-report">
      Recorded by the crew aboard {summary?.name ?? vessel}; their changes cross to the shore with each link
      window, so this section is read-only here. Propose a change below if something is wrong.{' '}
      <span className="tly-muted">
        Last report from the vessel:{' '}
        {last ? <span title={formatTime(last)}>{formatRelative(last)}</span> : 'not yet synced'}.
      </span>
    </p>
  )
}
