/**
 * The crew's voyages (docs/api.md, "Vessel node"): `GET /api/voyages` (each with its port calls, the
 * port that matters now, whether it is current, closed or archived) and the containers of one voyage,
 * live or read from its archive file once archived (read-only).
 */
import { Router } from 'express'
import { invalid, TallyError } from '@tally/manifest'
import type { ContainerView, PrincipalOf } from '@tally/manifest'
import type { VoyageArchiver } from './voyage-archive.ts'
import type { VesselVoyages } from './voyages.ts'
import type { ViewCache } from './view-cache.ts'
import { parseListQuery } from './list-query.ts'

export interface VoyageRoutesDeps {
  vessel: string
  voyages: VesselVoyages
  archiver: VoyageArchiver
  views: ViewCache
  principalOf: PrincipalOf
}

/** Archives kept decoded in memory: browsing reads the same one page after page. */
const ARCHIVES_IN_MEMORY = 2

function parseVoyage(value: string): string {
  const voyage = value.toUpperCase()
  if (!/^[A-Z0-9]{1,10}$/.test(voyage)) throw invalid('voyage', 'must be 1–10 letters or digits')
  return voyage
}

export function voyageRoutes(d: VoyageRoutesDeps): Router {
  const router = Router()
  const archives = new Map<string, ContainerView[]>()

  const archived = (voyage: string): ContainerView[] => {
    let views = archives.get(voyage)
    if (!views) {
      views = d.archiver
        .archivedViews(voyage, d.principalOf)
        .sort((a, b) => a.containerId.localeCompare(b.containerId))
      archives.set(voyage, views)
      while (archives.size > ARCHIVES_IN_MEMORY) archives.delete(archives.keys().next().value!)
    }
    return views
  }

  router.get('/voyages', (_req, res) => {
    res.json(d.voyages.list())
  })

  router.get('/voyages/:voyage/containers', (req, res) => {
    const voyage = parseVoyage(req.params.voyage)
    const query = parseListQuery(req.query as Record<string, unknown>, d.vessel)
    if (!d.voyages.record(voyage)?.archiveFile) {
      res.json({ ...d.views.list({ ...query, voyage }), archived: false })
      return
    }
    const q = query.q?.toUpperCase()
    const all = archived(voyage).filter(
      (v) => !q || v.containerId.includes(q) || (v.cargo.booking ?? '').toUpperCase().includes(q),
    )
    const offset = query.offset ?? 0
    res.json({ items: all.slice(offset, offset + (query.limit ?? 100)), total: all.length, archived: true })
  })

  router.get('/voyages/:voyage/containers/:id', (req, res) => {
    const voyage = parseVoyage(req.params.voyage)
    if (!d.voyages.record(voyage)?.archiveFile)
      throw new TallyError('NOT_FOUND', `voyage ${voyage} is not archived; open the container from the list`)
    const id = req.params.id.toUpperCase()
    const view = archived(voyage).find((v) => v.containerId === id)
    if (!view) throw new TallyError('NOT_FOUND', `No container ${id} in the archive of voyage ${voyage}.`)
    res.json(view)
  })

  return router
}
