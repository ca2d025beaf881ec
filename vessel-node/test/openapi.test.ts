/**
 * `/api/openapi.json` on the vessel node: OpenAPI 3.1, for crew tokens, describing exactly the
 * routes the node registers under /api and /healthz.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { describedRoutes, registeredRoutes } from '@tally/manifest'
import { startTestNode } from './helpers.ts'

let t: Awaited<ReturnType<typeof startTestNode>>
beforeAll(async () => {
  t = await startTestNode()
})
afterAll(async () => {
  await t?.close()
})

describe('the vessel node OpenAPI description', () => {
  it('is OpenAPI 3.1 behind a crew token and describes every route the node registers', async () => {
    expect((await t.api('/api/openapi.json', { token: null })).status).toBe(401)
    const res = await t.api('/api/openapi.json')
    expect(res.status).toBe(200)
    const doc = (await res.json()) as Record<string, unknown>
    expect(doc.openapi).toBe('3.1.0')
    const registered = registeredRoutes(t.node.app as never).filter((r) => /^\w+ \/(api|healthz)\b/.test(r))
    expect(registered.length).toBeGreaterThan(10)
    expect(describedRoutes(doc)).toEqual(registered)
  })
})
