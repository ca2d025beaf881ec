/**
 * Per-vessel operator settings (table `ops_vessel_settings`): the daily byte budget, the expected
 * sync window that the lag alert measures against, and the link's pacing. They live in the relay's
 * database, so a restart keeps them, and the CLI, the dashboard and every relay on a shared
 * database share them (docs/operations.md, "Budgets").
 */
import type { SqlDatabase } from './sql-database.ts'

/** What an operator configured for one vessel; null means "use the default" (no budget, default window). */
export interface VesselOpsSettings {
  imo: string
  /** Bytes per UTC day (both directions) after which only critical changes are sent; null: no budget. */
  dailyBudgetBytes: number | null
  /** How long this vessel normally goes between syncs; null: the relay's default window. */
  expectedWindowS: number | null
  /**
   * The link's batching windows and keepalive for this vessel, in seconds (docs/protocol.md,
   * "Rounds"); null: the defaults. The relay paces its pokes by them and tells the vessel in the
   * welcome (a vessel started with its own window flags keeps those).
   */
  linkPacing: LinkPacing | null
  updatedAt: string | null
  updatedBy: string | null
}

export interface LinkPacing {
  criticalS: number
  normalS: number
  routineS: number
  keepaliveS: number
}

/** A change to a vessel's settings: a field left out stays as it is, null clears it. */
export type VesselOpsSettingsPatch = Partial<
  Pick<VesselOpsSettings, 'dailyBudgetBytes' | 'expectedWindowS' | 'linkPacing'>
>

interface Row {
  imo: string
  daily_budget_bytes: number | null
  expected_window_s: number | null
  link_pacing: string | null
  updated_at: string
  updated_by: string | null
}

const toSettings = (row: Row): VesselOpsSettings => ({
  imo: row.imo,
  dailyBudgetBytes: row.daily_budget_bytes,
  expectedWindowS: row.expected_window_s,
  linkPacing: row.link_pacing ? (JSON.parse(row.link_pacing) as LinkPacing) : null,
  updatedAt: row.updated_at,
  updatedBy: row.updated_by,
})

/** Table `ops_vessel_settings` (created by the storage migrations). */
export class OpsSettingsStore {
  private readonly stmts: ReturnType<typeof prepare>

  constructor(db: SqlDatabase) {
    this.stmts = prepare(db)
  }

  /** The vessel's settings; defaults (all null) when none were ever set. */
  get(imo: string): VesselOpsSettings {
    const row = this.stmts.get.get(imo)
    return row
      ? toSettings(row)
      : {
          imo,
          dailyBudgetBytes: null,
          expectedWindowS: null,
          linkPacing: null,
          updatedAt: null,
          updatedBy: null,
        }
  }

  /** Every vessel with settings, by IMO. */
  all(): Map<string, VesselOpsSettings> {
    return new Map(this.stmts.all.all().map((row) => [row.imo, toSettings(row)]))
  }

  /** Applies a patch and returns the new settings. */
  update(
    imo: string,
    patch: VesselOpsSettingsPatch,
    by: string,
    now = new Date().toISOString(),
  ): VesselOpsSettings {
    const current = this.get(imo)
    const next = {
      dailyBudgetBytes:
        patch.dailyBudgetBytes === undefined ? current.dailyBudgetBytes : patch.dailyBudgetBytes,
      expectedWindowS: patch.expectedWindowS === undefined ? current.expectedWindowS : patch.expectedWindowS,
      linkPacing: patch.linkPacing === undefined ? current.linkPacing : patch.linkPacing,
    }
    this.stmts.upsert.run(
      imo,
      next.dailyBudgetBytes,
      next.expectedWindowS,
      next.linkPacing ? JSON.stringify(next.linkPacing) : null,
      now,
      by,
    )
    return this.get(imo)
  }
}

function prepare(db: SqlDatabase) {
  return {
    get: db.prepare<[string], Row>('SELECT * FROM ops_vessel_settings WHERE imo = ?'),
    all: db.prepare<[], Row>('SELECT * FROM ops_vessel_settings ORDER BY imo'),
    upsert: db.prepare<[string, number | null, number | null, string | null, string, string]>(
      `INSERT INTO ops_vessel_settings
         (imo, daily_budget_bytes, expected_window_s, link_pacing, updated_at, updated_by)
       VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT(imo) DO UPDATE SET daily_budget_bytes = excluded.daily_budget_bytes,
         expected_window_s = excluded.expected_window_s, link_pacing = excluded.link_pacing,
         updated_at = excluded.updated_at,
         updated_by = excluded.updated_by`,
    ),
  }
}
