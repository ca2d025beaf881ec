/**
 * Token management from the dashboard (docs/architecture.md): list, create and revoke vessel and user tokens.
 * Revocation takes effect at once: REST checks every request, the vessel's open link is closed with
 * 4401, and the user's open sockets are destroyed. Every creation and revocation is audited under
 * `ops:token:<id>`; plaintext tokens are returned once and never stored or logged.
 */
import { TallyError } from '@tally/manifest'
import type { TokenRecord } from '@tally/storage-sqlite'
import { isShoreRole, SHORE_ROLES, USER_NAME_PATTERN } from '../auth.ts'
import type { RelayUser } from '../auth.ts'
import type { RelayContext } from '../context.ts'
import { IMO_PATTERN } from '../vessels.ts'
import type { UserSockets } from './connections.ts'

export interface NewTokenRequest {
  kind: 'vessel' | 'user'
  /** The vessel's IMO, or the user's name. */
  subject: string
  /** For users: shore, customs or ops. */
  role?: string
  /** For vessels: the display name (registers or renames the vessel). */
  name?: string
}

export interface RevokeResult {
  record: TokenRecord
  /** Open connections that were cut: the vessel's link (0 or 1), or the user's sockets. */
  disconnected: number
}

function parseRequest(body: unknown): NewTokenRequest {
  const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>
  if (b.kind !== 'vessel' && b.kind !== 'user')
    throw new TallyError('INVALID', 'kind: must be vessel or user', 'kind')
  if (typeof b.subject !== 'string') throw new TallyError('INVALID', 'subject: required', 'subject')
  const subject = b.subject.trim()
  if (b.kind === 'vessel') {
    if (!IMO_PATTERN.test(subject))
      throw new TallyError(
        'INVALID',
        'subject: a vessel is IMO followed by 7 digits, e.g. IMO9811000',
        'subject',
      )
    if (
      b.name !== undefined &&
      (typeof b.name !== 'string' || b.name.trim().length > 100 || /\p{Cc}/u.test(b.name))
    )
      throw new TallyError('INVALID', 'name: up to 100 printable characters', 'name')
    return {
      kind: 'vessel',
      subject,
      ...(typeof b.name === 'string' && b.name.trim() ? { name: b.name.trim() } : {}),
    }
  }
  if (!USER_NAME_PATTERN.test(subject))
    throw new TallyError('INVALID', 'subject: 1–64 letters, digits, ".", "_", "@" or "-"', 'subject')
  if (!isShoreRole(b.role)) throw new TallyError('INVALID', `role: one of ${SHORE_ROLES.join(', ')}`, 'role')
  return { kind: 'user', subject, role: b.role }
}

export class TokenOps {
  constructor(
    private readonly ctx: RelayContext,
    private readonly sockets: UserSockets,
  ) {}

  list(includeRevoked: boolean): (TokenRecord & { connected: number })[] {
    return this.ctx.tokens
      .list({ includeRevoked })
      .filter((t) => t.kind === 'vessel' || t.kind === 'user')
      .map((t) => ({
        ...t,
        connected:
          t.revokedAt !== null
            ? 0
            : t.kind === 'vessel'
              ? Number(this.ctx.linkServer.active.has(t.subject))
              : this.sockets.count(t.id),
      }))
  }

  /** Issues a token; the plaintext is in the answer only. */
  create(body: unknown, by: RelayUser): { token: string; record: TokenRecord } {
    const req = parseRequest(body)
    const { tokens, vessels, audit, db, logger } = this.ctx
    const issued = db.transaction(() => {
      if (req.kind === 'vessel')
        vessels.add(req.subject, req.name ?? vessels.get(req.subject)?.name ?? req.subject)
      const result = tokens.issueWithRecord(
        req.kind,
        req.subject,
        req.kind === 'vessel' ? 'vessel' : req.role!,
      )
      audit.append({
        principal: by.principal,
        role: by.role,
        docId: `ops:token:${result.record.id}`,
        field: 'token.create',
        to: { kind: req.kind, subject: req.subject, role: result.record.role },
      })
      return result
    })()
    logger.info(
      { tokenId: issued.record.id, kind: req.kind, subject: req.subject, user: by.principal },
      'token created from the dashboard',
    )
    return issued
  }

  /** Revokes a token and cuts off whatever it holds open. */
  revoke(id: string, by: RelayUser): RevokeResult {
    const { tokens, audit, db, linkServer, logger } = this.ctx
    const record = tokens.get(id)
    if (!record || (record.kind !== 'vessel' && record.kind !== 'user'))
      throw new TallyError('NOT_FOUND', `no vessel or user token ${id}`)
    db.transaction(() => {
      if (!tokens.revoke(id)) throw new TallyError('CONFLICT', `token ${id} is already revoked`)
      audit.append({
        principal: by.principal,
        role: by.role,
        docId: `ops:token:${id}`,
        field: 'token.revoke',
        from: { kind: record.kind, subject: record.subject, role: record.role },
        to: { revoked: true },
      })
    })()
    let disconnected: number
    if (record.kind === 'vessel') {
      // The link server does not know which token a session opened with: close it either way; a
      // vessel holding another live token simply reconnects with that one.
      disconnected = Number(linkServer.active.has(record.subject))
      linkServer.disconnect(record.subject)
    } else disconnected = this.sockets.cutOff(id)
    logger.info(
      { tokenId: id, kind: record.kind, subject: record.subject, user: by.principal, disconnected },
      'token revoked from the dashboard',
    )
    return { record: tokens.get(id)!, disconnected }
  }
}
