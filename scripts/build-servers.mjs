/**
 * Compiles the relay and the vessel node into one ES module each (`relay/dist/cli.mjs`,
 * `vessel-node/dist/cli.mjs`), part of `npm run build`. Node then starts a server without tsx and
 * without resolving a few hundred small modules: a vessel node answers its first container list in
 * about half the time (docs/benchmarks.md). Native and WebAssembly packages stay external, and so
 * does pino, whose transports load worker files by path.
 *
 * Beside each bundle, `inputs.json` lists the source files it was built from, so the launcher
 * (`scripts/launch.mjs`) can tell a stale bundle from a fresh one.
 */
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
export const SERVERS = ['relay', 'vessel-node']

// A bundled CommonJS dependency (express, ws) may call require(); an ES module has none of its own.
const REQUIRE_SHIM =
  "import { createRequire as __tallyRequire } from 'node:module'; const require = __tallyRequire(import.meta.url);"

/** Writes through a temporary file: a server starting meanwhile reads the old file or the new one. */
function writeAtomically(file, data) {
  fs.writeFileSync(`${file}.tmp`, data)
  fs.renameSync(`${file}.tmp`, file)
}

async function buildServer(app) {
  const outdir = path.join(ROOT, app, 'dist')
  const outfile = path.join(outdir, 'cli.mjs')
  const result = await build({
    entryPoints: [path.join(ROOT, app, 'src/cli.ts')],
    outfile,
    absWorkingDir: ROOT,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: ['better-sqlite3', '@automerge/*', 'cbor-extract', 'pino', 'sharp'],
    banner: { js: REQUIRE_SHIM },
    metafile: true,
    write: false,
    logLevel: 'warning',
  })
  fs.mkdirSync(outdir, { recursive: true })
  writeAtomically(outfile, result.outputFiles[0].contents)
  // Bundled dependencies change only with the lockfile, so it stands in for them.
  const sources = Object.keys(result.metafile.inputs).filter((f) => !f.includes('node_modules'))
  const inputs = [...sources, 'package-lock.json']
  writeAtomically(path.join(outdir, 'inputs.json'), JSON.stringify(inputs, null, 1))
}

await Promise.all(SERVERS.map(buildServer))
