import { describe, expect, it } from 'vitest'
import { IdleDropLearner, MIN_LEARNED_KEEPALIVE_S } from '../src/idle-drops.ts'

describe('learning a middlebox idle timeout from dropped connections', () => {
  it('shortens the keepalive after two drops after about the same quiet time', () => {
    const learner = new IdleDropLearner()
    expect(learner.observe({ quietMs: 60_400, keepaliveS: 480 })).toBeNull()
    expect(learner.observe({ quietMs: 61_000, keepaliveS: 480 })).toBe(36)
    expect(learner.keepaliveS).toBe(36)
    // A shorter timeout later (another path) shortens it again; never lengthens it.
    expect(learner.observe({ quietMs: 40_000, keepaliveS: 36 })).toBeNull()
    expect(learner.observe({ quietMs: 30_000, keepaliveS: 36 })).toBeNull()
    expect(learner.observe({ quietMs: 30_500, keepaliveS: 36 })).toBe(18)
  })

  it('takes drops after different quiet times for blinks of the link', () => {
    const learner = new IdleDropLearner()
    expect(learner.observe({ quietMs: 50_000, keepaliveS: 480 })).toBeNull()
    expect(learner.observe({ quietMs: 200_000, keepaliveS: 480 })).toBeNull()
    expect(learner.observe({ quietMs: 90_000, keepaliveS: 480 })).toBeNull()
    expect(learner.keepaliveS).toBeNull()
  })

  it('learns nothing from a drop after a whole keepalive of quiet, or from a path that drops within seconds', () => {
    const learner = new IdleDropLearner()
    for (let i = 0; i < 3; i++) expect(learner.observe({ quietMs: 480_000, keepaliveS: 480 })).toBeNull()
    const tooQuick = ((MIN_LEARNED_KEEPALIVE_S / 0.6) * 1000) / 2
    for (let i = 0; i < 3; i++) expect(learner.observe({ quietMs: tooQuick, keepaliveS: 480 })).toBeNull()
    expect(learner.keepaliveS).toBeNull()
  })
})
