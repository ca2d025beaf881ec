/**
 * The one place where packages/policy meets the replica: the SQLite actor registry as policy's
 * {@link ActorRegistry}, and a {@link ChangeValidator} for changes delivered by a given sender.
 */
import * as A from '@automerge/automerge'
import { toPlain } from '@tally/manifest'
import type { Role } from '@tally/manifest'
import { RELAY_PRINCIPAL, validateChanges } from '@tally/policy'
import type { ActorRegistry, Principal } from '@tally/policy'
import type { ActorRegistryStore } from '@tally/storage-sqlite'
import type { ChangeValidator } from './link-replica.ts'

/** Policy's registry view of the `actors` table. */
export function sqliteActorRegistry(store: ActorRegistryStore): ActorRegistry {
  return {
    lookup(actor) {
      const b = store.get(actor)
      if (!b) return undefined
      return { id: b.principal, kind: b.kind, role: (b.role ?? 'ops') as Role, name: b.name ?? b.principal }
    },
    bind(actor, p) {
      store.bind({ actor, principal: p.id, kind: p.kind, role: p.role, name: p.name })
    },
  }
}

/** The principal behind a sender as the transports name it: a vessel IMO or `user:<name>`. */
export function senderPrincipal(sender: { id: string; role: string }): Principal {
  if (sender.id.startsWith('user:'))
    return { id: sender.id, kind: 'user', role: sender.role as Role, name: sender.id.slice(5) }
  return { id: sender.id, kind: 'vessel', role: 'vessel', name: sender.id }
}

/** Which voyages are closed (the `voyages` table); their documents take no new changes. */
export interface VoyageClosures {
  closedAt(vessel: string, voyage: string): string | undefined
}

/**
 * Validates changes delivered by `sender`: a vessel or user must be the author of every change it
 * sends; `'relay'` forwards changes of others, each judged by its author's role. With `voyages`,
 * changes to a closed voyage's documents are refused (replays of stored changes pass).
 */
export function policyValidator(
  registry: ActorRegistryStore,
  sender: { id: string; role: string } | 'relay',
  voyages?: VoyageClosures,
): ChangeValidator {
  const stored = sqliteActorRegistry(registry)
  const principal = sender === 'relay' ? RELAY_PRINCIPAL : senderPrincipal(sender)
  return (ctx, changes) => {
    // One document's changes come from a handful of actors: look each up once per call, not once
    // per change (a cache that lives no longer than the call cannot go stale).
    const seen = new Map<string, ReturnType<ActorRegistry['lookup']>>()
    const actors: ActorRegistry = {
      lookup: (actor) => {
        if (!seen.has(actor)) seen.set(actor, stored.lookup(actor))
        return seen.get(actor)
      },
      bind: (actor, p) => {
        seen.delete(actor)
        stored.bind(actor, p)
      },
    }
    const doc = () => (typeof ctx.doc === 'function' ? ctx.doc() : ctx.doc)
    const proposalField = (objId: string): string | undefined => {
      for (const p of doc().proposals ?? []) if (A.getObjectId(p) === objId) return toPlain(p.field)
      return undefined
    }
    const voyageClosedAt = voyages?.closedAt(ctx.key.vessel, ctx.key.voyage)
    const decisions = validateChanges(
      {
        ...(voyageClosedAt !== undefined ? { voyageClosedAt } : {}),
        index: ctx.index,
        key: { ...ctx.key, isoType: ctx.isoType },
        registry: actors,
        sender: principal,
        alreadyStored: (hash) => A.hasHeads(doc(), [hash]),
        proposalField,
        refused: new Set(ctx.refused ?? []),
      },
      changes,
    )
    return decisions.map((d) => ({
      hash: d.hash,
      accepted: d.accepted,
      ...(d.reason ? { reason: d.reason } : {}),
      ...(d.field ? { field: d.field } : {}),
      ...(d.principal ? { principal: d.principal.id } : {}),
    }))
  }
}
