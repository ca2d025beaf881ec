/**
 * A summary row per container for lists, search and filters without loading 2,000 documents. It is
 * derived from the document on every write, in the same transaction.
 */
import type { SqlDatabase, SqlStatement } from '@tally/storage-sqlite'
import * as A from '@automerge/automerge'
import { toPlain, conflictsOf } from '@tally/manifest'
import type { ContainerDoc, ContainerKey } from '@tally/manifest'

export interface ContainerRow {
  doc_id: string
  vessel: string
  voyage: string
  container_id: string
  iso_type: string
  heads: string
  chunks: number
  objects: string | null
  dirty: number
  conflict: number
  /** 1 while the document may hold a critical change its link peer lacks (see markCritical). */
  critical: number
}

/** Summary columns a change can set directly (field path → column). */
export const SUMMARY_COLUMNS: Record<string, string> = {
  'cargo.booking': 'booking',
  'cargo.pod': 'pod',
  'physical.stowage': 'stowage',
  'physical.state': 'state',
  'physical.condition': 'condition',
  'customs.status': 'customs',
  'physical.sealIntact': 'seal_broken',
  'cargo.dg': 'dg',
  'reefer.alarm': 'alarm',
}

export interface ListQuery {
  vessel?: string
  voyage?: string
  /** false: only containers without a booking (registered aboard and not yet booked ashore). */
  booked?: boolean
  q?: string
  state?: string
  customs?: string
  condition?: string
  bay?: string
  reefer?: boolean
  dg?: boolean
  alarm?: boolean
  conflict?: boolean
  /** `broken` or `intact`. */
  seal?: string
  /** Port of discharge (UN/LOCODE). */
  pod?: string
  /** Damaged or with a broken seal: the boxes that came back with an exception. */
  exception?: boolean
  /** Changed at or after this ISO time (as this replica recorded it). */
  since?: string
  sort?: string
  limit?: number
  offset?: number
}

const SORTS: Record<string, string> = {
  containerId: 'container_id',
  stowage: 'stowage',
  state: 'state',
  updated: 'updated_at',
  customs: 'customs',
  condition: 'condition',
  pod: 'pod',
  vessel: 'vessel',
  bay: 'bay',
}

/** The sort keys a list query takes (prefix `-` for descending). */
export const LIST_SORT_KEYS = Object.keys(SORTS)

/**
 * Words a search box may hold that name a state rather than a number: "damaged" finds the damaged
 * boxes, "held" the held ones, "broken seal" the broken seals. Matched whole, case-insensitively.
 */
const WORD_FILTERS: Record<string, string> = {
  damaged: `condition = 'DAMAGED'`,
  'broken seal': 'seal_broken = 1',
  'seal broken': 'seal_broken = 1',
  broken: 'seal_broken = 1',
  alarm: 'alarm = 1',
  reefer: 'reefer = 1',
  dg: 'dg = 1',
  conflict: 'conflict = 1',
}
const STATE_WORDS = ['PLANNED', 'LOADED', 'ON_BOARD', 'DISCHARGED', 'SHORT_SHIPPED']
const CUSTOMS_WORDS = ['PENDING', 'HELD', 'RELEASED', 'INSPECTION']

/** The SQL condition a search word stands for, or undefined for an ordinary search. */
function wordFilter(q: string): string | undefined {
  const word = q.trim().toLowerCase().replace(/\s+/g, ' ')
  if (WORD_FILTERS[word]) return WORD_FILTERS[word]
  const code = word.toUpperCase().replace(/ /g, '_')
  if (STATE_WORDS.includes(code)) return `state = '${code}'`
  if (CUSTOMS_WORDS.includes(code)) return `customs = '${code}'`
  return undefined
}

export const MAX_LIST_LIMIT = 1000

export class ContainerIndex {
  private readonly upsert: SqlStatement
  private readonly byId: SqlStatement<[string]>
  private readonly lookups = new Map<'created' | 'updated', SqlStatement>()

  constructor(private readonly db: SqlDatabase) {
    // Table `containers` belongs to the storage package's migrations.
    this.upsert = db.prepare(`INSERT INTO containers
      (doc_id, vessel, voyage, container_id, iso_type, heads, chunks, booking, stowage, bay, state, condition, customs, reefer, dg, alarm, seal_broken, conflict, updated_at, objects, critical, pod)
      VALUES (@doc_id, @vessel, @voyage, @container_id, @iso_type, @heads, @chunks, @booking, @stowage, @bay, @state, @condition, @customs, @reefer, @dg, @alarm, @seal_broken, @conflict, @updated_at, @objects, @critical, @pod)
      ON CONFLICT(doc_id) DO UPDATE SET heads=excluded.heads, chunks=excluded.chunks, booking=excluded.booking, stowage=excluded.stowage,
      bay=excluded.bay, state=excluded.state, condition=excluded.condition, customs=excluded.customs, reefer=excluded.reefer,
      dg=excluded.dg, alarm=excluded.alarm, seal_broken=excluded.seal_broken, conflict=excluded.conflict, updated_at=excluded.updated_at,
      dirty=0, objects=excluded.objects, critical=CASE WHEN excluded.critical > containers.critical THEN excluded.critical ELSE containers.critical END, pod=excluded.pod`)
    this.byId = db.prepare(`SELECT * FROM containers WHERE doc_id = ?`)
  }

  get(docId: string): ContainerRow | undefined {
    return this.byId.get(docId) as ContainerRow | undefined
  }

  /**
   * Rewrites a container's row from its document. `critical`: the write added a critical change
   * (the flag is only ever raised here; see clearCritical).
   */
  update(
    docId: string,
    key: ContainerKey,
    doc: A.Doc<ContainerDoc>,
    chunks: number,
    now: string,
    objects: string | null = null,
    critical = false,
  ): void {
    const physical = toPlain(doc.physical) ?? {}
    const cargo = toPlain(doc.cargo) ?? {}
    const stowage: string | null = physical.stowage ?? null
    this.upsert.run({
      doc_id: docId,
      vessel: key.vessel,
      voyage: key.voyage,
      container_id: key.containerId,
      iso_type: toPlain(doc.isoType) ?? '',
      heads: JSON.stringify(A.getHeads(doc)),
      chunks,
      booking: cargo.booking ?? null,
      pod: cargo.pod ?? null,
      stowage,
      bay: stowage ? stowage.slice(0, 3) : null,
      state: physical.state ?? null,
      condition: physical.condition ?? null,
      customs: toPlain(doc.customs?.status) ?? null,
      reefer: doc.reefer ? 1 : 0,
      dg: cargo.dg ? 1 : 0,
      alarm: doc.reefer?.alarm ? 1 : 0,
      seal_broken: physical.sealIntact === false ? 1 : 0,
      conflict: conflictsOf(doc).length > 0 ? 1 : 0,
      updated_at: now,
      objects,
      critical: critical ? 1 : 0,
    })
  }

  /** Removes a container's row (its document went to an archive). */
  remove(docId: string): void {
    this.db.prepare(`DELETE FROM containers WHERE doc_id = ?`).run(docId)
  }

  /** The rows of one voyage. */
  voyageRows(vessel: string, voyage: string): ContainerRow[] {
    return this.db
      .prepare(`SELECT * FROM containers WHERE vessel = ? AND voyage = ?`)
      .all(vessel, voyage) as ContainerRow[]
  }

  /** The voyages a vessel's rows belong to, with how many containers each. */
  voyageCounts(vessel: string): { voyage: string; containers: number; notBooked: number }[] {
    return this.db
      .prepare(
        // Portable to PostgreSQL: no sum over a boolean, and a quoted alias keeps its case.
        `SELECT voyage, count(*) AS containers,
           sum(CASE WHEN booking IS NULL THEN 1 ELSE 0 END) AS "notBooked" FROM containers
         WHERE vessel = ? GROUP BY voyage ORDER BY min(rowid)`,
      )
      .all(vessel) as { voyage: string; containers: number; notBooked: number }[]
  }

  /** The link peer holds every change of the document (the caller checked its heads). */
  clearCritical(docId: string): void {
    this.db.prepare(`UPDATE containers SET critical = 0 WHERE doc_id = ?`).run(docId)
  }

  /** The peer must get the document again from its start (it lacked a change we assumed it had). */
  markCritical(docId: string): void {
    this.db.prepare(`UPDATE containers SET critical = 1 WHERE doc_id = ?`).run(docId)
  }

  /**
   * Records changes stored without loading the document: new heads, chunk count and object index,
   * plus summary columns the changes set (or the dirty flag when the summary needs the document).
   */
  advance(
    docId: string,
    u: {
      heads: string[]
      chunks: number
      objects: string
      columns: Record<string, unknown>
      dirty: boolean
      now: string
    },
  ): void {
    const sets = [
      'heads = @heads',
      'chunks = @chunks',
      'objects = @objects',
      'updated_at = @now',
      'dirty = CASE WHEN @dirty > dirty THEN @dirty ELSE dirty END',
    ]
    const args: Record<string, unknown> = {
      docId,
      heads: JSON.stringify(u.heads),
      chunks: u.chunks,
      objects: u.objects,
      now: u.now,
      dirty: u.dirty ? 1 : 0,
    }
    for (const [column, value] of Object.entries(u.columns)) {
      sets.push(`${column} = @c_${column}`)
      args[`c_${column}`] = value
    }
    if (u.columns.stowage !== undefined) {
      sets.push('bay = @c_bay')
      args.c_bay = typeof u.columns.stowage === 'string' ? u.columns.stowage.slice(0, 3) : null
    }
    this.db.prepare(`UPDATE containers SET ${sets.join(', ')} WHERE doc_id = @docId`).run(args)
  }

  /** Rows whose summary waits for the document to be loaded. */
  dirtyIds(): string[] {
    return (
      this.db.prepare(`SELECT doc_id FROM containers WHERE dirty = 1`).all() as { doc_id: string }[]
    ).map((r) => r.doc_id)
  }

  /** Filters, sorts and pages the index. Unknown filter values simply match nothing. */
  list(query: ListQuery): { ids: string[]; total: number } {
    const where: string[] = []
    const args: Record<string, unknown> = {}
    const eq = (column: string, name: keyof ListQuery) => {
      if (query[name] === undefined || query[name] === '') return
      where.push(`${column} = @${name}`)
      args[name] = typeof query[name] === 'boolean' ? (query[name] ? 1 : 0) : query[name]
    }
    eq('vessel', 'vessel')
    eq('voyage', 'voyage')
    if (query.booked !== undefined) where.push(query.booked ? 'booking IS NOT NULL' : 'booking IS NULL')
    eq('state', 'state')
    eq('customs', 'customs')
    eq('condition', 'condition')
    eq('bay', 'bay')
    eq('reefer', 'reefer')
    eq('dg', 'dg')
    eq('alarm', 'alarm')
    eq('conflict', 'conflict')
    eq('pod', 'pod')
    if (query.seal === 'broken' || query.seal === 'intact')
      where.push(`seal_broken = ${query.seal === 'broken' ? 1 : 0}`)
    if (query.exception !== undefined)
      where.push(
        query.exception
          ? `(condition = 'DAMAGED' OR seal_broken = 1)`
          : `(coalesce(condition, 'OK') <> 'DAMAGED' AND coalesce(seal_broken, 0) = 0)`,
      )
    if (query.since) {
      where.push('updated_at >= @since')
      args.since = query.since
    }
    if (query.q) {
      const word = wordFilter(query.q)
      where.push(
        `(container_id LIKE @q ESCAPE '\\' OR booking LIKE @q ESCAPE '\\' OR stowage LIKE @q ESCAPE '\\'${word ? ` OR ${word}` : ''})`,
      )
      args.q = `%${query.q.toUpperCase().replace(/[\\%_]/g, (m) => '\\' + m)}%`
    }
    const clause = where.length ? `WHERE ${where.join(' AND ')}` : ''
    const desc = query.sort?.startsWith('-')
    const column = SORTS[(query.sort ?? 'containerId').replace(/^-/, '')] ?? 'container_id'
    const limit = Math.min(Math.max(query.limit ?? 100, 0), MAX_LIST_LIMIT)
    const offset = Math.max(query.offset ?? 0, 0)
    const total = (
      this.db.prepare(`SELECT count(*) AS n FROM containers ${clause}`).get(args) as { n: number }
    ).n
    const rows = this.db
      .prepare(
        `SELECT doc_id FROM containers ${clause} ORDER BY ${column} ${desc ? 'DESC' : 'ASC'}, container_id LIMIT ${limit} OFFSET ${offset}`,
      )
      .all(args) as { doc_id: string }[]
    return { ids: rows.map((r) => r.doc_id), total }
  }

  /** Vessels with at least one container, in no particular order. */
  vessels(): string[] {
    return (this.db.prepare(`SELECT DISTINCT vessel FROM containers`).all() as { vessel: string }[]).map(
      (r) => r.vessel,
    )
  }

  /**
   * The document of container `containerId` on `vessel` (a container may travel on several
   * voyages): the one of `voyage` when given; else the one of `preferVoyage` when there is one;
   * else the newest, by when it was first written (`created`) or last written (`updated`).
   */
  findDocId(
    vessel: string,
    containerId: string,
    o: { newest: 'created' | 'updated'; voyage?: string | null; preferVoyage?: string | null },
  ): string | undefined {
    let stmt = this.lookups.get(o.newest)
    if (!stmt) {
      const newest = o.newest === 'created' ? 'rowid DESC' : 'updated_at DESC NULLS LAST'
      stmt = this.db.prepare(
        `SELECT doc_id FROM containers
         WHERE vessel = @vessel AND container_id = @id AND (CAST(@voyage AS TEXT) IS NULL OR voyage = @voyage)
         ORDER BY CASE WHEN voyage = CAST(@prefer AS TEXT) THEN 0 ELSE 1 END, ${newest} LIMIT 1`,
      )
      this.lookups.set(o.newest, stmt)
    }
    const row = stmt.get({
      vessel,
      id: containerId,
      voyage: o.voyage ?? null,
      prefer: o.preferVoyage ?? null,
    }) as { doc_id: string } | undefined
    return row?.doc_id
  }

  /** Every container's heads, optionally for one vessel. */
  allHeads(vessel?: string): ContainerRow[] {
    return (
      vessel
        ? this.db.prepare(`SELECT * FROM containers WHERE vessel = ?`).all(vessel)
        : this.db.prepare(`SELECT * FROM containers`).all()
    ) as ContainerRow[]
  }
}
