/**
 * The dead-letter queue for operators (docs/architecture.md, §6): list, inspect (the stored change decoded),
 * retry and discard. A retry judges the stored change again with the current policy and actor
 * registry — after a fixed binding or a policy upgrade it may now pass — and applies it only if it
 * does; a discard needs a reason. Both are audited under `ops:dead-letter:<id>`.
 */
import * as A from '@automerge/automerge'
import { ObjectIndex, TallyError } from '@tally/manifest'
import { ADMISSION_PATHS, admitChanges, policyValidator } from '@tally/replica'
import type { DeadLetterRecord, DeadLetterStatus } from '@tally/storage-sqlite'
import type { RelayUser } from '../auth.ts'
import type { RelayContext } from '../context.ts'
import { decodeLetterBytes, summarizeLetter } from './change-summary.ts'
import type { DecodedLetter } from './change-summary.ts'

/** Longest discard reason kept. */
export const MAX_REASON_CHARS = 500

/** A dead letter as the dashboard lists it: the stored row plus the vessel and container it concerns. */
export interface DeadLetterItem extends Omit<DeadLetterRecord, 'bytes'> {
  vessel: string | null
  containerId: string | null
  /** Size of the stored change, in bytes (0 when none was kept). */
  size: number
}

export interface DeadLetterDetail extends DeadLetterItem {
  decoded: DecodedLetter
}

export type RetryOutcome = { outcome: 'applied' | 'already-stored'; letter: DeadLetterItem }

const CONTAINER_PREFIX = /^([A-Z]{4}\d{7}): /

export class DeadLetterOps {
  constructor(private readonly ctx: RelayContext) {}

  list(filter: {
    status?: DeadLetterStatus
    principal?: string
    limit?: number
    offset?: number
  }): DeadLetterItem[] {
    return this.ctx.deadLetters.list(filter).map((r) => this.item(r))
  }

  counts(): Record<DeadLetterStatus, number> {
    return this.ctx.deadLetters.counts()
  }

  inspect(id: number): DeadLetterDetail {
    const letter = this.get(id)
    const doc = letter.docId ? this.ctx.store.load(letter.docId) : undefined
    return {
      ...this.item(letter),
      decoded: summarizeLetter(letter.bytes, doc, (actor) => this.ctx.registry.principalOf(actor)),
    }
  }

  /** Re-validates and, if policy now accepts every change, applies them. Throws CONFLICT otherwise. */
  retry(id: number, user: RelayUser): RetryOutcome {
    const { store, registry, deadLetters, audit, db, logger } = this.ctx
    const letter = this.open(id)
    if (!letter.docId || !letter.bytes)
      throw new TallyError(
        'CONFLICT',
        'this dead letter cannot be retried: the whole entry was refused before it reached a document ' +
          '(unknown container or corrupt data), so there is nothing to re-judge; discard it with a reason',
      )
    const { changes, error } = decodeLetterBytes(letter.bytes)
    if (changes.length === 0)
      throw new TallyError('CONFLICT', `the stored bytes do not decode: ${error ?? 'empty'}`)
    const row = store.row(letter.docId)
    const doc = store.load(letter.docId)
    if (!row || !doc) throw new TallyError('CONFLICT', `the document ${letter.docId} no longer exists`)
    const key = store.keyOf(row)
    const fresh = changes.filter((c) => !A.hasHeads(doc, [c.hash]))
    let refused: string[] = []
    if (fresh.length > 0) {
      const inBatch = new Set(changes.map((c) => c.hash))
      for (const c of fresh)
        for (const dep of c.deps)
          if (!inBatch.has(dep) && !A.hasHeads(doc, [dep])) {
            const blocking = deadLetters.list({ docId: letter.docId, status: 'open', limit: 10_000 })
            const other = blocking.find((d) => d.changeHash === dep)
            throw new TallyError(
              'CONFLICT',
              `this change builds on ${dep.slice(0, 8)}…, which the relay does not hold` +
                (other ? ` (dead letter #${other.id}: retry that one first)` : ''),
            )
          }
      // Other open letters of this document stay refused: anything built on them must wait for them.
      refused = deadLetters
        .list({ docId: letter.docId, status: 'open', limit: 10_000 })
        .filter((d) => d.id !== id && d.changeHash)
        .map((d) => d.changeHash!)
    }
    const outcome = fresh.length > 0 ? 'applied' : 'already-stored'
    db.transaction(() => {
      if (fresh.length > 0) {
        const admission = admitChanges({
          path: ADMISSION_PATHS.deadLetterRetry,
          validate: policyValidator(registry, 'relay', this.ctx.voyages),
          deadLetters,
          docId: letter.docId!,
          key,
          isoType: row.iso_type,
          doc,
          index: ObjectIndex.fromDoc(doc),
          refused,
          changes,
          bytesOf: () => letter.bytes,
          recordAs: () => letter.principal,
          commit: () => store.applyRemote(letter.docId!, key, [letter.bytes!]),
        })
        const still = admission.cause
        if (still)
          throw new TallyError(
            'CONFLICT',
            `policy still refuses this change: ${still.reason ?? 'refused'}`,
            still.field,
          )
      }
      if (!deadLetters.markRetried(id, user.principal, `retried by ${user.name}: ${outcome}`))
        throw new TallyError('CONFLICT', `dead letter ${id} was resolved by someone else meanwhile`)
      audit.append({
        principal: user.principal,
        role: user.role,
        docId: `ops:dead-letter:${id}`,
        field: 'dead_letter.retry',
        from: { status: 'open', reason: letter.reason, principal: letter.principal },
        to: { status: 'retried', outcome, docId: letter.docId, changes: changes.map((c) => c.hash) },
      })
    })()
    logger.info({ deadLetter: id, vessel: key.vessel, user: user.principal, outcome }, 'dead letter retried')
    return { outcome, letter: this.item(deadLetters.get(id)!) }
  }

  /** Discards an open letter with the operator's reason. */
  discard(id: number, user: RelayUser, reason: unknown): DeadLetterItem {
    if (typeof reason !== 'string' || reason.trim() === '')
      throw new TallyError('INVALID', 'reason: say why the change is discarded', 'reason')
    if (reason.length > MAX_REASON_CHARS)
      throw new TallyError('INVALID', `reason: at most ${MAX_REASON_CHARS} characters`, 'reason')
    const { deadLetters, audit, db, logger } = this.ctx
    const letter = this.open(id)
    const note = reason.trim()
    db.transaction(() => {
      if (!deadLetters.discard(id, user.principal, note))
        throw new TallyError('CONFLICT', `dead letter ${id} was resolved by someone else meanwhile`)
      audit.append({
        principal: user.principal,
        role: user.role,
        docId: `ops:dead-letter:${id}`,
        field: 'dead_letter.discard',
        from: { status: 'open', reason: letter.reason, principal: letter.principal },
        to: { status: 'discarded', note, docId: letter.docId, changeHash: letter.changeHash },
      })
    })()
    const item = this.item(deadLetters.get(id)!)
    logger.info({ deadLetter: id, vessel: item.vessel, user: user.principal, note }, 'dead letter discarded')
    return item
  }

  private get(id: number): DeadLetterRecord {
    const letter = Number.isSafeInteger(id) ? this.ctx.deadLetters.get(id) : undefined
    if (!letter) throw new TallyError('NOT_FOUND', `no dead letter ${id}`)
    return letter
  }

  private open(id: number): DeadLetterRecord {
    const letter = this.get(id)
    if (letter.status !== 'open')
      throw new TallyError(
        'CONFLICT',
        `dead letter ${id} is already ${letter.status}` +
          (letter.resolvedBy ? ` by ${letter.resolvedBy}` : ''),
      )
    return letter
  }

  private item(r: DeadLetterRecord): DeadLetterItem {
    const row = r.docId ? this.ctx.store.row(r.docId) : undefined
    const { bytes, ...rest } = r
    return {
      ...rest,
      vessel: row?.vessel ?? (/^IMO\d{7}$/.test(r.principal) ? r.principal : null),
      containerId: row?.container_id ?? CONTAINER_PREFIX.exec(r.reason)?.[1] ?? null,
      size: bytes?.length ?? 0,
    }
  }
}
