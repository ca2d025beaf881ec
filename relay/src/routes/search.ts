/** `GET /api/containers`: container search across every vessel (the shore UI's search box). */
import { Router } from 'express'
import type { RelayContext } from '../context.ts'
import { parseImo, parseListQuery } from '../query.ts'

export function searchRoutes(ctx: RelayContext): Router {
  const router = Router()
  router.get('/', (req, res) => {
    const query = parseListQuery(req.query as Record<string, unknown>)
    const vessel = req.query.vessel
    res.json(
      ctx.store.list({
        ...query,
        ...(typeof vessel === 'string' && vessel ? { vessel: parseImo(vessel) } : {}),
      }),
    )
  })
  return router
}
