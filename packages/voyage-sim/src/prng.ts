/**
 * A small seeded PRNG (mulberry32) with the few helpers the workload needs. Every stream is derived
 * from the seed and a label, so adding a new kind of event never shifts the values of another.
 */

/** mulberry32: a 32-bit state, fast, and good enough for synthetic workloads (not for secrets). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
}

/** FNV-1a over the parts, finished with a murmur-style mix so nearby labels give distant seeds. */
export function hashSeed(...parts: readonly (string | number)[]): number {
  let h = 0x811c9dc5
  for (const ch of parts.join('\u0000')) {
    h ^= ch.charCodeAt(0)
    h = Math.imul(h, 0x01000193)
  }
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

/** A deterministic random stream with the helpers the generators use. */
export class Rng {
  private readonly next: () => number

  constructor(seed: number) {
    this.next = mulberry32(seed)
  }

  /** A float in [0, 1). */
  float(): number {
    return this.next()
  }

  /** An integer in [min, max], both inclusive. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1))
  }

  chance(p: number): boolean {
    return this.next() < p
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list')
    return items[Math.floor(this.next() * items.length)]!
  }

  /** Picks by weight: `[[value, weight], ...]`. */
  weighted<T>(choices: readonly (readonly [T, number])[]): T {
    const total = choices.reduce((sum, [, w]) => sum + w, 0)
    let r = this.next() * total
    for (const [value, w] of choices) {
      r -= w
      if (r < 0) return value
    }
    return choices[choices.length - 1]![0]
  }

  /** A standard normal deviate (Box–Muller). */
  normal(): number {
    const u = 1 - this.next()
    const v = this.next()
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v)
  }

  /** A string of `length` decimal digits. */
  digits(length: number): string {
    let out = ''
    for (let i = 0; i < length; i++) out += String(Math.floor(this.next() * 10))
    return out
  }

  /** Fisher–Yates, in place; returns the array. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1))
      ;[items[i], items[j]] = [items[j]!, items[i]!]
    }
    return items
  }

  /** `count` distinct indices from [0, n), in random order. */
  sample(n: number, count: number): number[] {
    return this.shuffle(Array.from({ length: n }, (_, i) => i)).slice(0, Math.min(count, n))
  }
}

/** The stream for one purpose: the same seed and labels always give the same values. */
export function rngFor(seed: number, ...labels: readonly (string | number)[]): Rng {
  return new Rng(hashSeed(seed, ...labels))
}
