/**
 * The vessel node's command line (docs/api.md, a contract):
 *
 *   npm run vessel -- serve --port 4100 --data DIR --relay ws://HOST:PORT/link --vessel IMO --token TOKEN
 *                       [--host 127.0.0.1] [--cost-per-mb 10] [--sync-interval-s 60]
 *                       [--relay URL2 …] [--tls-ca FILE] [--keepalive-s 480]
 *                       [--window-critical-s 2] [--window-normal-s 840] [--window-routine-s 3000]
 *   npm run vessel -- add-crew --data DIR --user NAME [--create]   # last stdout line: the token
 *   npm run vessel -- revoke-crew --data DIR --user NAME          # that crew member's next request: 401
 *   npm run vessel -- list-crew --data DIR [--all]
 *
 * `--help` after any command prints its usage. add-crew and revoke-crew refuse a folder with no
 * vessel database unless `--create` is given (add-crew only), so a typo in `--data` cannot quietly
 * issue a token the running node has never heard of. Bad arguments print a clear message and the
 * usage on stderr and exit with status 2.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { openTallyDatabase, PhotoStore, TokenStore } from '@tally/storage-sqlite'
import { DEFAULT_WINDOWS_S, MAX_PACING_S, validPacingSeconds } from '@tally/link/pacing'
import { DATABASE_FILE, databasePath } from './data-dir.ts'

const SERVE_USAGE = `vessel serve --port 4100 --data DIR --relay ws://HOST:PORT/link --vessel IMO9811000 --token TOKEN
               [--host 127.0.0.1] [--cost-per-mb 10] [--sync-interval-s 60]
               [--relay URL2 ...]        (more relays, tried in order when one is unreachable)
               [--tls-ca FILE]           (PEM CA to trust for wss:// besides the system's)
               [--keepalive-s 480] [--window-critical-s 2] [--window-normal-s 840]
               [--window-routine-s 3000] (default: the relay's settings for this vessel)
  Serves the crew app and API on the vessel database in DIR (created if new) and syncs with the relay.`
const ADD_CREW_USAGE = `vessel add-crew --data DIR --user NAME [--create]
  Issues a crew token (printed on the last line; only its hash is stored).
  --create   make a new vessel database if DIR has none (otherwise DIR must hold ${DATABASE_FILE})`
const REVOKE_CREW_USAGE = `vessel revoke-crew --data DIR --user NAME
  Revokes every token of that crew member at once: their next request gets 401.`
const LIST_CREW_USAGE = `vessel list-crew --data DIR [--all]
  Lists crew tokens (id, user, created, revoked); --all includes revoked ones.`

const COMMAND_USAGE: Record<string, string> = {
  serve: SERVE_USAGE,
  'add-crew': ADD_CREW_USAGE,
  'revoke-crew': REVOKE_CREW_USAGE,
  'list-crew': LIST_CREW_USAGE,
}

const USAGE = `usage:   (vessel <command> --help for one command)
${Object.values(COMMAND_USAGE)
  .map((u) => '  ' + u.split('\n  ')[0])
  .join('\n')}`

/** Exit status for bad arguments, as the contract's callers expect. */
const EXIT_USAGE = 2
const CREW_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/

class UsageError extends Error {}
/** Well-formed arguments the command cannot act on; exits 1 with the sentence. */
class CliError extends Error {}

/** True (after printing the usage) when the arguments ask for help. */
function helpAsked(args: string[], command: string): boolean {
  if (!args.includes('--help') && !args.includes('-h')) return false
  process.stdout.write(`usage: ${COMMAND_USAGE[command]}\n`)
  return true
}

/** Opens the vessel database in `dataDir` for a change; it must exist unless `create`. */
function openForChange(dataDir: string, create: boolean) {
  if (!create && !existsSync(databasePath(dataDir)))
    throw new CliError(
      `no vessel database in ${dataDir} (looked for ${DATABASE_FILE}). Pass the folder the vessel node serves ` +
        `with --data (the demo's is .data/demo/vessel), or add --create to start a new vessel database there.`,
    )
  if (create) mkdirSync(dataDir, { recursive: true })
  return openTallyDatabase(databasePath(dataDir))
}

function required(values: Record<string, unknown>, name: string): string {
  const v = values[name]
  if (typeof v !== 'string' || v.trim() === '') throw new UsageError(`--${name} is required`)
  return v.trim()
}

function numberArg(
  values: Record<string, unknown>,
  name: string,
  fallback: number,
  check: (n: number) => boolean,
  rule: string,
): number {
  const v = values[name]
  if (v === undefined) return fallback
  const n = Number(v)
  if (typeof v !== 'string' || v.trim() === '' || !Number.isFinite(n) || !check(n))
    throw new UsageError(`--${name} must be ${rule}, got "${String(v)}"`)
  return n
}

async function serve(args: string[]): Promise<void> {
  if (helpAsked(args, 'serve')) return
  const { values } = parseArgs({
    args,
    strict: true,
    allowPositionals: false,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      data: { type: 'string' },
      relay: { type: 'string', multiple: true },
      'tls-ca': { type: 'string' },
      'keepalive-s': { type: 'string' },
      'window-critical-s': { type: 'string' },
      'window-normal-s': { type: 'string' },
      'window-routine-s': { type: 'string' },
      vessel: { type: 'string' },
      token: { type: 'string' },
      'cost-per-mb': { type: 'string' },
      'sync-interval-s': { type: 'string' },
    },
  })
  const port = numberArg(
    values,
    'port',
    4100,
    (n) => Number.isInteger(n) && n >= 0 && n <= 65535,
    'a port number 0-65535',
  )
  const dataDir = required(values, 'data')
  const relayUrls = (values.relay ?? []).map((u) => u.trim())
  if (relayUrls.length === 0) throw new UsageError('--relay is required')
  for (const relayUrl of relayUrls)
    if (!/^wss?:\/\/[^/\s]+/.test(relayUrl))
      throw new UsageError(
        `--relay must be a ws:// or wss:// URL such as ws://127.0.0.1:4000/link, got "${relayUrl}"`,
      )
  const relayUrl = relayUrls[0]!
  let tlsCa: Buffer | undefined
  if (values['tls-ca'] !== undefined) {
    try {
      tlsCa = readFileSync(values['tls-ca'])
    } catch (err) {
      throw new UsageError(`--tls-ca ${values['tls-ca']}: ${(err as Error).message}`)
    }
    if (!tlsCa.includes('-----BEGIN CERTIFICATE'))
      throw new UsageError(`--tls-ca ${values['tls-ca']}: not a PEM certificate`)
  }
  const pacing = (name: string) =>
    values[name as keyof typeof values] === undefined
      ? undefined
      : numberArg(values, name, 0, validPacingSeconds, `a whole number of seconds from 0 to ${MAX_PACING_S}`)
  const windows = [pacing('window-critical-s'), pacing('window-normal-s'), pacing('window-routine-s')]
  const keepaliveS = pacing('keepalive-s')
  if (keepaliveS === 0) throw new UsageError('--keepalive-s must be at least 1')
  // Any window given fixes all three on the vessel's side; the others keep their defaults.
  const windowsMs = windows.some((w) => w !== undefined)
    ? (windows.map((w, i) => (w ?? DEFAULT_WINDOWS_S[i]!) * 1000) as [number, number, number])
    : undefined
  const vessel = required(values, 'vessel').toUpperCase()
  if (!/^IMO\d{7}$/.test(vessel))
    throw new UsageError(`--vessel must be IMO followed by 7 digits, got "${vessel}"`)
  const token = required(values, 'token')
  const costPerMb = numberArg(values, 'cost-per-mb', 10, (n) => n >= 0, 'a number of dollars, 0 or more')
  const intervalS = numberArg(
    values,
    'sync-interval-s',
    60,
    (n) => n >= 1 && n <= 86_400,
    'a number of seconds from 1 to 86400',
  )

  // Loaded only here: Automerge and the HTTP stack take a while to import, and add-crew or a usage
  // error should answer at once.
  const [{ createVesselNode }, { default: pino }] = await Promise.all([import('./app.ts'), import('pino')])
  // Synchronous, so that SIGTERM stops the node even when its output's reader has gone (docs/operations.md, "Logs").
  const logger = pino({ level: process.env.LOG_LEVEL ?? 'info' }, pino.destination({ dest: 1, sync: true }))
  const node = await createVesselNode({
    dataDir,
    port,
    host: values.host ?? '127.0.0.1',
    relayUrl,
    vessel,
    token,
    costPerMb,
    syncIntervalMs: intervalS * 1000,
    logger,
    engine: {
      relayUrls,
      ...(tlsCa ? { tlsCa } : {}),
      ...(windowsMs ? { windowsMs } : {}),
      ...(keepaliveS ? { keepaliveS } : {}),
    },
  })
  process.stdout.write(`vessel node ${vessel} listening on ${node.url} (relay ${relayUrls.join(', ')})\n`)
  let stopping = false
  const stop = (signal: string) => {
    if (stopping) return
    stopping = true
    logger.info({ signal }, 'shutting down')
    node.close().then(
      () => process.exit(0),
      (err) => {
        logger.error({ err }, 'shutdown failed')
        process.exit(1)
      },
    )
  }
  process.on('SIGINT', () => stop('SIGINT'))
  process.on('SIGTERM', () => stop('SIGTERM'))
}

function crewName(values: Record<string, unknown>): string {
  const user = required(values, 'user')
  if (!CREW_NAME.test(user))
    throw new UsageError(`--user must be 1-64 letters, digits, dots, dashes or underscores, got "${user}"`)
  return user
}

async function addCrew(args: string[]): Promise<void> {
  if (helpAsked(args, 'add-crew')) return
  const { values } = parseArgs({
    args,
    strict: true,
    allowPositionals: false,
    options: { data: { type: 'string' }, user: { type: 'string' }, create: { type: 'boolean' } },
  })
  const dataDir = required(values, 'data')
  const user = crewName(values)
  const db = openForChange(dataDir, values.create === true)
  try {
    const token = new TokenStore(db).issue('crew', user, 'vessel')
    // The vessel's evidence key is made with its first crew member (or at first start).
    const { vesselSigningKey } = await import('./evidence-signer.ts')
    vesselSigningKey(new PhotoStore(db))
    process.stdout.write(`crew token for ${user} (shown once; it is stored only as a hash):\n${token}\n`)
  } finally {
    db.close()
  }
}

function revokeCrew(args: string[]): void {
  if (helpAsked(args, 'revoke-crew')) return
  const { values } = parseArgs({
    args,
    strict: true,
    allowPositionals: false,
    options: { data: { type: 'string' }, user: { type: 'string' } },
  })
  const dataDir = required(values, 'data')
  const user = crewName(values)
  const db = openForChange(dataDir, false)
  try {
    const revoked = new TokenStore(db).revokeSubject('crew', user)
    if (revoked === 0)
      throw new CliError(`crew member ${user} holds no live token (unknown or already revoked)`)
    process.stdout.write(
      `revoked ${revoked} token${revoked === 1 ? '' : 's'} of crew member ${user}; their next request gets 401\n`,
    )
  } finally {
    db.close()
  }
}

function listCrew(args: string[]): void {
  if (helpAsked(args, 'list-crew')) return
  const { values } = parseArgs({
    args,
    strict: true,
    allowPositionals: false,
    options: { data: { type: 'string' }, all: { type: 'boolean' } },
  })
  const db = openForChange(required(values, 'data'), false)
  try {
    const tokens = new TokenStore(db).list({ kind: 'crew', includeRevoked: values.all === true })
    process.stdout.write(['id', 'user', 'created', 'revoked'].join('\t') + '\n')
    for (const t of tokens)
      process.stdout.write([t.id, t.subject, t.createdAt, t.revokedAt ?? '-'].join('\t') + '\n')
  } finally {
    db.close()
  }
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv
  try {
    if (command === 'serve') await serve(rest)
    else if (command === 'add-crew') await addCrew(rest)
    else if (command === 'revoke-crew') revokeCrew(rest)
    else if (command === 'list-crew') listCrew(rest)
    else if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
      process.stdout.write(`${USAGE}\n`)
      if (command === undefined) process.exitCode = EXIT_USAGE
    } else throw new UsageError(`unknown command "${command}"`)
  } catch (err) {
    if (err instanceof CliError) {
      process.stderr.write(`vessel: ${err.message}\n`)
      process.exit(1)
    }
    const isUsage = err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')
    if (!isUsage) throw err
    const usage =
      command && Object.hasOwn(COMMAND_USAGE, command) ? `usage: ${COMMAND_USAGE[command]}` : USAGE
    process.stderr.write(`vessel: ${(err as Error).message}\n${usage}\n`)
    process.exit(EXIT_USAGE)
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`vessel: ${(err as Error)?.message ?? String(err)}\n`)
  process.exit(1)
})
