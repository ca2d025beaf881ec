/**
 * Evidence a third party can verify (docs/photos.md, "Evidence"): the vessel signs each damage
 * report, seal finding, reefer alarm and photo hash with its Ed25519 key when the crew records it.
 * The signed message binds the fact to its container, voyage and time, so a signature cannot be
 * moved to another box or another day.
 */
import { ed25519 } from '@noble/curves/ed25519.js'
import { sha256 } from '@noble/hashes/sha2'
import type { ContainerKey } from './genesis.ts'
import { toHex } from './photos.ts'
import type { EvidenceEntry, EvidenceKind } from './photos.ts'

const encoder = new TextEncoder()

/**
 * A fact about a container as text: a format tag, the container, one field that names the fact
 * (its ID, or the key that signs it), then what it says, one per line.
 */
function factText(
  tag: string,
  key: ContainerKey,
  name: string,
  e: Omit<EvidenceEntry, 'id' | 'key' | 'sig'>,
) {
  const { vessel, voyage, containerId } = key
  return [
    tag,
    vessel,
    voyage,
    containerId,
    name,
    e.kind,
    e.at,
    e.by,
    e.crew,
    e.supersedes ?? '',
    e.fact,
  ].join('\n')
}

/** The exact bytes an evidence entry's signature covers. */
export function evidenceMessage(key: ContainerKey, e: Omit<EvidenceEntry, 'sig' | 'key'>): Uint8Array {
  return encoder.encode(factText('tally/evidence/v1', key, e.id, e))
}

/** A UUID (version 8, RFC 9562 custom) from the SHA-256 of `name`: the same name, the same ID. */
export function stableUuid(name: string): string {
  const b = sha256(encoder.encode(name)).subarray(0, 16)
  b[6] = (b[6]! & 0x0f) | 0x80
  b[8] = (b[8]! & 0x3f) | 0x80
  const h = toHex(b)
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
}

/**
 * An evidence entry's ID, derived from everything the entry says but its signature: the container,
 * the signing key, kind, time, recorder, fact and the entry it supersedes. Two facts differ in at
 * least one of those, so they get different IDs, and the link need not send an ID the receiver can
 * derive (docs/protocol.md, "Map runs"). A random 16-byte ID was the largest part of a signed
 * finding on the wire after the signature.
 */
export function evidenceIdFor(key: ContainerKey, e: Omit<EvidenceEntry, 'id' | 'sig'>): string {
  return stableUuid(factText('tally/evidence-id/v1', key, e.key, e))
}

/** The ID {@link evidenceIdFor} derives for `values`, if they are an evidence entry's fields. */
export function derivedEvidenceId(key: ContainerKey, values: Record<string, unknown>): string | undefined {
  const names = Object.keys(values).sort().join()
  if (names !== 'at,by,crew,fact,id,key,kind,sig,supersedes') return undefined
  const { at, by, crew, fact, key: signer, kind, supersedes } = values
  const strings = [at, by, crew, fact, signer, kind].every((v) => typeof v === 'string')
  if (!strings || (supersedes !== null && typeof supersedes !== 'string')) return undefined
  return evidenceIdFor(key, values as unknown as EvidenceEntry)
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
  /** Derived from the rest ({@link evidenceIdFor}) when not given. */
  id?: string
  kind: EvidenceKind
  at: string
  by: string
  crew: string
  fact: unknown
  supersedes?: string | null
}

/** Signs a fact as the vessel. */
export function signEvidence(key: ContainerKey, signer: SigningKey, f: EvidenceFact): EvidenceEntry {
  const fields = {
    kind: f.kind,
    at: f.at,
    by: f.by,
    crew: f.crew,
    fact: JSON.stringify(f.fact),
    supersedes: f.supersedes ?? null,
    key: toHex(signer.publicKey),
  }
  const unsigned = { id: f.id ?? evidenceIdFor(key, fields), ...fields }
  const sig = ed25519.sign(evidenceMessage(key, unsigned), signer.secretKey)
  return { ...unsigned, sig: toHex(sig) }
}

/** True when the entry's signature is valid for `publicKeyHex`. */
export function verifyEvidence(key: ContainerKey, e: EvidenceEntry, publicKeyHex: string): boolean {
  try {
    return ed25519.verify(fromHex(e.sig), evidenceMessage(key, e), fromHex(publicKeyHex))
  } catch {
    return false
  }
}
