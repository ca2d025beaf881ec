/**
 * A container's history (`GET .../history`), derived from the document itself so it covers every
 * path a change arrived by (REST, vessel link, browsers): `[{at, principal, role, field, from, to,
 * change}]`, oldest first. Principals come from the actor registry, never raw actor IDs.
 *
 * Values come from the change's own ops where it creates them (readings, proposals, whole values)
 * and from the document at the change's parents (`from`) and at the change (`to`) otherwise.
 * Historical reads cost about a millisecond each on a voyage-long reefer document, so the routine
 * reading appends, which are most of the history, are read from their ops alone.
 */
import * as A from '@automerge/automerge'
import { genesisActor, ObjectIndex, toPlain, touchedOps } from '@tally/manifest'
import type { ContainerDoc } from '@tally/manifest'

/** One field change, as the API returns it. */
export interface HistoryEntry {
  at: string | null
  principal: string
  role: string | null
  field: string
  from: unknown
  to: unknown
  /** The Automerge change hash. */
  change: string
}

/** Who an actor is: its principal and role from the actor registry. */
export type ActorLookup = (actor: string) => { principal: string; role: string | null } | undefined

type Backend = ReturnType<typeof A.getBackend>
type Heads = string[]

const MAKE = new Set(['makeMap', 'makeList', 'makeTable'])

/** The objects a change creates, rebuilt from its ops, by object ID. */
function freshObjects(change: A.DecodedChange): Map<string, any> {
  const fresh = new Map<string, any>()
  change.ops.forEach((raw, i) => {
    const op = raw as A.DecodedChange['ops'][number] & { insert?: boolean; key?: string; value?: unknown }
    const parent = fresh.get(op.obj)
    let value: unknown = op.value ?? null
    if (MAKE.has(op.action)) {
      value = op.action === 'makeList' ? [] : {}
      fresh.set(`${change.startOp + i}@${change.actor}`, value)
    } else if (op.action !== 'set') return
    if (parent === undefined) return
    if (Array.isArray(parent)) parent.push(value)
    else if (op.key !== undefined) parent[op.key] = value
  })
  return fresh
}

class HistoricalReader {
  private readonly sections = new Map<string, string | null>()

  constructor(private readonly backend: Backend) {}

  private sectionId(section: string): string | null {
    if (!this.sections.has(section)) {
      const found = this.backend.getWithType('_root', section)
      this.sections.set(
        section,
        found && (found[0] === 'map' || found[0] === 'list') ? String(found[1]) : null,
      )
    }
    return this.sections.get(section)!
  }

  /** The plain value at `path` (a root key or `section.key`) as of `heads`. */
  value(path: string, heads: Heads): unknown {
    const [first, key] = path.split('.') as [string, string | undefined]
    const parent = key === undefined ? '_root' : this.sectionId(first)
    if (parent === null) return null
    const found = this.backend.getWithType(parent, key ?? first, heads)
    return found ? this.plain(found, heads) : null
  }

  /** A whole object (e.g. a proposal) as of `heads`. */
  object(objId: string, heads: Heads): unknown {
    try {
      return toPlain(this.backend.materialize(objId, heads))
    } catch {
      return null // the object did not exist yet at those heads
    }
  }

  private plain(found: [string, unknown], heads: Heads): unknown {
    const [type, value] = found
    if (type === 'map' || type === 'list') return toPlain(this.backend.materialize(String(value), heads))
    if (type === 'text') return this.backend.text(String(value), heads)
    return toPlain(value) ?? null
  }
}

/** The history of one document, oldest first. */
export function historyOf(doc: A.Doc<ContainerDoc>, who: ActorLookup): HistoryEntry[] {
  const key = { vessel: String(doc.vessel), voyage: String(doc.voyage), containerId: String(doc.containerId) }
  const genesis = genesisActor(key)
  const reader = new HistoricalReader(A.getBackend(doc))
  const index = new ObjectIndex()
  const entries: HistoryEntry[] = []
  for (const bytes of A.getAllChanges(doc)) {
    const change = A.decodeChange(bytes)
    index.learn(change)
    const ops = touchedOps(change, index)
    // Objects this change created are "new" only within it; later changes edit existing objects.
    index.settle()
    if (change.actor === genesis) continue
    const author = who(change.actor)
    const base = {
      at: change.time > 0 ? new Date(change.time * 1000).toISOString() : null,
      principal: author?.principal ?? change.actor,
      role: author?.role ?? null,
      change: change.hash,
    }
    const fresh = freshObjects(change)
    const after = [change.hash]
    const seen = new Set<string>()
    ops.forEach((op, i) => {
      const raw = change.ops[i]!
      const made = MAKE.has(op.action) ? fresh.get(`${change.startOp + i}@${change.actor}`) : undefined
      if (!op.field || !op.path) return
      if (op.kind === 'append' && (op.field === 'reefer.readings' || op.field === 'proposals')) {
        if (made !== undefined) entries.push({ ...base, field: op.field, from: null, to: made })
        return
      }
      if (op.kind === 'new') return // inside an object this change created: part of that value
      if (op.path[0] === 'proposals') {
        // An update to an existing proposal (its status when it is accepted or declined).
        if (seen.has(raw.obj)) return
        seen.add(raw.obj)
        entries.push({
          ...base,
          field: 'proposals',
          from: reader.object(raw.obj, change.deps),
          to: reader.object(raw.obj, after),
        })
        return
      }
      const field = op.kind === 'root' ? op.path[0]! : op.field
      if (seen.has(field)) return
      seen.add(field)
      const from = reader.value(field, change.deps)
      const to =
        op.kind === 'field' && made !== undefined
          ? made
          : op.kind === 'field' && raw.action === 'set'
            ? ((raw as { value?: unknown }).value ?? null)
            : reader.value(field, after)
      entries.push({ ...base, field, from, to })
    })
  }
  // Causal order first, then by author time: a vessel's edits made at sea arrive late but belong
  // where they happened on the timeline. The sort is stable, so simultaneous changes keep causal order.
  return entries.sort((a, b) => (a.at ?? '').localeCompare(b.at ?? ''))
}
