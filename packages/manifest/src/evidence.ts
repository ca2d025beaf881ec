/**
 * Evidence a third party can verify (docs/photos.md, "Evidence"): the vessel signs each damage
 * report, seal finding, reefer alarm and photo hash with its Ed25519 key when the crew records it.
 * The signed message binds the fact to its container, voyage and time, so a signature cannot be
 * moved to another box or another day.
 */
import { ed25519 } from '@noble/curves/ed25519.js'
import type { ContainerKey } from './genesis.ts'
import { toHex } from './photos.ts'
import type { EvidenceEntry, EvidenceKind } from './photos.ts'

const encoder = new TextEncoder()

/** The exact bytes an evidence entry's signature covers. */
export function evidenceMessage(key: ContainerKey, e: Omit<EvidenceEntry, 'sig' | 'key'>): Uint8Array {
  return encoder.encode(
    [
      'tally/evidence/v1',
      key.vessel,
      key.voyage,
      key.containerId,
      e.id,
      e.kind,
      e.at,
      e.by,
      e.crew,
      e.supersedes ?? '',
      e.fact,
    ].join('\n'),
  )
}

export function fromHex(text: string): Uint8Array {
  if (!/^(?:[0-9a-f]{2})*$/.test(text)) throw new Error('not hex')
  const out = new Uint8Array(text.length / 2)
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.slice(i * 2, i * 2 + 2), 16)
  return out
}

/** A vessel's signing key pair: 32-byte secret, 32-byte public key. */
export interface SigningKey {
  secretKey: Uint8Array
  publicKey: Uint8Array
}

export function newSigningKey(): SigningKey {
  const secretKey = ed25519.utils.randomSecretKey()
  return { secretKey, publicKey: ed25519.getPublicKey(secretKey) }
}

export interface EvidenceFact {
  id: string
  kind: EvidenceKind
  at: string
  by: string
  crew: string
  fact: unknown
  supersedes?: string | null
}

/** Signs a fact as the vessel. */
export function signEvidence(key: ContainerKey, signer: SigningKey, f: EvidenceFact): EvidenceEntry {
  const unsigned = {
    id: f.id,
    kind: f.kind,
    at: f.at,
    by: f.by,
    crew: f.crew,
    fact: JSON.stringify(f.fact),
    supersedes: f.supersedes ?? null,
  }
  const sig = ed25519.sign(evidenceMessage(key, unsigned), signer.secretKey)
  return { ...unsigned, key: toHex(signer.publicKey), sig: toHex(sig) }
}

/** True when the entry's signature is valid for `publicKeyHex`. */
export function verifyEvidence(key: ContainerKey, e: EvidenceEntry, publicKeyHex: string): boolean {
  try {
    return ed25519.verify(fromHex(e.sig), evidenceMessage(key, e), fromHex(publicKeyHex))
  } catch {
    return false
  }
}
