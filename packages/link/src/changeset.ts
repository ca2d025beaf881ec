/**
 * Change sets: the changes one side holds that the other lacks, across many documents, ordered
 * critical → normal → routine and cut into bounded, self-contained, compressed chunks.
 *
 * Each document's delta is split by priority into causally closed entries: the critical entry holds
 * the critical changes and whatever they depend on, so a receiver can apply it on its own. Each entry
 * is one Automerge bundle (columnar, hashes and deps by index), which is far smaller than raw changes.
 */
import * as A from '@automerge/automerge'
import { brotliCompressSync, brotliDecompressSync, constants as zlib } from 'node:zlib'
import { createHash } from 'node:crypto'
import { appendixChange, classifyChanges, ObjectIndex, PRIORITY_ORDER } from '@tally/manifest'
import type { ContainerKey } from '@tally/manifest'
import { advanceHeads } from './heads.ts'
import { decodeValue, encodeValue } from './codec.ts'
import { CloseCode, MAX_CHUNK_PAYLOAD_BYTES, NO_LEAN_FORMS, SHORT_SHA_BYTES } from './messages.ts'
import type { ActorBinding, ChunkFrame, LeanForms, Priority } from './messages.ts'
import {
  ActorTable,
  APPENDIX,
  changeInfoIn,
  compactEntry,
  CompactError,
  expandEntry,
  isCompactEntry,
  usesDerived,
} from './compact.ts'
import type { AppendixOf, ChangeInfo } from './compact.ts'
import type { CompactChange } from './compact.ts'

/**
 * Weight packed into one chunk: uncompressed bytes of bundles, which brotli shrinks about 4:1, so a
 * chunk is roughly 20–30 KB on the wire, one to two seconds of the satellite link (what a drop can
 * cost). Compact entries compress about four times better and weigh a quarter of their bytes.
 */
export const CHUNK_RAW_TARGET = 96 * 1024
const COMPACT_WEIGHT = 1 / 4
/**
 * Longer entries go as bundles: over a long history of one document (three weeks of readings),
 * Automerge's columnar bundle beats compact rows, and its per-document hash and actor bytes no
 * longer matter. Measured on the standard workload: one day 65 KB up (all compact 65, all bundles
 * 111); 21 days 1.27 MB up (all compact 1.61, all bundles 1.41).
 */
export const COMPACT_MAX_CHANGES = 64
/** An entry bigger than this is split into several causally ordered entries. */
const ENTRY_RAW_MAX = 64 * 1024

export interface OutgoingDoc {
  key: ContainerKey
  isoType: string
  doc: A.Doc<unknown>
  /** Heads the peer is known to have (the cursor). */
  since: string[]
  /** The document's object index if the replica keeps one (cheaper than walking the document). */
  index?: ObjectIndex
  /**
   * False when the replica knows the document holds no critical change the peer lacks (its writes
   * since the peer last caught up were classified). Such documents come after those that may.
   */
  mayBeCritical?: boolean
}

export interface PlannedEntry {
  key: ContainerKey
  isoType: string
  priority: Priority
  changes: { hash: string; deps: string[]; actor: string }[]
  /** The peer's heads for this document once this entry is acknowledged. */
  toHeads: string[]
  /** What goes on the wire: a bundle, or compact changes (absolute times; deltas are taken per chunk). */
  body: { b: Uint8Array } | { k: CompactChange[] }
  /** Uncompressed size of the body in bundle terms (see CHUNK_RAW_TARGET), for cutting chunks. */
  weight: number
  /** True when the entry starts from an empty history (the receiver may not have the document). */
  fromGenesis: boolean
}

/** An entry before its bundle is built: planning is cheap, bundling and compressing are not. */
export interface EntryPlan {
  key: ContainerKey
  isoType: string
  priority: Priority
  doc: A.Doc<unknown>
  /** `bytes` is the encoded change, kept so packing need not look it up in the document again. */
  changes: { hash: string; deps: string[]; actor: string; bytes: Uint8Array }[]
  /** The peer's heads for this document before this entry. */
  fromHeads: string[]
  /** The heads the peer acknowledged (the cursor at planning): dependencies it surely holds. */
  peerHeads: string[]
  fromGenesis: boolean
}

export interface PlannedChunk {
  seq: number
  priority: Priority
  entries: PlannedEntry[]
  frame: ChunkFrame
  rawBytes: number
  changeCount: number
}

/** The causally closed parts of one document's delta, by priority class, in send order. */
export function planDocument(out: OutgoingDoc): EntryPlan[] {
  const doc = out.doc // may load it: read once
  const known = out.since.filter((h) => A.hasHeads(doc, [h]))
  const raw = A.getChangesSince(doc, known)
  if (raw.length === 0) return []
  const decoded = raw.map((c) => A.decodeChange(c))
  const bytesOf = new Map(decoded.map((c, i) => [c.hash, raw[i]!]))
  const classified = classifyChanges(decoded, out.index ?? ObjectIndex.fromDoc(doc))
  const byHash = new Map(classified.map((c) => [c.change.hash, c]))
  const assigned = new Set<string>()
  const plans: EntryPlan[] = []
  let heads = known
  for (let p = 0; p < PRIORITY_ORDER.length; p++) {
    // Closure over deps of every change at this level or above that is not planned yet.
    const stack = classified
      .filter((c) => PRIORITY_ORDER.indexOf(c.priority) <= p && !assigned.has(c.change.hash))
      .map((c) => c.change.hash)
    const group = new Set<string>()
    while (stack.length) {
      const h = stack.pop()!
      if (group.has(h) || assigned.has(h) || !byHash.has(h)) continue
      group.add(h)
      stack.push(...byHash.get(h)!.change.deps)
    }
    if (group.size === 0) continue
    const changes = decoded
      .filter((c) => group.has(c.hash))
      .map((c) => ({ hash: c.hash, deps: c.deps, actor: c.actor, bytes: bytesOf.get(c.hash)! }))
    changes.forEach((c) => assigned.add(c.hash))
    plans.push({
      key: out.key,
      isoType: out.isoType,
      priority: p as Priority,
      doc,
      changes,
      fromHeads: heads,
      peerHeads: known,
      fromGenesis: known.length === 0 && plans.length === 0,
    })
    heads = advanceHeads(heads, changes)
  }
  return plans
}

/** Longest stretch of planning before the event loop gets a turn. */
const PLAN_SLICE_MS = 20

/** Where planning delivers its entries, and says which priority classes it has finished. */
export interface PlanSink {
  add(plans: EntryPlan[]): void
  /** No entry of a priority below `priority` will be added any more. */
  complete(priority: number): void
}

/**
 * Plans the outbox a few documents at a time, yielding between slices: a 21-day backlog takes
 * seconds to plan, and meanwhile the socket's timers, its pings and the node's API must run, and the
 * first chunks can already be on the link.
 *
 * Documents that may hold a critical change come first (`mayBeCritical`). Once they are planned the
 * critical class is complete, and chunks can go while the rest is planned. Without such hints
 * (`hinted` false: after a reconciliation, say) the critical class completes only at the end.
 */
export async function planOutbox(
  docs: Iterable<OutgoingDoc>,
  sink: PlanSink,
  { hinted = false, cancelled = () => false }: { hinted?: boolean; cancelled?: () => boolean } = {},
): Promise<void> {
  let slice = performance.now()
  let batch: EntryPlan[] = []
  let criticalDone = false
  for (const out of docs) {
    if (cancelled()) return
    if (hinted && !criticalDone && !out.mayBeCritical) {
      sink.add(batch)
      batch = []
      sink.complete(1)
      criticalDone = true
    }
    batch.push(...planDocument(out))
    if (performance.now() - slice < PLAN_SLICE_MS) continue
    sink.add(batch)
    batch = []
    await new Promise((resolve) => setImmediate(resolve))
    slice = performance.now()
  }
  if (cancelled()) return
  sink.add(batch)
  sink.complete(PRIORITY_ORDER.length)
}

/**
 * Builds an entry's body, splitting it into causally ordered parts so that no body exceeds
 * ENTRY_RAW_MAX (a prefix of a causal order is itself closed). `actors` is set for the compact
 * encoding.
 */
/** How compact entries are written: short dependencies (compact.ts) and short values (compact-values.ts). */
interface EntryForm {
  shortDeps: boolean
  shortValues: boolean
  /** OWN_LINE dependencies (compact.ts), map runs and derived evidence IDs (compact-values.ts), where agreed. */
  forms: LeanForms
}
const PLAIN_FORM: EntryForm = { shortDeps: false, shortValues: false, forms: NO_LEAN_FORMS }

const sameSet = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((h) => b.includes(h))

function materialize(plan: EntryPlan, actors: ActorTable | undefined, form = PLAIN_FORM): PlannedEntry[] {
  // The encoded changes tell the size before any body is built: halve until it is near the bound.
  const encoded = plan.changes.reduce((n, c) => n + c.bytes.length, 0)
  const body = encoded > 2 * ENTRY_RAW_MAX && plan.changes.length > 1 ? undefined : bodyOf(plan, actors, form)
  if (body && (body.weight <= ENTRY_RAW_MAX || plan.changes.length === 1))
    return [{ ...entryOf(plan), toHeads: advanceHeads(plan.fromHeads, plan.changes), ...body }]
  const mid = Math.ceil(plan.changes.length / 2)
  const first = { ...plan, changes: plan.changes.slice(0, mid) }
  const rest = {
    ...plan,
    changes: plan.changes.slice(mid),
    fromHeads: advanceHeads(plan.fromHeads, first.changes),
    fromGenesis: false,
  }
  return [...materialize(first, actors, form), ...materialize(rest, actors, form)]
}

function bodyOf(
  plan: EntryPlan,
  actors: ActorTable | undefined,
  form: EntryForm,
): Pick<PlannedEntry, 'body' | 'weight'> {
  const hashes = plan.changes.map((c) => c.hash)
  if (actors && plan.changes.length <= COMPACT_MAX_CHANGES) {
    const decoded = plan.changes.map((c) => A.decodeChange(c.bytes))
    let metas: A.ChangeMetadata[] | undefined
    const history = () => (metas ??= A.getChangesMetaSince(plan.doc, []))
    // Only the first part of a document's delta: its dependencies are all acknowledged or inside
    // it, so the receiver can rebuild it before any other entry of the chunk (ChunkPayload.o).
    const ownLine = form.forms.ownLine && sameSet(plan.fromHeads, plan.peerHeads)
    const short = form.shortDeps
      ? {
          peerHas: new Set(plan.peerHeads),
          history: () => history().map((m) => m.hash),
          change: (h: string) => changeInfoIn(plan.doc, h),
          ...(ownLine ? { lines: history, appendix: () => appendixChange(plan.key, plan.isoType) } : {}),
        }
      : undefined
    const compact = compactEntry(plan.key, decoded, actors, short, { short: form.shortValues, ...form.forms })
    if (compact) return { body: { k: compact.k }, weight: compact.rawBytes * COMPACT_WEIGHT }
  }
  const b = A.saveBundle(plan.doc, hashes)
  return { body: { b }, weight: b.length }
}

function entryOf(plan: EntryPlan): Omit<PlannedEntry, 'toHeads' | 'body' | 'weight'> {
  return {
    key: plan.key,
    isoType: plan.isoType,
    priority: plan.priority,
    changes: plan.changes,
    fromGenesis: plan.fromGenesis,
  }
}

/** The decoded content of a chunk. */
export interface ChunkPayload {
  actors: ActorBinding[]
  /** The actor table of compact entries (protocol v2). */
  ax?: string[]
  entries: PayloadEntry[]
  /**
   * With entries the receiver partly derives (a dependency by OWN_LINE, the APPENDIX): the first
   * OWN_LINE_CHECK_BYTES of the SHA-256 of the hashes of their changes, in order. The sender proves
   * the round trip, and this proves it at the receiver, for 4 bytes a chunk rather than 2 a change.
   */
  o?: Uint8Array
}

export const OWN_LINE_CHECK_BYTES = 4

/** The check of ChunkPayload.o over the changes of the entries with derived parts, in order. */
export function ownLineCheck(hashes: readonly string[]): Uint8Array {
  const h = createHash('sha256')
  for (const hash of hashes) h.update(Buffer.from(hash, 'hex'))
  return h.digest().subarray(0, OWN_LINE_CHECK_BYTES)
}

/** One document's part of a chunk: `b` a bundle, or `k` compact changes (times absolute once opened). */
export interface PayloadEntry {
  c: string
  y: string
  i?: string
  b?: Uint8Array
  k?: CompactChange[]
}

/**
 * Largest chunk payload sent uncompressed on a compressing connection: the rounds of a day's link.
 * A bigger one (a backlog) still gets brotli at quality 10 on its own, which beats the connection's
 * faster setting; the stream then passes it through almost unchanged.
 */
export const RAW_CHUNK_MAX_BYTES = 16 * 1024

function compress(data: Uint8Array): Uint8Array {
  return brotliCompressSync(data, {
    params: {
      // Quality 10 is within 6 % of 11 on change sets at a third of the CPU: on a 2-core vessel
      // server, 11 made packing, not the link, the slowest part of a session.
      [zlib.BROTLI_PARAM_QUALITY]: 10,
      [zlib.BROTLI_PARAM_LGWIN]: 22,
      [zlib.BROTLI_PARAM_SIZE_HINT]: data.length,
    },
  })
}

export function sha256(data: Uint8Array): Uint8Array {
  return createHash('sha256').update(data).digest()
}

const NORMAL = 1
const ROUTINE = 2

/**
 * Cuts planned entries into chunks on demand: all critical entries first, then normal, then
 * routine, each chunk holding entries of one priority (or normal and routine, see useSharedChunks)
 * up to {@link CHUNK_RAW_TARGET} uncompressed bytes. Bundles are built and compressed only when the
 * next chunk is wanted, so the first chunk leaves while later ones are still being prepared.
 *
 * Entries may arrive while chunks are already going ({@link add}, from {@link planOutbox}). A chunk of
 * a priority goes only once every higher priority is complete, so nothing critical can turn up
 * behind a normal chunk, and a chunk that is not full waits until its own priority is complete.
 */
export class ChunkPacker implements PlanSink {
  /** Planned entries by priority, each in planning order. */
  private readonly queues: EntryPlan[][] = PRIORITY_ORDER.map(() => [])
  private ready: PlannedEntry[] = []
  private seq: number
  /** Priorities below this are complete. */
  private completeBelow = 0
  /** Set when the peer reads compact entries (protocol v2). */
  private actors: ActorTable | undefined
  /** Set when the connection compresses every frame: small chunks then go as plain CBOR. */
  private rawChunks = false
  private lean = false
  private forms: LeanForms = NO_LEAN_FORMS
  private sharedChunks = false

  constructor(
    plans: EntryPlan[],
    private readonly bindingOf: (actor: string) => ActorBinding | undefined,
    firstSeq = 0,
    { compact = true, complete = true }: { compact?: boolean; complete?: boolean } = {},
  ) {
    this.useCompact(compact)
    this.add(plans)
    if (complete) this.complete(PRIORITY_ORDER.length)
    this.seq = firstSeq
  }

  /** Chooses the encoding (the peer's protocol version): call before the first chunk. */
  useCompact(compact: boolean): void {
    this.actors = compact ? new ActorTable() : undefined
  }

  /**
   * The connection compresses every frame with a context shared across rounds (frame-stream.ts), so
   * a small chunk goes uncompressed and the stream does better than brotli on the chunk alone. Peers
   * that agreed to it also read short dependency prefixes (compact.ts). Call before the first chunk.
   */
  useRawChunks(raw: boolean): void {
    this.rawChunks = raw
  }

  /**
   * Lean rounds (docs/protocol.md): short values and text runs in compact entries (only with raw
   * chunks, compact-values.ts), and checksums cut to SHORT_SHA_BYTES. Call before the first chunk.
   */
  useLean(lean: boolean): void {
    this.lean = lean
  }

  /**
   * What the connection agreed with lean rounds (docs/protocol.md): dependencies by OWN_LINE, a new
   * map and its keys as one op, and evidence IDs left for the peer to derive. Only with lean rounds.
   */
  useLeanForms(forms: LeanForms): void {
    this.forms = forms
  }

  /**
   * Normal and routine entries in one chunk (lean rounds without a daily budget). Under a budget each
   * class keeps chunks of its own, so that what the budget holds back is routine before normal.
   */
  useSharedChunks(shared: boolean): void {
    this.sharedChunks = shared
  }

  add(plans: EntryPlan[]): void {
    for (const p of plans) this.queues[p.priority]!.push(p)
  }

  complete(priority: number): void {
    this.completeBelow = Math.max(this.completeBelow, priority)
  }

  /** Every priority is complete and everything was packed. */
  get done(): boolean {
    return (
      this.completeBelow >= PRIORITY_ORDER.length &&
      this.ready.length === 0 &&
      this.queues.every((q) => q.length === 0)
    )
  }

  /** The next chunk; undefined when everything was packed or the next one must wait for planning. */
  next(): PlannedChunk | undefined {
    const priority = this.ready[0]?.priority ?? this.queues.findIndex((q) => q.length > 0)
    // Only the highest priority with entries, and only once every higher one is complete.
    if (priority < 0 || priority > this.completeBelow) return undefined
    // A normal chunk with room left may take routine entries too (useSharedChunks), once every normal
    // one is planned: a round's edits and readings then cost one chunk, checksum and ack, not two.
    const classes = this.sharedChunks && priority === NORMAL ? [NORMAL, ROUTINE] : [priority]
    let readyWeight = this.ready.reduce((n, e) => n + e.weight, 0)
    for (const p of classes) {
      if (p > this.completeBelow) break
      const queue = this.queues[p]!
      while (queue.length > 0 && readyWeight < CHUNK_RAW_TARGET) {
        const lean = this.rawChunks && this.lean
        const more = materialize(queue.shift()!, this.actors, {
          shortDeps: this.rawChunks,
          shortValues: lean,
          forms: lean ? this.forms : NO_LEAN_FORMS,
        })
        this.ready.push(...more)
        readyWeight += more.reduce((n, e) => n + e.weight, 0)
      }
    }
    if (readyWeight < CHUNK_RAW_TARGET && classes.at(-1)! >= this.completeBelow) return undefined
    const take: PlannedEntry[] = []
    let weight = 0
    while (this.ready.length > 0) {
      const e = this.ready[0]!
      if (take.length > 0 && weight + e.weight > CHUNK_RAW_TARGET) break
      take.push(this.ready.shift()!)
      weight += e.weight + 24
    }
    return this.build(take)
  }

  private build(entries: PlannedEntry[]): PlannedChunk {
    const actors = new Map<string, ActorBinding>()
    for (const e of entries)
      for (const c of e.changes) {
        if (actors.has(c.actor)) continue
        const binding = this.bindingOf(c.actor)
        if (binding) actors.set(c.actor, binding)
      }
    // Times go as deltas along the chunk: edits cluster in time, so most deltas are small numbers,
    // smaller still with the entries in time order (inTimeOrder).
    let time = 0
    const ordered = this.lean ? inTimeOrder(entries) : entries
    const checked = ordered.flatMap((e) =>
      'k' in e.body && usesDerived(e.body.k) ? e.changes.map((c) => c.hash) : [],
    )
    const payload: ChunkPayload = {
      actors: [...actors.values()],
      ...(this.actors ? { ax: this.actors.actors } : {}),
      ...(checked.length > 0 ? { o: ownLineCheck(checked) } : {}),
      entries: ordered.map((e) => ({
        c: e.key.containerId,
        y: e.key.voyage,
        ...(e.fromGenesis ? { i: e.isoType } : {}),
        ...('b' in e.body
          ? { b: e.body.b }
          : {
              k: e.body.k.map((c): CompactChange => {
                if (c[6] === APPENDIX) return c
                const delta = c[3] - time
                time = c[3]
                return [c[0], c[1], c[2], delta, c[4], c[5], c[6]]
              }),
            }),
      })),
    }
    const raw = encodeValue(payload)
    const plain = this.rawChunks && raw.length <= RAW_CHUNK_MAX_BYTES
    const data = plain ? raw : compress(raw)
    const seq = this.seq++
    const priority = entries[0]!.priority
    return {
      seq,
      priority,
      entries,
      frame: {
        t: 'chunk',
        seq,
        p: priority,
        sha: this.lean ? sha256(data).subarray(0, SHORT_SHA_BYTES) : sha256(data),
        data,
        ...(plain ? { z: 0 as const } : {}),
      },
      rawBytes: raw.length,
      changeCount: entries.reduce((n, e) => n + e.changes.length, 0),
    }
  }
}

/**
 * A chunk's entries by the time of their first change: a round's readings were planned document by
 * document, and in that order their times jump back and forth across the hour. A document split
 * into several entries keeps them in causal order, at the place of its first.
 */
function inTimeOrder(entries: PlannedEntry[]): PlannedEntry[] {
  const byDoc = new Map<string, PlannedEntry[]>()
  for (const e of entries) {
    const id = `${e.key.voyage}\n${e.key.containerId}`
    const group = byDoc.get(id)
    if (group) group.push(e)
    else byDoc.set(id, [e])
  }
  const firstTime = (e: PlannedEntry) => ('k' in e.body ? (e.body.k[0]?.[3] ?? 0) : 0)
  return [...byDoc.values()].sort((a, b) => firstTime(a[0]!) - firstTime(b[0]!)).flat()
}

/** Every chunk at once (tests and benchmarks). */
export function packChunks(
  plans: EntryPlan[],
  bindingOf: (actor: string) => ActorBinding | undefined,
  firstSeq = 0,
  options: { compact?: boolean } = {},
): PlannedChunk[] {
  const packer = new ChunkPacker(plans, bindingOf, firstSeq, options)
  const out: PlannedChunk[] = []
  for (let c = packer.next(); c; c = packer.next()) out.push(c)
  return out
}

/** A chunk that cannot be used: the receiver answers with a nack and the sender sends it again. */
export class ChunkError extends Error {
  readonly closeCode = CloseCode.BadFrame
}

const HEX64 = /^[0-9a-f]{64}$/

/** Verifies a chunk's checksum, decompresses (bounded) and checks the payload's shape. */
export function openChunk(
  frame: ChunkFrame,
  { shortSha = false }: { shortSha?: boolean } = {},
): ChunkPayload {
  const digest = sha256(frame.data)
  const length = shortSha ? SHORT_SHA_BYTES : digest.length
  if (frame.sha.length !== length)
    throw new ChunkError(`checksum of ${frame.sha.length} bytes, not ${length}`)
  if (Buffer.compare(Buffer.from(digest.subarray(0, length)), Buffer.from(frame.sha)) !== 0)
    throw new ChunkError('checksum mismatch')
  let raw: Uint8Array = frame.data
  if (frame.z === 0) {
    if (raw.length > MAX_CHUNK_PAYLOAD_BYTES) throw new ChunkError('uncompressed chunk too large')
  } else
    try {
      raw = brotliDecompressSync(frame.data, { maxOutputLength: MAX_CHUNK_PAYLOAD_BYTES })
    } catch (err) {
      throw new ChunkError(`cannot decompress chunk: ${(err as Error).message}`)
    }
  let payload: any
  try {
    payload = decodeValue(raw)
  } catch (err) {
    throw new ChunkError(`cannot decode chunk: ${(err as Error).message}`)
  }
  const ax: unknown = payload?.ax ?? []
  const axOk =
    Array.isArray(ax) && ax.length <= 10_000 && ax.every((a) => typeof a === 'string' && ACTOR_HEX.test(a))
  const ok =
    payload &&
    axOk &&
    (payload.o === undefined ||
      (payload.o instanceof Uint8Array && payload.o.length === OWN_LINE_CHECK_BYTES)) &&
    Array.isArray(payload.actors) &&
    Array.isArray(payload.entries) &&
    payload.actors.every(
      (a: any) =>
        typeof a?.a === 'string' &&
        /^[0-9a-f]{2,64}$/.test(a.a) &&
        typeof a.p === 'string' &&
        typeof a.r === 'string' &&
        typeof a.n === 'string',
    ) &&
    payload.entries.every(
      (e: any) =>
        typeof e?.c === 'string' &&
        e.c.length <= 20 &&
        typeof e.y === 'string' &&
        e.y.length <= 20 &&
        (e.i === undefined || typeof e.i === 'string') &&
        (e.b instanceof Uint8Array ? e.k === undefined : isCompactEntry(e.k, (ax as string[]).length)),
    )
  if (!ok) throw new ChunkError('malformed chunk payload')
  // Undo the time deltas (see ChunkPacker.build): entries leave here with absolute times.
  let time = 0
  for (const e of payload.entries as PayloadEntry[])
    for (const c of e.k ?? []) {
      time += c[3]
      c[3] = time
    }
  return payload as ChunkPayload
}

const ACTOR_HEX = /^(?:[0-9a-f]{2}){1,32}$/

/**
 * The changes of one entry and the bytes to store for them. A compact entry's outside dependencies
 * are found with `resolve` (hash prefix → full hash of a change this replica holds). Throws
 * ChunkError on a corrupt entry, and CompactError with `missing` when a dependency is not here.
 */
export function readEntry(
  entry: PayloadEntry,
  key: ContainerKey,
  actors: string[] = [],
  resolve: (prefixHex: string) => string | undefined = () => undefined,
  info: (hash: string) => ChangeInfo | undefined = () => undefined,
  ownLine?: (actor: string, time: number) => string | undefined,
  appendix?: AppendixOf,
): { changes: A.DecodedChange[]; bytes: Uint8Array[] } {
  if (entry.b) return { changes: readBundle(entry.b), bytes: [entry.b] }
  try {
    const rebuilt = expandEntry(key, entry.k ?? [], actors, resolve, info, ownLine, appendix)
    return { changes: rebuilt.map((r) => r.change), bytes: rebuilt.map((r) => r.bytes) }
  } catch (err) {
    if (err instanceof CompactError && err.missing) throw err
    throw new ChunkError(`corrupt entry: ${(err as Error).message}`)
  }
}

/** Reads the changes of a bundle; throws ChunkError on a corrupt bundle. */
export function readBundle(bundle: Uint8Array): A.DecodedChange[] {
  try {
    const { changes } = A.readBundle(bundle)
    for (const c of changes) if (!HEX64.test(c.hash)) throw new Error('bad hash')
    return changes
  } catch (err) {
    throw new ChunkError(`corrupt bundle: ${(err as Error).message}`)
  }
}
