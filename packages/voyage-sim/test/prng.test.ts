import { describe, expect, it } from 'vitest'
import { hashSeed, mulberry32, rngFor } from '../src/index.ts'

describe('seeded PRNG', () => {
  it('repeats its sequence for a seed', () => {
    const a = mulberry32(42)
    const b = mulberry32(42)
    const xs = Array.from({ length: 100 }, () => a())
    expect(Array.from({ length: 100 }, () => b())).toEqual(xs)
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true)
    expect(new Set(xs).size).toBe(100)
  })

  it('gives different streams for different seeds and labels', () => {
    expect(mulberry32(1)()).not.toBe(mulberry32(2)())
    expect(hashSeed(1, 'customs', 0)).not.toBe(hashSeed(1, 'customs', 1))
    expect(rngFor(7, 'x').float()).toBe(rngFor(7, 'x').float())
  })

  it('draws integers inclusively and samples without repeats', () => {
    const rng = rngFor(3, 'test')
    const ints = Array.from({ length: 2_000 }, () => rng.int(1, 6))
    expect(new Set(ints)).toEqual(new Set([1, 2, 3, 4, 5, 6]))
    const sample = rng.sample(50, 20)
    expect(new Set(sample).size).toBe(20)
    expect(sample.every((i) => i >= 0 && i < 50)).toBe(true)
  })
})
