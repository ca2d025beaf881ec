/**
 * What an Automerge change touches, read from its ops without applying it. Policy uses this to check
 * authority, the link to order changes by priority, and the audit to name fields.
 *
 * An op names the object it writes by ID. {@link ObjectIndex} maps object IDs to logical paths: it is
 * seeded from a document (section objects come from the deterministic genesis) and learns the objects
 * that incoming changes create, so a batch can be inspected before any of it is applied.
 */
import * as A from '@automerge/automerge'
import { fieldSpec, PRIORITY_ORDER } from './catalog.ts'
import type { PriorityClass } from './catalog.ts'

/** A logical path: map keys, with `*` standing for any list element. */
export type LogicalPath = string[]

const MAKE_ACTIONS = new Set(['makeMap', 'makeList', 'makeText', 'makeTable'])

/** A value that is not an Automerge object (a text reads as a string and is one). */
const isScalar = (v: unknown) =>
  v === null ||
  (typeof v !== 'object' && typeof v !== 'string') ||
  A.isImmutableString(v) ||
  v instanceof Date ||
  v instanceof Uint8Array ||
  v instanceof A.Counter

/** The reefer's readings list, and anything inside it (what ObjectIndex.toJSON leaves out). */
const isReadings = (path: LogicalPath) => path.length === 2 && path[0] === 'reefer' && path[1] === 'readings'
const insideReadings = (path: LogicalPath) =>
  path.length > 2 && path[0] === 'reefer' && path[1] === 'readings'

export class ObjectIndex {
  private readonly paths = new Map<string, LogicalPath>([['_root', []]])
  /** Objects learned from changes not yet in the document: their contents are new, not edits. */
  private readonly fresh = new Set<string>()

  /** Indexes every object in a document. */
  static fromDoc(doc: A.Doc<unknown>): ObjectIndex {
    return ObjectIndex.walk(doc, false)
  }

  /**
   * What {@link toJSON} keeps of a document's index, without walking the reading entries it leaves
   * out: in a three-week reefer document they are nearly all its objects, and walking them was most
   * of the cost of storing a summary row.
   */
  static storedFormOf(doc: A.Doc<unknown>): [string, LogicalPath][] {
    return ObjectIndex.walk(doc, true).toJSON()
  }

  private static walk(doc: A.Doc<unknown>, skipReadings: boolean): ObjectIndex {
    const index = new ObjectIndex()
    const walk = (value: any, path: LogicalPath) => {
      if (value === null || typeof value !== 'object' || A.isImmutableString(value)) return
      const isList = Array.isArray(value)
      for (const key of isList ? value.keys() : Object.keys(value)) {
        const child = value[key]
        // A scalar is no object (getObjectId would answer with its value), and skipping the call
        // for each is most of the walk's time over hundreds of readings.
        if (isScalar(child)) continue
        // getObjectId(list, i) answers the list's own ID, not the element's, so list elements are
        // asked directly; map children are asked through the parent, which also covers text.
        const id = isList
          ? typeof child === 'object'
            ? A.getObjectId(child)
            : null
          : A.getObjectId(value, key as never)
        if (!id) continue
        const childPath = [...path, isList ? '*' : String(key)]
        index.paths.set(id, childPath)
        if (skipReadings && isReadings(childPath)) continue
        if (typeof child !== 'string') walk(child, childPath)
      }
    }
    walk(doc, [])
    return index
  }

  /**
   * A compact form to keep beside the document, so changes can be validated without loading it.
   * Reading entries are left out: they are append-only, so an op on a stored reading is refused
   * whether its object is known or not, and a reefer holds hundreds of them.
   */
  toJSON(): [string, LogicalPath][] {
    const out: [string, LogicalPath][] = []
    for (const [id, path] of this.paths) if (!insideReadings(path)) out.push([id, path])
    return out
  }

  static fromJSON(entries: [string, LogicalPath][]): ObjectIndex {
    const index = new ObjectIndex()
    for (const [id, path] of entries) index.paths.set(id, path)
    return index
  }

  resolve(objId: string): LogicalPath | undefined {
    return this.paths.get(objId)
  }

  /** True when the object was created by a change this index learned, not by the stored document. */
  isFresh(objId: string): boolean {
    return this.fresh.has(objId)
  }

  /**
   * Ends a batch: objects learned so far now count as existing. Without this, a later batch could
   * edit an old reading as if it were filling in a new one.
   */
  settle(): void {
    this.fresh.clear()
  }

  /** Records the objects a change creates, so later changes in the same batch resolve. */
  learn(change: A.DecodedChange): void {
    change.ops.forEach((op, i) => {
      if (!MAKE_ACTIONS.has(op.action)) return
      const parent = this.paths.get(op.obj)
      if (!parent) return
      const id = `${change.startOp + i}@${change.actor}`
      const key = (op as { key?: string }).key
      this.paths.set(id, [...parent, key !== undefined ? key : '*'])
      this.fresh.add(id)
    })
  }

  /**
   * Undoes {@link learn} for a change that was refused, so nothing later can resolve (and so write
   * into) an object that never entered the document.
   */
  forget(change: A.DecodedChange): void {
    change.ops.forEach((op, i) => {
      if (!MAKE_ACTIONS.has(op.action)) return
      const id = `${change.startOp + i}@${change.actor}`
      this.paths.delete(id)
      this.fresh.delete(id)
    })
  }
}

/**
 * One op, as policy sees it.
 * - `field`: the catalog field it falls under (`physical.condition`, `cargo.dg`, `reefer.readings`,
 *   `notes`, `proposals`), or a root key, or undefined when the object is unknown.
 * - `kind`: `root` writes a top-level key; `append` inserts a new list element; `new` writes inside
 *   an object created in this batch; `existing` modifies an element or object that already existed.
 */
export interface TouchedOp {
  field: string | undefined
  path: LogicalPath | undefined
  key: string | undefined
  kind: 'root' | 'field' | 'append' | 'new' | 'existing'
  action: string
  value: unknown
}

/** The ops of a change, resolved against the index. Call `index.learn(change)` first. */
export function touchedOps(change: A.DecodedChange, index: ObjectIndex): TouchedOp[] {
  return change.ops.map((op) => {
    const o = op as {
      action: string
      obj: string
      value?: unknown
      key?: string
      elemId?: string
      insert?: boolean
    }
    const parent = index.resolve(o.obj)
    const key = o.key
    const action = o.action
    const value = MAKE_ACTIONS.has(action)
      ? action === 'makeMap'
        ? {}
        : []
      : action === 'del'
        ? undefined
        : o.value
    if (!parent) return { field: undefined, path: undefined, key, kind: 'existing', action, value }
    const path = key !== undefined ? [...parent, key] : [...parent, '*']
    const field = fieldSpec(path.filter((p) => p !== '*').join('.'))?.path ?? path[0]
    let kind: TouchedOp['kind']
    if (parent.length === 0) kind = 'root'
    else if (parent.length === 1 && key !== undefined) kind = 'field'
    else if (o.insert) kind = 'append'
    else if (index.isFresh(o.obj)) kind = 'new'
    else kind = field === 'notes' ? 'field' : 'existing'
    return { field, path, key, kind, action, value }
  })
}

/**
 * A signed finding (docs/photos.md, "Evidence") is as urgent as what it records: the evidence of a
 * damage report, a broken seal or a raised alarm is critical, like the finding itself; that of a
 * routine seal check (intact, the seal number seen), a repair or a cleared alarm is normal. Were
 * every entry critical, each seal check of a day's rounds would start a round of its own.
 */
function evidencePriority(ops: TouchedOp[]): PriorityClass {
  const at = (key: string) => ops.filter((o) => o.path?.at(-1) === key).map((o) => o.value)
  // Each entry writes its kind and its fact (the finding as signed JSON) once, in that order.
  const kinds = at('kind').map(String)
  const facts = at('fact').map((v) => {
    try {
      return JSON.parse(String(v)) as Record<string, unknown> | null
    } catch {
      return null
    }
  })
  const critical = kinds.some((kind, i) => {
    const fact = facts[i]
    if (!fact) return false
    if (kind === 'damage') return fact.condition === 'DAMAGED'
    if (kind === 'seal') return fact.sealIntact === false
    return kind === 'alarm' && fact.alarm !== null && fact.alarm !== undefined
  })
  return critical ? 'critical' : 'normal'
}

/** The highest priority class among the fields a change writes. */
export function priorityOfOps(ops: TouchedOp[]): PriorityClass {
  const evidence = ops.filter((op) => op.field === 'evidence')
  let best =
    evidence.length > 0 ? PRIORITY_ORDER.indexOf(evidencePriority(evidence)) : PRIORITY_ORDER.length - 1
  for (const op of ops) {
    if (!op.field || op.field === 'evidence') continue
    const spec = fieldSpec(op.field)
    if (!spec) continue
    // Objects (alarm, dg) are created by a make op: the field is being set to a non-null value.
    const value = op.kind === 'field' || op.field === op.path?.join('.') ? op.value : {}
    const cls = PRIORITY_ORDER.indexOf(spec.priorityOf(op.action === 'del' ? null : value))
    if (op.kind !== 'field' && spec.path === 'reefer.readings') {
      best = Math.min(best, PRIORITY_ORDER.indexOf('routine'))
      continue
    }
    best = Math.min(best, cls)
  }
  // A change that only appends readings is routine; anything else is at least normal.
  return PRIORITY_ORDER[best]!
}

/** Decodes, indexes and classifies a batch of raw changes for one document, in causal order. */
export function classifyChanges(
  changes: A.DecodedChange[],
  index: ObjectIndex,
): { change: A.DecodedChange; ops: TouchedOp[]; priority: PriorityClass }[] {
  return changes.map((change) => {
    index.learn(change)
    const ops = touchedOps(change, index)
    return { change, ops, priority: priorityOfOps(ops) }
  })
}
