/**
 * Alerts evaluated by several relays on one PostgreSQL (docs/operations.md, "Several relays on
 * PostgreSQL"): each relay runs the rules on its own timer, yet an alert is one row per kind and
 * subject, and the webhook hears of each firing and each resolution once. The race is made
 * explicit: relay B evaluates on a view of the firing alerts read before relay A wrote its own.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { pino } from 'pino'
import { AlertStore } from '@tally/storage-sqlite'
import { openPostgresDatabase, type PostgresDatabase } from '@tally/storage-postgres'
import { AlertEngine, DEFAULT_THRESHOLDS } from '../../relay/src/ops/alerts.ts'
import type { Alert, AlertNotification } from '../../relay/src/ops/alerts.ts'
import type { FleetOps } from '../../relay/src/ops/fleet-ops.ts'
import type { WebhookNotifier } from '../../relay/src/ops/webhook.ts'
import { startPgCluster, type PgCluster } from '../support/postgres-cluster.ts'

let cluster: PgCluster
let dbA: PostgresDatabase
let dbB: PostgresDatabase

beforeAll(async () => {
  cluster = await startPgCluster({ fast: true })
  const url = cluster.createDatabase('alerts')
  dbA = openPostgresDatabase(url)
  dbB = openPostgresDatabase(url)
}, 120_000)

afterAll(() => {
  dbA?.close()
  dbB?.close()
  cluster?.destroy()
})

describe('alerts on relays sharing one database', () => {
  it('keep one row per alert and announce each transition once', () => {
    const heard: AlertNotification[] = []
    const webhook = { notify: (n: AlertNotification) => void heard.push(n) } as unknown as WebhookNotifier
    const noVessels = { snapshot: () => [] } as unknown as FleetOps
    let failing = true
    const rule = () =>
      failing
        ? [
            {
              kind: 'callback' as const,
              subject: 'subscription-7',
              value: 3,
              threshold: 1,
              message: 'callback refuses deliveries',
            },
          ]
        : []
    const engine = (db: PostgresDatabase, name: string) => {
      const e = new AlertEngine(
        new AlertStore(db),
        noVessels,
        DEFAULT_THRESHOLDS,
        pino({ level: 'silent' }),
        webhook,
        () => name,
      )
      e.addRule(rule)
      return e
    }
    const a = engine(dbA, 'relay-a')
    const b = engine(dbB, 'relay-b')
    /** B's next evaluation sees the firing alerts as `seen` (read before A's write landed). */
    const staleAtB = (seen: Alert[]) => {
      const real = b.active.bind(b)
      b.active = () => {
        b.active = real
        return seen
      }
    }
    const firingRows = () =>
      dbA.prepare<[], { n: number }>(`SELECT count(*) AS n FROM ops_alerts WHERE state = 'firing'`).get()!.n

    staleAtB([])
    expect(a.evaluate().fired).toHaveLength(1)
    expect(b.evaluate().fired).toHaveLength(0) // raced A's insert: no second row, no second webhook
    expect(b.evaluate().fired).toHaveLength(0)
    expect(firingRows()).toBe(1)

    failing = false
    const open = a.active()
    expect(a.evaluate().resolved).toHaveLength(1)
    staleAtB(open)
    expect(b.evaluate().resolved).toHaveLength(0) // raced A's resolution
    expect(firingRows()).toBe(0)

    expect(heard.map((n) => `${n.status} ${n.relay}`)).toEqual(['firing relay-a', 'resolved relay-a'])
  })
})
