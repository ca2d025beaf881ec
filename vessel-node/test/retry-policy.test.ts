/**
 * The sync engine's retry policy on its own: backoff ceilings, the full-jitter range and the circuit
 * breaker's transitions.
 */
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import {
  backoffCeilingMs,
  CircuitBreaker,
  fullJitterDelayMs,
  RETRY_BASE_MS,
  RETRY_CAP_MS,
} from '../src/retry-policy.ts'

describe('backoff', () => {
  it('doubles from the base and stops at the cap', () => {
    expect(RETRY_BASE_MS).toBe(1_000)
    expect(RETRY_CAP_MS).toBe(300_000)
    expect([1, 2, 3, 4, 5].map((n) => backoffCeilingMs(n))).toEqual([1_000, 2_000, 4_000, 8_000, 16_000])
    expect(backoffCeilingMs(9)).toBe(256_000)
    expect(backoffCeilingMs(10)).toBe(RETRY_CAP_MS)
    expect(backoffCeilingMs(1_000_000)).toBe(RETRY_CAP_MS)
    expect(backoffCeilingMs(0)).toBe(RETRY_BASE_MS)
  })

  it('full jitter draws from [0, ceiling) for any attempt and any random value', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 200 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (attempt, r) => {
          const delay = fullJitterDelayMs(attempt, () => r)
          expect(delay).toBeGreaterThanOrEqual(0)
          expect(delay).toBeLessThan(backoffCeilingMs(attempt))
          expect(Number.isInteger(delay)).toBe(true)
        },
      ),
    )
  })

  it('spreads delays over the whole range (not just the ceiling)', () => {
    const delays = Array.from({ length: 2_000 }, () => fullJitterDelayMs(6))
    const ceiling = backoffCeilingMs(6)
    expect(Math.min(...delays)).toBeLessThan(ceiling * 0.1)
    expect(Math.max(...delays)).toBeGreaterThan(ceiling * 0.9)
    const mean = delays.reduce((a, b) => a + b, 0) / delays.length
    expect(mean).toBeGreaterThan(ceiling * 0.4)
    expect(mean).toBeLessThan(ceiling * 0.6)
  })

  it('honours custom base and cap', () => {
    expect(fullJitterDelayMs(3, () => 0.5, { baseMs: 10, capMs: 25 })).toBe(12)
    expect(fullJitterDelayMs(10, () => 0.999, { baseMs: 10, capMs: 25 })).toBe(24)
  })
})

describe('circuit breaker', () => {
  it('opens after the threshold, lets one probe through after the cool-down, closes on success', () => {
    const b = new CircuitBreaker({ failureThreshold: 3, cooldownMs: 100 })
    expect(b.state(0)).toBe('closed')
    b.onFailure(0)
    b.onFailure(1)
    expect(b.state(2)).toBe('closed')
    expect(b.allows(2)).toBe(true)
    b.onFailure(10)
    expect(b.state(11)).toBe('open')
    expect(b.allows(50)).toBe(false)
    expect(b.reopensAt(50)).toBe(110)
    expect(b.state(110)).toBe('half-open')
    expect(b.allows(110)).toBe(true)
    b.onSuccess()
    expect(b.state(111)).toBe('closed')
    expect(b.failures).toBe(0)
  })

  it('a failed probe opens it again for a full cool-down', () => {
    const b = new CircuitBreaker({ failureThreshold: 1, cooldownMs: 100 })
    b.onFailure(0)
    expect(b.allows(100)).toBe(true)
    b.onFailure(120)
    expect(b.state(121)).toBe('open')
    expect(b.allows(219)).toBe(false)
    expect(b.allows(220)).toBe(true)
  })

  it('a manual "Sync now" is let through as the probe', () => {
    const b = new CircuitBreaker({ failureThreshold: 1, cooldownMs: 1_000 })
    b.onFailure(0)
    expect(b.allows(10)).toBe(false)
    b.forceProbe()
    expect(b.allows(10)).toBe(true)
    b.onFailure(11)
    expect(b.allows(12)).toBe(false)
  })
})
