/**
 * What has reached shore and what has not: the link, the live sync state, pending changes by
 * priority, the last sync and error, bytes and cost (today, this voyage, forecast of the next sync),
 * the daily byte budget, today's bill and the projected day, "Sync now", recent sessions and the changes the relay refused, in words.
 */
import { useEffect, useState } from 'react'
import { formatBytes, formatCount, formatRelative, formatTime, formatUsd, problemOf } from '@tally/ui'
import type { CrewApi, DeadLetter, SyncSession, SyncStatus } from './api.ts'
import { DailyBillCard } from './DailyBillCard.tsx'
import { useLive } from './live.ts'
import type { LiveEvents } from './live.ts'
import { groupSessions, outageRowWords, outageWords } from './outageWords.ts'
import { hrefOf } from './router.ts'
import {
  budgetWords,
  deadLetterWords,
  describeState,
  errorWords,
  isSyncing,
  retryWords,
} from './syncWords.ts'

/** The compact status in the top bar, linking to the panel. */
export function SyncBadge({ sync, live }: { sync: SyncStatus | null; live: boolean }) {
  if (!sync)
    return (
      <a className="syncbadge" href={hrefOf.sync()} data-testid="sync-badge">
        Sync…
      </a>
    )
  const state = describeState(sync.state)
  return (
    <a
      className={`syncbadge syncbadge--${state.tone}`}
      href={hrefOf.sync()}
      data-testid="sync-badge"
      title={[
        sync.linkUp ? 'Link up' : 'Link down',
        state.label,
        sync.pendingChanges > 0 ? `${formatCount(sync.pendingChanges)} pending` : null,
        sync.budget?.limited ? 'Critical only' : null,
        live ? 'Live' : 'Live updates paused',
      ]
        .filter(Boolean)
        .join(' · ')}
    >
      <span className={`dot dot--${sync.linkUp ? 'up' : 'down'}`} aria-hidden="true" />
      <span>{sync.linkUp ? 'Link up' : 'Link down'}</span>
      <span className="syncbadge__state">{state.label}</span>
      {sync.pendingChanges > 0 && (
        <span className="syncbadge__pending">{formatCount(sync.pendingChanges)} pending</span>
      )}
      {sync.budget?.limited && (
        <span className="syncbadge__pending" data-testid="sync-badge-budget">
          Critical only
        </span>
      )}
    </a>
  )
}

export function SyncPanel({ api, live }: { api: CrewApi; live: LiveEvents }) {
  const { sync } = useLive(live)
  const [sessions, setSessions] = useState<SyncSession[] | null>(null)
  const [letters, setLetters] = useState<DeadLetter[] | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [requested, setRequested] = useState(false)
  const refreshKey = sync ? `${sync.state}|${sync.lastSyncAt}|${sync.deadLetters}` : ''

  useEffect(() => {
    let cancelled = false
    api
      // More than shown: an outage's failed attempts fold into one row.
      .sessions(50)
      .then((s) => !cancelled && setSessions(s))
      .catch(() => !cancelled && setSessions((s) => s ?? []))
    api
      .deadLetters()
      .then((d) => !cancelled && setLetters(d))
      .catch(() => !cancelled && setLetters((d) => d ?? []))
    return () => {
      cancelled = true
    }
  }, [api, refreshKey])

  async function syncNow() {
    setRequested(true)
    setError(null)
    try {
      await api.syncNow()
      await live.refreshSync()
    } catch (err) {
      setError(problemOf(err).message)
    } finally {
      setRequested(false)
    }
  }

  if (!sync) return <p className="tly-muted">Loading sync status…</p>
  const state = describeState(sync.state)
  const lastError = errorWords(sync.lastError)
  const retry = retryWords(sync)
  const outage = outageWords(sync)
  const busy = isSyncing(sync.state) || requested
  const pending = sync.pendingByPriority
  const budget = budgetWords(sync.budget)

  return (
    <div className="sync" data-testid="sync-panel">
      <div className="page-head">
        <h1>Sync with shore</h1>
        <button
          type="button"
          className="tly-button tly-button--primary"
          disabled={busy}
          onClick={() => void syncNow()}
          data-testid="sync-now"
        >
          {busy ? 'Syncing…' : 'Sync now'}
        </button>
      </div>
      {error && (
        <p className="tly-alert tly-alert--error" role="alert" data-testid="sync-error">
          {error}
        </p>
      )}
      {budget?.limited && (
        <div className="tly-alert tly-alert--warning" role="status" data-testid="sync-budget">
          <strong>{budget.headline}</strong>
          <p>{budget.detail}</p>
        </div>
      )}

      <div className="sync__grid">
        <section className={`tly-card sync__state sync__state--${state.tone}`} aria-labelledby="sync-state-h">
          <h2 id="sync-state-h" className="card-kicker">
            Sync state
          </h2>
          <p className="sync__big" data-testid="sync-state" data-state={sync.state}>
            {state.label}
          </p>
          <p>{state.detail}</p>
          {retry && <p data-testid="sync-retry">{retry}</p>}
          <dl className="facts">
            <div>
              <dt>Satellite link</dt>
              <dd data-testid="sync-link" data-up={sync.linkUp}>
                <span className={`dot dot--${sync.linkUp ? 'up' : 'down'}`} aria-hidden="true" />
                {sync.linkUp ? 'Up' : 'Down'}
              </dd>
            </div>
            <div>
              <dt>Last successful sync</dt>
              <dd data-testid="sync-last" title={formatTime(sync.lastSyncAt)}>
                {sync.lastSyncAt
                  ? `${formatRelative(sync.lastSyncAt)} · ${formatTime(sync.lastSyncAt)}`
                  : 'Never'}
              </dd>
            </div>
            {outage && (
              <div>
                <dt>Connection</dt>
                <dd data-testid="sync-outage">{outage}</dd>
              </div>
            )}
            {sync.learnedKeepaliveS != null && (
              <div>
                <dt>Keepalive</dt>
                <dd data-testid="sync-keepalive">
                  Every {sync.learnedKeepaliveS} s: the way to shore drops quiet connections sooner than the
                  keepalive that was set
                </dd>
              </div>
            )}
          </dl>
          {lastError && (
            <p className="tly-alert tly-alert--warning" data-testid="sync-last-error">
              <strong>Last error:</strong>{' '}
              <span title={sync.lastErrorDetail ? `Detail: ${sync.lastErrorDetail}` : undefined}>
                {lastError}
              </span>
            </p>
          )}
        </section>

        <section className="tly-card" aria-labelledby="pending-h" data-testid="sync-pending">
          <h2 id="pending-h" className="card-kicker">
            Waiting to go to shore
          </h2>
          <p className="sync__big">{formatCount(sync.pendingChanges)}</p>
          <p className="tly-muted">changes not yet acknowledged by shore</p>
          {pending && (
            <ul className="priorities">
              <Priority
                name="Critical"
                hint="damage, broken seals, alarms, holds"
                count={pending.critical}
                tone="critical"
              />
              <Priority name="Normal" hint="other edits" count={pending.normal} tone="normal" />
              <Priority name="Routine" hint="reefer readings" count={pending.routine} tone="routine" />
            </ul>
          )}
          {sync.photos && (
            <p className="tly-muted" data-testid="sync-photos">
              {sync.photos.waiting.count > 0
                ? `${formatCount(sync.photos.waiting.count)} full ${sync.photos.waiting.count === 1 ? 'photo' : 'photos'} requested by shore, ${formatBytes(sync.photos.waiting.bytes)} still to send (after all changes). `
                : 'No full photo requested by shore. '}
              {`${formatCount(sync.photos.aboard.count)} ${sync.photos.aboard.count === 1 ? 'photo' : 'photos'} aboard only (${formatBytes(sync.photos.aboard.bytes)}); their thumbnails go with the reports.`}
            </p>
          )}
        </section>

        <section className="tly-card sync__traffic" aria-labelledby="traffic-h" data-testid="sync-traffic">
          <h2 id="traffic-h" className="card-kicker">
            Satellite traffic and cost
          </h2>
          <table className="tly-table tly-table--numbers">
            <thead>
              <tr>
                <th scope="col">Period</th>
                <th scope="col">Up</th>
                <th scope="col">Down</th>
                <th scope="col">Cost</th>
              </tr>
            </thead>
            <tbody>
              {[
                ['Today', sync.today],
                ['This voyage', sync.voyage ?? sync.totals],
              ].map(([label, t]) => {
                const totals = t as SyncStatus['today']
                return (
                  <tr key={label as string}>
                    <th scope="row">{label as string}</th>
                    <td>{formatBytes(totals?.bytesUp)}</td>
                    <td>{formatBytes(totals?.bytesDown)}</td>
                    <td>{formatUsd(totals?.costUsd)}</td>
                  </tr>
                )
              })}
              <tr data-testid="sync-forecast">
                <th scope="row">Next sync (forecast)</th>
                <td colSpan={2}>{formatBytes(sync.forecast?.bytes)}</td>
                <td>{formatUsd(sync.forecast?.costUsd)}</td>
              </tr>
            </tbody>
          </table>
          {sync.costPerMb !== undefined && (
            <p className="tly-muted">At {formatUsd(sync.costPerMb)} per MB.</p>
          )}
          {budget && !budget.limited && (
            <p className="tly-muted" data-testid="sync-budget">
              {budget.headline}
            </p>
          )}
        </section>
      </div>

      {sync.dailyBill && <DailyBillCard bill={sync.dailyBill} />}

      <section className="tly-card" aria-labelledby="dead-h" data-testid="dead-letters">
        <h2 id="dead-h">Changes the relay refused</h2>
        {letters === null ? (
          <p className="tly-muted">Loading…</p>
        ) : letters.length === 0 ? (
          <p className="tly-muted">None. Every change sent was accepted.</p>
        ) : (
          <ul className="deadletters">
            {letters.map((letter) => (
              <li key={letter.id} data-testid="dead-letter">
                <p>{deadLetterWords(letter)}</p>
                <p className="tly-muted">{formatTime(letter.at)}</p>
              </li>
            ))}
          </ul>
        )}
      </section>

      <section className="tly-card" aria-labelledby="sessions-h" data-testid="sync-sessions">
        <h2 id="sessions-h">Recent sync sessions</h2>
        {sessions === null ? (
          <p className="tly-muted">Loading…</p>
        ) : sessions.length === 0 ? (
          <p className="tly-muted">No sync sessions yet.</p>
        ) : (
          <table className="tly-table tly-table--stack sync__sessions">
            <thead>
              <tr>
                <th scope="col">Started</th>
                <th scope="col">Result</th>
                <th scope="col">Up</th>
                <th scope="col">Down</th>
                <th scope="col">Changes</th>
                <th scope="col">Cost</th>
              </tr>
            </thead>
            <tbody>
              {groupSessions(sessions)
                .slice(0, 10)
                .map((row) =>
                  row.kind === 'outage' ? (
                    <tr key={`outage-${row.from}`} data-testid="sync-outage-row">
                      <td data-label="Started">{formatTime(row.from)}</td>
                      <td data-label="Result" colSpan={5}>
                        <span title={row.sessions[0]?.error ?? undefined}>{outageRowWords(row)}</span>
                      </td>
                    </tr>
                  ) : (
                    <SessionRowView key={row.session.id} s={row.session} />
                  ),
                )}
            </tbody>
          </table>
        )}
      </section>
    </div>
  )
}

function SessionRowView({ s }: { s: SyncSession }) {
  return (
    <tr>
      <td data-label="Started">{formatTime(s.startedAt)}</td>
      <td data-label="Result">
        {sessionWords(s.state)}
        {s.budgetLimited && <span className="tly-muted"> — budget: critical only</span>}
        {s.error && <span className="tly-muted"> — {s.error.split('\n')[0]}</span>}
      </td>
      <td data-label="Up">{formatBytes(s.bytesUp)}</td>
      <td data-label="Down">{formatBytes(s.bytesDown)}</td>
      <td data-label="Changes">
        {formatCount(s.changesUp ?? 0)} up, {formatCount(s.changesDown ?? 0)} down
        {s.rejected ? `, ${s.rejected} refused` : ''}
      </td>
      <td data-label="Cost">{formatUsd(s.costUsd)}</td>
    </tr>
  )
}

/** The session log says `running`, `complete`, `failed` or `aborted`. */
function sessionWords(state: string): string {
  if (state === 'running') return 'In progress'
  if (state === 'aborted') return 'Stopped'
  return describeState(state.toUpperCase()).label
}

function Priority({ name, hint, count, tone }: { name: string; hint: string; count: number; tone: string }) {
  return (
    <li className={`priority priority--${tone}`} data-testid={`pending-${name.toLowerCase()}`}>
      <span className="priority__name">
        {name} <span className="tly-muted">({hint})</span>
      </span>
      <span className="priority__count">{formatCount(count)}</span>
    </li>
  )
}
