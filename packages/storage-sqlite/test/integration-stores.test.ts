import path from 'node:path'
import type Database from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { DcsaEventStore, openTallyDatabase, SubscriptionStore, TokenStore } from '../src/index.ts'
import type { NewDcsaEvent } from '../src/index.ts'
import { makeTempDir, quietLogger } from './helpers.ts'

let db: Database.Database
let cleanup: () => void

beforeEach(() => {
  const tmp = makeTempDir()
  cleanup = tmp.cleanup
  db = openTallyDatabase(path.join(tmp.dir, 'tally.sqlite'), { logger: quietLogger() })
})

afterEach(() => {
  if (db.open) db.close()
  cleanup()
})

const event = (n: number, over: Partial<NewDcsaEvent> = {}): NewDcsaEvent => ({
  eventId: `id-${n}`,
  docId: 'doc-1',
  vessel: 'IMO9811000',
  equipmentReference: 'CSQU3054383',
  eventType: 'EQUIPMENT',
  typeCode: 'INSP',
  documentTypeCode: null,
  carrierBookingReference: 'BKG1',
  transportDocumentReference: null,
  createdAt: `2026-11-01T0${n}:00:00.000Z`,
  body: { eventID: `id-${n}` },
  ...over,
})

describe('DcsaEventStore', () => {
  it('appends in admission order, ignores an event stored twice, and keeps the heads', () => {
    const events = new DcsaEventStore(db)
    expect(events.indexedHeads('doc-1')).toBeNull()
    expect(events.append('doc-1', ['h1'], [event(1), event(2)])).toBe(2)
    expect(
      events.append('doc-1', ['h2'], [event(2), event(3, { eventType: 'SHIPMENT', typeCode: 'HOLD' })]),
    ).toBe(1)
    expect(events.indexedHeads('doc-1')).toEqual(['h2'])
    expect(events.page({}, 0, 10).map((e) => e.eventId)).toEqual(['id-1', 'id-2', 'id-3'])
    expect(events.page({}, 1, 1).map((e) => e.eventId)).toEqual(['id-2'])
    expect(events.lastSeq()).toBe(3)
  })

  it('filters by type, per-type code, equipment, vessel and creation time', () => {
    const events = new DcsaEventStore(db)
    events.append(
      'doc-1',
      ['h'],
      [
        event(1, { typeCode: 'LOAD' }),
        event(2),
        event(3, { eventType: 'SHIPMENT', typeCode: 'HOLD', documentTypeCode: 'CUS' }),
        event(4, { equipmentReference: 'MWCU6059784', vessel: 'IMO9000000' }),
      ],
    )
    const ids = (f: Parameters<DcsaEventStore['page']>[0]) => events.page(f, 0, 10).map((e) => e.eventId)
    expect(ids({ eventType: ['SHIPMENT'] })).toEqual(['id-3'])
    expect(ids({ typeCodesByEventType: { EQUIPMENT: ['LOAD'] } })).toEqual(['id-1', 'id-3'])
    expect(ids({ eventType: ['EQUIPMENT'], typeCodesByEventType: { EQUIPMENT: ['LOAD'] } })).toEqual(['id-1'])
    expect(ids({ equipmentReference: 'MWCU6059784' })).toEqual(['id-4'])
    expect(ids({ vessel: 'IMO9811000', documentTypeCode: ['CUS'] })).toEqual(['id-3'])
    expect(ids({ createdAt: { gte: '2026-11-01T02:00:00.000Z', lt: '2026-11-01T04:00:00.000Z' } })).toEqual([
      'id-2',
      'id-3',
    ])
  })
})

describe('SubscriptionStore', () => {
  it('keeps the delivery position and the retry state, and deletes softly', () => {
    const subs = new SubscriptionStore(db)
    const s = subs.create({
      id: 's1',
      owner: 'user:integration:broker',
      callbackUrl: 'http://127.0.0.1:9/cb',
      secret: 'c2VjcmV0',
      filters: { eventType: ['EQUIPMENT'] },
      startAfterSeq: 7,
    })
    expect(s).toMatchObject({
      deliveredSeq: 7,
      attempts: 0,
      failingSince: null,
      filters: { eventType: ['EQUIPMENT'] },
    })
    subs.failed('s1', 'HTTP 500', '2026-11-01T00:00:10.000Z')
    subs.failed('s1', 'HTTP 503', '2026-11-01T00:00:30.000Z')
    const failing = subs.get('s1')!
    expect(failing).toMatchObject({
      attempts: 2,
      lastError: 'HTTP 503',
      nextAttemptAt: '2026-11-01T00:00:30.000Z',
    })
    expect(failing.failingSince).not.toBeNull()
    subs.delivered('s1', 12, 5)
    expect(subs.get('s1')).toMatchObject({
      deliveredSeq: 12,
      deliveredEvents: 5,
      attempts: 0,
      failingSince: null,
    })
    subs.skipTo('s1', 10)
    expect(subs.get('s1')!.deliveredSeq).toBe(12)
    expect(subs.list('user:integration:broker')).toHaveLength(1)
    expect(subs.delete('s1')).toBe(true)
    expect(subs.get('s1')).toBeUndefined()
    expect(subs.list()).toEqual([])
  })
})

describe('integration tokens', () => {
  it('are stored hashed with their scope and can be revoked', () => {
    const tokens = new TokenStore(db)
    const { token, record } = tokens.issueWithRecord('integration', 'broker', 'customs')
    expect(token.startsWith('tly_integration_')).toBe(true)
    expect(tokens.verify(token)).toMatchObject({ kind: 'integration', subject: 'broker', role: 'customs' })
    expect(JSON.stringify(db.prepare('SELECT * FROM tokens').all())).not.toContain(token)
    expect(tokens.revoke(record.id)).toBe(true)
    expect(tokens.verify(token)).toBeNull()
  })
})
