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

export interface PlannedChunk {
  seq: number
  priority: Priority
  entries: PlannedEntry[]
  frame: ChunkFrame
  rawBytes: number
  changeCount: number
}

/** The causally closed entries of one document's delta, by priority class. */
export function planDocument(out: OutgoingDoc): PlannedEntry[] {
  const known = out.since.filter((h) => A.hasHeads(out.doc, [h]))
  const raw = A.getChangesSince(out.doc, known)
  if (raw.length === 0) return []
  const decoded = raw.map((c) => A.decodeChange(c))
  const classified = classifyChanges(decoded, ObjectIndex.fromDoc(out.doc))
  const byHash = new Map(classified.map((c) => [c.change.hash, c]))
  const assigned = new Set<string>()
  const entries: PlannedEntry[] = []
  let heads = known
  for (let p = 0; p < PRIORITY_ORDER.length; p++) {
    const level = PRIORITY_ORDER[p]
    // Closure over deps of every change at this level or above that is not sent yet.
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
    const ordered = decoded.filter((c) => group.has(c.hash))
    for (const part of splitBySize(out.doc, ordered)) {
      part.forEach((c) => assigned.add(c.hash))
      const refs = part.map((c) => ({ hash: c.hash, deps: c.deps, actor: c.actor }))
      heads = advanceHeads(heads, refs)
      entries.push({
        key: out.key,
        isoType: out.isoType,
        priority: p as Priority,
        changes: refs,
        toHeads: heads,
        bundle: A.saveBundle(
          out.doc,
          part.map((c) => c.hash),
        ),
        fromGenesis: known.length === 0 && entries.length === 0,
      })
    }
    void level
  }
  return entries
}

/** Splits a causally ordered list so that no bundle exceeds ENTRY_RAW_MAX (prefixes stay closed). */
function splitBySize(doc: A.Doc<unknown>, ordered: A.DecodedChange[]): A.DecodedChange[][] {
  const size = A.saveBundle(
    doc,
    ordered.map((c) => c.hash),
  ).length
  if (size <= ENTRY_RAW_MAX || ordered.length === 1) return [ordered]
  const mid = Math.ceil(ordered.length / 2)
  return [...splitBySize(doc, ordered.slice(0, mid)), ...splitBySize(doc, ordered.slice(mid))]
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
 * Packs planned entries into chunks: all critical entries first, then normal, then routine, each
 * chunk holding entries of one priority up to {@link CHUNK_RAW_TARGET} uncompressed bytes.
 */
export function packChunks(
  entries: PlannedEntry[],
  bindingOf: (actor: string) => ActorBinding | undefined,
  firstSeq = 0,
): PlannedChunk[] {
  const sorted = [...entries].sort((a, b) => a.priority - b.priority)
  const chunks: PlannedChunk[] = []
  let current: PlannedEntry[] = []
  let rawBytes = 0
  const flush = () => {
    if (current.length === 0) return
    const actors = new Map<string, ActorBinding>()
    for (const e of current)
      for (const c of e.changes) {
        const binding = actors.has(c.actor) ? undefined : bindingOf(c.actor)
        if (binding) actors.set(c.actor, binding)
      }
    const payload: ChunkPayload = {
      actors: [...actors.values()],
      entries: current.map((e) => ({
        c: e.key.containerId,
        y: e.key.voyage,
        ...(e.fromGenesis ? { i: e.isoType } : {}),
        b: e.bundle,
      })),
    }
    const raw = encodeValue(payload)
    const data = compress(raw)
    const seq = firstSeq + chunks.length
    chunks.push({
      seq,
      priority: current[0]!.priority,
      entries: current,
      frame: { t: 'chunk', seq, p: current[0]!.priority, sha: sha256(data), data },
      rawBytes: raw.length,
      changeCount: current.reduce((n, e) => n + e.changes.length, 0),
    })
    current = []
    rawBytes = 0
  }
  for (const entry of sorted) {
    const priorityChanged = current.length > 0 && current[0]!.priority !== entry.priority
    if (priorityChanged || (current.length > 0 && rawBytes + entry.bundle.length > CHUNK_RAW_TARGET)) flush()
    current.push(entry)
    rawBytes += entry.bundle.length + 24
  }
  flush()
  return chunks
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
