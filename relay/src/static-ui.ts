/**
 * The shore UI at `/`: the built Vite app (`shore-ui/dist`) when it exists, with index.html for any
 * client-side route; otherwise a short page saying it is not built, so nobody mistakes an empty
 * relay for a broken one.
 */
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import express, { Router } from 'express'

/** Where `npm run build -w shore-ui` puts the app. */
export const DEFAULT_SHORE_UI_DIR = fileURLToPath(new URL('../../shore-ui/dist', import.meta.url))

/** Paths that belong to the server, never to the UI's client-side router. */
const SERVER_PATHS = /^\/(api|sync|link|ops|metrics|healthz)(\/|$)/

const NOT_BUILT = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Tally relay</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto">
<h1>Tally relay</h1>
<p>The relay is running, but the shore UI is not built. Build it with
<code>npm run build -w shore-ui</code> and restart the relay.</p>
<p>The REST API is at <code>/api</code> (see docs/api.md), health at <code>/healthz</code>,
metrics at <code>/metrics</code>.</p>
</body></html>
`

export function shoreUiRoutes(dir: string = DEFAULT_SHORE_UI_DIR): Router {
  const router = Router()
  const index = path.join(dir, 'index.html')
  if (!fs.existsSync(index)) {
    router.get('/', (_req, res) => {
      res.type('html').send(NOT_BUILT)
    })
    return router
  }
  router.use(
    express.static(dir, {
      index: 'index.html',
      maxAge: '1h',
      // Hashed asset names change with each build; index.html does not, so it must not be cached.
      setHeaders: (res, file) => {
        // The service worker too: browsers check it for updates, and a stale one would pin a release.
        if (['index.html', 'sw.js'].includes(path.basename(file))) res.setHeader('Cache-Control', 'no-cache')
      },
    }),
  )
  router.get(/.*/, (req, res, next) => {
    if (SERVER_PATHS.test(req.path) || !req.accepts('html')) return next()
    res.setHeader('Cache-Control', 'no-cache')
    res.sendFile(index)
  })
  return router
}
