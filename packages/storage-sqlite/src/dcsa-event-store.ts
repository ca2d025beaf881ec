/**
 * The DCSA Track & Trace events derived from container histories (docs/integrations.md), kept in
 * admission order. `seq` orders the feed: it is what a cursor and a subscription's delivery position
 * point at, so an event admitted late (a vessel syncing after weeks at sea) is still "new" to every
 * reader even though its `eventCreatedDateTime` is old.
 */
import type { SqlDatabase, SqlStatement } from './sql-database.ts'

export type DcsaEventType = 'EQUIPMENT' | 'SHIPMENT' | 'TRANSPORT'

/** One event, with the columns the filters use beside its JSON body. */
export interface NewDcsaEvent {
  eventId: string
  docId: string
  /** The vessel as Tally names it, e.g. `IMO9811000`. */
  vessel: string
  equipmentReference: string
  eventType: DcsaEventType
  /** `equipmentEventTypeCode`, `shipmentEventTypeCode` or `transportEventTypeCode`. */
  typeCode: string
  documentTypeCode: string | null
  carrierBookingReference: string | null
  transportDocumentReference: string | null
  /** ISO 8601 UTC, as the body's `eventCreatedDateTime`. */
  createdAt: string
  body: Record<string, unknown>
}

export interface StoredDcsaEvent {
  seq: number
  eventId: string
  body: Record<string, unknown>
}

/** Filters, each optional; lists match any of their values. */
export interface DcsaEventFilter {
  eventType?: DcsaEventType[]
  /** Matches the type code of any event type (equipment, shipment or transport). */
  typeCodes?: string[]
  /** Type codes that apply only to events of one type: `{EQUIPMENT: ['LOAD']}`. */
  typeCodesByEventType?: Partial<Record<DcsaEventType, string[]>>
  documentTypeCode?: string[]
  equipmentReference?: string
  vessel?: string
  carrierBookingReference?: string
  transportDocumentReference?: string
  createdAt?: { gte?: string; gt?: string; lte?: string; lt?: string; eq?: string }
}

interface EventRow {
  seq: number
  event_id: string
  body: string
}

const COMPARISONS = { gte: '>=', gt: '>', lte: '<=', lt: '<', eq: '=' } as const

export class DcsaEventStore {
  private readonly stmts: ReturnType<typeof prepare>
  /** Compares with the replica's summary table (packages/replica), which holds every document's heads. */
  private stale: SqlStatement<[], { doc_id: string }> | undefined

  constructor(private readonly db: SqlDatabase) {
    this.stmts = prepare(db)
  }

  /** The heads of a document as far as its events have been derived, or null if never. */
  indexedHeads(docId: string): string[] | null {
    const row = this.stmts.heads.get(docId)
    return row ? (JSON.parse(row.heads) as string[]) : null
  }

  /**
   * Records a document's new events and the heads they were derived up to, in one transaction
   * (`heads` null: events of no document, such as a voyage's transport events).
   * An event already stored (same ID) is left alone, so deriving twice is harmless.
   */
  append(docId: string, heads: string[] | null, events: NewDcsaEvent[]): number {
    let added = 0
    this.db.transaction(() => {
      for (const e of events)
        added += this.stmts.insert.run({
          event_id: e.eventId,
          doc_id: e.docId,
          vessel: e.vessel,
          equipment_reference: e.equipmentReference,
          event_type: e.eventType,
          type_code: e.typeCode,
          document_type_code: e.documentTypeCode,
          carrier_booking_reference: e.carrierBookingReference,
          transport_document_reference: e.transportDocumentReference,
          created_at: e.createdAt,
          body: JSON.stringify(e.body),
        }).changes
      if (heads) this.stmts.setHeads.run(docId, JSON.stringify(heads))
    })()
    return added
  }

  /** Documents of the replica whose events lag behind their stored heads (or were never derived). */
  staleDocIds(): string[] {
    // Prepared on first use: the replica creates its summary table after the stores are opened.
    this.stale ??= this.db.prepare<[], { doc_id: string }>(
      `SELECT c.doc_id FROM containers c LEFT JOIN dcsa_indexed d ON d.doc_id = c.doc_id
       WHERE d.heads IS NULL OR d.heads != c.heads ORDER BY c.rowid`,
    )
    return this.stale.all().map((r) => r.doc_id)
  }

  /** The newest sequence number, 0 when there are no events. */
  lastSeq(): number {
    return this.stmts.lastSeq.get()?.seq ?? 0
  }

  /** Events after `afterSeq` that match `filter`, oldest first, at most `limit`. */
  page(filter: DcsaEventFilter, afterSeq: number, limit: number): StoredDcsaEvent[] {
    const { where, params } = whereOf(filter, afterSeq)
    // Only column names and operators from this file are spliced in; every value is bound.
    const rows = this.db
      .prepare<[Record<string, string | number>], EventRow>(
        `SELECT seq, event_id, body FROM dcsa_events WHERE ${where} ORDER BY seq LIMIT @limit`,
      )
      .all({ ...params, limit })
    return rows.map((r) => ({ seq: r.seq, eventId: r.event_id, body: JSON.parse(r.body) }))
  }

  /** How many events after `afterSeq` match `filter` (a subscription's backlog). */
  count(filter: DcsaEventFilter, afterSeq: number): number {
    const { where, params } = whereOf(filter, afterSeq)
    const row = this.db
      .prepare<[Record<string, string | number>], { n: number | string }>(
        `SELECT COUNT(*) AS n FROM dcsa_events WHERE ${where}`,
      )
      .get(params)
    // A number on SQLite; PostgreSQL's COUNT is a bigint, which may arrive as a string.
    return Number(row?.n ?? 0)
  }

  /** Event counts by type and code, for the docs and the dashboard. */
  countsByType(): { eventType: string; typeCode: string; count: number }[] {
    return this.stmts.counts
      .all()
      .map((r) => ({ eventType: r.event_type, typeCode: r.type_code, count: r.n }))
  }
}

/** The WHERE clause of a filter (column names and operators only; values are bound). */
function whereOf(
  filter: DcsaEventFilter,
  afterSeq: number,
): { where: string; params: Record<string, string | number> } {
  const where: string[] = ['seq > @after']
  const params: Record<string, string | number> = { after: afterSeq }
  const list = (column: string, name: string, values: string[] | undefined) => {
    if (!values || values.length === 0) return
    where.push(`${column} IN (${values.map((_, i) => `@${name}${i}`).join(', ')})`)
    values.forEach((v, i) => (params[`${name}${i}`] = v))
  }
  list('event_type', 'et', filter.eventType)
  list('type_code', 'tc', filter.typeCodes)
  list('document_type_code', 'dt', filter.documentTypeCode)
  if (filter.typeCodesByEventType) {
    // A code filter for one event type says nothing about events of the other types.
    Object.entries(filter.typeCodesByEventType).forEach(([type, codes], k) => {
      if (!codes || codes.length === 0) return
      const names = codes.map((_, i) => `@bt${k}_${i}`)
      codes.forEach((c, i) => (params[`bt${k}_${i}`] = c))
      params[`btt${k}`] = type
      where.push(`(event_type != @btt${k} OR type_code IN (${names.join(', ')}))`)
    })
  }
  const equal = (column: string, name: string, value: string | undefined) => {
    if (value === undefined) return
    where.push(`${column} = @${name}`)
    params[name] = value
  }
  equal('equipment_reference', 'eq_ref', filter.equipmentReference)
  equal('vessel', 'vessel', filter.vessel)
  equal('carrier_booking_reference', 'cbr', filter.carrierBookingReference)
  equal('transport_document_reference', 'tdr', filter.transportDocumentReference)
  for (const [op, value] of Object.entries(filter.createdAt ?? {})) {
    if (value === undefined) continue
    where.push(`created_at ${COMPARISONS[op as keyof typeof COMPARISONS]} @created_${op}`)
    params[`created_${op}`] = value
  }
  return { where: where.join(' AND '), params }
}

function prepare(db: SqlDatabase) {
  return {
    heads: db.prepare<[string], { heads: string }>('SELECT heads FROM dcsa_indexed WHERE doc_id = ?'),
    setHeads: db.prepare<[string, string]>(
      `INSERT INTO dcsa_indexed (doc_id, heads) VALUES (?, ?)
       ON CONFLICT(doc_id) DO UPDATE SET heads = excluded.heads`,
    ),
    insert: db.prepare<[Record<string, string | null>]>(
      `INSERT INTO dcsa_events
         (event_id, doc_id, vessel, equipment_reference, event_type, type_code, document_type_code,
          carrier_booking_reference, transport_document_reference, created_at, body)
       VALUES (@event_id, @doc_id, @vessel, @equipment_reference, @event_type, @type_code,
          @document_type_code, @carrier_booking_reference, @transport_document_reference, @created_at, @body)
       ON CONFLICT (event_id) DO NOTHING`,
    ),
    lastSeq: db.prepare<[], { seq: number }>('SELECT MAX(seq) AS seq FROM dcsa_events'),
    counts: db.prepare<[], { event_type: string; type_code: string; n: number }>(
      `SELECT event_type, type_code, COUNT(*) AS n FROM dcsa_events GROUP BY event_type, type_code
       ORDER BY event_type, type_code`,
    ),
  }
}
