/**
 * Evidence bundles (docs/photos.md, "Evidence"): everything a third party needs to check a
 * container's recorded facts offline — the signed facts with who recorded them and when, the
 * vessel's public keys as the relay learned them, and the photos (thumbnail always, the original
 * once it is at shore) with their hashes. {@link verifyBundle} checks one without the relay.
 */
import { createHash } from 'node:crypto'
import type * as A from '@automerge/automerge'
import { evidenceOf, fromBase64, photosOf, toBase64, toPlain, verifyEvidence } from '@tally/manifest'
import type { ContainerDoc, ContainerKey, EvidenceEntry } from '@tally/manifest'
import type { PhotoStore } from '@tally/storage-sqlite'

export const BUNDLE_FORMAT = 'tally-evidence/1'

export interface BundlePhoto {
  id: string
  sha256: string
  bytes: number
  mime: string
  at: string
  by: string
  caption: string | null
  thumbSha256: string
  thumbMime: string
  /** base64 */
  thumb: string
  /** base64 of the original, or null while it is still aboard. */
  full: string | null
}

export interface EvidenceBundle {
  format: typeof BUNDLE_FORMAT
  generatedAt: string
  container: ContainerKey & { isoType: string }
  /** The vessel's public keys (hex) as the relay learned them from its link sessions. */
  vesselKeys: { publicKey: string; learnedAt: string }[]
  facts: EvidenceEntry[]
  photos: BundlePhoto[]
}

/** Builds the bundle of one container from its document and the relay's photo store. */
export function buildBundle(doc: A.Doc<ContainerDoc>, photos: PhotoStore, now = new Date()): EvidenceBundle {
  const container = toPlain({
    vessel: doc.vessel,
    voyage: doc.voyage,
    containerId: doc.containerId,
    isoType: doc.isoType,
  }) as EvidenceBundle['container']
  return {
    format: BUNDLE_FORMAT,
    generatedAt: now.toISOString(),
    container,
    vesselKeys: photos.vesselKeys(container.vessel),
    facts: evidenceOf(doc),
    photos: photosOf(doc).map((p) => {
      const full = photos.blob(p.sha256)
      return {
        id: p.id,
        sha256: p.sha256,
        bytes: p.bytes,
        mime: p.mime,
        at: p.at,
        by: p.by,
        caption: p.caption,
        thumbSha256: p.thumbSha256,
        thumbMime: p.thumbMime,
        thumb: p.thumb,
        full: full ? toBase64(full.data) : null,
      }
    }),
  }
}

/** One line of a verification: a fact or a photo, whether it holds, and why not. */
export interface Finding {
  subject: string
  holds: boolean
  detail: string
}

const sha256Hex = (data: Uint8Array) => createHash('sha256').update(data).digest('hex')

/** Checks every fact's signature and every photo's bytes against the signed hashes. */
export function verifyBundle(value: unknown): { ok: boolean; findings: Finding[] } {
  const findings: Finding[] = []
  const b = value as Partial<EvidenceBundle>
  if (!b || b.format !== BUNDLE_FORMAT || !b.container || !Array.isArray(b.facts) || !Array.isArray(b.photos))
    return {
      ok: false,
      findings: [{ subject: 'bundle', holds: false, detail: `not a ${BUNDLE_FORMAT} bundle` }],
    }
  const keys = new Set((b.vesselKeys ?? []).map((k) => k.publicKey))
  const key: ContainerKey = b.container
  const superseded = new Set(b.facts.map((f) => f.supersedes).filter(Boolean))
  const signedPhotos = new Map<string, { sha256?: string; thumbSha256?: string }>()
  for (const fact of b.facts) {
    const subject = `${fact.kind} ${fact.id} at ${fact.at} by ${fact.by} (${fact.crew})`
    const valid = typeof fact.key === 'string' && verifyEvidence(key, fact, fact.key)
    const known = keys.has(fact.key)
    const holds = valid && known
    const detail = !valid
      ? 'signature does not verify: the fact or its signature was altered'
      : !known
        ? `signed by key ${fact.key.slice(0, 16)}…, which is not a key the relay learned from ${key.vessel}`
        : `${fact.fact}${superseded.has(fact.id) ? ' (superseded by a later correction)' : ''}`
    findings.push({ subject, holds, detail })
    if (holds && fact.kind === 'photo') {
      try {
        const parsed = JSON.parse(fact.fact) as { photo?: string; sha256?: string; thumbSha256?: string }
        if (parsed.photo) signedPhotos.set(parsed.photo, parsed)
      } catch {
        // A signed fact that is not JSON cannot vouch for a photo.
      }
    }
  }
  for (const photo of b.photos) {
    const subject = `photo ${photo.id} (${photo.caption ?? 'no caption'})`
    const signed = signedPhotos.get(photo.id)
    const problems: string[] = []
    if (!signed) problems.push('no valid signed fact names this photo')
    else {
      if (signed.sha256 !== photo.sha256) problems.push('its SHA-256 is not the one signed')
      if (signed.thumbSha256 !== photo.thumbSha256)
        problems.push('its thumbnail SHA-256 is not the one signed')
    }
    const decode = (text: string | null) => {
      try {
        return text === null ? null : fromBase64(text)
      } catch {
        return new Uint8Array(0)
      }
    }
    const thumb = decode(photo.thumb)
    if (!thumb || sha256Hex(thumb) !== photo.thumbSha256)
      problems.push('the thumbnail bytes do not match its hash')
    const full = decode(photo.full)
    if (full && sha256Hex(full) !== photo.sha256)
      problems.push('the photo bytes do not match the signed hash')
    findings.push({
      subject,
      holds: problems.length === 0,
      detail:
        problems.join('; ') ||
        `sha256 ${photo.sha256} signed; thumbnail checked${full ? ', original checked' : ', original still aboard'}`,
    })
  }
  return { ok: findings.every((f) => f.holds), findings }
}
