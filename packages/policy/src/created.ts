/**
 * The values a change creates, read from its ops. A reading, a proposal or a `cargo.dg` object
 * arrives as a make op followed by ops that fill it in, all in the same change; assembling them
 * lets policy validate the whole value with the catalog and the audit show it.
 */
import type * as A from '@automerge/automerge'

type Op = A.DecodedChange['ops'][number] & { insert?: boolean; elemId?: string }

interface Node {
  kind: 'map' | 'list' | 'other'
  map: Map<string, unknown>
  list: unknown[]
}

/** Marks a nested object inside an assembled value; resolved when the value is read. */
class Ref {
  constructor(readonly id: string) {}
}

/** Stands in for anything that is not a scalar, map or list, so that validators refuse it. */
export const NOT_A_VALUE = Object.freeze({ unsupported: true })

export class CreatedValues {
  private readonly actor: string
  private readonly first: number
  private readonly end: number
  private nodes: Map<string, Node> | undefined

  constructor(private readonly change: A.DecodedChange) {
    this.actor = change.actor
    this.first = change.startOp
    this.end = change.startOp + change.ops.length
  }

  /** True when `objId` is an object this change creates (its op ID falls in the change's range). */
  createdHere(objId: string): boolean {
    const at = objId.indexOf('@')
    if (at < 0 || objId.slice(at + 1) !== this.actor) return false
    const counter = Number(objId.slice(0, at))
    return counter >= this.first && counter < this.end
  }

  /** The op ID of the i-th op of the change, which is also the ID of the object a make op creates. */
  opId(i: number): string {
    return `${this.first + i}@${this.actor}`
  }

  /** The plain value of an object this change creates, with nested objects filled in. */
  valueOf(objId: string, depth = 0): unknown {
    const node = this.build().get(objId)
    if (!node || node.kind === 'other' || depth > 8) return NOT_A_VALUE
    if (node.kind === 'list') {
      const out: unknown[] = []
      for (const v of node.list) out.push(v instanceof Ref ? this.valueOf(v.id, depth + 1) : v)
      return out
    }
    const out: Record<string, unknown> = {}
    for (const [k, v] of node.map) out[k] = v instanceof Ref ? this.valueOf(v.id, depth + 1) : v
    return out
  }

  private build(): Map<string, Node> {
    if (this.nodes) return this.nodes
    const nodes = new Map<string, Node>()
    const ops = this.change.ops as Op[]
    for (let i = 0; i < ops.length; i++) {
      const action = ops[i]!.action
      if (!action.startsWith('make')) continue
      const kind = action === 'makeMap' ? 'map' : action === 'makeList' ? 'list' : 'other'
      nodes.set(this.opId(i), { kind, map: new Map(), list: [] })
    }
    for (let i = 0; i < ops.length; i++) {
      const op = ops[i]!
      const parent = nodes.get(op.obj)
      if (!parent) continue
      const value = op.action.startsWith('make')
        ? new Ref(this.opId(i))
        : op.action === 'set'
          ? scalar(op)
          : NOT_A_VALUE
      if (parent.kind === 'map' && op.key !== undefined) {
        if (op.action === 'del') parent.map.delete(op.key)
        else parent.map.set(op.key, value)
      } else if (parent.kind === 'list') {
        // Lists built in one change are appended in order, which is all a validator needs.
        parent.list.push(op.insert ? value : NOT_A_VALUE)
      }
    }
    this.nodes = nodes
    return nodes
  }
}

/** A set op's value as JSON, refusing Automerge types the schema never uses. */
export function scalar(op: { value?: unknown; datatype?: string }): unknown {
  if (op.datatype === 'counter' || op.datatype === 'timestamp' || op.datatype === 'bytes') return NOT_A_VALUE
  if (op.value instanceof Uint8Array) return NOT_A_VALUE
  return op.value === undefined ? null : op.value
}
