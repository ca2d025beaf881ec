/**
 * `/ops`: the operator dashboard's page. The server sends a small HTML shell and the static files of
 * `web/` (plain ES modules and a stylesheet, no build step); the script asks `/api/ops/...` with the
 * ops token the operator typed, kept in localStorage like the other Tally apps. Nothing is loaded
 * from elsewhere, and the content security policy says so.
 */
import path from 'node:path'
import express, { Router } from 'express'
import type { Response } from 'express'
import { RELAY_DIR } from '../package-dir.ts'

const WEB_DIR = path.join(RELAY_DIR, 'src/ops/web')

/** Only this origin; no inline script or style, no frames. */
const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

const SHELL = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Tally relay · operations</title>
<link rel="stylesheet" href="/ops/ops.css">
<script type="module" src="/ops/ops.js"></script>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<div id="app"><p class="loading">Loading the operator dashboard…</p></div>
<noscript>The operator dashboard needs JavaScript.</noscript>
</body>
</html>
`

function secure(res: Response): void {
  res.setHeader('Content-Security-Policy', CSP)
  res.setHeader('X-Content-Type-Options', 'nosniff')
  res.setHeader('Referrer-Policy', 'no-referrer')
  res.setHeader('Cache-Control', 'no-cache')
}

export function opsPageRoutes(): Router {
  const router = Router()
  router.get(['/ops', '/ops/'], (_req, res) => {
    secure(res)
    res.type('html').send(SHELL)
  })
  router.use(
    '/ops',
    express.static(WEB_DIR, { index: false, setHeaders: (res) => secure(res as unknown as Response) }),
  )
  return router
}
