/**
 * The vessel's evidence signatures (docs/photos.md, "Evidence"): one Ed25519 key per vessel node,
 * made at `add-crew` or at first start, and the signed facts a crew edit records. A correction is a
 * new fact that names the one it supersedes; nothing is erased.
 */
import type * as A from '@automerge/automerge'
import { evidenceOf, newSigningKey, signEvidence, toHex, toPlain } from '@tally/manifest'
import type { ContainerDoc, ContainerKey, EvidenceEntry, EvidenceKind, SigningKey } from '@tally/manifest'
import type { PhotoStore } from '@tally/storage-sqlite'
import { fromHex } from '@tally/manifest'

/** The vessel's signing key, made and stored on first use. */
export function vesselSigningKey(photos: PhotoStore): SigningKey {
  const stored = photos.signingKey()
  if (stored) return { secretKey: stored.secretKey, publicKey: fromHex(stored.publicKey) }
  const made = newSigningKey()
  const kept = photos.keepSigningKey(toHex(made.publicKey), made.secretKey)
  return { secretKey: kept.secretKey, publicKey: fromHex(kept.publicKey) }
}

/** The facts a damage report, a seal finding and a reefer alarm are, read from a document. */
function factsOf(doc: A.Doc<ContainerDoc>): Record<Exclude<EvidenceKind, 'photo'>, unknown> {
  const physical = toPlain(doc.physical) as Record<string, unknown>
  const reefer = toPlain(doc.reefer) as { alarm: unknown } | null
  return {
    damage: { condition: physical.condition, damage: physical.damage },
    seal: { sealIntact: physical.sealIntact, observedSeal: physical.observedSeal },
    alarm: { alarm: reefer?.alarm ?? null },
  }
}

export interface Recorder {
  vessel: string
  crew: string
  signer: SigningKey
  now: string
}

/** Signs one fact, superseding the latest of its kind on the same subject. */
export function signFact(
  doc: A.Doc<ContainerDoc>,
  key: ContainerKey,
  r: Recorder,
  kind: EvidenceKind,
  fact: unknown,
): EvidenceEntry {
  const earlier =
    kind === 'photo'
      ? undefined
      : evidenceOf(doc)
          .filter((e) => e.kind === kind)
          .at(-1)
  // The ID is derived from the fact (evidenceIdFor), so the link need not send it.
  return signEvidence(key, r.signer, {
    kind,
    at: r.now,
    by: r.vessel,
    crew: r.crew,
    fact,
    supersedes: earlier?.id ?? null,
  })
}

/**
 * The signed facts an edit recorded: each of damage, seal and alarm whose value changed from
 * `before` to `after`. Clearing a finding (repaired, alarm cleared) is a fact too.
 */
export function evidenceForEdit(
  before: A.Doc<ContainerDoc>,
  after: A.Doc<ContainerDoc>,
  key: ContainerKey,
  r: Recorder,
): EvidenceEntry[] {
  const was = factsOf(before)
  const now = factsOf(after)
  const out: EvidenceEntry[] = []
  for (const kind of ['damage', 'seal', 'alarm'] as const)
    if (JSON.stringify(was[kind]) !== JSON.stringify(now[kind]))
      out.push(signFact(after, key, r, kind, now[kind]))
  return out
}
