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
import { derivedEvidenceId, genesisActor } from '@tally/manifest'
import type { ContainerKey } from '@tally/manifest'
import { decodeValue, encodeValue } from './codec.ts'
import { packOps, unpackOps } from './compact-values.ts'
import type { LeanForms } from './messages.ts'

/** 64 bits of a hash: a collision inside one document's history is out of reach. */
export const DEP_PREFIX_BYTES = 8
/**
 * Shortest prefix for a dependency the peer is known to hold, on a connection that offers it
 * (docs/protocol.md, "Short dependencies"): 2 bytes, longer only where the sender's own history
 * has another change starting the same way. A day of rounds names one such dependency per edited
 * document per round, and 8 random bytes each were a third of what a round sent.
 */
export const SHORT_DEP_BYTES = 2

/**
 * A dependency named by no bytes at all (docs/protocol.md, "Own-line dependencies"): the latest
 * change by the change's own actor that is older than it. An hourly reading depends on the one
 * before it and nothing else, and 2 random bytes a reading were the largest part of a day's bill.
 */
export const OWN_LINE = -1

/**
 * In a compact change's ops slot: "the appendix" (photos.ts in the manifest), the genesis actor's
 * deterministic change that adds the photo and evidence lists to a document. The receiver builds it
 * from the container key and type as it builds the genesis, so it costs no bytes but this one.
 */
export const APPENDIX = 1

/** The appendix change of an entry's document: its bytes and hash (`appendixChange` in the manifest). */
export type AppendixOf = () => { change: Uint8Array; hash: string }

/** What the own-line rule reads of a change: who made it, its place in their line, and when. */
export interface ChangeLine {
  hash: string
  actor: string
  seq: number
  time: number
}

/**
 * The change `OWN_LINE` stands for in `history`: of the changes by `actor` older than `time`, the
 * one latest in the actor's line. The receiver applies it to what it holds; the sender uses the
 * marker only where every later change of that line is at least as new as the change itself, so
 * that it names the same change whichever of those later ones the receiver already holds.
 */
export function ownLineChange(
  history: readonly ChangeLine[],
  actor: string,
  time: number,
): string | undefined {
  let best: ChangeLine | undefined
  for (const c of history) if (c.actor === actor && c.time < time && (!best || c.seq > best.seq)) best = c
  return best?.hash
}

/** The fields of a change that the next change's `seq` and `startOp` follow from. */
export interface ChangeInfo {
  actor: string
  seq: number
  maxOp: number
}

/** How an entry's values are written: short values and text runs, map runs, derived evidence IDs. */
export type ValueForm = { short?: boolean } & Partial<Pick<LeanForms, 'mapRuns' | 'evidenceIds'>>

/**
 * What the short form needs (docs/protocol.md, "Short dependencies"): a dependency the peer holds is
 * named by a prefix unique in the sender's history, and `seq` and `startOp`, when they follow from
 * the dependencies as Automerge defines them, are sent as 0 and derived by the receiver.
 */
export interface ShortDeps {
  /** Heads the peer acknowledged holding (the cursor when the entry was planned). */
  peerHas: ReadonlySet<string>
  /** Every change hash of the document at the sender (read only when needed). */
  history: () => readonly string[]
  /** A change of the document outside the entry, by hash. */
  change: (hash: string) => ChangeInfo | undefined
  /** Every change of the document at the sender, for OWN_LINE; absent where the peer does not read it. */
  lines?: () => readonly ChangeLine[]
  /** The document's appendix, sent as APPENDIX; absent where the peer does not read it. */
  appendix?: AppendixOf
}

export const changeInfo = (c: A.DecodedChange): ChangeInfo => ({
  actor: c.actor,
  seq: c.seq,
  maxOp: c.startOp + c.ops.length - 1,
})

/**
 * `seq` and `startOp` as they follow from the dependencies: one after the latest change of the same
 * actor among them, and one after the highest operation among them. Undefined where they do not
 * follow (no dependency by the same actor, or none at all): then they are sent as they are.
 */
export function derivedCounters(
  actor: string,
  deps: readonly (ChangeInfo | undefined)[],
): { seq?: number; startOp?: number } {
  if (deps.length === 0 || deps.some((d) => d === undefined)) return {}
  const own = (deps as ChangeInfo[]).filter((d) => d.actor === actor)
  return {
    ...(own.length > 0 ? { seq: Math.max(...own.map((d) => d.seq)) + 1 } : {}),
    startOp: Math.max(...(deps as ChangeInfo[]).map((d) => d.maxOp)) + 1,
  }
}

/** A change of `doc` by hash, as the counters need it. */
export function changeInfoIn(doc: A.Doc<unknown>, hash: string): ChangeInfo | undefined {
  const bytes = A.getBackend(doc).getChangeByHash(hash)
  return bytes ? changeInfo(A.decodeChange(bytes)) : undefined
}

/** Bytes of `hash` that no other change of `history` starts with, from SHORT_DEP_BYTES up. */
export function uniquePrefixBytes(hash: string, history: readonly string[]): number {
  for (let n = SHORT_DEP_BYTES; n < DEP_PREFIX_BYTES; n++) {
    const prefix = hash.slice(0, n * 2)
    if (!history.some((h) => h !== hash && h.startsWith(prefix))) return n
  }
  return DEP_PREFIX_BYTES
}

/** An object or element ID: a fixed name, [counter, actor ref], or [counter - startOp, actor ref, 0]. */
type IdRef = string | [number, number] | [number, number, 0]
/**
 * An operation as a positional array: the fields of Automerge's decoded op in OP_FIELDS order, a
 * field the op lacks as undefined, trailing ones dropped. Positions instead of names keep the
 * uncompressed payload small, which is what brotli's slowest setting spends its time on.
 */
export type CompactOp = unknown[]
const OP_FIELDS = ['action', 'obj', 'key', 'elemId', 'insert', 'datatype', 'value', 'pred'] as const
const ID_FIELDS = new Set(['obj', 'elemId'])
/** [actor ref, seq, startOp, time, message, deps, ops]; ops is APPENDIX for the appendix. */
export type CompactChange = [
  number,
  number,
  number,
  number,
  string | null,
  (number | Uint8Array)[],
  CompactOp[] | typeof APPENDIX,
]

const GENESIS = -1

/**
 * True when an entry holds what the receiver derives rather than reads: a dependency by
 * {@link OWN_LINE} or the {@link APPENDIX}. The chunk's check covers such entries.
 */
export const usesDerived = (k: CompactChange[]): boolean =>
  k.some((c) => c[5].includes(OWN_LINE) || c[6] === APPENDIX)

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
  short?: ShortDeps,
  /**
   * Short values and text runs (compact-values.ts), only with the short form; with them, map runs
   * and evidence IDs left for the receiver to derive, to a peer that agreed to them.
   */
  values: ValueForm = {},
): { k: CompactChange[]; rawBytes: number } | undefined {
  const { short: shortValues = false, mapRuns = false, evidenceIds = false } = values
  const genesis = genesisActor(key)
  const deriveId = (values: Record<string, unknown>) => derivedEvidenceId(key, values)
  const position = new Map(changes.map((c, i) => [c.hash, i]))
  let history: readonly string[] | undefined
  const prefixOf = (h: string): Buffer => {
    let n = DEP_PREFIX_BYTES
    if (short?.peerHas.has(h)) n = uniquePrefixBytes(h, (history ??= short.history()))
    return Buffer.from(h.slice(0, n * 2), 'hex')
  }
  let lines: readonly ChangeLine[] | undefined
  const lineOf = (h: string) => (lines ??= short!.lines!()).find((l) => l.hash === h)
  // OWN_LINE for a dependency the peer acknowledged, made by the same actor, older than the change,
  // when no later change of that line is older than the change (see ownLineChange).
  const ownLine = (c: A.DecodedChange, h: string): boolean => {
    if (!short?.lines || !short.peerHas.has(h)) return false
    const dep = lineOf(h)
    if (!dep || dep.actor !== c.actor || dep.time >= c.time) return false
    return lines!.every((l) => l.actor !== c.actor || l.seq <= dep.seq || l.time >= c.time)
  }
  // In the short form a counter goes relative to the change's startOp, as [offset, actor, 0]: an
  // edit refers to its own new objects and to the previous one of its kind, so the offsets repeat
  // from edit to edit (0, -4, …) where the absolute counters never do. The genesis's objects are the
  // exception: every container document has them at the same small counters (its readings list,
  // its seal), so those stay absolute and repeat from document to document.
  const idRef = (id: string, startOp: number): IdRef => {
    const at = id.indexOf('@')
    if (at < 0) return id
    const counter = Number(id.slice(0, at))
    const actor = actors.ref(id.slice(at + 1), genesis)
    return short && actor !== GENESIS ? [counter - startOp, actor, 0] : [counter, actor]
  }
  const infoOfDep = (h: string): ChangeInfo | undefined => {
    const i = position.get(h)
    return i !== undefined ? changeInfo(changes[i]!) : short?.change(h)
  }
  // The appendix is the genesis actor's second change; building it to compare costs a few ms, so
  // only an entry that holds such a change does.
  const appendix = changes.some((c) => c.actor === genesis && c.seq === 2)
    ? short?.appendix?.().hash
    : undefined
  const compact = changes.map((c): CompactChange => {
    // Its time is 0 and means nothing: the chunk's time deltas leave it out (ChunkPacker.build).
    if (c.hash === appendix) return [GENESIS, 0, 0, 0, null, [], APPENDIX]
    const derived = short ? derivedCounters(c.actor, c.deps.map(infoOfDep)) : {}
    const actor = actors.ref(c.actor, genesis)
    const ops = c.ops.map((op) => {
      const fields = op as Record<string, unknown>
      // A field this encoding does not know (a newer Automerge) fails the round trip below.
      const out: CompactOp = OP_FIELDS.map((k) => {
        const v = fields[k]
        if (v === undefined) return undefined
        if (ID_FIELDS.has(k)) return idRef(v as string, c.startOp)
        return k === 'pred' ? (v as string[]).map((id) => idRef(id, c.startOp)) : v
      })
      while (out.length > 0 && out[out.length - 1] === undefined) out.pop()
      return out
    })
    return [
      actor,
      derived.seq === c.seq ? 0 : c.seq,
      derived.startOp === c.startOp ? 0 : c.startOp,
      c.time,
      c.message ?? null,
      c.deps.map((h) => position.get(h) ?? (ownLine(c, h) ? OWN_LINE : prefixOf(h))),
      short && shortValues ? packOps(ops, actor, c.time, mapRuns, evidenceIds ? deriveId : undefined) : ops,
    ]
  })
  // Prove the round trip through CBOR, as the receiver will see it.
  const encoded = encodeValue(compact)
  const back = decodeValue(encoded) as CompactChange[]
  const deps = changes.flatMap((c) => c.deps)
  try {
    const rebuilt = expandEntry(
      key,
      back,
      actors.actors,
      (p) => deps.find((h) => h.startsWith(p)),
      (h) => short?.change(h),
      (actor, time) => ownLineChange(lines ?? [], actor, time),
      short?.appendix,
    )
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
 * replica holds, and `info` tells such a change's counters (for a `seq` or `startOp` sent as 0).
 * Throws CompactError.
 */
export function expandEntry(
  key: ContainerKey,
  compact: CompactChange[],
  actors: string[],
  resolve: (prefixHex: string) => string | undefined,
  info: (hash: string) => ChangeInfo | undefined = () => undefined,
  /** The change OWN_LINE stands for (ownLineChange over this replica's history). */
  ownLine?: (actor: string, time: number) => string | undefined,
  appendix?: AppendixOf,
): { change: A.DecodedChange; bytes: Uint8Array }[] {
  const genesis = genesisActor(key)
  const actorOf = (ref: unknown): string => {
    if (ref === GENESIS) return genesis
    const a = Number.isInteger(ref) ? actors[ref as number] : undefined
    if (a === undefined) throw new CompactError(`unknown actor ref ${String(ref)}`)
    return a
  }
  const idOf = (ref: unknown, startOp: number): string => {
    if (typeof ref === 'string') return ref
    if (Array.isArray(ref) && ref.length === 2 && Number.isSafeInteger(ref[0]))
      return `${ref[0]}@${actorOf(ref[1])}`
    if (Array.isArray(ref) && ref.length === 3 && ref[2] === 0 && Number.isSafeInteger(ref[0])) {
      const counter = ref[0] + startOp
      if (counter < 1) throw new CompactError('malformed object ID')
      return `${counter}@${actorOf(ref[1])}`
    }
    throw new CompactError('malformed object ID')
  }
  const out: { change: A.DecodedChange; bytes: Uint8Array }[] = []
  const rebuiltInfo = new Map<string, ChangeInfo>()
  for (const c of compact) {
    const [actorRef, sentSeq, sentStartOp, time, message, deps, sentOps] = c
    if (sentOps === APPENDIX) {
      if (!appendix) throw new CompactError('appendix on a connection that did not agree to it')
      if (actorRef !== GENESIS || deps.length > 0) throw new CompactError('malformed appendix')
      const { change: bytes } = appendix()
      const change = A.decodeChange(bytes)
      rebuiltInfo.set(change.hash, changeInfo(change))
      out.push({ change, bytes })
      continue
    }
    let ops: CompactOp[]
    try {
      ops = unpackOps(sentOps, actorRef, time, (values) => derivedEvidenceId(key, values))
    } catch (err) {
      throw new CompactError((err as Error).message)
    }
    const actor = actorOf(actorRef)
    const depHashes = deps.map((d) => {
      if (d === OWN_LINE) {
        if (!ownLine) throw new CompactError('own-line dependency on a connection that did not agree to it')
        const full = ownLine(actor, time)
        if (!full) throw new CompactError('own-line dependency is not in this replica', true)
        return full
      }
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
    let seq = sentSeq
    let startOp = sentStartOp
    if (seq === 0 || startOp === 0) {
      const derived = derivedCounters(
        actor,
        depHashes.map((h) => rebuiltInfo.get(h) ?? info(h)),
      )
      if (seq === 0) seq = derived.seq ?? 0
      if (startOp === 0) startOp = derived.startOp ?? 0
      if (seq === 0 || startOp === 0)
        throw new CompactError('seq or startOp does not follow from the dependencies')
    }
    const decoded = {
      actor,
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
          if (ID_FIELDS.has(k)) o[k] = idOf(v, startOp)
          else if (k === 'pred') {
            if (!Array.isArray(v)) throw new CompactError('malformed pred')
            o[k] = v.map((id) => idOf(id, startOp))
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
    rebuiltInfo.set(decoded.hash, changeInfo(decoded))
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
        c[1] >= 0 &&
        int(c[2]) &&
        c[2] >= 0 &&
        int(c[3]) &&
        (c[4] === null || typeof c[4] === 'string') &&
        Array.isArray(c[5]) &&
        c[5].every(
          (d: unknown) =>
            (int(d) && (d as number) >= OWN_LINE) ||
            (d instanceof Uint8Array && d.length >= SHORT_DEP_BYTES && d.length <= DEP_PREFIX_BYTES),
        ) &&
        ((Array.isArray(c[6]) &&
          c[6].every((op: unknown) => Array.isArray(op) && op.length <= OP_FIELDS.length)) ||
          c[6] === APPENDIX),
    )
  )
}
