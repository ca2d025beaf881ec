/**
 * The voyages aboard: the records the relay sends (port calls, open or closed), the live documents
 * of each, and which voyage is current. The current voyage is the oldest open one: voyage N sails
 * until the shore closes it, while N+1, booked meanwhile, waits its turn. Without any record (a node
 * from before voyages were synced), the voyage of the most recently written container is current.
 */
import { currentPortCall } from '@tally/manifest'
import type { PortCall } from '@tally/manifest'
import type { ContainerStore } from '@tally/replica'
import type { StoredVoyage, VoyageStore } from '@tally/storage-sqlite'

export interface VoyageSummary {
  voyage: string
  status: 'OPEN' | 'CLOSED'
  portCalls: PortCall[]
  createdAt: string | null
  closedAt: string | null
  archived: boolean
  archiveFile: string | null
  current: boolean
  /** Live containers (0 once archived). */
  containers: number
  /** The port call the vessel is in, or the next one; null when none is planned or all are done. */
  port: { locode: string; eta: string | null; ata: string | null; inPort: boolean } | null
}

export class VesselVoyages {
  constructor(
    private readonly store: ContainerStore,
    private readonly voyages: VoyageStore,
    private readonly vessel: string,
  ) {}

  record(voyage: string): StoredVoyage | undefined {
    return this.voyages.get(this.vessel, voyage)
  }

  closedAt(voyage: string): string | undefined {
    return this.voyages.closedAt(this.vessel, voyage)
  }

  current(): string | undefined {
    const open = this.voyages.list(this.vessel).find((v) => v.status === 'OPEN')
    if (open) return open.voyage
    const counts = this.store.index.voyageCounts(this.vessel)
    const closed = new Set(this.voyages.list(this.vessel).map((v) => v.voyage))
    return counts.filter((c) => !closed.has(c.voyage)).at(-1)?.voyage
  }

  /** The port call that matters now in `voyage`, as {@link VoyageSummary.port}. */
  port(voyage: string): VoyageSummary['port'] {
    const found = currentPortCall(this.record(voyage)?.portCalls ?? [])
    return found
      ? { locode: found.call.locode, eta: found.call.eta, ata: found.call.ata, inPort: found.inPort }
      : null
  }

  list(): VoyageSummary[] {
    const current = this.current()
    const counts = new Map(this.store.index.voyageCounts(this.vessel).map((c) => [c.voyage, c.containers]))
    const records = this.voyages.list(this.vessel)
    const out: VoyageSummary[] = records.map((r) => ({
      voyage: r.voyage,
      status: r.status,
      portCalls: r.portCalls,
      createdAt: r.createdAt,
      closedAt: r.closedAt,
      archived: r.archivedAt !== null,
      archiveFile: r.archiveFile,
      current: r.voyage === current,
      containers: counts.get(r.voyage) ?? 0,
      port: this.port(r.voyage),
    }))
    for (const [voyage, containers] of counts)
      if (!records.some((r) => r.voyage === voyage))
        out.push({
          voyage,
          status: 'OPEN',
          portCalls: [],
          createdAt: null,
          closedAt: null,
          archived: false,
          archiveFile: null,
          current: voyage === current,
          containers,
          port: null,
        })
    return out
  }
}
