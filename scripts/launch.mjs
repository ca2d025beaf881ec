/**
 * Starts a server's command line: the compiled bundle of `npm run build` when it is newer than every
 * source file it was built from, else the TypeScript sources through tsx. A stale bundle never runs,
 * so editing a source file and running `npm run relay` or `npm run vessel` always runs the edit.
 */
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

function mtimeMs(file) {
  try {
    return fs.statSync(file).mtimeMs
  } catch {
    return Infinity // a missing input (deleted or renamed) makes the bundle stale
  }
}

/** The bundle of `app` if it is fresh, else null. */
export function freshBundle(app) {
  const bundle = path.join(ROOT, app, 'dist/cli.mjs')
  let inputs
  try {
    inputs = JSON.parse(fs.readFileSync(path.join(ROOT, app, 'dist/inputs.json'), 'utf8'))
  } catch {
    return null
  }
  const built = mtimeMs(bundle)
  return inputs.every((f) => mtimeMs(path.join(ROOT, f)) <= built) ? bundle : null
}

export async function launch(app) {
  const bundle = freshBundle(app)
  if (bundle) return import(pathToFileURL(bundle).href)
  const { register } = await import('tsx/esm/api')
  register()
  return import(pathToFileURL(path.join(ROOT, app, 'src/cli.ts')).href)
}

// `node scripts/launch.mjs relay serve ...`: the app is the first argument, the rest is its own.
if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const app = process.argv[2]
  if (app !== 'relay' && app !== 'vessel-node') {
    process.stderr.write('usage: node scripts/launch.mjs relay|vessel-node COMMAND [OPTIONS]\n')
    process.exit(2)
  }
  process.argv.splice(2, 1)
  await launch(app)
}
