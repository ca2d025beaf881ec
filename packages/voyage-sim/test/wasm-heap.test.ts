import * as A from '@automerge/automerge'
import { describe, expect, it } from 'vitest'
import { reserveWasmHeap } from '../src/index.ts'

describe('reserveWasmHeap', () => {
  it('leaves Automerge working after the reserving load fails', () => {
    reserveWasmHeap(8)
    reserveWasmHeap(0)
    const doc = A.change(A.init<{ n: number }>(), (d) => {
      d.n = 1
    })
    expect(A.load<{ n: number }>(A.save(doc)).n).toBe(1)
  })
})
