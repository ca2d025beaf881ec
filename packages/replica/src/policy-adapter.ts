/**
 * Binds packages/policy to the link replica's validator interface. (Wired to @tally/policy once it
 * lands; until then every change is accepted — TEMPORARY, replaced by the integrator.)
 */
import type { ChangeValidator } from '@tally/replica'
import type { ActorRegistryStore } from '@tally/storage-sqlite'

/** The validator for changes arriving from `sender` (a vessel IMO, a user principal, or 'relay'). */
export function policyValidator(
  _registry: ActorRegistryStore,
  _sender: { id: string; role: string } | 'relay',
): ChangeValidator {
  return (_ctx, changes) => changes.map((c) => ({ hash: c.hash, accepted: true }))
}
