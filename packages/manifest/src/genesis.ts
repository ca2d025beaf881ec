/**
 * Deterministic document creation. The same (vessel, voyage, containerId) gives the same document ID
 * and a byte-identical genesis change on every replica, so a container created at sea and ashore while
 * apart is one document when they meet. The genesis change carries the fixed fields and every section
 * with its defaults, which also gives each section object a predictable object ID.
 */
import * as A from '@automerge/automerge'
import { stringifyAutomergeUrl, parseAutomergeUrl } from '@automerge/automerge-repo'
import type { AutomergeUrl, DocumentId } from '@automerge/automerge-repo'
import { sha256 } from '@noble/hashes/sha2'
import { isReeferType } from './catalog.ts'
import { invalid } from './errors.ts'
import { FIELDS } from './catalog.ts'
import type { ContainerDoc } from './schema.ts'
import { SCHEMA_VERSION } from './schema.ts'

export interface ContainerKey {
  vessel: string
  voyage: string
  containerId: string
}

const encoder = new TextEncoder()
const keyDigest = (key: ContainerKey): Uint8Array =>
  sha256(encoder.encode(`tally/container/v1\n${key.vessel}\n${key.voyage}\n${key.containerId}`))

const toHex = (bytes: Uint8Array): string =>
  Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')

/** The actor of the genesis change: derived from the key, never used for anything else. */
export function genesisActor(key: ContainerKey): string {
  return toHex(keyDigest(key).slice(16, 32))
}

/** The automerge-repo URL of a container's document. */
export function documentUrlFor(key: ContainerKey): AutomergeUrl {
  return stringifyAutomergeUrl(keyDigest(key).slice(0, 16) as never)
}

export function documentIdFor(key: ContainerKey): DocumentId {
  return parseAutomergeUrl(documentUrlFor(key)).documentId
}

/** Validates the fixed fields, naming the first one that is wrong. */
export function checkIdentity(key: ContainerKey & { isoType: string }): void {
  for (const name of ['containerId', 'vessel', 'voyage', 'isoType'] as const) {
    const spec = FIELDS.find((f) => f.path === name)!
    const problem = spec.validate(key[name])
    if (problem) throw invalid(name, problem)
  }
}

const s = (v: string) => new A.ImmutableString(v)

/**
 * The genesis document of a container. Time 0 and the derived actor make it byte-identical
 * wherever it is created.
 */
export function genesisDoc(key: ContainerKey, isoType: string): A.Doc<ContainerDoc> {
  checkIdentity({ ...key, isoType })
  const doc = A.init<ContainerDoc>({ actor: genesisActor(key) as A.ActorId })
  return A.change(doc, { time: 0 }, (d) => {
    d.schema = SCHEMA_VERSION
    d.containerId = s(key.containerId)
    d.vessel = s(key.vessel)
    d.voyage = s(key.voyage)
    d.isoType = s(isoType)
    d.cargo = {
      booking: null,
      billOfLading: null,
      shipper: null,
      consignee: null,
      pol: null,
      pod: null,
      vgmKg: null,
      declaredSeal: null,
      dg: null,
      reeferSetpointC: null,
    }
    d.customs = { status: s('PENDING'), declaration: null, hsCodes: [], holdReason: null }
    d.physical = {
      state: s('PLANNED'),
      stowage: null,
      condition: s('OK'),
      damage: null,
      sealIntact: true,
      observedSeal: null,
      lashingCheckedAt: null,
      lastInspectedAt: null,
      dgIncident: null,
    }
    d.reefer = isReeferType(isoType) ? { actualSetpointC: null, alarm: null, readings: [] } : null
    d.notes = ''
    d.proposals = []
  })
}

/** The hash of the genesis change, which policy uses to recognise a legitimate genesis. */
export function genesisHash(key: ContainerKey, isoType: string): string {
  return A.getHeads(genesisDoc(key, isoType))[0]!
}

/** A fresh replica of the genesis, writable by `actor`. */
export function createContainerDoc(key: ContainerKey, isoType: string, actor?: string): A.Doc<ContainerDoc> {
  const genesis = genesisDoc(key, isoType)
  return A.clone(genesis, actor ? { actor: actor as A.ActorId } : undefined)
}
