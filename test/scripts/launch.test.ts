/**
 * The server launcher (scripts/launch.mjs): `npm run relay` and `npm run vessel` run the compiled
 * bundle only while it is newer than every source file it was built from, else the sources.
 */
import { afterEach, describe, expect, it } from 'vitest'
import fs from 'node:fs'
import path from 'node:path'
import { execFileSync } from 'node:child_process'
// @ts-expect-error: a plain ES module without types
import { freshBundle } from '../../scripts/launch.mjs'
import { ROOT, runCli } from '../support/processes.ts'

const restore: (() => void)[] = []
afterEach(() => {
  while (restore.length) restore.pop()!()
})

describe('server launcher', { timeout: 120_000 }, () => {
  it('runs a fresh bundle, and the sources once a source file is newer', () => {
    execFileSync(process.execPath, [path.join(ROOT, 'scripts/build-servers.mjs')], { cwd: ROOT })
    expect(freshBundle('vessel-node')).toBe(path.join(ROOT, 'vessel-node/dist/cli.mjs'))
    expect(freshBundle('relay')).toBe(path.join(ROOT, 'relay/dist/cli.mjs'))

    // An edit to any bundled source (a workspace package here) makes the bundle stale.
    const source = path.join(ROOT, 'packages/link/src/heads.ts')
    const { atime, mtime } = fs.statSync(source)
    restore.push(() => fs.utimesSync(source, atime, mtime))
    const later = new Date(fs.statSync(path.join(ROOT, 'vessel-node/dist/cli.mjs')).mtimeMs + 60_000)
    fs.utimesSync(source, later, later)
    expect(freshBundle('vessel-node')).toBeNull()
    expect(freshBundle('relay')).toBeNull()
  })

  it('treats a missing build as stale, and the CLI still answers from the sources', async () => {
    const inputs = path.join(ROOT, 'vessel-node/dist/inputs.json')
    const saved = fs.existsSync(inputs) ? fs.readFileSync(inputs) : null
    if (saved) restore.push(() => fs.writeFileSync(inputs, saved))
    fs.rmSync(inputs, { force: true })
    expect(freshBundle('vessel-node')).toBeNull()
    const out = await runCli('vessel-node/src/cli.ts', ['--help'])
    expect(out.code).toBe(0)
    expect(out.stdout).toContain('vessel serve')
  })

  it('refuses an unknown app with the usage and status 2', () => {
    let status = 0
    let stderr = ''
    try {
      execFileSync(process.execPath, [path.join(ROOT, 'scripts/launch.mjs'), 'shore'], { stdio: 'pipe' })
    } catch (err) {
      status = (err as { status: number }).status
      stderr = String((err as { stderr: Buffer }).stderr)
    }
    expect(status).toBe(2)
    expect(stderr).toContain('usage: node scripts/launch.mjs relay|vessel-node')
  })
})
