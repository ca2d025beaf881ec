/**
 * The cards of a container, built from the shared @tally/ui components (the same ones the crew UI
 * uses): conflicts, cargo and customs (editable by their owning roles), notes, physical and reefer
 * (read-only: the vessel owns them), proposals to the vessel, history and the fixed identity.
 */
import { useState } from 'react'
import type { FocusEvent, ReactNode } from 'react'
import type { DocHandle } from '@automerge/automerge-repo'
import type { ContainerDoc, ContainerPatch, ContainerView, Role } from '@tally/manifest'
import {
  alarmsFromHistory,
  ConflictList,
  formatRelative,
  formatTime,
  HistoryList,
  lastEditorOf,
  ProposalList,
  ProposeForm,
  ReeferChart,
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
  const [proposing, setProposing] = useState(false)
  const entries = history ?? []
  const openProposals = view.proposals.filter((p) => p.status === 'OPEN').length
  const editorsOf = (section: string) => presence.viewers.filter((v) => v.editing === section)

  return (
    <>
      {view.conflicts.length > 0 && (
        <section className="tly-card detail__conflicts" aria-labelledby="conflicts-h" data-testid="conflicts">
          <h2 id="conflicts-h">Conflicts</h2>
          <p className="tly-muted">
            These fields were written at the same time by different people. Every value is kept; the document
            shows the winner until someone who owns the field keeps one.
          </p>
          <ConflictList
            conflicts={view.conflicts}
            role={role}
            onKeep={async (field, value) => keepConflictValue(handle, field, value, role)}
          />
        </section>
      )}

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
        >
          <VesselReport vessel={view.vessel} summary={vessel} />
        </SectionView>
        <SectionView view={view} section="reefer" role={role} lastEditor={lastEditorOf(entries, 'reefer')}>
          {view.reefer && (
            <>
              <VesselReport vessel={view.vessel} summary={vessel} />
              <ReeferChart
                readings={view.reefer.readings}
                orderedSetpointC={view.cargo.reeferSetpointC}
                actualSetpointC={view.reefer.actualSetpointC}
                alarms={alarmsFromHistory(entries, view.reefer.alarm)}
                title={`Temperatures of ${view.containerId}`}
              />
            </>
          )}
        </SectionView>
      </div>

      <section className="tly-card" aria-labelledby="proposals-h" data-testid="proposals">
        <header className="tly-card__header">
          <h2 id="proposals-h">Proposals{openProposals > 0 ? ` (${openProposals} open)` : ''}</h2>
          <button
            type="button"
            className="tly-button tly-button--secondary"
            aria-expanded={proposing}
            onClick={() => setProposing((p) => !p)}
            data-testid="propose-toggle"
          >
            {proposing ? 'Close' : 'Propose a change to the vessel'}
          </button>
        </header>
        {proposing && (
          <ProposeForm
            view={view}
            role={role}
            onPropose={async (input) => {
              proposeChange(handle, input, me.principal, role)
              setProposing(false)
            }}
          />
        )}
        <ProposalList
          proposals={view.proposals}
          role={role}
          view={view}
          emptyText="No proposals for this container."
          onDecide={async (id, decision) => decideProposal(handle, id, decision, me.principal, role)}
        />
      </section>

      <section className="tly-card" aria-labelledby="history-h" data-testid="history">
        <h2 id="history-h">History</h2>
        {history === null ? (
          <p className="tly-muted">
            {online
              ? 'Loading the history…'
              : 'The history comes from the relay; it shows once the relay is back.'}
          </p>
        ) : (
          <HistoryList entries={entries} />
        )}
      </section>

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
