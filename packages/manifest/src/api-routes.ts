/**
 * The routes the relay and the vessel node describe alike in `/api/openapi.json`: liveness, the
 * description itself, and a container's view, edit, history and proposals (the same handlers'
 * contract on both, under a different path). Each app lists these beside its own routes.
 */
import { z } from 'zod'
import { decisionBodySchema, proposalBodySchema } from './edit.ts'
import {
  containerPatchSchema,
  containerViewSchema,
  historySchema,
  jsonObject,
  openApiDocument,
} from './openapi.ts'
import type { ApiRoute } from './openapi.ts'

/** `GET /healthz` (no token) and `GET /api/openapi.json`. */
export function serviceRoutes(): ApiRoute[] {
  return [
    {
      method: 'get',
      path: '/healthz',
      summary: 'Liveness',
      auth: false,
      response: z.object({ ok: z.boolean() }),
    },
    {
      method: 'get',
      path: '/api/openapi.json',
      summary: 'This description',
      response: jsonObject('OpenAPI 3.1'),
    },
  ]
}

/** How one app words its container routes; `box` is the container's path, e.g. `/api/containers/{id}`. */
export interface ContainerRouteText {
  box: string
  /** Summary of the PATCH (which sections the app's callers edit). */
  edit: string
  /** Summary of a new proposal (whose fields the callers propose). */
  propose: string
}

/** A container's view, PATCH, history, new proposal and decision on a proposal. */
export function containerRoutes({ box, edit, propose }: ContainerRouteText): ApiRoute[] {
  return [
    { method: 'get', path: box, summary: 'A container view', response: containerViewSchema },
    { method: 'patch', path: box, summary: edit, body: containerPatchSchema, response: containerViewSchema },
    {
      method: 'get',
      path: `${box}/history`,
      summary: 'Every field each change wrote',
      response: historySchema,
    },
    {
      method: 'post',
      path: `${box}/proposals`,
      summary: propose,
      body: proposalBodySchema,
      status: 201,
      response: containerViewSchema,
    },
    {
      method: 'post',
      path: `${box}/proposals/{proposalId}`,
      summary: 'Accept or decline a proposal',
      body: decisionBodySchema,
      response: containerViewSchema,
    },
  ]
}

/** An app's description, built once on first request (routes and schemas are fixed at start). */
export function cachedOpenApi(
  info: { title: string; version: string; description: string },
  routes: readonly ApiRoute[],
): () => Record<string, unknown> {
  let doc: Record<string, unknown> | undefined
  return () => (doc ??= openApiDocument(info, routes))
}
