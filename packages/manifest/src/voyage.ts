/**
 * A voyage's own data, beside its container documents: the ordered port calls (UN/LOCODE, ETA, ATA,
 * ATD) and whether the voyage is open or closed. The shore writes it; vessels receive it at each link
 * session (docs/architecture.md, "Voyages"). Pure validation and the questions both sides ask of it.
 */
import { z } from 'zod'
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

const optionalTime = isoTime.schema.nullable().optional()

/** One port call as the shore writes it; absent times are null. */
export const portCallSchema = z
  .strictObject(
    { locode: unLocode.schema, eta: optionalTime, ata: optionalTime, atd: optionalTime },
    { error: 'must be an object {locode, eta, ata, atd}' },
  )
  .refine((c) => !c.atd || Boolean(c.ata), { error: 'a departure needs an arrival', path: ['atd'] })
  .meta({ id: 'PortCall' })

/** The port calls of a voyage, in rotation order. */
export const portCallsSchema = z
  .array(portCallSchema, { error: 'must be a list of port calls' })
  .max(MAX_PORT_CALLS, `at most ${MAX_PORT_CALLS} port calls`)

/** The body of `PUT /api/vessels/:imo/voyages/:voyage`. */
export const voyagePortCallsBodySchema = z
  .object({ portCalls: portCallsSchema })
  .meta({ id: 'VoyagePortCalls' })

/** The field of an issue as the contract names it: `portCalls`, `portCalls[2]`, `portCalls[2].eta`. */
function portCallField(issue: z.core.$ZodIssue): string {
  const [index, key] = issue.path
  const item = index === undefined ? 'portCalls' : `portCalls[${String(index)}]`
  const name = issue.code === 'unrecognized_keys' ? issue.keys[0] : key
  return name === undefined ? item : `${item}.${String(name)}`
}

/** Validates a list of port calls; throws INVALID naming the field, e.g. `portCalls[2].eta`. */
export function checkPortCalls(value: unknown): PortCall[] {
  const result = portCallsSchema.safeParse(value)
  if (!result.success) {
    const issue = result.error.issues[0]!
    throw invalid(
      portCallField(issue),
      issue.code === 'unrecognized_keys' ? 'is not a known field' : issue.message,
    )
  }
  // The catalog's validators are typed as checks of unknown values; these parsed as strings or null.
  const time = (v: unknown) => (v ?? null) as string | null
  return result.data.map((c) => ({
    locode: c.locode as string,
    eta: time(c.eta),
    ata: time(c.ata),
    atd: time(c.atd),
  }))
}

/**
 * The port call that matters aboard now: the one the vessel is in (arrived, not departed), else the
 * next one it has not reached. Undefined once every call has been departed.
 */
export function currentPortCall(calls: readonly PortCall[]): { call: PortCall; inPort: boolean } | undefined {
  const call = calls.find((c) => c.atd === null)
  return call ? { call, inPort: call.ata !== null } : undefined
}
