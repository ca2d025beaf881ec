/**
 * A voyage day of rounds on one long-lived connection (docs/protocol.md, "Compression on the
 * connection"): the real link code on loopback in logical time, a smaller fleet than the bench's.
 * Both sides converge, and compressing every frame with one context per connection costs well
 * under what the same day costs without it.
 */
import { describe, expect, it } from 'vitest'
import { modelDay } from '../bench/daily-bill-model.ts'

describe('a day of rounds on one connection', { timeout: 300_000 }, () => {
  it('converges, and one compression context for the connection costs at most 0.7× the day without', async () => {
    const day = { seed: 3, containers: 300, day: 1, log: () => undefined }
    const on = await modelDay(day)
    const off = await modelDay({ ...day, compress: false })
    expect(on.converged).toBe(true)
    expect(off.converged).toBe(true)
    expect(on.rounds).toBe(off.rounds)
    const total = (r: typeof on) => r.bytesUp + r.bytesDown
    console.log(
      `[day of rounds] ${on.events} events, ${on.rounds} rounds: ${total(on)} B, without: ${total(off)} B`,
    )
    expect(total(on)).toBeLessThan(total(off) * 0.7)
  })
})
