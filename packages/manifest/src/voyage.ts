/**
 * A voyage's own data, beside its container documents: the ordered port calls (UN/LOCODE, ETA, ATA,
 * ATD) and whether the voyage is open or closed. The shore writes it; vessels receive it at each link
 * session (docs/architecture.md, "Voyages"). Pure validation and the questions both sides ask of it.
 */
import { invalid } from './errors.ts'
import { isoTime, unLocode } from './validators.ts'

export interface PortCall {
  /** UN/LOCODE of the port, e.g. `CNSHA`. */
  locode: string
  /** Estimated and actual arrival, actual departure (ISO 8601 UTC), or null. */
  eta: string | null
  ata: string | null
  atd: string | null
}

export type VoyageStatus = 'OPEN' | 'CLOSED'

/** The voyage as the API and the link carry it. */
export interface VoyageRecord {
  vessel: string
  voyage: string
  status: VoyageStatus
  portCalls: PortCall[]
  createdAt: string
  closedAt: string | null
}

/** More port calls than any liner service has in one voyage. */
export const MAX_PORT_CALLS = 40

const PORT_CALL_KEYS = new Set(['locode', 'eta', 'ata', 'atd'])

/** Validates a list of port calls; throws INVALID naming the field, e.g. `portCalls[2].eta`. */
export function checkPortCalls(value: unknown): PortCall[] {
  if (!Array.isArray(value)) throw invalid('portCalls', 'must be a list of port calls')
  if (value.length > MAX_PORT_CALLS) throw invalid('portCalls', `at most ${MAX_PORT_CALLS} port calls`)
  return value.map((call, i) => {
    const at = `portCalls[${i}]`
    if (typeof call !== 'object' || call === null || Array.isArray(call))
      throw invalid(at, 'must be an object {locode, eta, ata, atd}')
    for (const key of Object.keys(call))
      if (!PORT_CALL_KEYS.has(key)) throw invalid(`${at}.${key}`, 'is not a known field')
    const c = call as Record<string, unknown>
    const problem = unLocode(c.locode)
    if (problem) throw invalid(`${at}.locode`, problem)
    const times: Record<string, string | null> = {}
    for (const key of ['eta', 'ata', 'atd'] as const) {
      const v = c[key] ?? null
      const bad = v === null ? null : isoTime(v)
      if (bad) throw invalid(`${at}.${key}`, bad)
      times[key] = v as string | null
    }
    if (times.atd !== null && times.ata === null) throw invalid(`${at}.atd`, 'a departure needs an arrival')
    return { locode: c.locode as string, eta: times.eta!, ata: times.ata!, atd: times.atd! }
  })
}

/**
 * The port call that matters aboard now: the one the vessel is in (arrived, not departed), else the
 * next one it has not reached. Undefined once every call has been departed.
 */
export function currentPortCall(calls: readonly PortCall[]): { call: PortCall; inPort: boolean } | undefined {
  const call = calls.find((c) => c.atd === null)
  return call ? { call, inPort: call.ata !== null } : undefined
}
