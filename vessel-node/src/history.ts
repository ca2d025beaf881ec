/**
 * A container's history, per field, naming principals (docs/architecture.md): `[{at, principal, role, field,
 * from, to, change}]`, oldest first. It is read from the document's own changes, so it is complete
 * wherever the document is, including changes that arrived by sync.
 *
 * Values are reconstructed from the ops: a field write carries its value, and an object written in
 * the same change (an alarm, a reading, a DG record) is assembled from the ops that fill it.
 * (packages/policy may later offer an audit trail; this is the vessel node's own reading.)
 */
import * as A from '@automerge/automerge'
import { fieldSpec, genesisActor, ObjectIndex, touchedOps } from '@tally/manifest'
import type { ContainerDoc, ContainerKey } from '@tally/manifest'
import type { ActorRegistryStore } from '@tally/storage-sqlite'

export interface HistoryEntry {
  at: string | null
  principal: string
  role: string | null
  /** Crew member or user name on the actor's binding, when known. */
  name: string | null
  field: string
  from: unknown
  to: unknown
  change: string
}

/** Fields whose every write is an addition, not a replacement: `from` is meaningless for them. */
const APPEND_ONLY = new Set(['reefer.readings', 'proposals'])

const opId = (change: A.DecodedChange, i: number) => `${change.startOp + i}@${change.actor}`

function valueOf(op: { action: string; value?: unknown }): unknown {
  if (op.action === 'makeMap') return {}
  if (op.action === 'makeList' || op.action === 'makeText') return []
  if (op.action === 'del') return null
  return op.value ?? null
}

/** The history of one document; `registry` names the principal behind each actor. */
export function historyOf(
  doc: A.Doc<ContainerDoc>,
  key: ContainerKey,
  registry: ActorRegistryStore,
): HistoryEntry[] {
  const genesis = genesisActor(key)
  const index = new ObjectIndex()
  const current = new Map<string, unknown>()
  const out: HistoryEntry[] = []
  const changes = A.getAllChanges(doc).map((c) => A.decodeChange(c))
  for (const change of changes) {
    index.learn(change)
    const ops = touchedOps(change, index)
    index.settle()
    const built = new Map<string, any>()
    const touched = new Map<string, unknown>()
    let notes = false
    ops.forEach((t, i) => {
      const raw = change.ops[i] as {
        action: string
        obj: string
        key?: string
        value?: unknown
        insert?: boolean
      }
      if (!t.field || t.kind === 'root') return
      if (t.field === 'notes') {
        notes = true
        return
      }
      const value = valueOf(raw)
      if (value !== null && typeof value === 'object') built.set(opId(change, i), value)
      const parent = built.get(raw.obj)
      if (parent !== undefined) {
        // Filling an object made earlier in this change.
        if (Array.isArray(parent)) parent.push(value)
        else if (raw.key !== undefined) parent[raw.key] = value
        return
      }
      if (t.kind === 'field' || t.kind === 'append') touched.set(t.field, value)
      else if (raw.key !== undefined) {
        // Edits inside an object that already existed (a proposal's status): report the edited keys.
        const prev = touched.get(t.field)
        const merged =
          prev && typeof prev === 'object' && !Array.isArray(prev) ? (prev as Record<string, unknown>) : {}
        merged[raw.key] = value
        touched.set(t.field, merged)
      }
    })
    if (change.actor === genesis) {
      // The genesis sets every default; it is the starting point, not an edit by anyone.
      for (const [field, value] of touched) current.set(field, value)
      continue
    }
    const binding = registry.get(change.actor)
    const at = change.time > 0 ? new Date(change.time * 1000).toISOString() : null
    const entry = (field: string, from: unknown, to: unknown): HistoryEntry => ({
      at,
      principal: binding?.principal ?? `unknown actor ${change.actor.slice(0, 8)}`,
      role: binding?.role ?? null,
      name: binding?.name ?? null,
      field,
      from,
      to,
      change: change.hash,
    })
    for (const [field, to] of touched) {
      const spec = fieldSpec(field)
      const name = spec?.path ?? field
      if (APPEND_ONLY.has(name)) {
        out.push(entry(name, null, to))
        continue
      }
      out.push(entry(name, current.has(name) ? current.get(name) : null, to))
      current.set(name, to)
    }
    if (notes) {
      const text = String(A.view(doc, [change.hash]).notes ?? '')
      out.push(entry('notes', current.get('notes') ?? '', text))
      current.set('notes', text)
    }
  }
  return out
}
