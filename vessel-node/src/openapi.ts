/**
 * The vessel node's OpenAPI 3.1 description, served at `GET /api/openapi.json` (crew tokens). Every
 * route the node registers under `/api` and `/healthz` is listed here; vessel-node/test/openapi.test.ts
 * checks the list against the app.
 */
import { z } from 'zod'
import {
  cachedOpenApi,
  containerListSchema,
  containerRoutes,
  containerViewSchema,
  jsonObject,
  readingSchema,
  serviceRoutes,
} from '@tally/manifest'
import type { ApiRoute } from '@tally/manifest'
import { listQuerySchema } from './list-query.ts'

/** The schema `parseListQuery` validates with. */
const listQuery = listQuerySchema

const box = '/api/containers/{id}'

export const VESSEL_ROUTES: readonly ApiRoute[] = [
  ...serviceRoutes(),
  { method: 'get', path: '/api/events', summary: 'Server-Sent Events (sync, container); ?token= allowed' },
  {
    method: 'get',
    path: '/api/me',
    summary: 'Who the crew token belongs to',
    response: jsonObject('{user, vessel, role}'),
  },
  {
    method: 'get',
    path: '/api/containers',
    summary: 'The voyage’s containers',
    query: listQuery,
    response: containerListSchema,
  },
  ...containerRoutes({
    box,
    edit: 'Edit physical and reefer fields (a partial view)',
    propose: 'Propose a change of a shore field',
  }),
  {
    method: 'post',
    path: `${box}/readings`,
    summary: 'Append a reefer reading',
    body: readingSchema,
    status: 201,
    response: containerViewSchema,
  },
  {
    method: 'post',
    path: '/api/containers',
    summary: 'Register a container found aboard (ISO 6346 checked, with did-you-mean)',
    body: jsonObject('{containerId, isoType, physical?, voyage?}'),
    status: 201,
    response: containerViewSchema,
  },
  { method: 'get', path: '/api/voyages', summary: 'The voyages aboard, current and archived' },
  {
    method: 'get',
    path: '/api/voyages/{voyage}/containers',
    summary: 'Containers of a voyage (an archived one is read from its file)',
  },
  { method: 'get', path: '/api/voyages/{voyage}/containers/{id}', summary: 'One container of a voyage' },
  {
    method: 'post',
    path: `${box}/photos`,
    summary: 'Attach a photo (the raw image as the body, ?caption=)',
    status: 201,
    response: jsonObject('{id, sha256, bytes, mime, thumbnail}'),
  },
  { method: 'get', path: `${box}/photos/{pid}`, summary: 'A photo (?size=thumb|full)' },
  { method: 'get', path: '/api/sync', summary: 'Sync status', response: jsonObject('See docs/api.md') },
  { method: 'post', path: '/api/sync', summary: 'Sync now', status: 202, response: jsonObject('{state}') },
  {
    method: 'get',
    path: '/api/sync/sessions',
    summary: 'Recent link sessions',
    response: z.array(jsonObject('A session')),
  },
  {
    method: 'get',
    path: '/api/dead-letters',
    summary: 'Changes the relay refused',
    response: z.array(jsonObject('A refusal')),
  },
]

/** The vessel node's description (`GET /api/openapi.json`). */
export const vesselOpenApi = cachedOpenApi(
  {
    title: 'Tally vessel node',
    version: '1',
    description: 'The ship’s server: the crew’s REST API. Authorization: Bearer CREW_TOKEN. See docs/api.md.',
  },
  VESSEL_ROUTES,
)
