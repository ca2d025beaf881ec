/**
 * `/api/openapi.json`: an OpenAPI 3.1 document that describes exactly the routes the relay
 * registers (under /api, /dcsa, /healthz, /metrics), generated from the schemas that validate them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { describedRoutes, registeredRoutes } from '@tally/manifest'
import { startTestRelay } from './helpers.ts'
import type { TestRelay } from './helpers.ts'

let t: TestRelay
beforeAll(async () => {
  t = await startTestRelay()
})
afterAll(async () => {
  await t?.close()
})

/** The routes that belong in the description: the API, not the UIs' static files. */
const isApi = (route: string) => /^\w+ \/(api|dcsa|healthz|metrics)\b/.test(route)

describe('the relay OpenAPI description', () => {
  it('is OpenAPI 3.1 and needs a token', async () => {
    expect((await t.api('GET', '/api/openapi.json', { token: null })).status).toBe(401)
    const res = await t.api('GET', '/api/openapi.json')
    expect(res.status).toBe(200)
    expect(res.body.openapi).toBe('3.1.0')
    expect(res.body.components.securitySchemes.bearer).toEqual({ type: 'http', scheme: 'bearer' })
  })

  it('describes every route the relay registers, and nothing else', async () => {
    const doc = (await t.api('GET', '/api/openapi.json')).body
    const registered = registeredRoutes(t.relay.app as never).filter(isApi)
    expect(registered.length).toBeGreaterThan(30)
    expect(describedRoutes(doc)).toEqual(registered)
  })

  it('documents the DCSA filters from the schema that validates them', async () => {
    const doc = (await t.api('GET', '/api/openapi.json')).body
    const params = doc.paths['/dcsa/tnt/v2/events'].get.parameters.map((p: { name: string }) => p.name)
    for (const name of [
      'equipmentReference',
      'eventType',
      'equipmentEventTypeCode',
      'eventCreatedDateTime:gte',
      'limit',
      'cursor',
    ])
      expect(params).toContain(name)
    const body = doc.components.schemas.DcsaSubscriptionRequest
    expect(body.required).toEqual(expect.arrayContaining(['callbackUrl', 'secret']))
  })

  it('describes the booking list and PATCH bodies with the field catalog’s checks', async () => {
    const doc = (await t.api('GET', '/api/openapi.json')).body
    const item = doc.components.schemas.BookingItem
    expect(item.required).toEqual(expect.arrayContaining(['containerId', 'isoType', 'voyage']))
    expect(item.additionalProperties).toBe(false)
    const cargo = doc.components.schemas.CargoPatch
    expect(cargo.properties.booking).toMatchObject({ maxLength: 35 })
    expect(JSON.stringify(cargo.properties.pod)).toContain('^[A-Z]{2}[A-Z2-9]{3}$')
    const customs = doc.components.schemas.CustomsPatch
    expect(JSON.stringify(customs.properties.status)).toContain('RELEASED')
    const patch =
      doc.paths['/api/vessels/{imo}/containers/{id}'].patch.requestBody.content['application/json']
    expect(patch.schema.$ref).toBe('#/components/schemas/ContainerPatch')
    const portCall = doc.components.schemas.PortCall
    expect(portCall.required).toEqual(['locode'])
    expect(JSON.stringify(portCall.properties.locode)).toContain('^[A-Z]{2}[A-Z2-9]{3}$')
  })
})
