/**
 * The OpenAPI 3.1 description of Tally's HTTP API (`GET /api/openapi.json` on the relay and the
 * vessel node), built with @asteasolutions/zod-to-openapi from the zod schemas the routes validate
 * with. Each app lists its routes in one place ({@link ApiRoute}); a test compares that list with
 * the routes the app registered (`registeredRoutes`), so the description cannot fall behind.
 */
import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi'
import { z } from 'zod'
import {
  CONDITIONS,
  CUSTOMS_STATUSES,
  fieldSpec,
  PHYSICAL_STATES,
  READING_SHAPE,
  sectionSchema,
} from './catalog.ts'
import { objectSchemaOf } from './validators.ts'

export type ApiMethod = 'get' | 'post' | 'put' | 'patch' | 'delete'

/** One route as the description shows it. Schemas given here are the ones its handler parses with. */
export interface ApiRoute {
  method: ApiMethod
  /** OpenAPI form: `/api/vessels/{imo}/containers/{id}`. */
  path: string
  summary: string
  tags?: string[]
  query?: z.ZodObject
  body?: z.ZodType
  /** The 2xx answer; default 200 with a JSON body. */
  status?: number
  response?: z.ZodType
  /** Bearer token needed (default); false for `/healthz`. */
  auth?: boolean
}

/** The error shape every route answers with (docs/api.md). */
export const errorSchema = z
  .object({
    error: z.object({
      code: z
        .string()
        .meta({ description: 'INVALID, UNAUTHORIZED, FORBIDDEN, FORBIDDEN_FIELD, NOT_FOUND, ...' }),
      field: z.string().optional(),
      message: z.string(),
    }),
  })
  .meta({ id: 'Error' })

/** The container view (docs/api.md); sections are described in packages/manifest/src/schema.ts. */
export const containerViewSchema = z
  .object({
    containerId: z.string(),
    documentUrl: z.string(),
    vessel: z.string(),
    voyage: z.string(),
    isoType: z.string(),
    cargo: z.record(z.string(), z.unknown()),
    customs: z.object({ status: z.enum(CUSTOMS_STATUSES) }).catchall(z.unknown()),
    physical: z
      .object({ state: z.enum(PHYSICAL_STATES), condition: z.enum(CONDITIONS) })
      .catchall(z.unknown()),
    reefer: z.record(z.string(), z.unknown()).nullable(),
    notes: z.string(),
    proposals: z.array(z.record(z.string(), z.unknown())),
    conflicts: z.array(
      z.object({
        field: z.string(),
        values: z.array(
          z.object({
            value: z.unknown(),
            principal: z.string(),
            at: z.string().nullable(),
            winner: z.boolean(),
          }),
        ),
      }),
    ),
    heads: z.array(z.string()),
  })
  .meta({ id: 'ContainerView' })

export const containerListSchema = z
  .object({ items: z.array(containerViewSchema), total: z.number() })
  .meta({ id: 'ContainerList' })

export const historySchema = z
  .array(
    z.object({
      at: z.string().nullable(),
      principal: z.string(),
      role: z.string().nullable(),
      field: z.string(),
      from: z.unknown(),
      to: z.unknown(),
      change: z.string(),
    }),
  )
  .meta({ id: 'History' })

/**
 * The body of `PATCH …/containers/:id`: a partial view. Each section's fields are the catalog's own
 * schemas (the checks {@link planPatch} runs); identity, conflicts and proposals sent back with a
 * whole view are tolerated and ignored when unchanged.
 */
export const containerPatchSchema = z
  .object({
    cargo: sectionSchema('cargo').optional(),
    customs: sectionSchema('customs').optional(),
    physical: sectionSchema('physical').optional(),
    reefer: sectionSchema('reefer').nullable().optional(),
    notes: fieldSpec('notes')!.validate.schema.optional(),
  })
  .catchall(z.unknown())
  .meta({
    id: 'ContainerPatch',
    description:
      'A partial view, e.g. {"customs":{"status":"RELEASED"}}; a section its role does not own is 403',
  })

/** The body of `POST …/readings` (the catalog's reading shape). */
export const readingSchema = objectSchemaOf(READING_SHAPE).meta({ id: 'ReeferReading' })

/** A JSON object whose fields the handler checks (documented in docs/api.md). */
export const jsonObject = (description: string) => z.record(z.string(), z.unknown()).meta({ description })

const STATUS_ERRORS: Record<number, string> = {
  400: 'INVALID: a bad value, naming the field',
  401: 'UNAUTHORIZED: missing, unknown or revoked token',
  403: 'FORBIDDEN / FORBIDDEN_FIELD: the token may not do this',
  404: 'NOT_FOUND',
  429: 'RATE_LIMITED: an integration token over its request rate',
}

/** The OpenAPI 3.1 document of `routes`. */
export function openApiDocument(
  info: { title: string; version: string; description: string },
  routes: readonly ApiRoute[],
): Record<string, unknown> {
  const registry = new OpenAPIRegistry()
  const bearer = registry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer' })
  for (const r of routes) {
    const params = [...r.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!)
    const errors = Object.fromEntries(
      Object.entries(STATUS_ERRORS)
        .filter(([status]) => r.auth !== false || status === '400')
        .map(([status, description]) => [
          status,
          { description, content: { 'application/json': { schema: errorSchema } } },
        ]),
    )
    registry.registerPath({
      method: r.method,
      path: r.path,
      summary: r.summary,
      ...(r.tags ? { tags: r.tags } : {}),
      ...(r.auth === false ? {} : { security: [{ [bearer.name]: [] }] }),
      request: {
        ...(params.length > 0
          ? { params: z.object(Object.fromEntries(params.map((p) => [p, z.string()]))) }
          : {}),
        ...(r.query ? { query: r.query } : {}),
        ...(r.body ? { body: { content: { 'application/json': { schema: r.body } }, required: true } } : {}),
      },
      responses: {
        [r.status ?? 200]: {
          description: 'OK',
          ...(r.status === 204 || !r.response
            ? {}
            : { content: { 'application/json': { schema: r.response } } }),
        },
        ...errors,
      },
    })
  }
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info,
  }) as unknown as Record<string, unknown>
}

/** The `METHOD path` of every operation in a document, to compare with `registeredRoutes`. */
export function describedRoutes(doc: Record<string, unknown>): string[] {
  const paths = (doc.paths ?? {}) as Record<string, Record<string, unknown>>
  return Object.entries(paths)
    .flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`))
    .sort()
}
