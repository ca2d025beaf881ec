/**
 * The actor registry: which principal each Automerge actor ID belongs to. The relay keeps it (its
 * `actors` table) and shares it with the vessels; this interface is all policy needs of it.
 */
import { TallyError } from '@tally/manifest'
import { samePrincipal } from './principals.ts'
import type { Principal } from './principals.ts'

export interface ActorRegistry {
  /** The principal an actor is bound to, or undefined for an actor nobody has bound. */
  lookup(actor: string): Principal | undefined
  /**
   * Binds an actor to a principal. Binding it again to the same principal is a no-op (it may update
   * the role); binding it to a different principal throws, because that is a forgery.
   */
  bind(actor: string, principal: Principal): void
}

/** Automerge actor IDs are hex strings; 32 characters for the ones Automerge generates. */
const ACTOR = /^[0-9a-f]{2,128}$/

/** Throws unless `actor` looks like an Automerge actor ID. */
export function checkActorId(actor: string): void {
  if (typeof actor !== 'string' || !ACTOR.test(actor) || actor.length % 2 !== 0)
    throw new TallyError('INVALID', 'an actor ID is an even number of lowercase hex digits', 'actor')
}

/** Throws the forgery error when `actor` is already bound to someone other than `principal`. */
export function checkRebind(actor: string, existing: Principal | undefined, principal: Principal): void {
  if (existing && !samePrincipal(existing, principal))
    throw new TallyError(
      'FORBIDDEN',
      `actor ${actor.slice(0, 8)}… is bound to ${existing.name}, not ${principal.name}`,
      'actor',
    )
}

/** An in-memory registry, for tests and for a process that loads its table at start-up. */
export class MemoryActorRegistry implements ActorRegistry {
  private readonly byActor = new Map<string, Principal>()

  constructor(entries: Iterable<readonly [string, Principal]> = []) {
    for (const [actor, principal] of entries) this.bind(actor, principal)
  }

  lookup(actor: string): Principal | undefined {
    return this.byActor.get(actor)
  }

  bind(actor: string, principal: Principal): void {
    checkActorId(actor)
    checkRebind(actor, this.byActor.get(actor), principal)
    // Frozen, so a caller holding a looked-up principal cannot rebind the actor by mutating it.
    this.byActor.set(actor, Object.freeze({ ...principal }))
  }

  /** Every binding, e.g. to share with a vessel. */
  entries(): [string, Principal][] {
    return [...this.byActor.entries()].map(([actor, p]) => [actor, { ...p }])
  }

  get size(): number {
    return this.byActor.size
  }
}

/** A `principalOf` for views and conflicts: names an actor by its principal's name. */
export function principalNameOf(registry: ActorRegistry): (actor: string) => string | undefined {
  return (actor) => registry.lookup(actor)?.name
}
