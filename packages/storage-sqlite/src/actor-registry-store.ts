import type { SqlDatabase } from './sql-database.ts'
import { isoNow, systemClock, type Clock } from './clock.ts'
import type { StoreOptions } from './store-options.ts'

/** What kind of principal an actor belongs to. */
export type ActorKind = 'vessel' | 'user' | 'system'

/** One row of `actors`: an Automerge actor ID bound to exactly one principal. */
export interface ActorBinding {
  actor: string
  principal: string
  kind: ActorKind
  role: string | null
  name: string | null
  boundAt: string
}

/** A binding to record; `role`, `name` and `boundAt` are optional. */
export type NewActorBinding = Omit<ActorBinding, 'role' | 'name' | 'boundAt'> &
  Partial<Pick<ActorBinding, 'role' | 'name' | 'boundAt'>>

/** An actor is already bound to another principal; the new binding was refused. */
export class ActorBindingConflictError extends Error {
  readonly code = 'ACTOR_BINDING_CONFLICT' as const

  constructor(
    readonly actor: string,
    readonly boundPrincipal: string,
    readonly requestedPrincipal: string,
  ) {
    super(`actor ${actor} is bound to ${boundPrincipal}, not ${requestedPrincipal}`)
    this.name = 'ActorBindingConflictError'
  }
}

interface ActorRow {
  actor: string
  principal: string
  kind: ActorKind
  role: string | null
  name: string | null
  bound_at: string
}

/**
 * The actor registry (docs/architecture.md): every change's actor ID is bound to one principal, for good. The
 * relay keeps it and shares it with vessels; a vessel stores the copy it receives.
 */
export class ActorRegistryStore {
  private readonly clock: Clock
  private readonly stmts: ReturnType<typeof prepareStatements>

  constructor(
    private readonly db: SqlDatabase,
    options: StoreOptions = {},
  ) {
    this.clock = options.clock ?? systemClock
    this.stmts = prepareStatements(db)
  }

  /**
   * Binds `actor` to `principal`. Returns true if a new binding was stored, false if the actor was
   * already bound to the same principal (the first binding's role and name are kept). Throws
   * {@link ActorBindingConflictError} if it is bound to a different principal.
   */
  bind(binding: NewActorBinding): boolean {
    return this.db.transaction(() => this.bindOne(binding, isoNow(this.clock)))()
  }

  /**
   * Binds many actors in one transaction (e.g. the registry received from the relay). All or
   * nothing: one conflict refuses the whole batch. Returns how many bindings were new.
   */
  bindMany(bindings: Iterable<NewActorBinding>): number {
    const at = isoNow(this.clock)
    return this.db.transaction(() => {
      let added = 0
      for (const binding of bindings) if (this.bindOne(binding, at)) added++
      return added
    })()
  }

  /** The binding of `actor`, or undefined. */
  get(actor: string): ActorBinding | undefined {
    const row = this.stmts.get.get(actor)
    return row ? toBinding(row) : undefined
  }

  /** The principal `actor` is bound to, or undefined. */
  principalOf(actor: string): string | undefined {
    return this.stmts.get.get(actor)?.principal
  }

  /** All actors bound to `principal`. */
  forPrincipal(principal: string): ActorBinding[] {
    return this.stmts.forPrincipal.all(principal).map(toBinding)
  }

  /** Bindings made at or after `since` (all if omitted), oldest first: what to share with a vessel. */
  list(since?: string): ActorBinding[] {
    return this.stmts.since.all(since ?? '').map(toBinding)
  }

  private bindOne(binding: NewActorBinding, defaultAt: string): boolean {
    const existing = this.stmts.get.get(binding.actor)
    if (existing) {
      if (existing.principal !== binding.principal) {
        throw new ActorBindingConflictError(binding.actor, existing.principal, binding.principal)
      }
      return false
    }
    this.stmts.insert.run({
      actor: binding.actor,
      principal: binding.principal,
      kind: binding.kind,
      role: binding.role ?? null,
      name: binding.name ?? null,
      bound_at: binding.boundAt ?? defaultAt,
    })
    return true
  }
}

function prepareStatements(db: SqlDatabase) {
  return {
    get: db.prepare<[string], ActorRow>('SELECT * FROM actors WHERE actor = ?'),
    insert: db.prepare<[Record<string, string | null>]>(
      `INSERT INTO actors (actor, principal, kind, role, name, bound_at)
       VALUES (@actor, @principal, @kind, @role, @name, @bound_at)`,
    ),
    forPrincipal: db.prepare<[string], ActorRow>(
      'SELECT * FROM actors WHERE principal = ? ORDER BY bound_at',
    ),
    since: db.prepare<[string], ActorRow>(
      'SELECT * FROM actors WHERE bound_at >= ? ORDER BY bound_at, actor',
    ),
  }
}

function toBinding(row: ActorRow): ActorBinding {
  return {
    actor: row.actor,
    principal: row.principal,
    kind: row.kind,
    role: row.role,
    name: row.name,
    boundAt: row.bound_at,
  }
}
