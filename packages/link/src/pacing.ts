/**
 * When a long-lived (version 3) link moves what it holds: a batching window per priority class on
 * each side, and a sparse keepalive while nothing changes (docs/protocol.md, "Rounds").
 *
 * A change starts a clock of its class's window; when the earliest clock runs out, the side starts a
 * round (the vessel) or pokes the vessel (the relay), and that round carries everything pending on
 * both sides, whatever its class. So a burst of readings travels as one compressed batch an hour,
 * and a damage report still crosses within seconds.
 */
import type { LinkSettings, Priority } from './messages.ts'

/**
 * Default windows in seconds, [critical, normal, routine]. Critical: a couple of seconds so that an
 * alarm and the note typed after it travel together, well inside the 60 s bound. Normal: 14 minutes,
 * so a normal change arrives within the 15-minute bound with a minute to spare for the round (a
 * round takes seconds). Routine (reefer readings): 50 minutes, inside the one-hour bound.
 *
 * The normal window sets the day's bill more than anything else: normal edits come every minute or
 * two all day, so a round runs about once a window, and each round costs its frames, TLS records
 * and each document's entry again. On the standard day (docs/benchmarks.md, "The whole day") 600 s
 * gave 128 rounds, 840 s gives 101 and about 10 % fewer bytes.
 */
export const DEFAULT_WINDOWS_S: readonly [number, number, number] = [2, 840, 3_000]
/**
 * Default keepalive: a WebSocket ping (6 bytes, and a 2-byte pong) after this long without any
 * traffic. Satellite terminals and firewalls commonly drop TCP flows idle for 10 minutes or more, so
 * 8 minutes keeps a flow alive. It is more than half the normal window on purpose: in a working day
 * rounds come about every 15 minutes, and one keepalive between two rounds is enough (at 240 s there
 * were two, about 290 a day). Behind a stricter middlebox (a cloud load balancer's 4-minute idle
 * timeout, say) an operator sets a shorter one per vessel; a vessel node also learns one from the
 * connections such a middlebox drops (vessel-node/src/idle-drops.ts).
 */
export const DEFAULT_KEEPALIVE_S = 480
/**
 * Either side gives up on a silent connection after this many keepalive intervals: the relay
 * always, the vessel unless the keepalive is one-way (then {@link ONE_WAY_VESSEL_MISSES}).
 */
export const KEEPALIVE_MISSES = 2.5
/**
 * One-way keepalive (the hello's and the first welcome's `h`, docs/protocol.md, "Rounds"): the
 * vessel's keepalive is an unsolicited WebSocket pong, which the relay does not answer, unless the
 * vessel has heard nothing from the relay for this many keepalive intervals; then it is a ping, as
 * without `h`, and the relay's pong proves the relay is still there. In a working day the relay
 * speaks in every round (every 15 minutes or so), so nearly every keepalive goes without an answer,
 * and the answers were about half of what the quiet link cost over TLS (a 2-byte pong in a 22-byte
 * TLS record).
 */
export const ONE_WAY_PING_AFTER = 2
/**
 * With one-way keepalive the vessel gives up after this many intervals with nothing inbound: its
 * ping goes out after {@link ONE_WAY_PING_AFTER}, and has a whole interval more to be answered. The
 * relay's limit stays {@link KEEPALIVE_MISSES}: the vessel still sends something every interval.
 */
export const ONE_WAY_VESSEL_MISSES = 3
/** Longest window or keepalive an operator may set: one day. */
export const MAX_PACING_S = 86_400

export const DEFAULT_LINK_SETTINGS: LinkSettings = { w: [...DEFAULT_WINDOWS_S], ka: DEFAULT_KEEPALIVE_S }

/** Whether a window or keepalive value in seconds is acceptable (0 means "at once" for a window). */
export const validPacingSeconds = (n: number): boolean => Number.isInteger(n) && n >= 0 && n <= MAX_PACING_S

/** How long a silent connection is kept before it is taken for dead, in ms (the relay's limit). */
export const idleLimitMs = (settings: LinkSettings): number =>
  Math.max(1, settings.ka) * 1000 * KEEPALIVE_MISSES

/** How long the vessel keeps a connection with nothing inbound, in ms: longer when one-way. */
export const vesselIdleLimitMs = (keepaliveMs: number, oneWay: boolean): number =>
  keepaliveMs * (oneWay ? ONE_WAY_VESSEL_MISSES : KEEPALIVE_MISSES)

/**
 * Whether the vessel's keepalive due after `quietIntervals` whole keepalive intervals with nothing
 * heard from the relay must ask for an answer (a ping) or may go unanswered (an unsolicited pong).
 */
export const keepaliveAsksAnswer = (quietIntervals: number, oneWay: boolean): boolean =>
  !oneWay || quietIntervals >= ONE_WAY_PING_AFTER

/**
 * The earliest deadline among changes waiting for a round: {@link note} a change of a class and
 * {@link due} tells when the round must start; {@link clear} once a round has taken everything.
 */
export class BatchClock {
  private dueAt: number | null = null
  private top: Priority | null = null

  constructor(private windowsS: readonly [number, number, number]) {}

  setWindows(windowsS: readonly [number, number, number]): void {
    this.windowsS = windowsS
  }

  get windows(): readonly [number, number, number] {
    return this.windowsS
  }

  /** A change of class `p` at `now` (ms): returns true when this moved the deadline earlier. */
  note(p: Priority, now: number): boolean {
    const at = now + this.windowsS[p] * 1000
    if (this.top === null || p < this.top) this.top = p
    if (this.dueAt !== null && this.dueAt <= at) return false
    this.dueAt = at
    return true
  }

  /** When the next round must start (ms), or null when nothing is waiting. */
  get due(): number | null {
    return this.dueAt
  }

  /** The most urgent class waiting, or null. */
  get priority(): Priority | null {
    return this.top
  }

  clear(): void {
    this.dueAt = null
    this.top = null
  }
}
