/**
 * The compact change encoding (protocol v2). An Automerge bundle carries, per document, bytes that
 * brotli cannot shrink: the 32-byte hash of every dependency outside the bundle and every actor ID
 * in full. Over a day of small edits to hundreds of containers those bytes are most of the link's
 * cost. A compact entry carries each change's decoded fields instead, with
 * - actors as small numbers: -1 for the document's genesis actor (derived from the container key,
 *   so never sent) and otherwise an index into the chunk's actor table;
 * - dependencies inside the entry as the index of the earlier change, and outside it as the first
 *   {@link DEP_PREFIX_BYTES} bytes of the hash, which the receiver resolves in its own history;
 * - times as deltas along the chunk (see openChunk), since edits cluster in time.
 * The receiver rebuilds each change with `A.encodeChange` and recomputes its hash. The sender proves
 * the round trip before it relies on it: an entry that does not rebuild byte for byte goes as a
 * bundle instead, so the encoding can never alter a change.
 */
import * as A from '@automerge/automerge'
import { createHash } from 'node:crypto'
import { genesisActor } from '@tally/manifest'
import type { ContainerKey } from '@tally/manifest'
import { decodeValue, encodeValue } from './codec.ts'

/** 64 bits of a hash: a collision inside one document's history is out of reach. */
export const DEP_PREFIX_BYTES = 8

/** An object or element ID: a fixed name, or [counter, actor ref]. */
type IdRef = string | [number, number]
/**
 * An operation as a positional array: the fields of Automerge's decoded op in OP_FIELDS order, a
 * field the op lacks as undefined, trailing ones dropped. Positions instead of names keep the
 * uncompressed payload small, which is what brotli's slowest setting spends its time on.
 */
export type CompactOp = unknown[]
const OP_FIELDS = ['action', 'obj', 'key', 'elemId', 'insert', 'datatype', 'value', 'pred'] as const
const ID_FIELDS = new Set(['obj', 'elemId'])
/** [actor ref, seq, startOp, time, message, deps, ops] */
export type CompactChange = [
  number,
  number,
  number,
  number,
  string | null,
  (number | Uint8Array)[],
  CompactOp[],
]

const GENESIS = -1

/** Actor IDs to small numbers for the whole send session (each chunk carries the table). */
export class ActorTable {
  readonly actors: string[] = []
  private readonly index = new Map<string, number>()

  ref(actor: string, genesis: string): number {
    if (actor === genesis) return GENESIS
    let i = this.index.get(actor)
    if (i === undefined) {
      i = this.actors.length
      this.actors.push(actor)
      this.index.set(actor, i)
    }
    return i
  }
}

const hexOf = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex')

/** An Automerge change hash: SHA-256 of the chunk after its magic bytes and checksum. */
export const changeHash = (bytes: Uint8Array): string =>
  createHash('sha256').update(bytes.subarray(8)).digest('hex')

/**
 * Compacts one entry's changes (in causal order), with the size of their CBOR, or returns undefined
 * when they would not rebuild exactly; the caller then sends a bundle.
 */
export function compactEntry(
  key: ContainerKey,
  changes: A.DecodedChange[],
  actors: ActorTable,
): { k: CompactChange[]; rawBytes: number } | undefined {
  const genesis = genesisActor(key)
  const position = new Map(changes.map((c, i) => [c.hash, i]))
  const idRef = (id: string): IdRef => {
    const at = id.indexOf('@')
    if (at < 0) return id
    return [Number(id.slice(0, at)), actors.ref(id.slice(at + 1), genesis)]
  }
  const compact = changes.map((c): CompactChange => [
    actors.ref(c.actor, genesis),
    c.seq,
    c.startOp,
    c.time,
    c.message ?? null,
    c.deps.map((h) => position.get(h) ?? Buffer.from(h.slice(0, DEP_PREFIX_BYTES * 2), 'hex')),
    c.ops.map((op) => {
      const fields = op as Record<string, unknown>
      // A field this encoding does not know (a newer Automerge) fails the round trip below.
      const out: CompactOp = OP_FIELDS.map((k) => {
        const v = fields[k]
        if (v === undefined) return undefined
        return ID_FIELDS.has(k) ? idRef(v as string) : k === 'pred' ? (v as string[]).map(idRef) : v
      })
      while (out.length > 0 && out[out.length - 1] === undefined) out.pop()
      return out
    }),
  ])
  // Prove the round trip through CBOR, as the receiver will see it.
  const encoded = encodeValue(compact)
  const back = decodeValue(encoded) as CompactChange[]
  const byPrefix = new Map(changes.flatMap((c) => c.deps.map((h) => [h.slice(0, DEP_PREFIX_BYTES * 2), h])))
  try {
    const rebuilt = expandEntry(key, back, actors.actors, (p) => byPrefix.get(p))
    if (rebuilt.every((r, i) => r.change.hash === changes[i]!.hash))
      return { k: compact, rawBytes: encoded.length }
  } catch (err) {
    if (process.env.COMPACT_DEBUG) console.error('compact round trip failed', err)
  }
  return undefined
}

/** Thrown when an entry cannot be rebuilt; `missing` means a dependency is not in this replica. */
export class CompactError extends Error {
  constructor(
    message: string,
    readonly missing = false,
  ) {
    super(message)
  }
}

/**
 * Rebuilds an entry's changes. `resolve` maps a hash prefix (hex) to the full hash of a change this
 * replica holds. Throws CompactError.
 */
export function expandEntry(
  key: ContainerKey,
  compact: CompactChange[],
  actors: string[],
  resolve: (prefixHex: string) => string | undefined,
): { change: A.DecodedChange; bytes: Uint8Array }[] {
  const genesis = genesisActor(key)
  const actorOf = (ref: unknown): string => {
    if (ref === GENESIS) return genesis
    const a = Number.isInteger(ref) ? actors[ref as number] : undefined
    if (a === undefined) throw new CompactError(`unknown actor ref ${String(ref)}`)
    return a
  }
  const idOf = (ref: unknown): string => {
    if (typeof ref === 'string') return ref
    if (Array.isArray(ref) && ref.length === 2 && Number.isSafeInteger(ref[0]))
      return `${ref[0]}@${actorOf(ref[1])}`
    throw new CompactError('malformed object ID')
  }
  const out: { change: A.DecodedChange; bytes: Uint8Array }[] = []
  for (const c of compact) {
    const [actorRef, seq, startOp, time, message, deps, ops] = c
    const depHashes = deps.map((d) => {
      if (typeof d === 'number') {
        const earlier = out[d]
        if (!Number.isInteger(d) || !earlier)
          throw new CompactError(`dependency ${d} is not earlier in the entry`)
        return earlier.change.hash
      }
      const prefix = hexOf(d)
      const full = resolve(prefix)
      if (!full) throw new CompactError(`dependency ${prefix}… is not in this replica`, true)
      return full
    })
    const decoded = {
      actor: actorOf(actorRef),
      seq,
      startOp,
      time,
      message,
      deps: depHashes,
      ops: ops.map((op) => {
        if (!Array.isArray(op) || op.length > OP_FIELDS.length) throw new CompactError('malformed op')
        const o: Record<string, unknown> = {}
        op.forEach((v, i) => {
          if (v === undefined) return
          const k = OP_FIELDS[i]!
          if (ID_FIELDS.has(k)) o[k] = idOf(v)
          else if (k === 'pred') {
            if (!Array.isArray(v)) throw new CompactError('malformed pred')
            o[k] = v.map(idOf)
          } else o[k] = v
        })
        return o
      }),
    } as unknown as A.DecodedChange
    let bytes: Uint8Array
    try {
      bytes = A.encodeChange(decoded)
    } catch (err) {
      throw new CompactError(`cannot rebuild change: ${(err as Error).message}`)
    }
    decoded.hash = changeHash(bytes)
    out.push({ change: decoded, bytes })
  }
  return out
}

/** Checks the shape of a compact entry from the wire (types only; expandEntry checks the rest). */
export function isCompactEntry(v: unknown, actorCount: number): v is CompactChange[] {
  const int = (x: unknown) => Number.isSafeInteger(x)
  return (
    Array.isArray(v) &&
    v.length <= 100_000 &&
    v.every(
      (c) =>
        Array.isArray(c) &&
        c.length === 7 &&
        int(c[0]) &&
        c[0] >= GENESIS &&
        c[0] < actorCount &&
        int(c[1]) &&
        c[1] > 0 &&
        int(c[2]) &&
        c[2] > 0 &&
        int(c[3]) &&
        (c[4] === null || typeof c[4] === 'string') &&
        Array.isArray(c[5]) &&
        c[5].every(
          (d: unknown) =>
            (int(d) && (d as number) >= 0) || (d instanceof Uint8Array && d.length === DEP_PREFIX_BYTES),
        ) &&
        Array.isArray(c[6]) &&
        c[6].every((op: unknown) => Array.isArray(op) && op.length <= OP_FIELDS.length),
    )
  )
}
