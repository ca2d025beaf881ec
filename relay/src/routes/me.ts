/** `GET /api/me`: who the token belongs to. */
import { Router } from 'express'
import { userOf } from '../auth.ts'

export function meRoutes(): Router {
  const router = Router()
  router.get('/', (_req, res) => {
    const user = userOf(res)
    res.json({ user: user.name, role: user.role, principal: user.principal })
  })
  return router
}
