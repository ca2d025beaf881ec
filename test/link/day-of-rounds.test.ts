/**
 * A voyage day of rounds on one long-lived connection (docs/protocol.md, "Compression on the
 * connection"): the real link code on loopback in logical time, a smaller fleet than the bench's.
 * Both sides converge, and compressing every frame with one context per connection costs well
 * under what the same day costs without it.
 */
import { describe, expect, it } from 'vitest'
import { keepaliveCost, modelDay } from '../bench/daily-bill-model.ts'

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
    // Rounds come about every normal window, mostly within 2 keepalive intervals of each other: the
    // relay was heard lately, so most keepalives go one-way (docs/protocol.md, "Rounds").
    expect(on.keepaliveBytes).toBeGreaterThan(0)
    expect(on.keepaliveBytes).toBeLessThan(on.keepaliveBytesTwoWay)
  })

  it('prices a quiet stretch’s keepalives one-way: a ping and its pong only every second one', () => {
    // 5 intervals after the relay's fin: pong, ping (answered: the count starts again), pong, ping, pong.
    expect(keepaliveCost(5, true, 0)).toEqual({ up: 5 * 6, down: 2 * 2 })
    expect(keepaliveCost(1, true, 22)).toEqual({ up: 6 + 22, down: 0 })
    expect(keepaliveCost(5, false, 22)).toEqual({ up: 5 * 28, down: 5 * 24 })
  })
})
