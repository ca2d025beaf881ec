/** `/api/vessels`: the fleet, bulk manifest creation and each vessel's container list. */
import { Router } from 'express'
import { createContainers, planBooking } from '../bulk-create.ts'
import { userOf } from '../auth.ts'
import type { RelayContext } from '../context.ts'
import { fleetSummary } from '../fleet.ts'
import { parseImo, parseListQuery } from '../query.ts'

export function vesselRoutes(ctx: RelayContext): Router {
  const router = Router()

  router.get('/', (_req, res) => {
    res.json(fleetSummary(ctx))
  })

  router.post('/:imo/containers', async (req, res) => {
    const imo = parseImo(req.params.imo)
    const user = userOf(res)
    const planned = planBooking(req.body, imo, user.role)
    const created = await createContainers(ctx, planned, user)
    ctx.logger.info(
      { vessel: imo, user: user.principal, items: planned.length, created },
      'containers created',
    )
    res.status(201).json({ created })
  })

  router.get('/:imo/containers', (req, res) => {
    const imo = parseImo(req.params.imo)
    const query = parseListQuery(req.query as Record<string, unknown>)
    res.json(ctx.store.list({ ...query, vessel: imo }))
  })

  return router
}
