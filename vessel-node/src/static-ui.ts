/**
 * Serves the built crew UI (vessel-node/web/dist) at `/`, with every asset local (the ship has no
 * internet). Unknown non-API paths get index.html so client-side routes survive a reload. Without a
 * build, a small page says how to build it instead of a bare 404.
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import express, { Router } from 'express'

/** Where `npx vite build vessel-node/web` writes the crew UI. */
export const DEFAULT_UI_DIR = fileURLToPath(new URL('../web/dist', import.meta.url))

const NOT_BUILT = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Tally vessel node</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; padding: 0 1rem">
<h1>Tally vessel node</h1>
<p>The vessel node is running, but the crew UI is not built.</p>
<p>Build it with <code>npx vite build vessel-node/web</code> from the repository root, then reload this page.
The REST API is available under <code>/api</code>.</p>
</body></html>`

export function staticUi(dir: string = DEFAULT_UI_DIR): Router {
  const router = Router()
  const index = join(dir, 'index.html')
  router.use(express.static(dir, { index: 'index.html', fallthrough: true, maxAge: 0 }))
  router.use((req, res, next) => {
    if (
      (req.method !== 'GET' && req.method !== 'HEAD') ||
      req.path.startsWith('/api/') ||
      req.path === '/api'
    )
      return next()
    // Checked per request so a UI built while the node runs is served without a restart.
    if (existsSync(index)) res.sendFile(index)
    else res.status(200).type('html').send(NOT_BUILT)
  })
  return router
}
