/**
 * Tally's bookkeeping acceptance suite: cursors, sessions, dead letters, audit, actors and tokens.
 * Every storage backend runs it (SQLite in stores.test.ts, PostgreSQL in packages/storage-postgres),
 * the way every automerge-repo storage adapter runs `runStorageAdapterTests`.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  ActorBindingConflictError,
  ActorRegistryStore,
  AlertStore,
  AlertThresholdStore,
  AuditLog,
  CursorStore,
  DeadLetterStore,
  LinkPresenceStore,
  SessionLog,
  TokenStore,
  VesselReportStore,
  hashToken,
  pruneSyncLogs,
  type Clock,
  type SqlDatabase,
} from '../src/index.ts'

/** A fresh, migrated database for one test, and how to dispose of it. */
export type OpenBookkeepingDatabase = () => Promise<{ db: SqlDatabase; teardown: () => void }>

export function runBookkeepingSuite(backend: string, open: OpenBookkeepingDatabase): void {
  describe(`bookkeeping on ${backend}`, () => {
    let db: SqlDatabase
    let teardown: () => void
    let now: Date
    const clock: Clock = () => now

    beforeEach(async () => {
      now = new Date('2025-03-01T12:00:00.000Z')
      ;({ db, teardown } = await open())
    })

    afterEach(() => teardown())

    function advance(ms: number): void {
      now = new Date(now.getTime() + ms)
    }
    describe('CursorStore', () => {
      it('stores heads per peer and document, and the sync token per peer', () => {
        const cursors = new CursorStore(db, { clock })
        expect(cursors.getHeads('relay', 'doc1')).toBeUndefined()
        cursors.setHeads('relay', 'doc1', ['a1'])
        cursors.setHeadsMany('relay', [
          ['doc1', ['a2', 'b2']],
          ['doc2', []],
        ])
        cursors.setHeads('other', 'doc1', ['zz'])
        expect(cursors.getHeads('relay', 'doc1')).toEqual(['a2', 'b2'])
        expect(cursors.allHeads('relay')).toEqual(
          new Map([
            ['doc1', ['a2', 'b2']],
            ['doc2', []],
          ]),
        )
        expect(cursors.getSyncToken('relay')).toBeUndefined()
        cursors.setSyncToken('relay', 'tok-42')
        expect(cursors.getSyncToken('relay')).toBe('tok-42')
        expect(cursors.getPeerState('relay')).toEqual({
          peer: 'relay',
          syncToken: 'tok-42',
          updatedAt: '2025-03-01T12:00:00.000Z',
        })
        expect(cursors.peers()).toEqual(['other', 'relay'])
        cursors.deleteHeads('relay', 'doc2')
        expect(cursors.getHeads('relay', 'doc2')).toBeUndefined()
        cursors.forgetPeer('relay')
        expect(cursors.allHeads('relay').size).toBe(0)
        expect(cursors.getPeerState('relay')).toBeUndefined()
        expect(cursors.getHeads('other', 'doc1')).toEqual(['zz'])
      })

      it('can update heads and token in one caller transaction', () => {
        const cursors = new CursorStore(db)
        expect(() =>
          db.transaction(() => {
            cursors.setHeads('relay', 'doc1', ['h'])
            cursors.setSyncToken('relay', 't1')
            throw new Error('crash before commit')
          })(),
        ).toThrow('crash before commit')
        expect(cursors.getHeads('relay', 'doc1')).toBeUndefined()
        expect(cursors.getSyncToken('relay')).toBeUndefined()
      })
    })

    describe('SessionLog', () => {
      it('accumulates counters and cost, and finishes with an outcome', () => {
        const log = new SessionLog(db, { clock, usdPerMb: 10 })
        const id = log.start('IMO9811000')
        log.add(id, { bytesUp: 400_000, chunksUp: 2, changesUp: 100 })
        log.add(id, { bytesDown: 100_000, chunksDown: 1, changesDown: 5, rejected: 1 })
        advance(90_000)
        const done = log.finish(id, { state: 'complete' })
        expect(done).toMatchObject({
          id,
          peer: 'IMO9811000',
          state: 'complete',
          startedAt: '2025-03-01T12:00:00.000Z',
          endedAt: '2025-03-01T12:01:30.000Z',
          durationMs: 90_000,
          bytesUp: 400_000,
          bytesDown: 100_000,
          chunksUp: 2,
          chunksDown: 1,
          changesUp: 100,
          changesDown: 5,
          rejected: 1,
          error: null,
        })
        expect(done.costUsd).toBeCloseTo(5, 10) // 0.5 MB at $10/MB
        expect(log.lastComplete('IMO9811000')?.id).toBe(id)
        expect(() => log.add('nope', { bytesUp: 1 })).toThrow(/unknown/)
      })

      it('lists, totals and groups by day', () => {
        const log = new SessionLog(db, { clock })
        const a = log.start('v1')
        log.add(a, { bytesUp: 1000 })
        log.finish(a, { state: 'failed', error: 'link dropped' })
        advance(86_400_000)
        const b = log.start('v1')
        log.add(b, { bytesUp: 2000, bytesDown: 500 })
        log.finish(b, { state: 'complete' })
        const c = log.start('v2')
        expect(log.list({ peer: 'v1' }).map((s) => s.id)).toEqual([b, a])
        expect(log.list().map((s) => s.id)).toEqual([c, b, a])
        expect(log.get(c)?.state).toBe('running')
        const totals = log.totals({ peer: 'v1' })
        expect(totals).toMatchObject({ sessions: 2, failed: 1, bytesUp: 3000, bytesDown: 500 })
        expect(totals.costUsd).toBeCloseTo(0.035, 10)
        expect(log.perDay({ peer: 'v1' }).map((d) => [d.day, d.bytesUp])).toEqual([
          ['2025-03-01', 1000],
          ['2025-03-02', 2000],
        ])
      })

      it('pruneSyncLogs deletes old finished sessions and keeps running ones', () => {
        const log = new SessionLog(db, { clock })
        const oldDone = log.start('v1')
        log.finish(oldDone, { state: 'complete' })
        const oldRunning = log.start('v1')
        advance(10 * 86_400_000)
        const recent = log.start('v1')
        log.finish(recent, { state: 'complete' })
        expect(pruneSyncLogs(db, 7, clock)).toBe(1)
        expect(log.get(oldDone)).toBeUndefined()
        expect(log.get(oldRunning)).toBeDefined()
        expect(log.get(recent)).toBeDefined()
        expect(() => pruneSyncLogs(db, -1)).toThrow(RangeError)
      })
    })

    describe('DeadLetterStore', () => {
      it('keeps refused changes with their bytes and deduplicates open replays', () => {
        const letters = new DeadLetterStore(db, { clock })
        const letter = {
          principal: 'vessel:IMO9811000',
          docId: 'doc1',
          changeHash: 'abc',
          reason: 'vessel may not write customs',
          field: 'customs.status',
          bytes: new Uint8Array([1, 2, 3]),
        }
        const id = letters.add(letter)
        expect(letters.add(letter)).toBe(id)
        expect(letters.get(id)).toEqual({
          id,
          at: '2025-03-01T12:00:00.000Z',
          ...letter,
          status: 'open',
          resolvedAt: null,
          resolvedBy: null,
          resolutionNote: null,
        })
        const other = letters.add({ principal: 'user:ann', reason: 'bad value' })
        expect(letters.list({ status: 'open' }).map((l) => l.id)).toEqual([other, id])
        expect(letters.list({ principal: 'user:ann' })).toHaveLength(1)
        expect(letters.list({ docId: 'doc1' })).toHaveLength(1)
        expect(letters.counts()).toEqual({ open: 2, retried: 0, discarded: 0 })
      })

      it('resolves an open letter once', () => {
        const letters = new DeadLetterStore(db, { clock })
        const id = letters.add({ principal: 'p', reason: 'r', changeHash: 'h' })
        expect(letters.discard(id, 'ops:bob', 'duplicate')).toBe(true)
        expect(letters.markRetried(id, 'ops:eve')).toBe(false)
        expect(letters.get(id)).toMatchObject({
          status: 'discarded',
          resolvedBy: 'ops:bob',
          resolutionNote: 'duplicate',
        })
        // Once resolved, the same change refused again is a new letter.
        expect(letters.add({ principal: 'p', reason: 'r', changeHash: 'h' })).not.toBe(id)
        expect(letters.markRetried(999, 'ops:eve')).toBe(false)
      })
    })

    describe('AuditLog', () => {
      it('records field changes with JSON values and reads history per document', () => {
        const audit = new AuditLog(db, { clock })
        audit.append({
          principal: 'vessel:IMO9811000',
          role: 'vessel',
          docId: 'doc1',
          field: 'physical.condition',
          from: 'OK',
          to: 'DAMAGED',
          changeHash: 'h1',
        })
        advance(1000)
        audit.appendMany([
          {
            principal: 'user:ann',
            role: 'customs',
            docId: 'doc1',
            field: 'customs.hsCodes',
            from: [],
            to: ['8471'],
          },
          { principal: 'user:ann', docId: 'doc2', field: 'cargo.dg', from: null, to: { unNumber: '1203' } },
        ])
        const history = audit.forDoc('doc1')
        expect(history.map((h) => [h.principal, h.field, h.from, h.to])).toEqual([
          ['vessel:IMO9811000', 'physical.condition', 'OK', 'DAMAGED'],
          ['user:ann', 'customs.hsCodes', [], ['8471']],
        ])
        expect(audit.forDoc('doc2')[0].from).toBeNull()
        expect(audit.byPrincipal('user:ann')).toHaveLength(2)
        expect(audit.hasChange('h1')).toBe(true)
      })

      it('lists the newest entries under a document-ID prefix, and refuses a prefix with wildcards', () => {
        const audit = new AuditLog(db, { clock })
        audit.append({ principal: 'olga', docId: 'ops:token:t1', field: 'token.revoke', from: null, to: 1 })
        advance(1000)
        audit.append({ principal: 'olga', docId: 'ops:vessel:IMO1', field: 'settings.update', to: { a: 1 } })
        audit.append({ principal: 'alice', docId: 'doc1', field: 'cargo.booking', to: 'BK1' })
        expect(audit.newestUnder('ops:', 10).map((r) => [r.docId, r.from, r.to])).toEqual([
          ['ops:vessel:IMO1', undefined, { a: 1 }],
          ['ops:token:t1', null, 1],
        ])
        expect(audit.newestUnder('ops:', 1)).toHaveLength(1)
        expect(() => audit.newestUnder('%', 10)).toThrow(/letters, digits and ':' only/)
      })

      it('appendForChange is idempotent per change hash', () => {
        const audit = new AuditLog(db, { clock })
        const entries = [
          { principal: 'p', docId: 'd', field: 'physical.stowage', from: undefined, to: '0120482' },
        ]
        expect(audit.appendForChange('h9', entries)).toBe(true)
        expect(audit.appendForChange('h9', entries)).toBe(false)
        const [row] = audit.forDoc('d')
        expect(row).toMatchObject({ changeHash: 'h9', to: '0120482' })
        expect(row.from).toBeUndefined()
      })
    })

    describe('ActorRegistryStore', () => {
      it('binds each actor to exactly one principal', () => {
        const actors = new ActorRegistryStore(db, { clock })
        expect(actors.bind({ actor: 'aa', principal: 'vessel:IMO9811000', kind: 'vessel' })).toBe(true)
        expect(actors.bind({ actor: 'aa', principal: 'vessel:IMO9811000', kind: 'vessel' })).toBe(false)
        expect(() => actors.bind({ actor: 'aa', principal: 'user:mallory', kind: 'user' })).toThrow(
          ActorBindingConflictError,
        )
        expect(actors.principalOf('aa')).toBe('vessel:IMO9811000')
        expect(actors.get('zz')).toBeUndefined()
      })

      it('bindMany is all or nothing, and list(since) returns newer bindings', () => {
        const actors = new ActorRegistryStore(db, { clock })
        actors.bind({ actor: 'aa', principal: 'vessel:A', kind: 'vessel' })
        expect(() =>
          actors.bindMany([
            { actor: 'bb', principal: 'user:ann', kind: 'user', role: 'customs' },
            { actor: 'aa', principal: 'user:ann', kind: 'user' },
          ]),
        ).toThrow(ActorBindingConflictError)
        expect(actors.get('bb')).toBeUndefined()
        advance(1000)
        expect(
          actors.bindMany([
            { actor: 'bb', principal: 'user:ann', kind: 'user', role: 'customs', name: 'Ann' },
            { actor: 'cc', principal: 'user:ann', kind: 'user', role: 'customs' },
            { actor: 'aa', principal: 'vessel:A', kind: 'vessel' },
          ]),
        ).toBe(2)
        expect(actors.forPrincipal('user:ann').map((b) => b.actor)).toEqual(['bb', 'cc'])
        expect(actors.list('2025-03-01T12:00:01.000Z').map((b) => b.actor)).toEqual(['bb', 'cc'])
        expect(actors.list()).toHaveLength(3)
        expect(actors.get('bb')).toEqual({
          actor: 'bb',
          principal: 'user:ann',
          kind: 'user',
          role: 'customs',
          name: 'Ann',
          boundAt: '2025-03-01T12:00:01.000Z',
        })
      })
    })

    describe('TokenStore', () => {
      it('issues tokens stored only as SHA-256 hashes, verifies and revokes them', () => {
        const tokens = new TokenStore(db, { clock })
        const token = tokens.issue('vessel', 'IMO9811000')
        expect(token).toMatch(/^tly_vessel_[A-Za-z0-9_-]{43}$/)
        const stored = db.prepare('SELECT token_hash FROM tokens').all() as { token_hash: string }[]
        expect(stored).toEqual([{ token_hash: hashToken(token) }])
        expect(JSON.stringify(db.prepare('SELECT * FROM tokens').all())).not.toContain(token)

        const record = tokens.verify(token)
        expect(record).toMatchObject({ kind: 'vessel', subject: 'IMO9811000', role: null, revokedAt: null })
        expect(tokens.verify(token, 'vessel')).not.toBeNull()
        expect(tokens.verify(token, 'user')).toBeNull()
        expect(tokens.verify(token + 'x')).toBeNull()
        expect(tokens.verify('')).toBeNull()
        expect(tokens.verify('x'.repeat(10_000))).toBeNull()

        expect(tokens.revoke(record!.id)).toBe(true)
        expect(tokens.revoke(record!.id)).toBe(false)
        expect(tokens.verify(token)).toBeNull()
        expect(tokens.get(record!.id)?.revokedAt).toBe('2025-03-01T12:00:00.000Z')
      })

      it('lists by kind and subject and revokes every token of a subject', () => {
        const tokens = new TokenStore(db, { clock })
        const { token: ann1, record } = tokens.issueWithRecord('user', 'ann', 'customs')
        tokens.issue('user', 'ann', 'customs')
        tokens.issue('user', 'bob', 'shore')
        tokens.issue('crew', 'chief', null)
        expect(tokens.verify(ann1)?.id).toBe(record.id)
        expect(tokens.list({ kind: 'user' })).toHaveLength(3)
        expect(tokens.revokeSubject('user', 'ann')).toBe(2)
        expect(tokens.list({ kind: 'user' }).map((t) => t.subject)).toEqual(['bob'])
        expect(tokens.list({ subject: 'ann', includeRevoked: true })).toHaveLength(2)
      })
    })

    describe('AlertStore', () => {
      it('keeps one firing alert per kind and subject, and resolves it once', () => {
        const alerts = new AlertStore(db)
        const finding = {
          kind: 'lag',
          subject: 'IMO1',
          at: '2025-03-01T12:00:00.000Z',
          since: '2025-03-01T09:00:00.000Z',
          value: 3,
          threshold: 2,
          message: 'late',
        }
        const fired = alerts.fire(finding)
        expect(fired).toMatchObject({
          kind: 'lag',
          vessel: 'IMO1',
          state: 'firing',
          value: 3,
          resolvedAt: null,
        })
        expect(fired?.since).toBe('2025-03-01T09:00:00.000Z')
        // A second relay firing the same alert writes nothing and learns that it did not.
        expect(alerts.fire({ ...finding, at: '2025-03-01T12:00:01.000Z' })).toBeUndefined()
        expect(alerts.fire({ ...finding, kind: 'conflicts' })).toMatchObject({ kind: 'conflicts' })
        alerts.update(fired!.id, 4, 2, 'later')
        expect(alerts.get(fired!.id)).toMatchObject({ value: 4, message: 'later' })
        expect(
          alerts
            .active()
            .map((a) => a.kind)
            .sort(),
        ).toEqual(['conflicts', 'lag'])

        expect(alerts.resolve(fired!.id, '2025-03-01T13:00:00.000Z')).toMatchObject({
          state: 'resolved',
          resolvedAt: '2025-03-01T13:00:00.000Z',
        })
        expect(alerts.resolve(fired!.id, '2025-03-01T13:00:01.000Z')).toBeUndefined()
        expect(alerts.active().map((a) => a.kind)).toEqual(['conflicts'])
        // Once resolved, the same condition fires a new alert.
        expect(alerts.fire({ ...finding, at: '2025-03-01T14:00:00.000Z' })?.id).not.toBe(fired!.id)
        expect(alerts.recent(10)).toHaveLength(3)
        expect(alerts.recent(1)[0]?.startedAt).toBe('2025-03-01T14:00:00.000Z')
      })
    })

    describe('AlertThresholdStore and VesselReportStore', () => {
      it('keep saved thresholds by name, and what vessels report in their hellos', () => {
        const thresholds = new AlertThresholdStore(db)
        expect(thresholds.saved()).toEqual({})
        thresholds.save({ lagGraceS: 1800, failureRate: undefined }, 'olga', '2025-03-01T12:00:00.000Z')
        thresholds.save({ failureRate: 0.1 }, 'olga', '2025-03-01T12:01:00.000Z')
        expect(thresholds.saved()).toEqual({ lagGraceS: 1800, failureRate: 0.1 })

        const reports = new VesselReportStore(db)
        expect(reports.syncInterval('IMO1')).toBeNull()
        reports.setSyncInterval('IMO1', 900, '2025-03-01T12:00:00.000Z')
        reports.setSyncInterval('IMO1', 600, '2025-03-01T12:05:00.000Z')
        expect(reports.syncInterval('IMO1')).toBe(600)
        const sessions = new SessionLog(db, { clock })
        sessions.finish(sessions.start('IMO1'), { state: 'complete' })
        advance(1000)
        sessions.finish(sessions.start('IMO1'), { state: 'failed', error: 'cut' })
        expect(reports.failedSinceComplete('IMO1')).toBe(1)
        expect(sessions.outcomesSince('2025-03-01T00:00:00.000Z')).toEqual(
          new Map([['IMO1', { complete: 1, failed: 1 }]]),
        )
        reports.addUnreached('IMO1', '2025-03-01T12:00:00.000Z', 2)
        reports.addUnreached('IMO1', '2025-03-01T13:00:00.000Z', 3)
        reports.addUnreached('IMO2', '2025-03-01T09:00:00.000Z', 1)
        expect(reports.unreachedSince('2025-03-01T10:00:00.000Z')).toEqual(new Map([['IMO1', 5]]))
      })
    })

    describe('LinkPresenceStore', () => {
      const t = (s: number) => new Date(Date.UTC(2025, 2, 1, 12, 0, s)).toISOString()

      it('says where each vessel is connected, in a session or not, while its relay refreshes the row', () => {
        const presence = new LinkPresenceStore(db)
        presence.connected('IMO1', 'relay-a:1', t(0), t(30), true)
        presence.connected('IMO2', 'relay-b:2', t(0), t(30))
        presence.session('IMO1', 'relay-a:1', true, t(5), t(35))
        presence.session('IMO1', 'relay-b:2', false, t(6), t(36)) // not B's row: no effect
        expect(presence.current(t(10))).toEqual(
          new Map([
            [
              'IMO1',
              {
                vessel: 'IMO1',
                relay: 'relay-a:1',
                connectedAt: t(0),
                seenAt: t(5),
                freshUntil: t(35),
                inSession: true,
                persistent: true,
              },
            ],
            [
              'IMO2',
              {
                vessel: 'IMO2',
                relay: 'relay-b:2',
                connectedAt: t(0),
                seenAt: t(0),
                freshUntil: t(30),
                inSession: false,
                persistent: false,
              },
            ],
          ]),
        )
        // B stops refreshing (killed): its row drops out once its time is up; A's heartbeat keeps its own.
        presence.seen('relay-a:1', ['IMO1'], t(31), t(59))
        expect([...presence.current(t(32)).keys()]).toEqual(['IMO1'])
        // The vessel moves to B: the newer connection replaces A's row, and A leaving later keeps it.
        presence.connected('IMO1', 'relay-b:2', t(40), t(59))
        presence.disconnected('IMO1', 'relay-a:1')
        expect(presence.current(t(41)).get('IMO1')).toMatchObject({ relay: 'relay-b:2', inSession: false })
        presence.disconnected('IMO1', 'relay-b:2')
        expect(presence.current(t(41)).size).toBe(0)
      })
    })
  })
}
