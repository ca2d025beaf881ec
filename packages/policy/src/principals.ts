/**
 * Principals: who stands behind a change. Every Automerge actor is bound to exactly one principal
 * (docs/architecture.md). A vessel is one principal, named by its IMO number, whose crew members are people of
 * that principal; shore users are principals of their own with a role.
 */
import { TallyError } from '@tally/manifest'
import type { Role, ShoreRole } from '@tally/manifest'

export type PrincipalKind = 'vessel' | 'user' | 'system'

export interface Principal {
  /** `IMO9811000` for a vessel and its crew, `user:alice` for a shore user, `system:<name>` for Tally itself. */
  id: string
  kind: PrincipalKind
  /** What the principal may write (catalog `roleMayWrite`). System principals carry `ops`, which writes nothing. */
  role: Role
  /** Shown in the audit trail and in conflicts: `bosun@IMO9811000`, `alice`, `genesis`. */
  name: string
}

const IMO = /^IMO\d{7}$/
/** User and crew names: what a CLI flag and a URL can carry without quoting. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/

function checkImo(imo: string): void {
  if (!IMO.test(imo))
    throw new TallyError('INVALID', `vessel must be IMO followed by 7 digits, not ${imo}`, 'vessel')
}

function checkName(name: string, field: string): void {
  if (!NAME.test(name))
    throw new TallyError(
      'INVALID',
      `${field} must be 1–64 letters, digits, dots, dashes or underscores`,
      field,
    )
}

/** The vessel itself, as the link authenticates it: id and (by default) name are the IMO number. */
export function vesselPrincipal(imo: string, name: string = imo): Principal {
  checkImo(imo)
  return { id: imo, kind: 'vessel', role: 'vessel', name }
}

/** A crew member: a person of the vessel principal, so the vessel's authority is theirs. */
export function crewPrincipal(imo: string, crewName: string): Principal {
  checkImo(imo)
  checkName(crewName, 'user')
  return { id: imo, kind: 'vessel', role: 'vessel', name: `${crewName}@${imo}` }
}

/** A shore user with a role. */
export function userPrincipal(name: string, role: ShoreRole): Principal {
  checkName(name, 'user')
  if (role !== 'shore' && role !== 'customs' && role !== 'ops')
    throw new TallyError('INVALID', 'role must be shore, customs or ops', 'role')
  return { id: `user:${name}`, kind: 'user', role, name }
}

/**
 * A part of Tally itself, e.g. `systemPrincipal('relay')`. As a change author it may only write a
 * container's initial values (see validate.ts); as a sender it forwards changes of other principals.
 */
export function systemPrincipal(name: string): Principal {
  checkName(name, 'system')
  return { id: `system:${name}`, kind: 'system', role: 'ops', name }
}

/** The implicit author of every container's deterministic genesis change. */
export const GENESIS_PRINCIPAL: Principal = Object.freeze({
  id: 'system:genesis',
  kind: 'system',
  role: 'ops',
  name: 'genesis',
})

/** The relay as a sender: the vessel node validates changes it forwards against their bound principals. */
export const RELAY_PRINCIPAL: Principal = Object.freeze({
  id: 'system:relay',
  kind: 'system',
  role: 'ops',
  name: 'relay',
})

/**
 * True when both name the same identity. The role is not part of it: a user whose role changes
 * keeps their actors, and an authenticated sender's current role is what counts.
 */
export function samePrincipal(a: Principal, b: Principal): boolean {
  return a.id === b.id && a.kind === b.kind && a.name === b.name
}
