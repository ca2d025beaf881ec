import type Database from 'better-sqlite3'
import { isoNow, systemClock, type Clock } from './clock.ts'
import type { StoreOptions } from './store-options.ts'

/** What the link keeps about one peer as a whole. */
export interface PeerState {
  peer: string
  /** Opaque "what you have acknowledged" token of the link protocol; null if never set. */
  syncToken: string | null
  updatedAt: string
}

/**
 * Per-peer sync cursors: for each document, the heads the peer is known to have (`cursors`), and
 * the peer's acknowledged sync token (`peer_state`).
 *
 * Methods are synchronous; to update heads and the token atomically, call them inside
 * `db.transaction(() => { ... })()` (better-sqlite3 nests transactions as savepoints).
 */
export class CursorStore {
  private readonly clock: Clock
  private readonly stmts: ReturnType<typeof prepareStatements>

  constructor(
    private readonly db: Database.Database,
    options: StoreOptions = {},
  ) {
    this.clock = options.clock ?? systemClock
    this.stmts = prepareStatements(db)
  }

  /** Heads of `docId` that `peer` is known to have, or undefined if unknown. */
  getHeads(peer: string, docId: string): string[] | undefined {
    const row = this.stmts.getHeads.get(peer, docId)
    return row ? parseHeads(row.heads) : undefined
  }

  /** Records that `peer` has `heads` of `docId`. */
  setHeads(peer: string, docId: string, heads: readonly string[]): void {
    this.stmts.setHeads.run(peer, docId, JSON.stringify(heads), isoNow(this.clock))
  }

  /** {@link setHeads} for many documents in one transaction. */
  setHeadsMany(peer: string, entries: Iterable<readonly [docId: string, heads: readonly string[]]>): void {
    const at = isoNow(this.clock)
    this.db.transaction(() => {
      for (const [docId, heads] of entries) this.stmts.setHeads.run(peer, docId, JSON.stringify(heads), at)
    })()
  }

  /** Every document cursor of `peer`, by document ID. */
  allHeads(peer: string): Map<string, string[]> {
    const out = new Map<string, string[]>()
    for (const row of this.stmts.allHeads.iterate(peer)) out.set(row.doc_id, parseHeads(row.heads))
    return out
  }

  /** Forgets one document's cursor, e.g. after the peer reports it lost the document. */
  deleteHeads(peer: string, docId: string): void {
    this.stmts.deleteHeads.run(peer, docId)
  }

  /** The peer's acknowledged sync token, or undefined if none was stored. */
  getSyncToken(peer: string): string | undefined {
    return this.stmts.getPeer.get(peer)?.sync_token ?? undefined
  }

  /** Stores the peer's acknowledged sync token (null clears it but keeps the row). */
  setSyncToken(peer: string, syncToken: string | null): void {
    this.stmts.setToken.run(peer, syncToken, isoNow(this.clock))
  }

  /**
   * Issues `next` as the peer's token and keeps the current one as the previous token: a `fin` lost
   * on its way leaves the peer holding the previous one, and its cursors are still good (both
   * sides committed every chunk and ack before the `fin`). Valid until {@link confirmSyncToken}.
   */
  rotateSyncToken(peer: string, next: string): void {
    this.stmts.rotateToken.run(peer, next, isoNow(this.clock))
  }

  /**
   * The link session tied to the token: on the relay the session that issued the current token; on
   * the vessel the last session whose welcome it took (stored before anything of that session is
   * committed). A vessel showing the previous token must also show the session that issued the
   * current one: a `fin` lost on its way, not a database restored from a backup.
   */
  setSyncSession(peer: string, session: string): void {
    this.stmts.setSession.run(peer, session, isoNow(this.clock))
  }

  getSyncSession(peer: string): string | undefined {
    return this.stmts.getPeer.get(peer)?.sync_session ?? undefined
  }

  /** The token before the current one, while the peer has not shown that it holds the current one. */
  getPreviousSyncToken(peer: string): string | undefined {
    return this.stmts.getPeer.get(peer)?.previous_sync_token ?? undefined
  }

  /** The peer showed the current token: the previous one is no longer valid. */
  confirmSyncToken(peer: string): void {
    this.stmts.confirmToken.run(peer)
  }

  /** The peer's state row, or undefined. */
  getPeerState(peer: string): PeerState | undefined {
    const row = this.stmts.getPeer.get(peer)
    return row ? { peer: row.peer, syncToken: row.sync_token, updatedAt: row.updated_at } : undefined
  }

  /** Every peer with a token or any cursor. */
  peers(): string[] {
    return this.stmts.peers.all().map((r) => r.peer)
  }

  /**
   * Drops everything known about `peer` (cursors and token), e.g. when its cursors disagree with
   * ours and the link falls back to reconciling by document heads.
   */
  forgetPeer(peer: string): void {
    this.db.transaction(() => {
      this.stmts.forgetCursors.run(peer)
      this.stmts.forgetPeer.run(peer)
    })()
  }
}

function prepareStatements(db: Database.Database) {
  return {
    getHeads: db.prepare<[string, string], { heads: string }>(
      'SELECT heads FROM cursors WHERE peer = ? AND doc_id = ?',
    ),
    setHeads: db.prepare<[string, string, string, string]>(
      `INSERT INTO cursors (peer, doc_id, heads, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (peer, doc_id) DO UPDATE SET heads = excluded.heads, updated_at = excluded.updated_at`,
    ),
    allHeads: db.prepare<[string], { doc_id: string; heads: string }>(
      'SELECT doc_id, heads FROM cursors WHERE peer = ?',
    ),
    deleteHeads: db.prepare<[string, string]>('DELETE FROM cursors WHERE peer = ? AND doc_id = ?'),
    getPeer: db.prepare<
      [string],
      {
        peer: string
        sync_token: string | null
        previous_sync_token: string | null
        sync_session: string | null
        updated_at: string
      }
    >(
      'SELECT peer, sync_token, previous_sync_token, sync_session, updated_at FROM peer_state WHERE peer = ?',
    ),
    setSession: db.prepare<[string, string, string]>(
      `INSERT INTO peer_state (peer, sync_session, updated_at) VALUES (?, ?, ?)
       ON CONFLICT (peer) DO UPDATE SET sync_session = excluded.sync_session, updated_at = excluded.updated_at`,
    ),
    rotateToken: db.prepare<[string, string, string]>(
      `INSERT INTO peer_state (peer, sync_token, updated_at) VALUES (?, ?, ?)
       ON CONFLICT (peer) DO UPDATE SET previous_sync_token = peer_state.sync_token,
         sync_token = excluded.sync_token, updated_at = excluded.updated_at`,
    ),
    confirmToken: db.prepare<[string]>('UPDATE peer_state SET previous_sync_token = NULL WHERE peer = ?'),
    setToken: db.prepare<[string, string | null, string]>(
      `INSERT INTO peer_state (peer, sync_token, updated_at) VALUES (?, ?, ?)
       ON CONFLICT (peer) DO UPDATE SET sync_token = excluded.sync_token, updated_at = excluded.updated_at`,
    ),
    forgetCursors: db.prepare<[string]>('DELETE FROM cursors WHERE peer = ?'),
    forgetPeer: db.prepare<[string]>('DELETE FROM peer_state WHERE peer = ?'),
    peers: db.prepare<[], { peer: string }>(
      'SELECT peer FROM peer_state UNION SELECT DISTINCT peer FROM cursors ORDER BY peer',
    ),
  }
}

function parseHeads(json: string): string[] {
  const value: unknown = JSON.parse(json)
  if (!Array.isArray(value) || !value.every((h) => typeof h === 'string')) {
    throw new Error(`corrupt cursor heads: ${json.slice(0, 80)}`)
  }
  return value
}
