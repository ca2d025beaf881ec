/**
 * `/api/vessels/:imo/voyages`: a vessel's voyages, their port calls (shore role) and closing one
 * (`POST …/:voyage/close`, shore role): 200 with the closed voyage, or 409 with what is not in sync.
 */
import { Router } from 'express'
import type { Request } from 'express'
import { invalid, TallyError } from '@tally/manifest'
import { userOf } from '../auth.ts'
import type { RelayContext } from '../context.ts'
import { parseImo } from '../query.ts'
import { closeVoyage, getVoyage, listVoyages, setPortCalls } from '../voyage-lifecycle.ts'

type Params = { imo: string; voyage?: string }

function parseVoyage(value: string | undefined): string {
  if (!value || !/^[A-Z0-9]{1,10}$/.test(value)) throw invalid('voyage', 'must be 1–10 letters or digits')
  return value
}

function requireShore(role: string, what: string): void {
  if (role !== 'shore') throw new TallyError('FORBIDDEN', `only the shore role may ${what}; you are ${role}`)
}

export function voyageRoutes(ctx: RelayContext): Router {
  const router = Router({ mergeParams: true })

  router.get('/', (req: Request<Params>, res) => {
    res.json(listVoyages(ctx, parseImo(req.params.imo)))
  })

  router.get('/:voyage', (req: Request<Params>, res) => {
    res.json(getVoyage(ctx, parseImo(req.params.imo), parseVoyage(req.params.voyage)))
  })

  router.put('/:voyage', (req: Request<Params>, res) => {
    const imo = parseImo(req.params.imo)
    const voyage = parseVoyage(req.params.voyage)
    requireShore(userOf(res).role, 'edit port calls')
    res.json(setPortCalls(ctx, imo, voyage, req.body))
  })

  router.post('/:voyage/close', async (req: Request<Params>, res) => {
    const imo = parseImo(req.params.imo)
    const voyage = parseVoyage(req.params.voyage)
    const user = userOf(res)
    requireShore(user.role, 'close a voyage')
    const closed = await closeVoyage(ctx, imo, voyage)
    ctx.audit.append({
      principal: user.principal,
      role: user.role,
      docId: `voyage:${imo}:${voyage}`,
      field: 'voyage.status',
      from: 'OPEN',
      to: 'CLOSED',
    })
    res.json(closed)
  })

  return router
}
