/**
 * Replays a window of the voyage day in real time against the running processes and watches each
 * edit arrive on the other side:
 * - crew edits go to the vessel node's REST API (PATCH, readings), customs and notes to the relay's;
 * - an edit counts from the moment its side acknowledged it, and arrives when the other side's REST
 *   shows the value. The other side is polled on loopback (never through the link), one GET per
 *   container per round, critical edits every second, normal every 5 s and routine every 15 s.
 * Every loop is bounded: the writes by the window, the polling by the drain limit.
 */
import type { PriorityClass } from '@tally/manifest'
import type { VoyageEvent } from '@tally/voyage-sim'
import type { JsonClient } from './daily-bill-http.ts'
import { callOk } from './daily-bill-http.ts'
import type { ReplayEvent, ReplayWindow } from './daily-bill-workload.ts'
import { hiddenByLater, patchLeaves } from './daily-bill-workload.ts'

export const PROBE_INTERVAL_MS: Record<PriorityClass, number> = {
  critical: 1_000,
  normal: 5_000,
  routine: 15_000,
}
const TICK_MS = 500

export interface ReplayEndpoints {
  vesselUrl: string
  relayUrl: string
  imo: string
  crewToken: string
  customsToken: string
  shoreToken: string
  vesselClient: JsonClient
  relayClient: JsonClient
}

export interface Outcome {
  replay: ReplayEvent
  /** Epoch ms when the writing side acknowledged the edit. */
  editedAt: number | null
  arrivedAt: number | null
  /** Not tracked: a later edit in the window overwrites the same field. */
  hidden: boolean
  error: string | null
}

export interface ReplayResult {
  outcomes: Outcome[]
  startedAt: number
  windowEndedAt: number
  endedAt: number
}

export interface ReplayOptions {
  /** How long after the window to keep watching for critical and normal edits still on their way. */
  drainLimitMs: number
  /** Called once the window's time is over (before the drain), e.g. to read the link's counters. */
  onWindowEnd?: () => void
  log: (line: string) => void
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)))

export async function write(e: VoyageEvent, ep: ReplayEndpoints): Promise<void> {
  const id = encodeURIComponent(e.containerId)
  const relayContainer = `${ep.relayUrl}/api/vessels/${ep.imo}/containers/${id}`
  if (e.kind === 'reading') {
    const body = { at: e.at, supplyC: e.supplyC, returnC: e.returnC }
    await callOk(ep.vesselClient, 'POST', `${ep.vesselUrl}/api/containers/${id}/readings`, ep.crewToken, body)
  } else if (e.kind === 'notes') {
    const view = await callOk(ep.relayClient, 'GET', relayContainer, ep.shoreToken)
    const notes = `${String(view.notes ?? '')}${e.insert}`
    await callOk(ep.relayClient, 'PATCH', relayContainer, ep.shoreToken, { notes })
  } else if (e.side === 'vessel') {
    await callOk(ep.vesselClient, 'PATCH', `${ep.vesselUrl}/api/containers/${id}`, ep.crewToken, e.patch)
  } else {
    await callOk(ep.relayClient, 'PATCH', relayContainer, ep.customsToken, e.patch)
  }
}

const valueAt = (view: any, path: string): unknown =>
  path.split('.').reduce((v: any, key) => (v === null || v === undefined ? undefined : v[key]), view)

/** Whether a container view (of the other side) shows the edit. */
export function shows(view: any, e: VoyageEvent): boolean {
  if (e.kind === 'reading')
    return (view?.reefer?.readings ?? []).some(
      (r: any) => r.at === e.at && r.supplyC === e.supplyC && r.returnC === e.returnC,
    )
  if (e.kind === 'notes') return String(view?.notes ?? '').includes(e.insert)
  return patchLeaves(e.patch).every(
    ([path, value]) => JSON.stringify(valueAt(view, path) ?? null) === JSON.stringify(value ?? null),
  )
}

/** Polls the other side for every edit still on its way that is due for a look. */
async function probe(pending: Outcome[], lastLook: Map<Outcome, number>, ep: ReplayEndpoints): Promise<void> {
  const now = Date.now()
  const due = pending.filter((o) => now - (lastLook.get(o) ?? 0) >= PROBE_INTERVAL_MS[o.replay.priority])
  const byContainer = new Map<string, Outcome[]>()
  for (const o of due) {
    const key = `${o.replay.direction}\n${o.replay.event.containerId}`
    byContainer.set(key, [...(byContainer.get(key) ?? []), o])
  }
  for (const group of byContainer.values()) {
    const first = group[0]!.replay
    const id = encodeURIComponent(first.event.containerId)
    const view =
      first.direction === 'up'
        ? await callOk(
            ep.relayClient,
            'GET',
            `${ep.relayUrl}/api/vessels/${ep.imo}/containers/${id}`,
            ep.shoreToken,
          )
        : await callOk(ep.vesselClient, 'GET', `${ep.vesselUrl}/api/containers/${id}`, ep.crewToken)
    const seen = Date.now()
    for (const o of group) {
      lastLook.set(o, seen)
      if (shows(view, o.replay.event)) o.arrivedAt = seen
    }
  }
}

/**
 * Sends the hours before the window across the link, unmeasured: writes them at once, then has the
 * vessel run two rounds, the first to take what both sides hold and the second to be sure.
 */
export async function sendBefore(
  events: readonly VoyageEvent[],
  ep: ReplayEndpoints,
  opts: { timeoutMs: number; log: (line: string) => void },
): Promise<void> {
  for (const e of events)
    await write(e, ep).catch((err: Error) => opts.log(`daily bill: warm-up write refused: ${err.message}`))
  const deadline = Date.now() + opts.timeoutMs
  const status = () => callOk(ep.vesselClient, 'GET', `${ep.vesselUrl}/api/sync`, ep.crewToken)
  // Two rounds after the writes: the first takes what both sides hold, the second proves it.
  for (let round = 0; round < 2; round++) {
    const asked = Date.now()
    await callOk(ep.vesselClient, 'POST', `${ep.vesselUrl}/api/sync`, ep.crewToken)
    for (;;) {
      const s = await status()
      if (s.state === 'IDLE' && Date.parse(s.lastSyncAt ?? '') >= asked) break
      if (Date.now() > deadline) throw new Error(`warm-up did not settle: ${JSON.stringify(s).slice(0, 300)}`)
      await sleep(TICK_MS)
    }
  }
}

/** Writes the window's events on their schedule and watches them arrive; see the module comment. */
export async function replayWindow(
  w: ReplayWindow,
  ep: ReplayEndpoints,
  opts: ReplayOptions,
): Promise<ReplayResult> {
  const hidden = hiddenByLater(w.events)
  const outcomes: Outcome[] = w.events.map((replay) => ({
    replay,
    editedAt: null,
    arrivedAt: null,
    hidden: hidden.has(replay),
    error: null,
  }))
  const startedAt = Date.now()
  const windowMs = w.minutes * 60_000
  let writing = true
  const writer = (async () => {
    try {
      for (const o of outcomes) {
        if (Date.now() - startedAt > windowMs) break
        await sleep(startedAt + o.replay.offsetMs - Date.now())
        try {
          await write(o.replay.event, ep)
          o.editedAt = Date.now()
        } catch (err) {
          o.error = (err as Error).message
          opts.log(`daily bill: ${o.replay.event.kind} ${o.replay.event.containerId} refused: ${o.error}`)
        }
      }
    } finally {
      writing = false
    }
  })()

  const lastLook = new Map<Outcome, number>()
  let windowEndedAt: number | null = null
  /** When every critical and normal edit had arrived, after the window. */
  let othersArrivedAt: number | null = null
  const pendingOf = () =>
    outcomes.filter((o) => o.editedAt !== null && o.arrivedAt === null && !o.hidden && o.error === null)
  for (;;) {
    const now = Date.now()
    if (windowEndedAt === null && now - startedAt >= windowMs) {
      windowEndedAt = now
      opts.onWindowEnd?.()
      opts.log('daily bill: the window is over; waiting for critical and normal edits still on their way')
    }
    const pending = pendingOf()
    if (windowEndedAt !== null && !writing) {
      const waitingFor = pending.filter((o) => o.replay.priority !== 'routine')
      // Readings that went in the same round as the last normal edit are polled less often: two
      // more of their looks before stopping, so the round's routine part is seen too.
      if (waitingFor.length > 0) othersArrivedAt = null
      else othersArrivedAt ??= now
      const routineSeen = othersArrivedAt !== null && now - othersArrivedAt >= 2 * PROBE_INTERVAL_MS.routine
      if (routineSeen || pending.length === 0 || now - windowEndedAt >= opts.drainLimitMs) break
    }
    if (now - startedAt > windowMs + opts.drainLimitMs + 60_000) break // a stuck writer
    // A busy server may reset a request; the next round looks again.
    await probe(pending, lastLook, ep).catch((err: Error) =>
      opts.log(`daily bill: probe failed: ${err.message}`),
    )
    await sleep(TICK_MS)
  }
  await writer
  return { outcomes, startedAt, windowEndedAt: windowEndedAt ?? Date.now(), endedAt: Date.now() }
}
