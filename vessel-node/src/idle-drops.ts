/**
 * Learns a middlebox's idle timeout from the connections it closes (docs/protocol.md, "Rounds").
 *
 * A satellite terminal, NAT or load balancer forgets a flow after some time with nothing crossing
 * (a cloud load balancer's default can be a minute). Behind one whose timeout is shorter than the
 * keepalive, the long-lived connection dies in every quiet spell, and the vessel pays a reconnect,
 * a handshake and a round each time: with the default 480 s keepalive behind a 60 s timeout, about
 * a thousand times a day. The vessel sees this as a connection closed without a close frame
 * between rounds, after a quiet time shorter than its keepalive. Two such drops after about the
 * same quiet time are a pattern, not a blink of the satellite link: the keepalive is cut to
 * {@link IDLE_DROP_MARGIN} of that time and stays so while the node runs.
 */

/** The learned keepalive, as a share of the quiet time after which the path dropped the connection. */
export const IDLE_DROP_MARGIN = 0.6
/** Two quiet times within this share of each other count as the same timeout. */
export const IDLE_DROP_SIMILAR = 0.25
/**
 * The shortest keepalive learned, in seconds. A path that drops flows quieter than
 * MIN_LEARNED_KEEPALIVE_S / IDLE_DROP_MARGIN seconds is not learned from: keepalives that often
 * would cost more than the reconnects, and the operator should see the drops instead.
 */
export const MIN_LEARNED_KEEPALIVE_S = 15

export interface IdleDrop {
  /** How long nothing had crossed either way when the connection closed, in ms. */
  quietMs: number
  /** The keepalive the connection had, in seconds. */
  keepaliveS: number
}

export class IdleDropLearner {
  private candidate: number | null = null
  private learned: number | null = null

  constructor(private readonly minKeepaliveS = MIN_LEARNED_KEEPALIVE_S) {}

  /** The keepalive learned so far in seconds, or null. */
  get keepaliveS(): number | null {
    return this.learned
  }

  /**
   * A connection the path closed between rounds. Returns the keepalive to use from now on when this
   * drop completes a pattern (and it is shorter than what was in use), else null.
   */
  observe({ quietMs, keepaliveS }: IdleDrop): number | null {
    const quietS = quietMs / 1000
    // A drop after a whole keepalive interval of quiet is the link, not an idle timeout we can beat.
    if (quietS >= keepaliveS || quietS * IDLE_DROP_MARGIN < this.minKeepaliveS) {
      this.candidate = null
      return null
    }
    const previous = this.candidate
    this.candidate = quietS
    if (previous === null || Math.abs(quietS - previous) > IDLE_DROP_SIMILAR * Math.max(quietS, previous))
      return null
    const next = Math.max(this.minKeepaliveS, Math.floor(Math.min(quietS, previous) * IDLE_DROP_MARGIN))
    if (next >= keepaliveS) return null
    this.learned = next
    this.candidate = null
    return next
  }
}
