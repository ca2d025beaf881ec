/**
 * The relay's OpenAPI 3.1 description, served at `GET /api/openapi.json`. Every route the relay
 * registers under `/api`, `/dcsa`, `/healthz` and `/metrics` is listed here (relay/test/openapi.test.ts
 * checks it); the DCSA routes are described by the very zod schemas they validate with.
 */
import { z } from 'zod'
import {
  cachedOpenApi,
  containerListSchema,
  containerRoutes,
  jsonObject,
  serviceRoutes,
  voyagePortCallsBodySchema,
} from '@tally/manifest'
import type { ApiRoute } from '@tally/manifest'
import {
  eventsQuerySchema,
  secretBodySchema,
  subscriptionBodySchema,
  subscriptionSchema,
  subscriptionUpdateSchema,
} from './dcsa/schemas.ts'
import { bookingListSchema } from './bulk-create.ts'
import { listQuerySchema } from './query.ts'

/** The schema `parseListQuery` validates with, as its input (the query string). */
const listQuery = listQuerySchema.in as z.ZodObject

const api = (tag: string, routes: Omit<ApiRoute, 'tags'>[]): ApiRoute[] =>
  routes.map((r) => ({ ...r, tags: [tag] }))
const box = '/api/vessels/{imo}/containers/{id}'
const ops = (
  method: ApiRoute['method'],
  path: string,
  summary: string,
  body?: string,
): Omit<ApiRoute, 'tags'> => ({
  method,
  path: `/api/ops${path}`,
  summary,
  ...(body ? { body: jsonObject(body) } : {}),
  response: jsonObject('See docs/operations.md'),
})

export const RELAY_ROUTES: readonly ApiRoute[] = [
  ...api('Service', [
    ...serviceRoutes(),
    { method: 'get', path: '/metrics', summary: 'Prometheus metrics (ops or scrape token)' },
    {
      method: 'get',
      path: '/api/me',
      summary: 'Who the token belongs to',
      response: jsonObject('{user, role, principal}'),
    },
  ]),
  ...api('Containers', [
    {
      method: 'get',
      path: '/api/vessels',
      summary: 'The fleet',
      response: z.array(jsonObject('A vessel summary')),
    },
    {
      method: 'post',
      path: '/api/vessels/{imo}/containers',
      summary: 'Create a voyage’s containers from its booking list (idempotent per containerId)',
      body: bookingListSchema,
      status: 201,
      response: z.object({ created: z.number() }),
    },
    {
      method: 'get',
      path: '/api/vessels/{imo}/containers',
      summary: 'A vessel’s containers',
      query: listQuery,
      response: containerListSchema,
    },
    {
      method: 'get',
      path: '/api/containers',
      summary: 'Search across vessels',
      query: listQuery.extend({ vessel: z.string().optional() }),
      response: containerListSchema,
    },
    ...containerRoutes({
      box,
      edit: 'Edit a container (a partial view)',
      propose: 'Propose a change of a field the caller does not own',
    }),
  ]),
  ...api('Voyages', [
    {
      method: 'get',
      path: `${box}/delivery`,
      summary: 'Whether the vessel holds every change the relay has, or when its next window is expected',
      response: jsonObject('{state, savedAtShore, onBoardSince, lastWindowAt, forecastAt}'),
    },
    {
      method: 'get',
      path: '/api/vessels/{imo}/voyages',
      summary: 'A vessel’s voyages with their port calls',
      response: jsonObject('[voyage]'),
    },
    {
      method: 'get',
      path: '/api/vessels/{imo}/voyages/{voyage}',
      summary: 'One voyage and its port calls',
      response: jsonObject('voyage'),
    },
    {
      method: 'put',
      path: '/api/vessels/{imo}/voyages/{voyage}',
      summary: 'Create a voyage or set its port calls',
      body: voyagePortCallsBodySchema,
      response: jsonObject('voyage'),
    },
    {
      method: 'post',
      path: '/api/vessels/{imo}/voyages/{voyage}/close',
      summary: 'Close a voyage (409 with what is not yet in sync)',
      response: jsonObject('voyage'),
    },
  ]),
  ...api('Photos and evidence', [
    {
      method: 'get',
      path: `${box}/photos/{pid}`,
      summary: 'A photo (?size=thumb|full; full is 409 NOT_AT_SHORE until it arrived)',
    },
    {
      method: 'post',
      path: `${box}/photos/{pid}/request`,
      summary: 'Ask the vessel for the full photo',
      status: 202,
      response: jsonObject('The request'),
    },
    {
      method: 'get',
      path: `${box}/evidence`,
      summary: 'Signed evidence of the container’s record',
      response: jsonObject('See docs/api.md'),
    },
  ]),
  ...api('DCSA Track & Trace 2.2', [
    {
      method: 'get',
      path: '/dcsa/tnt/v2/events',
      summary: 'DCSA events (Next-Page header for more)',
      query: eventsQuerySchema,
      response: z.array(jsonObject('A DCSA EquipmentEvent, ShipmentEvent or TransportEvent')),
    },
    {
      method: 'get',
      path: '/dcsa/tnt/v2/event-subscriptions',
      summary: 'The caller’s subscriptions',
      response: z.array(subscriptionSchema),
    },
    {
      method: 'post',
      path: '/dcsa/tnt/v2/event-subscriptions',
      summary: 'Subscribe a callback',
      body: subscriptionBodySchema,
      status: 201,
      response: subscriptionSchema,
    },
    {
      method: 'get',
      path: '/dcsa/tnt/v2/event-subscriptions/{id}',
      summary: 'One subscription',
      response: subscriptionSchema,
    },
    {
      method: 'put',
      path: '/dcsa/tnt/v2/event-subscriptions/{id}',
      summary: 'Change its callback or filters',
      body: subscriptionUpdateSchema,
      response: subscriptionSchema,
    },
    {
      method: 'put',
      path: '/dcsa/tnt/v2/event-subscriptions/{id}/secret',
      summary: 'Change its secret',
      body: secretBodySchema,
      status: 204,
    },
    { method: 'delete', path: '/dcsa/tnt/v2/event-subscriptions/{id}', summary: 'Unsubscribe', status: 204 },
  ]),
  ...api('Operators (ops tokens)', [
    ops('get', '/overview', 'Fleet overview'),
    ops('get', '/vessels/{imo}', 'One vessel'),
    ops(
      'put',
      '/vessels/{imo}/settings',
      'Budget and expected window',
      '{dailyBudgetBytes?, expectedWindowS?}',
    ),
    ops('get', '/alerts', 'Alerts'),
    ops('post', '/alerts/evaluate', 'Evaluate the alert rules now'),
    ops('put', '/alerts/thresholds', 'Alert thresholds', 'Threshold values by name'),
    ops('get', '/audit', 'What operators did'),
    ops('get', '/dead-letters', 'Refused changes'),
    ops('get', '/dead-letters/{id}', 'One refused change'),
    ops('post', '/dead-letters/{id}/retry', 'Retry a refused change'),
    ops('post', '/dead-letters/{id}/discard', 'Discard a refused change', '{reason}'),
    ops('get', '/tokens', 'Tokens'),
    ops('post', '/tokens', 'Issue a token', '{kind, subject, role?}'),
    ops('post', '/tokens/{id}/revoke', 'Revoke a token'),
    ops('get', '/subscriptions', 'Every DCSA subscription with its delivery state'),
  ]),
]

/** The relay's description (`GET /api/openapi.json`). */
export const relayOpenApi = cachedOpenApi(
  {
    title: 'Tally relay',
    version: '1',
    description:
      'The shore hub of Tally: containers, history, DCSA Track & Trace 2.2 events and subscriptions, operator tools. ' +
      'Every call takes Authorization: Bearer TOKEN (user, integration or, for /metrics, scrape tokens). See docs/api.md and docs/integrations.md.',
  },
  RELAY_ROUTES,
)
