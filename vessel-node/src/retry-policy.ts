/**
 * How the sync engine spaces its attempts when the relay cannot be reached: capped exponential
 * backoff with full jitter, and a circuit breaker that stops it hammering a relay that is down.
 *
 * Why both: full jitter spreads reconnects over [0, ceiling), so a fleet coming back from an outage
 * does not stampede the relay, but it also means a single retry may come almost at once. The breaker
 * puts a floor under that once the failures are clearly not transient: after
 * {@link BREAKER_FAILURE_THRESHOLD} failures in a row it opens, and only one probe is let through
 * per {@link BREAKER_COOLDOWN_MS}.
 */

/** First backoff ceiling: the link often blinks for a second or two. */
export const RETRY_BASE_MS = 1_000
/** Largest backoff ceiling: a satellite outage can last hours, but crew expect a try every few minutes. */
export const RETRY_CAP_MS = 5 * 60_000
/** Failed attempts in a row before the engine reports FAILED (it still probes, slowly). */
export const RETRY_LIMIT = 10
/** Consecutive failures that open the circuit breaker. */
export const BREAKER_FAILURE_THRESHOLD = 5
/** How long an open breaker refuses attempts before it lets one probe through (half-open). */
export const BREAKER_COOLDOWN_MS = 60_000

export interface BackoffOptions {
  baseMs: number
  capMs: number
}

/**
 * The backoff ceiling before retry number `attempt` (1 for the first retry): base · 2^(attempt-1),
 * capped. Computed without overflow for any attempt count.
 */
export function backoffCeilingMs(
  attempt: number,
  o: BackoffOptions = { baseMs: RETRY_BASE_MS, capMs: RETRY_CAP_MS },
): number {
  const exponent = Math.max(0, Math.min(attempt - 1, 52))
  return Math.min(o.capMs, o.baseMs * 2 ** exponent)
}

/**
 * "Full jitter" (AWS Architecture Blog, *Exponential Backoff and Jitter*): a delay drawn uniformly
 * from [0, ceiling). `random` returns a number in [0, 1), like Math.random.
 */
export function fullJitterDelayMs(
  attempt: number,
  random: () => number = Math.random,
  o: BackoffOptions = { baseMs: RETRY_BASE_MS, capMs: RETRY_CAP_MS },
): number {
  const r = Math.min(Math.max(random(), 0), 1 - Number.EPSILON)
  return Math.floor(r * backoffCeilingMs(attempt, o))
}

export type BreakerState = 'closed' | 'open' | 'half-open'

export interface CircuitBreakerOptions {
  failureThreshold: number
  cooldownMs: number
}

/**
 * A circuit breaker over "can we reach the relay". Closed: attempts go through. Open: attempts are
 * refused until the cool-down has passed, then the breaker is half-open and lets one probe through;
 * the probe's success closes it, its failure opens it again for another cool-down.
 */
export class CircuitBreaker {
  private current: BreakerState = 'closed'
  private consecutiveFailures = 0
  private openedAt = 0

  constructor(
    private readonly o: CircuitBreakerOptions = {
      failureThreshold: BREAKER_FAILURE_THRESHOLD,
      cooldownMs: BREAKER_COOLDOWN_MS,
    },
  ) {}

  /** The state at time `now` (an open breaker whose cool-down has passed reads as half-open). */
  state(now: number): BreakerState {
    if (this.current === 'open' && now >= this.openedAt + this.o.cooldownMs) return 'half-open'
    return this.current
  }

  get failures(): number {
    return this.consecutiveFailures
  }

  /** Whether an attempt may start at `now`; an attempt through a half-open breaker is the probe. */
  allows(now: number): boolean {
    const s = this.state(now)
    if (s === 'half-open') this.current = 'half-open'
    return s !== 'open'
  }

  /** When an open breaker will let a probe through, or null if it is not open at `now`. */
  reopensAt(now: number): number | null {
    return this.state(now) === 'open' ? this.openedAt + this.o.cooldownMs : null
  }

  onSuccess(): void {
    this.current = 'closed'
    this.consecutiveFailures = 0
  }

  onFailure(now: number): void {
    this.consecutiveFailures++
    if (this.current === 'half-open' || this.consecutiveFailures >= this.o.failureThreshold) {
      this.current = 'open'
      this.openedAt = now
    }
  }

  /** Crew pressed "Sync now": one manual attempt goes through as the probe, whatever the cool-down. */
  forceProbe(): void {
    if (this.current === 'open') this.current = 'half-open'
  }
}
