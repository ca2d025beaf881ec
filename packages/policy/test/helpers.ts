/** Fixtures shared by the policy tests. */
import * as A from '@automerge/automerge'
import { createContainerDoc } from '@tally/manifest'
import type { ContainerDoc } from '@tally/manifest'
import { crewPrincipal, MemoryActorRegistry, userPrincipal, vesselPrincipal } from '../src/index.ts'

export const KEY = { vessel: 'IMO9811000', voyage: '024E', containerId: 'CSQU3054383' }
export const IDENTITY = { ...KEY, isoType: '45R1' }
export const AT = '2026-11-22T10:00:00Z'
export const T = Date.parse(AT) / 1000

export const VESSEL = vesselPrincipal('IMO9811000')
export const BOSUN = crewPrincipal('IMO9811000', 'bosun')
export const ALICE = userPrincipal('alice', 'shore')
export const CAROL = userPrincipal('carol', 'customs')
export const BOSUN_ACTOR = 'b1'.repeat(16)
export const ALICE_ACTOR = 'b2'.repeat(16)
export const CAROL_ACTOR = 'b3'.repeat(16)

export function registry(): MemoryActorRegistry {
  return new MemoryActorRegistry([
    [BOSUN_ACTOR, BOSUN],
    [ALICE_ACTOR, ALICE],
    [CAROL_ACTOR, CAROL],
  ])
}

export type Doc = A.Doc<ContainerDoc>

export const genesis = (): Doc => createContainerDoc(KEY, '45R1')

/** `doc` after `edit` by `actor`, and the decoded changes it made. */
export function edit(doc: Doc, actor: string, fn: (d: ContainerDoc) => void, time = T) {
  const after = A.change(A.clone(doc, { actor: actor as A.ActorId }), { time }, fn)
  return { doc: after, changes: A.getChanges(doc, after).map((c) => A.decodeChange(c)) }
}

export const s = (v: string) => new A.ImmutableString(v)

/**
 * `n` reading-append changes by `actor`, made on the document's backend handle: the JS document API
 * re-materializes on every change, which makes thousands of them slow to build.
 */
export function readingChanges(doc: Doc, actor: string, n: number): A.DecodedChange[] {
  const replica = A.clone(doc, { actor: actor as A.ActorId })
  const backend = A.getBackend(replica)
  const readings = A.getObjectId(doc.reefer!.readings)!
  const start = Date.parse(AT)
  const out: A.DecodedChange[] = []
  for (let i = 0; i < n; i++) {
    const reading = backend.insertObject(readings, i, {})
    backend.put(reading, 'at', new Date(start + i * 3_600_000).toISOString())
    backend.put(reading, 'supplyC', -18)
    backend.put(reading, 'returnC', -17.5)
    backend.commit(null, T + i * 3600)
    out.push(A.decodeChange(backend.getLastLocalChange()!))
  }
  return out
}
