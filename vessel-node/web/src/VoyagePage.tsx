/**
 * The voyage page: the current voyage's port calls with the port that matters now, "to discharge
 * here" (boxes on board whose port of discharge is that port), a form to register a box that is not
 * on the manifest, and the voyages before, browsable read-only from their archives.
 */
import { useCallback, useEffect, useState } from 'react'
import type { FormEvent } from 'react'
import type { ContainerView } from '@tally/manifest'
import { ContainerSummaryHeader, ContainerSummaryRow, PortCallTable } from '@tally/ui'
import { ApiError } from './api.ts'
import type { CrewApi, Voyage } from './api.ts'
import { useContainerChanges } from './live.ts'
import type { LiveEvents } from './live.ts'
import { hrefOf, navigate } from './router.ts'

export interface VoyagePageProps {
  api: CrewApi
  live: LiveEvents
  /** A past voyage to browse; null for the current one. */
  voyage: string | null
}

const time = (iso: string | null): string => (iso ? iso.slice(0, 16).replace('T', ' ') + 'Z' : '—')

export function VoyagePage({ api, live, voyage }: VoyagePageProps) {
  const [voyages, setVoyages] = useState<Voyage[] | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [reload, setReload] = useState(0)
  useEffect(() => {
    const controller = new AbortController()
    api
      .voyages(controller.signal)
      .then(setVoyages)
      .catch((err: Error) => !controller.signal.aborted && setError(err.message))
    return () => controller.abort()
  }, [api, reload])
  useContainerChanges(live, () => setReload((n) => n + 1), { debounceMs: 1_000 })

  if (error) return <p className="tly-alert tly-alert--error">{error}</p>
  if (!voyages) return <p>Loading the voyage…</p>
  const current = voyages.find((v) => v.current) ?? null
  const shown = voyage ? voyages.find((v) => v.voyage === voyage) : current
  const past = voyages.filter((v) => v.status === 'CLOSED')
  return (
    <div className="voyage-page" data-testid="voyage-page">
      {shown ? (
        <VoyageSummary api={api} live={live} voyage={shown} reload={reload} />
      ) : (
        <p className="tly-card">No voyage is known aboard yet; it arrives with the next sync.</p>
      )}
      {shown?.current && shown.status === 'OPEN' && (
        <RegisterForm api={api} onCreated={() => setReload((n) => n + 1)} />
      )}
      {past.length > 0 && (
        <section className="tly-card" data-testid="past-voyages">
          <h2>Past voyages</h2>
          <ul>
            {past.map((v) => (
              <li key={v.voyage}>
                <a href={hrefOf.voyage(v.voyage)}>Voyage {v.voyage}</a>, closed {time(v.closedAt)}
                {v.archived ? ' · archived aboard (read-only)' : ' · waiting for the relay before archiving'}
              </li>
            ))}
          </ul>
        </section>
      )}
    </div>
  )
}

function VoyageSummary({
  api,
  voyage,
  reload,
}: {
  api: CrewApi
  live: LiveEvents
  voyage: Voyage
  reload: number
}) {
  // A closed voyage has no port ahead, whatever its last plan said.
  const port = voyage.status === 'OPEN' ? voyage.port : null
  return (
    <>
      <section className="tly-card" data-testid="voyage-summary">
        <h1>
          Voyage {voyage.voyage}
          {voyage.status === 'CLOSED' && ' (closed, read-only)'}
        </h1>
        {port && (
          <p className="voyage-page__port" data-testid="next-port">
            {port.inPort
              ? `In port: ${port.locode}, arrived ${time(port.ata)}`
              : `Next port: ${port.locode}, ETA ${time(port.eta)}`}
          </p>
        )}
        <PortCallTable calls={voyage.portCalls} current={port?.locode} formatTime={time} />
      </section>
      {voyage.status === 'OPEN' && port && (
        <ContainerSection
          api={api}
          title={`To discharge ${port.inPort ? 'here' : 'at'} ${port.locode}`}
          testId="discharge-here"
          voyage={voyage.voyage}
          params={new URLSearchParams({ pod: port.locode, state: 'ON_BOARD', limit: '200' })}
          reload={reload}
        />
      )}
      {voyage.archived && (
        <ContainerSection
          api={api}
          title="Containers (from the archive)"
          testId="archived-containers"
          voyage={voyage.voyage}
          params={new URLSearchParams({ limit: '200' })}
          reload={reload}
        />
      )}
    </>
  )
}

function ContainerSection(props: {
  api: CrewApi
  title: string
  testId: string
  voyage: string
  params: URLSearchParams
  reload: number
}) {
  const { api, title, testId, voyage, params, reload } = props
  const [items, setItems] = useState<{ views: ContainerView[]; total: number; archived: boolean } | null>(
    null,
  )
  const key = params.toString()
  useEffect(() => {
    const controller = new AbortController()
    api
      .voyageContainers(voyage, new URLSearchParams(key), controller.signal)
      .then((page) => setItems({ views: page.items, total: page.total, archived: page.archived ?? false }))
      .catch(() => undefined)
    return () => controller.abort()
  }, [api, voyage, key, reload])
  if (!items) return null
  return (
    <section className="tly-card" data-testid={testId}>
      <h2>
        {title}: {items.total}
      </h2>
      {items.views.length > 0 && (
        <ol className="tly-rows">
          <ContainerSummaryHeader />
          {items.views.map((v) => (
            <ContainerSummaryRow
              key={v.containerId}
              view={v}
              href={items.archived ? '#' : hrefOf.detail(v.containerId)}
              onOpen={items.archived ? () => undefined : (id) => navigate(hrefOf.detail(id))}
            />
          ))}
        </ol>
      )}
    </section>
  )
}

function RegisterForm({ api, onCreated }: { api: CrewApi; onCreated: () => void }) {
  const [containerId, setContainerId] = useState('')
  const [isoType, setIsoType] = useState('22G1')
  const [stowage, setStowage] = useState('')
  const [problem, setProblem] = useState<{ message: string; suggestions: string[] } | null>(null)
  const [busy, setBusy] = useState(false)
  const submit = useCallback(
    (event: FormEvent) => {
      event.preventDefault()
      setBusy(true)
      setProblem(null)
      api
        .register({
          containerId,
          isoType,
          ...(stowage.trim() ? { physical: { stowage: stowage.trim() } } : {}),
        })
        .then((view) => {
          onCreated()
          navigate(hrefOf.detail(view.containerId))
        })
        .catch((err: Error) =>
          setProblem({
            message: err.message,
            suggestions: err instanceof ApiError ? (err.suggestions ?? []) : [],
          }),
        )
        .finally(() => setBusy(false))
    },
    [api, containerId, isoType, stowage, onCreated],
  )
  return (
    <form className="tly-card voyage-page__register" onSubmit={submit} data-testid="register-form">
      <h2>Register container</h2>
      <p>A box that is not on the manifest. The shore sees it as added aboard and completes its cargo.</p>
      <label>
        Container number
        <input
          value={containerId}
          onChange={(e) => setContainerId(e.target.value)}
          placeholder="CSQU3054383"
          required
          data-testid="register-container-id"
        />
      </label>
      <label>
        Size-type
        <input value={isoType} onChange={(e) => setIsoType(e.target.value)} placeholder="22G1" required />
      </label>
      <label>
        Stowage (optional)
        <input value={stowage} onChange={(e) => setStowage(e.target.value)} placeholder="0120482" />
      </label>
      {problem && (
        <p className="tly-alert tly-alert--error" role="alert" data-testid="register-problem">
          {problem.message}{' '}
          {problem.suggestions.map((s) => (
            <button
              key={s}
              type="button"
              className="tly-button tly-button--secondary"
              onClick={() => setContainerId(s)}
            >
              Use {s}
            </button>
          ))}
        </p>
      )}
      <button type="submit" className="tly-button tly-button--primary" disabled={busy}>
        Register
      </button>
    </form>
  )
}
