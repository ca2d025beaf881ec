import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import type { SqlDatabase } from './sql-database.ts'
import { isoNow, systemClock, type Clock } from './clock.ts'
import type { StoreOptions } from './store-options.ts'

/**
 * Who a token authenticates: a vessel node, a shore user, a crew member on a vessel node, or a
 * shore system (an integration, whose role is its scope).
 */
export type TokenKind = 'vessel' | 'user' | 'crew' | 'integration'

/** A token as stored, without its secret. */
export interface TokenRecord {
  id: string
  kind: TokenKind
  /** The vessel IMO or the user name. */
  subject: string
  role: string | null
  createdAt: string
  revokedAt: string | null
}

/** Random bytes in a token: 256 bits, so guessing is hopeless and no slow hash is needed. */
const TOKEN_SECRET_BYTES = 32
/** Longer input cannot be a token we issued; refuse it before hashing. */
const MAX_TOKEN_LENGTH = 256
const TOKEN_PREFIX = 'tly'

interface TokenRow {
  id: string
  kind: TokenKind
  subject: string
  role: string | null
  token_hash: string
  created_at: string
  revoked_at: string | null
}

/** SHA-256 hex of a token: the only form in which tokens are stored. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex')
}

/**
 * Bearer tokens for vessels, users and crew (docs/architecture.md). Only SHA-256 hashes are stored; the
 * plaintext is returned once, by {@link issue}. Tokens look like `tly_vessel_<43 base64url chars>`:
 * the prefix lets secret scanners and operators recognise one, and base64url survives URLs.
 */
export class TokenStore {
  private readonly clock: Clock
  private readonly stmts: ReturnType<typeof prepareStatements>

  constructor(db: SqlDatabase, options: StoreOptions = {}) {
    this.clock = options.clock ?? systemClock
    this.stmts = prepareStatements(db)
  }

  /** Issues a token and returns its plaintext, which is not stored and cannot be shown again. */
  issue(kind: TokenKind, subject: string, role: string | null = null): string {
    return this.issueWithRecord(kind, subject, role).token
  }

  /** {@link issue}, also returning the stored record (for its ID). */
  issueWithRecord(
    kind: TokenKind,
    subject: string,
    role: string | null = null,
  ): { token: string; record: TokenRecord } {
    const token = `${TOKEN_PREFIX}_${kind}_${randomBytes(TOKEN_SECRET_BYTES).toString('base64url')}`
    const record: TokenRecord = {
      id: randomBytes(8).toString('hex'),
      kind,
      subject,
      role,
      createdAt: isoNow(this.clock),
      revokedAt: null,
    }
    this.stmts.insert.run(record.id, kind, subject, role, hashToken(token), record.createdAt)
    return { token, record }
  }

  /**
   * The record of a valid (known, unrevoked) token, or null. With `kind`, a token of another kind is
   * also refused (a user token must not open the vessel link).
   */
  verify(token: string, kind?: TokenKind): TokenRecord | null {
    if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_LENGTH) return null
    const hash = hashToken(token)
    const row = this.stmts.byHash.get(hash)
    if (!row) return null
    // The index lookup already matched; compare again in constant time so the decision itself
    // does not depend on how many leading characters agree.
    if (!timingSafeEqual(Buffer.from(row.token_hash, 'hex'), Buffer.from(hash, 'hex'))) return null
    if (row.revoked_at !== null) return null
    if (kind !== undefined && row.kind !== kind) return null
    return toRecord(row)
  }

  /** Revokes a token by ID. Returns false if it is unknown or already revoked. */
  revoke(id: string): boolean {
    return this.stmts.revoke.run(isoNow(this.clock), id).changes === 1
  }

  /** Revokes every live token of `subject`; returns how many. */
  revokeSubject(kind: TokenKind, subject: string): number {
    return this.stmts.revokeSubject.run(isoNow(this.clock), kind, subject).changes
  }

  /** A token's record by ID, revoked or not. */
  get(id: string): TokenRecord | undefined {
    const row = this.stmts.byId.get(id)
    return row ? toRecord(row) : undefined
  }

  /** Tokens, oldest first, optionally of one kind and/or subject; revoked ones only if asked. */
  list(filter: { kind?: TokenKind; subject?: string; includeRevoked?: boolean } = {}): TokenRecord[] {
    return this.stmts.list
      .all({
        kind: filter.kind ?? null,
        subject: filter.subject ?? null,
        include_revoked: filter.includeRevoked ? 1 : 0,
      })
      .map(toRecord)
  }
}

function prepareStatements(db: SqlDatabase) {
  return {
    insert: db.prepare<[string, TokenKind, string, string | null, string, string]>(
      `INSERT INTO tokens (id, kind, subject, role, token_hash, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
    ),
    byHash: db.prepare<[string], TokenRow>('SELECT * FROM tokens WHERE token_hash = ?'),
    byId: db.prepare<[string], TokenRow>('SELECT * FROM tokens WHERE id = ?'),
    revoke: db.prepare<[string, string]>(
      'UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL',
    ),
    revokeSubject: db.prepare<[string, TokenKind, string]>(
      'UPDATE tokens SET revoked_at = ? WHERE kind = ? AND subject = ? AND revoked_at IS NULL',
    ),
    list: db.prepare<[{ kind: string | null; subject: string | null; include_revoked: number }], TokenRow>(
      `SELECT * FROM tokens
       WHERE (CAST(@kind AS TEXT) IS NULL OR kind = @kind) AND (CAST(@subject AS TEXT) IS NULL OR subject = @subject)
         AND (@include_revoked = 1 OR revoked_at IS NULL)
       ORDER BY created_at, id`,
    ),
  }
}

function toRecord(row: TokenRow): TokenRecord {
  return {
    id: row.id,
    kind: row.kind,
    subject: row.subject,
    role: row.role,
    createdAt: row.created_at,
    revokedAt: row.revoked_at,
  }
}
