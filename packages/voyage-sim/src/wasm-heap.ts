/**
 * A workaround for building many documents in one process. V8 runs a full garbage collection on
 * every growth of a WebAssembly memory, and Automerge's allocator grows its heap 64 KB at a time, so
 * a process that creates thousands of documents spends most of its time collecting garbage (the
 * cost grows with the JS heap, so the total is roughly quadratic). Reserving the heap up front makes
 * it grow once.
 */
import * as A from '@automerge/automerge'

/**
 * Grows Automerge's WebAssembly heap by about `megabytes` in one step: loading a zero-filled buffer
 * copies it into the heap, the load fails on the missing header, and the freed buffer stays with
 * the allocator for later documents. The pages are touched, so this costs real memory. Meant for
 * benchmarks and tests; a no-op for 0.
 */
export function reserveWasmHeap(megabytes: number): void {
  if (!(megabytes > 0)) return
  try {
    A.load(new Uint8Array(Math.round(megabytes * 1_048_576)))
  } catch {
    // Expected: zeros are not an Automerge document. The allocation is what we wanted.
  }
}
