/**
 * Damage photos and signed evidence in the container document (docs/photos.md).
 *
 * Two append-only lists sit at the document's root: `photos` (each side appends its own) and
 * `evidence` (the vessel's signed facts). Documents created before them lack both, and either side
 * may be first to need them, so they are added by one deterministic change: the genesis actor, time
 * 0, depending only on the genesis. Made on the vessel and ashore it is the same change, byte for
 * byte, so the two lists never exist twice (two concurrent `photos = []` would hide one side's list).
 *
 * The original photo never enters the document: only its SHA-256 and size. The thumbnail does, as
 * base64 text (brotli takes base64 back to the raw size), so it travels in the same change as the
 * entry, with the same priority class, and a third party can check it against `thumbSha256`.
 */
import * as A from '@automerge/automerge'
import { sha256 } from '@noble/hashes/sha2'
import { roleMayWrite } from './catalog.ts'
import type { Role } from './catalog.ts'
import { invalid, TallyError } from './errors.ts'
import { genesisDoc } from './genesis.ts'
import type { ContainerKey } from './genesis.ts'
import { toPlain, toStored } from './plain.ts'
import * as V from './validators.ts'
import type { ContainerDoc } from './schema.ts'

export const PHOTO_MIMES = ['image/jpeg', 'image/png', 'image/webp'] as const
export type PhotoMime = (typeof PHOTO_MIMES)[number]
/** The largest original the vessel accepts (a phone photo is 2–5 MB). */
export const MAX_PHOTO_BYTES = 25 * 1024 * 1024
/** The largest thumbnail: it travels with the damage report in the first window. */
export const MAX_THUMB_BYTES = 30 * 1024

/** Where a full photo is, as the replica answering knows it. */
export type PhotoFullState = 'ON_VESSEL' | 'REQUESTED' | 'SENDING' | 'AT_SHORE'

/** A photo entry as stored in the document (strings as ImmutableString). */
export interface PhotoEntry {
  id: string
  sha256: string
  bytes: number
  mime: PhotoMime
  at: string
  /** The principal that took it: `IMO9811000` or `user:alice`. */
  by: string
  caption: string | null
  thumbSha256: string
  thumbBytes: number
  thumbMime: PhotoMime
  /** The thumbnail itself, base64. */
  thumb: string
}

/** A photo as views show it: no thumbnail bytes (they are served by URL), plus where the full one is. */
export type PhotoView = Omit<PhotoEntry, 'thumb'> & { full: PhotoFullState }

export const EVIDENCE_KINDS = ['damage', 'seal', 'alarm', 'photo'] as const
export type EvidenceKind = (typeof EVIDENCE_KINDS)[number]

/**
 * One signed fact. `fact` is the JSON text that was signed, kept as text so the signed bytes are
 * exactly what is stored; `supersedes` names an earlier entry this one corrects (never erased).
 */
export interface EvidenceEntry {
  id: string
  kind: EvidenceKind
  at: string
  /** The principal (the vessel) and the crew member who recorded it. */
  by: string
  crew: string
  fact: string
  supersedes: string | null
  /** Ed25519 public key (hex) and signature (hex) over {@link evidenceMessage}. */
  key: string
  sig: string
}

const hex = (n: number) => V.string(n, new RegExp(`^[0-9a-f]{${n}}$`), `must be ${n} hex digits`)
const base64 = (max: number) => V.string(max, /^[A-Za-z0-9+/]*={0,2}$/, 'must be base64')

export const PHOTO_SHAPE: Record<keyof PhotoEntry, V.Validator> = {
  id: V.string(100, /^[A-Za-z0-9_-]{1,100}$/, 'must be letters, digits, - or _'),
  sha256: hex(64),
  bytes: V.number(1, MAX_PHOTO_BYTES, ' bytes'),
  mime: V.oneOf(PHOTO_MIMES),
  at: V.isoTime,
  by: V.string(200, /\S/, 'must name who took it'),
  caption: V.nullable(V.string(V.MAX_TEXT_LENGTH)),
  thumbSha256: hex(64),
  thumbBytes: V.number(1, MAX_THUMB_BYTES, ' bytes'),
  thumbMime: V.oneOf(PHOTO_MIMES),
  thumb: base64(Math.ceil(MAX_THUMB_BYTES / 3) * 4),
}

export const EVIDENCE_SHAPE: Record<keyof EvidenceEntry, V.Validator> = {
  id: V.string(100, /^[A-Za-z0-9_-]{1,100}$/, 'must be letters, digits, - or _'),
  kind: V.oneOf(EVIDENCE_KINDS),
  at: V.isoTime,
  by: V.string(200, /\S/, 'must name the vessel'),
  crew: V.string(200),
  fact: V.string(20_000),
  supersedes: V.nullable(V.string(100)),
  key: hex(64),
  sig: hex(128),
}

export function toHex(bytes: Uint8Array): string {
  let out = ''
  for (const b of bytes) out += b.toString(16).padStart(2, '0')
  return out
}

export function fromBase64(text: string): Uint8Array {
  const binary = atob(text)
  const out = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i)
  return out
}

export function toBase64(bytes: Uint8Array): string {
  let binary = ''
  for (let i = 0; i < bytes.length; i += 0x8000)
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
  return btoa(binary)
}

export function sha256Hex(bytes: Uint8Array): string {
  return toHex(sha256(bytes))
}

/**
 * What is wrong with a new photo entry, or null: its shape, and that the thumbnail is the one its
 * hash and size name. `author` is the principal writing it: each side appends only its own photos.
 */
export function photoProblem(
  value: unknown,
  author: string | undefined,
): { field: string; problem: string } | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return { field: 'photos', problem: 'a photo must be an object' }
  const p = value as Record<string, unknown>
  for (const key of Object.keys(p))
    if (!(key in PHOTO_SHAPE)) return { field: `photos.${key}`, problem: 'is not a known field' }
  for (const [key, check] of Object.entries(PHOTO_SHAPE)) {
    const problem = check(p[key] ?? null)
    if (problem) return { field: `photos.${key}`, problem }
  }
  if (author !== undefined && p.by !== author)
    return { field: 'photos.by', problem: `a photo taken by ${String(p.by)} cannot be added by ${author}` }
  let thumb: Uint8Array
  try {
    thumb = fromBase64(p.thumb as string)
  } catch {
    return { field: 'photos.thumb', problem: 'must be base64' }
  }
  if (thumb.length !== p.thumbBytes)
    return { field: 'photos.thumbBytes', problem: 'does not match the thumbnail' }
  if (sha256Hex(thumb) !== p.thumbSha256)
    return { field: 'photos.thumbSha256', problem: 'does not match the thumbnail' }
  return null
}

/** What is wrong with a new evidence entry (its shape; signatures are checked by whoever has the key). */
export function evidenceProblem(
  value: unknown,
  author: string | undefined,
): { field: string; problem: string } | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return { field: 'evidence', problem: 'an evidence entry must be an object' }
  const e = value as Record<string, unknown>
  for (const key of Object.keys(e))
    if (!(key in EVIDENCE_SHAPE)) return { field: `evidence.${key}`, problem: 'is not a known field' }
  for (const [key, check] of Object.entries(EVIDENCE_SHAPE)) {
    const problem = check(e[key] ?? null)
    if (problem) return { field: `evidence.${key}`, problem }
  }
  if (author !== undefined && e.by !== author)
    return {
      field: 'evidence.by',
      problem: `evidence recorded by ${String(e.by)} cannot be added by ${author}`,
    }
  try {
    JSON.parse(e.fact as string)
  } catch {
    return { field: 'evidence.fact', problem: 'must be JSON text' }
  }
  return null
}

const appendixCache = new Map<string, { change: Uint8Array; hash: string }>()

/**
 * The deterministic change that adds the `photos` and `evidence` lists to a container document:
 * the genesis actor's second change, time 0, depending on the genesis only.
 */
export function appendixChange(key: ContainerKey, isoType: string): { change: Uint8Array; hash: string } {
  const id = `${key.vessel}\n${key.voyage}\n${key.containerId}\n${isoType}`
  let found = appendixCache.get(id)
  if (!found) {
    if (appendixCache.size >= 10_000) appendixCache.clear()
    const doc = A.change(genesisDoc(key, isoType), { time: 0 }, (d) => {
      d.photos = []
      d.evidence = []
    })
    const change = A.getLastLocalChange(doc)!
    found = { change, hash: A.decodeChange(change).hash }
    appendixCache.set(id, found)
  }
  return found
}

/** The document with its `photos` and `evidence` lists (adds the deterministic change if needed). */
export function withAppendix(doc: A.Doc<ContainerDoc>): A.Doc<ContainerDoc> {
  if (doc.photos !== undefined && doc.evidence !== undefined) return doc
  const plain = toPlain({
    vessel: doc.vessel,
    voyage: doc.voyage,
    containerId: doc.containerId,
    isoType: doc.isoType,
  }) as ContainerKey & { isoType: string }
  const [next] = A.applyChanges(doc, [appendixChange(plain, plain.isoType).change])
  return next
}

export interface PhotoInput {
  id: string
  sha256: string
  bytes: number
  mime: PhotoMime
  at: string
  caption: string | null
  thumb: Uint8Array
  thumbMime: PhotoMime
}

/** Appends a photo entry taken by `by` (the author's principal). */
export function addPhoto(
  doc: A.Doc<ContainerDoc>,
  input: PhotoInput,
  by: string,
  role: Role,
): A.Doc<ContainerDoc> {
  if (!roleMayWrite(role, 'photos'))
    throw new TallyError('FORBIDDEN_FIELD', `the ${role} role cannot add photos`, 'photos')
  const entry: PhotoEntry = {
    id: input.id,
    sha256: input.sha256,
    bytes: input.bytes,
    mime: input.mime,
    at: input.at,
    by,
    caption: input.caption,
    thumbSha256: sha256Hex(input.thumb),
    thumbBytes: input.thumb.length,
    thumbMime: input.thumbMime,
    thumb: toBase64(input.thumb),
  }
  const problem = photoProblem(entry, by)
  if (problem) throw invalid(problem.field, problem.problem)
  return A.change(withAppendix(doc), (d) => {
    d.photos!.push(toStored(entry))
  })
}

/** Appends signed evidence entries (the vessel's own, already signed). */
export function addEvidence(
  doc: A.Doc<ContainerDoc>,
  entries: EvidenceEntry[],
  role: Role,
  /** The change's time (seconds), as Automerge's `time` option; now by default. */
  time?: number,
): A.Doc<ContainerDoc> {
  if (entries.length === 0) return doc
  if (!roleMayWrite(role, 'evidence'))
    throw new TallyError('FORBIDDEN_FIELD', `the ${role} role cannot record evidence`, 'evidence')
  for (const e of entries) {
    const problem = evidenceProblem(e, undefined)
    if (problem) throw invalid(problem.field, problem.problem)
  }
  return A.change(withAppendix(doc), time === undefined ? {} : { time }, (d) => {
    for (const e of entries) d.evidence!.push(toStored(e))
  })
}

/** The photo entries of a document as plain values (thumbnails included). */
export function photosOf(doc: A.Doc<ContainerDoc>): PhotoEntry[] {
  return (toPlain(doc.photos ?? []) as PhotoEntry[]).filter((p) => typeof p?.id === 'string')
}

/** The evidence entries of a document as plain values. */
export function evidenceOf(doc: A.Doc<ContainerDoc>): EvidenceEntry[] {
  return (toPlain(doc.evidence ?? []) as EvidenceEntry[]).filter((e) => typeof e?.id === 'string')
}

/** The photos as a view shows them; `stateOf` tells where each full photo is on this replica. */
export function photoViews(
  doc: A.Doc<ContainerDoc>,
  stateOf: (sha256: string) => PhotoFullState = () => 'ON_VESSEL',
): PhotoView[] {
  return photosOf(doc).map(({ thumb: _thumb, ...rest }) => ({ ...rest, full: stateOf(rest.sha256) }))
}
