/**
 * One container: quick actions, conflicts, proposals, every section (physical and reefer editable by
 * the crew; cargo and customs read-only, owned by shore), the reefer chart and the history. The view
 * refreshes itself when a sync or another crew member changes the container.
 */
import { useCallback, useEffect, useRef, useState } from 'react'
import type { ContainerPatch, ContainerView } from '@tally/manifest'
import {
  ConflictsCard,
  ContainerFacts,
  ContainerReeferChart,
  ContainerTitle,
  HistoryCard,
  PhotosCard,
  ProposalsCard,
  SectionView,
  lastEditorOf,
  writerNamesFromHistory,
} from '@tally/ui'
import type { HistoryEntry } from '@tally/ui'
import { ApiError } from './api.ts'
import type { CrewApi } from './api.ts'
import { lastListLocation } from './ContainerList.tsx'
import { useContainerChanges } from './live.ts'
import type { LiveEvents } from './live.ts'
import { QuickActions } from './QuickActions.tsx'
import { AddPhoto } from './AddPhoto.tsx'

const ROLE = 'vessel'

export interface ContainerDetailProps {
  api: CrewApi
  live: LiveEvents
  containerId: string
}

export function ContainerDetail({ api, live, containerId }: ContainerDetailProps) {
  const [view, setView] = useState<ContainerView | null>(null)
  const [history, setHistory] = useState<HistoryEntry[] | null>(null)
  const [error, setError] = useState<ApiError | Error | null>(null)
  const [liveNote, setLiveNote] = useState('')
  const headsRef = useRef<string>('')

  const loadHistory = useCallback(() => {
    api
      .history(containerId)
      .then(setHistory)
      .catch(() => setHistory((h) => h ?? []))
  }, [api, containerId])

  const show = useCallback((next: ContainerView, fromLive = false) => {
    const heads = next.heads.join(',')
    if (fromLive && headsRef.current && heads !== headsRef.current)
      setLiveNote(`Updated just now (${new Date().toISOString().slice(11, 16)} UTC).`)
    headsRef.current = heads
    setView(next)
  }, [])

  const load = useCallback(
    (fromLive = false) => {
      api
        .container(containerId)
        .then((v) => {
          show(v, fromLive)
          setError(null)
        })
        .catch((err: Error) => setError(err))
      loadHistory()
    },
    [api, containerId, show, loadHistory],
  )

  useEffect(() => load(), [load])
  useContainerChanges(live, () => load(true), { containerId })

  /** Applies the answer of an edit and refreshes the history it added to. */
  const afterEdit = useCallback(
    (next: ContainerView) => {
      show(next)
      setLiveNote('')
      loadHistory()
    },
    [show, loadHistory],
  )
  const save = useCallback(
    async (patch: ContainerPatch) => afterEdit(await api.patch(containerId, patch)),
    [api, containerId, afterEdit],
  )

  if (error && !view) {
    const notFound = error instanceof ApiError && error.status === 404
    return (
      <div className="detail">
        <BackLink />
        <div className="tly-alert tly-alert--error" role="alert" data-testid="detail-error">
          <p>{notFound ? `Container ${containerId} is not on this voyage.` : error.message}</p>
          {!notFound && (
            <button type="button" className="tly-button tly-button--secondary" onClick={() => load()}>
              Try again
            </button>
          )}
        </div>
      </div>
    )
  }
  if (!view)
    return (
      <div className="detail" aria-busy="true">
        <BackLink />
        <p className="tly-muted">Loading {containerId}…</p>
      </div>
    )

  const entries = history ?? []

  return (
    <div className="detail" data-testid="container-detail" data-container-id={view.containerId}>
      <BackLink />
      {api.fromTablet(view) && (
        <p className="tly-alert tly-alert--warning" role="status" data-testid="detail-from-tablet">
          The vessel node cannot be reached: this is {view.containerId} as this tablet last saw it, with your
          edits waiting. They are sent as soon as it answers.
        </p>
      )}
      <header className="detail__head">
        <ContainerTitle
          view={view}
          only={['damaged', 'seal-broken', 'alarm', 'dg-incident', 'held', 'inspection', 'conflict', 'dg']}
        />
        <ContainerFacts
          view={view}
          after={
            <span className="tly-muted">
              {view.vessel} · voyage {view.voyage}
            </span>
          }
        />
        <p className="tly-status" role="status" aria-live="polite" data-testid="live-note">
          {liveNote}
        </p>
      </header>

      {error && (
        <p className="tly-alert tly-alert--warning" role="status" data-testid="detail-refresh-error">
          Could not refresh this container ({error.message.replace(/\.$/, '')}). What you see may be out of
          date.
        </p>
      )}

      <QuickActions view={view} api={api} onView={afterEdit} />

      <PhotosCard
        photos={view.photos ?? []}
        thumbnailOf={(p) => api.photoUrl(containerId, p.id, 'thumb')}
        header={<AddPhoto api={api} containerId={containerId} onAdded={() => load()} />}
        empty="No photos yet. A damage report with a photo is hard to dispute."
      />

      <ConflictsCard
        conflicts={view.conflicts}
        role={ROLE}
        nameOf={writerNamesFromHistory(entries)}
        onKeep={(field, value) => {
          const [section, key] = field.split('.') as [string, string]
          return save({ [section]: { [key]: value } })
        }}
      />

      <SectionView
        view={view}
        section="physical"
        role={ROLE}
        onSave={save}
        lastEditor={lastEditorOf(entries, 'physical')}
      />
      <SectionView
        view={view}
        section="reefer"
        role={ROLE}
        onSave={save}
        lastEditor={lastEditorOf(entries, 'reefer')}
      >
        <ContainerReeferChart view={view} history={entries} />
      </SectionView>
      <div className="detail__grid">
        <SectionView view={view} section="cargo" role={ROLE} lastEditor={lastEditorOf(entries, 'cargo')} />
        <SectionView
          view={view}
          section="customs"
          role={ROLE}
          lastEditor={lastEditorOf(entries, 'customs')}
        />
      </div>

      <ProposalsCard
        view={view}
        role={ROLE}
        proposeLabel="Propose a shore change"
        onPropose={async (input) => afterEdit(await api.propose(containerId, input))}
        onDecide={async (id, decision) => afterEdit(await api.decide(containerId, id, decision))}
      />

      <div className="detail__grid">
        <SectionView
          view={view}
          section="notes"
          role={ROLE}
          onSave={save}
          lastEditor={lastEditorOf(entries, 'notes')}
        />
        <SectionView view={view} section="identity" role={ROLE} />
      </div>

      <HistoryCard entries={history} pending="Loading history…" />
    </div>
  )
}

function BackLink() {
  return (
    <nav className="crumbs" aria-label="Breadcrumb">
      <a href={lastListLocation()} data-testid="back-to-list">
        ‹ Containers
      </a>
    </nav>
  )
}
