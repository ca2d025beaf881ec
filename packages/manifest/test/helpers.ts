/** Shared fixtures for the manifest tests. */
import type * as A from '@automerge/automerge'
import { createContainerDoc } from '../src/index.ts'
import type { ContainerDoc } from '../src/index.ts'

export const KEY = { vessel: 'IMO9811000', voyage: '024E', containerId: 'CSQU3054383' }
export const AT = '2026-11-22T10:00:00Z'

/** A reefer container replica written by `actor` (32 hex characters). */
export function reeferDoc(actor = 'ab'.repeat(16)): A.Doc<ContainerDoc> {
  return createContainerDoc(KEY, '45R1', actor)
}

/** A dry container replica. */
export function dryDoc(actor = 'cd'.repeat(16)): A.Doc<ContainerDoc> {
  return createContainerDoc({ ...KEY, containerId: 'MWCU6059784' }, '22G1', actor)
}

/** Runs `fn` and returns the error it throws, failing the test if it does not throw. */
export function thrown(fn: () => unknown): any {
  try {
    fn()
  } catch (err) {
    return err
  }
  throw new Error('expected an error')
}
