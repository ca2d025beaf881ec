/**
 * The routes an Express app registered, as `METHOD /path/{param}` strings, read from its router
 * stack (Express 5). The OpenAPI tests compare them with `/api/openapi.json`, so a route added
 * without a description (or a description of a route that is gone) fails a test.
 */

interface Layer {
  rawPath?: string | string[]
  route?: { path: string; methods: Record<string, boolean> }
  handle?: { stack?: Layer[] }
}

const join = (prefix: string, path: string): string =>
  (prefix + (path === '/' ? '' : path)).replace(/\/+/g, '/').replace(/(.)\/$/, '$1') || '/'

/** Every `METHOD path` of an app (or router), paths in OpenAPI form (`:id` becomes `{id}`). */
export function registeredRoutes(app: { router?: { stack: Layer[] } } | { stack: Layer[] }): string[] {
  const out = new Set<string>()
  const walk = (stack: Layer[], prefix: string) => {
    for (const layer of stack) {
      const raw = Array.isArray(layer.rawPath) ? layer.rawPath[0] : layer.rawPath
      if (typeof raw !== 'string') continue
      if (layer.route) {
        for (const [method, on] of Object.entries(layer.route.methods))
          if (on && method !== '_all') out.add(`${method.toUpperCase()} ${join(prefix, layer.route.path)}`)
      } else if (layer.handle?.stack) walk(layer.handle.stack, join(prefix, raw))
    }
  }
  const stack = 'router' in app && app.router ? app.router.stack : (app as { stack: Layer[] }).stack
  walk(stack, '')
  return [...out].map((r) => r.replace(/:(\w+)/g, '{$1}')).sort()
}
