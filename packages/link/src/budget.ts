/**
 * Daily byte budgets on the sender's side (docs/operations.md: "once it is spent, only critical changes are
 * sent"). The relay puts the bytes a vessel may still move today (both ways) in `welcome.budget`;
 * each side's session passes every chunk it packs through a {@link BudgetGate} (the lazy form of
 * {@link withinBudget}, which does the same for a planned list):
 * - critical chunks always go, whatever the budget (damage, broken seal, reefer alarm, DG, hold);
 * - then normal and routine chunks, in their order, while the running total fits the budget;
 * - the first chunk that does not fit ends the send list: nothing of a lower class overtakes it.
 *
 * Deferred chunks are simply not sent: their entries are never acknowledged, so cursors stay where
 * they are and the next session (after 00:00 UTC, or once an operator raises the budget) plans
 * them again. Because packChunks numbers chunks in order and critical chunks come first, the send
 * list is a prefix of the plan and `seq` stays contiguous (the receiver's `done` count still holds).
 */
import type { PlannedChunk } from './changeset.ts'
import type { Priority } from './messages.ts'

/** CBOR framing around a chunk's data and checksum: `t`, `seq`, `p`, `sha`, `data` keys and headers. */
export const CHUNK_FRAME_OVERHEAD_BYTES = 48

/** What {@link withinBudget} decided. */
export interface BudgetSplit {
  /** Chunks to send, in order (a prefix of the plan). */
  send: PlannedChunk[]
  /** Chunks left for a later session. */
  deferred: PlannedChunk[]
  /** Wire bytes of the chunks to send (frames, roughly). */
  sendBytes: number
  /** Changes held back, by priority (critical is always 0). */
  deferredChanges: Record<Priority, number>
  /** True when the budget held anything back: both sides show "critical only". */
  limited: boolean
}

/** Approximate wire size of a chunk's frame. */
export const chunkWireBytes = (chunk: PlannedChunk): number =>
  chunk.frame.data.length + chunk.frame.sha.length + CHUNK_FRAME_OVERHEAD_BYTES

/**
 * Splits a planned outbox by a budget in bytes; `null` (no budget configured) sends everything.
 * A negative budget counts as 0.
 */
export function withinBudget(chunks: PlannedChunk[], budget: number | null): BudgetSplit {
  const deferredChanges: Record<Priority, number> = { 0: 0, 1: 0, 2: 0 }
  const all = (): BudgetSplit => ({
    send: chunks,
    deferred: [],
    sendBytes: chunks.reduce((n, c) => n + chunkWireBytes(c), 0),
    deferredChanges,
    limited: false,
  })
  if (budget === null) return all()
  let left = Math.max(0, budget)
  let sendBytes = 0
  let cut = chunks.length
  for (let i = 0; i < chunks.length; i++) {
    const chunk = chunks[i]!
    const size = chunkWireBytes(chunk)
    if (chunk.priority === 0) {
      // Critical changes cross the link even on an empty budget: they are why the link exists.
      left -= size
      sendBytes += size
      continue
    }
    if (size > left) {
      cut = i
      break
    }
    left -= size
    sendBytes += size
  }
  if (cut === chunks.length) return { ...all(), sendBytes }
  const send = chunks.slice(0, cut)
  const deferred = chunks.slice(cut)
  // A critical chunk after the cut would break the prefix rule (and be held back). packChunks sorts
  // by priority, so only a hand-made plan can get here: a programming error, said loudly.
  const lateCritical = deferred.filter((c) => c.priority === 0)
  if (lateCritical.length > 0)
    throw new RangeError('withinBudget expects critical chunks first (as packChunks orders them)')
  for (const c of deferred) deferredChanges[c.priority] += c.changeCount
  return { send, deferred, sendBytes, deferredChanges, limited: true }
}

/**
 * The same rule for a sender that packs chunks one at a time (`ChunkPacker.next()`): ask
 * {@link BudgetGate.admit} before sending each chunk; once it answers false the sender stops packing
 * and sends `done` with the chunks sent so far. Chunks come out of the packer critical first, so the
 * gate closes only on a normal or routine chunk and never holds back a critical one.
 */
export class BudgetGate {
  private left: number
  private closed = false
  /** Wire bytes admitted so far. */
  sentBytes = 0
  /** Changes of the first chunk refused (the rest were never packed, so their count is unknown). */
  heldBack = 0

  constructor(readonly budget: number | null) {
    this.left = budget === null ? Infinity : Math.max(0, budget)
  }

  /** True when the budget held something back in this session. */
  get limited(): boolean {
    return this.closed
  }

  /**
   * Counts bytes that crossed the link without passing the gate: frames this side received (the
   * peer's chunks and acks) and its own small frames. The budget covers both directions, and both
   * sides send at once, so each sender charges what it sees of the other's traffic as it arrives;
   * the two can still overshoot together by what is in flight (a window of chunks each way).
   */
  spend(bytes: number): void {
    this.left -= bytes
  }

  /**
   * Whether to send `bytes` of routine traffic (a photo part); false closes the gate for the rest of
   * the session, as a refused chunk does.
   */
  admitBytes(bytes: number): boolean {
    if (this.closed || bytes > this.left) {
      this.closed = true
      return false
    }
    this.left -= bytes
    this.sentBytes += bytes
    return true
  }

  /** Whether to send this chunk; false closes the gate for the rest of the session. */
  admit(chunk: PlannedChunk): boolean {
    const size = chunkWireBytes(chunk)
    if (chunk.priority === 0) {
      this.left -= size
      this.sentBytes += size
      return true
    }
    if (this.closed || size > this.left) {
      if (!this.closed) this.heldBack = chunk.changeCount
      this.closed = true
      return false
    }
    this.left -= size
    this.sentBytes += size
    return true
  }
}

/** What a session reports about the budget, on either side (sync status, session log, metrics). */
export interface SessionBudget {
  /** `welcome.budget`: bytes left today when the session opened, or null without a budget. */
  remainingBytes: number | null
  /** This side held back normal or routine changes because the budget was spent. */
  budgetLimited: boolean
  /** Changes this side held back, by priority (critical is always 0); they go in a later session. */
  heldBack: Record<Priority, number>
}
