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
import { classifyChanges, ObjectIndex, PRIORITY_ORDER } from '@tally/manifest'
import type { ContainerKey } from '@tally/manifest'
import { advanceHeads } from './heads.ts'
import { decodeValue, encodeValue } from './codec.ts'
import { CloseCode, MAX_CHUNK_PAYLOAD_BYTES } from './messages.ts'
import type { ActorBinding, ChunkFrame, Priority } from './messages.ts'

/** Uncompressed bytes packed into one chunk; with brotli this is roughly 20–40 KB on the wire. */
export const CHUNK_RAW_TARGET = 96 * 1024
/** An entry bigger than this is split into several causally ordered entries. */
const ENTRY_RAW_MAX = 64 * 1024

export interface OutgoingDoc {
  key: ContainerKey
  isoType: string
  doc: A.Doc<unknown>
  /** Heads the peer is known to have (the cursor). */
  since: string[]
}

export interface PlannedEntry {
  key: ContainerKey
  isoType: string
  priority: Priority
  changes: { hash: string; deps: string[]; actor: string }[]
  /** The peer's heads for this document once this entry is acknowledged. */
  toHeads: string[]
  bundle: Uint8Array
  /** True when the entry starts from an empty history (the receiver may not have the document). */
  fromGenesis: boolean
}

/** An entry before its bundle is built: planning is cheap, bundling and compressing are not. */
export interface EntryPlan {
  key: ContainerKey
  isoType: string
  priority: Priority
  doc: A.Doc<unknown>
  changes: { hash: string; deps: string[]; actor: string }[]
  /** The peer's heads for this document before this entry. */
  fromHeads: string[]
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
  const known = out.since.filter((h) => A.hasHeads(out.doc, [h]))
  const raw = A.getChangesSince(out.doc, known)
  if (raw.length === 0) return []
  const decoded = raw.map((c) => A.decodeChange(c))
  const classified = classifyChanges(decoded, ObjectIndex.fromDoc(out.doc))
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
      .map((c) => ({ hash: c.hash, deps: c.deps, actor: c.actor }))
    changes.forEach((c) => assigned.add(c.hash))
    plans.push({
      key: out.key,
      isoType: out.isoType,
      priority: p as Priority,
      doc: out.doc,
      changes,
      fromHeads: heads,
      fromGenesis: known.length === 0 && plans.length === 0,
    })
    heads = advanceHeads(heads, changes)
  }
  return plans
}

/**
 * Builds an entry's bundle, splitting it into causally ordered parts so that no bundle exceeds
 * ENTRY_RAW_MAX (a prefix of a causal order is itself closed).
 */
function materialize(plan: EntryPlan): PlannedEntry[] {
  const bundle = A.saveBundle(
    plan.doc,
    plan.changes.map((c) => c.hash),
  )
  if (bundle.length <= ENTRY_RAW_MAX || plan.changes.length === 1)
    return [{ ...entryOf(plan), toHeads: advanceHeads(plan.fromHeads, plan.changes), bundle }]
  const mid = Math.ceil(plan.changes.length / 2)
  const first = { ...plan, changes: plan.changes.slice(0, mid) }
  const rest = {
    ...plan,
    changes: plan.changes.slice(mid),
    fromHeads: advanceHeads(plan.fromHeads, first.changes),
    fromGenesis: false,
  }
  return [...materialize(first), ...materialize(rest)]
}

function entryOf(plan: EntryPlan): Omit<PlannedEntry, 'toHeads' | 'bundle'> {
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
  entries: { c: string; y: string; i?: string; b: Uint8Array }[]
}

function compress(data: Uint8Array): Uint8Array {
  return brotliCompressSync(data, {
    params: {
      [zlib.BROTLI_PARAM_QUALITY]: 11,
      [zlib.BROTLI_PARAM_LGWIN]: 22,
      [zlib.BROTLI_PARAM_SIZE_HINT]: data.length,
    },
  })
}

export function sha256(data: Uint8Array): Uint8Array {
  return createHash('sha256').update(data).digest()
}

/**
 * Cuts planned entries into chunks on demand: all critical entries first, then normal, then
 * routine, each chunk holding entries of one priority up to {@link CHUNK_RAW_TARGET} uncompressed
 * bytes. Bundles are built and compressed only when the next chunk is wanted, so the first chunk
 * leaves while later ones are still being prepared.
 */
export class ChunkPacker {
  private readonly queue: EntryPlan[]
  private ready: PlannedEntry[] = []
  private seq: number

  constructor(
    plans: EntryPlan[],
    private readonly bindingOf: (actor: string) => ActorBinding | undefined,
    firstSeq = 0,
  ) {
    // Stable sort: within a priority, documents keep their order.
    this.queue = plans
      .map((p, i) => [p, i] as const)
      .sort((a, b) => a[0].priority - b[0].priority || a[1] - b[1])
      .map(([p]) => p)
    this.seq = firstSeq
  }

  get done(): boolean {
    return this.queue.length === 0 && this.ready.length === 0
  }

  /** The next chunk, or undefined when everything has been packed. */
  next(): PlannedChunk | undefined {
    const readyBytes = () => this.ready.reduce((n, e) => n + e.bundle.length, 0)
    while (this.queue.length > 0 && readyBytes() < CHUNK_RAW_TARGET) {
      if (this.ready.length > 0 && this.queue[0]!.priority !== this.ready[0]!.priority) break
      this.ready.push(...materialize(this.queue.shift()!))
    }
    if (this.ready.length === 0) return undefined
    const priority = this.ready[0]!.priority
    const take: PlannedEntry[] = []
    let raw = 0
    while (this.ready.length > 0 && this.ready[0]!.priority === priority) {
      const e = this.ready[0]!
      if (take.length > 0 && raw + e.bundle.length > CHUNK_RAW_TARGET) break
      take.push(this.ready.shift()!)
      raw += e.bundle.length + 24
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
    const payload: ChunkPayload = {
      actors: [...actors.values()],
      entries: entries.map((e) => ({
        c: e.key.containerId,
        y: e.key.voyage,
        ...(e.fromGenesis ? { i: e.isoType } : {}),
        b: e.bundle,
      })),
    }
    const raw = encodeValue(payload)
    const data = compress(raw)
    const seq = this.seq++
    const priority = entries[0]!.priority
    return {
      seq,
      priority,
      entries,
      frame: { t: 'chunk', seq, p: priority, sha: sha256(data), data },
      rawBytes: raw.length,
      changeCount: entries.reduce((n, e) => n + e.changes.length, 0),
    }
  }
}

/** Every chunk at once (tests and benchmarks). */
export function packChunks(
  plans: EntryPlan[],
  bindingOf: (actor: string) => ActorBinding | undefined,
  firstSeq = 0,
): PlannedChunk[] {
  const packer = new ChunkPacker(plans, bindingOf, firstSeq)
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
export function openChunk(frame: ChunkFrame): ChunkPayload {
  const digest = sha256(frame.data)
  if (Buffer.compare(Buffer.from(digest), Buffer.from(frame.sha)) !== 0)
    throw new ChunkError('checksum mismatch')
  let raw: Uint8Array
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
  const ok =
    payload &&
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
        e.b instanceof Uint8Array,
    )
  if (!ok) throw new ChunkError('malformed chunk payload')
  return payload as ChunkPayload
}

/** Reads the changes of an entry's bundle; throws ChunkError on a corrupt bundle. */
export function readEntry(bundle: Uint8Array): { changes: A.DecodedChange[] } {
  try {
    const { changes } = A.readBundle(bundle)
    for (const c of changes) if (!HEX64.test(c.hash)) throw new Error('bad hash')
    return { changes }
  } catch (err) {
    throw new ChunkError(`corrupt bundle: ${(err as Error).message}`)
  }
}
