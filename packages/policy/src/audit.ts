/**
 * The audit trail of a container (`GET …/history`): every field each change wrote, with its value
 * before and after, the time and the principal's name (never an actor ID). Values are read from the
 * backend at the change's own heads, so a concurrent write elsewhere never blurs what this one did.
 */
import * as A from '@automerge/automerge'
import { genesisActor, ObjectIndex, toPlain, touchedOps } from '@tally/manifest'
import type { ContainerDoc, Role } from '@tally/manifest'
import { CreatedValues } from './created.ts'
import type { ActorRegistry } from './registry.ts'
import { identityOf } from './validate.ts'

export interface AuditEntry {
  /** ISO time of the change, or null when its author recorded none. */
  at: string | null
  /** The principal's name, e.g. `bosun@IMO9811000` or `alice`. */
  principal: string
  role: Role | null
  /** The catalog field (`physical.condition`, `cargo.dg`, `notes`, `reefer.readings`, `proposals`). */
  field: string
  from: unknown
  to: unknown
  /** The change's hash. */
  change: string
}

type Backend = ReturnType<typeof A.getBackend>

/** The plain value at a path of map keys, as of `heads`. */
function valueAt(backend: Backend, path: string[], heads: A.Heads): unknown {
  let obj = '_root'
  for (let i = 0; i < path.length; i++) {
    const found = backend.getWithType(obj, path[i]!, heads)
    if (!found) return null
    const [type, value] = found
    if (i === path.length - 1) return objectValue(backend, type, value, heads)
    if (type !== 'map') return null
    obj = value as string
  }
  return null
}

function objectValue(backend: Backend, type: string, value: unknown, heads: A.Heads): unknown {
  if (type === 'text') return backend.text(value as string, heads)
  if (type === 'map' || type === 'list') return toPlain(backend.materialize(value as string, heads))
  return toPlain(value)
}

/** A stored object (a proposal) by its ID, as of `heads`; null when it did not exist yet. */
function objectAt(backend: Backend, objId: string, heads: A.Heads): unknown {
  try {
    return toPlain(backend.materialize(objId, heads))
  } catch {
    return null
  }
}

/** The history of a container document, oldest first, without its genesis. */
export function auditTrail(doc: A.Doc<ContainerDoc>, registry: ActorRegistry): AuditEntry[] {
  const key = identityOf(doc)
  if (!key) return []
  const genesis = genesisActor(key)
  const backend = A.getBackend(doc)
  const index = new ObjectIndex()
  const out: AuditEntry[] = []
  for (const bytes of A.getAllChanges(doc)) {
    const change = A.decodeChange(bytes)
    index.learn(change)
    if (change.actor === genesis) continue
    const principal = registry.lookup(change.actor)
    const entry = (field: string, from: unknown, to: unknown): AuditEntry => ({
      at: change.time > 0 ? new Date(change.time * 1000).toISOString() : null,
      principal: principal?.name ?? `unknown actor ${change.actor.slice(0, 8)}`,
      role: principal?.role ?? null,
      field,
      from,
      to,
      change: change.hash,
    })
    const created = new CreatedValues(change)
    const fields = new Map<string, string[]>()
    const proposals = new Set<string>()
    const pending: (AuditEntry | string)[] = []
    touchedOps(change, index).forEach((t, i) => {
      const op = change.ops[i] as { obj: string; insert?: boolean; action: string }
      if (!t.path) return
      const [section] = t.path
      const isNew = op.insert && op.action === 'makeMap'
      if (
        (t.field === 'reefer.readings' && t.path.length === 3 && isNew) ||
        (section === 'proposals' && t.path.length === 2 && isNew)
      ) {
        pending.push(entry(t.field!, null, created.valueOf(created.opId(i))))
      } else if (section === 'proposals' && t.path.length > 2 && !created.createdHere(op.obj)) {
        if (!proposals.has(op.obj)) pending.push(`proposal:${op.obj}`)
        proposals.add(op.obj)
      } else if (!(
        section === 'proposals' ||
        (t.field === 'reefer.readings' && created.createdHere(op.obj))
      )) {
        // Root keys, section fields (a nested edit counts as its field), notes, and any edit of a
        // stored reading that got in before policy: shown as the value before and after.
        const path = t.path.length === 1 || section === 'notes' ? [section!] : t.path.slice(0, 2)
        const field = path.join('.')
        if (!fields.has(field)) pending.push(`field:${field}`)
        fields.set(field, path)
      }
    })
    for (const item of pending) {
      if (typeof item !== 'string') out.push(item)
      else if (item.startsWith('field:')) {
        const path = fields.get(item.slice(6))!
        out.push(
          entry(path.join('.'), valueAt(backend, path, change.deps), valueAt(backend, path, [change.hash])),
        )
      } else {
        const objId = item.slice(9)
        out.push(
          entry('proposals', objectAt(backend, objId, change.deps), objectAt(backend, objId, [change.hash])),
        )
      }
    }
  }
  return out
}
