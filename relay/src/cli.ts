/**
 * The relay's command line (design §8 contract):
 *
 *   npm run relay -- serve --port 4000 --data DIR [--host 127.0.0.1] [--cost-per-mb 10]
 *                          [--tls-cert FILE --tls-key FILE]     # serve https:// and wss://
 *   npm run relay -- add-vessel --data DIR --vessel IMO9811000 --name NAME   # last stdout line: token
 *   npm run relay -- add-user --data DIR --user NAME --role shore|customs|ops # last stdout line: token
 *   npm run relay -- revoke-token --data DIR --token-id ID
 *   npm run relay -- list-tokens --data DIR [--all]
 *
 * Bad arguments exit with code 2 and a message on stderr. Plaintext tokens are printed once, when
 * issued, and never stored or listed.
 */
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { pino } from 'pino'
import { createRelay } from './app.ts'
import { isShoreRole, SHORE_ROLES, USER_NAME_PATTERN } from './auth.ts'
import { openRelayStores } from './stores.ts'
import { IMO_PATTERN } from './vessels.ts'

/** Exit code for a usage error. */
const EXIT_USAGE = 2

class UsageError extends Error {}

const USAGE = `usage: relay <command> [options]
  serve        --port PORT --data DIR [--host 127.0.0.1] [--cost-per-mb 10]
               [--tls-cert FILE --tls-key FILE]   (PEM; serves https:// and wss://)
  add-vessel   --data DIR --vessel IMO9811000 --name NAME
  add-user     --data DIR --user NAME --role shore|customs|ops
  revoke-token --data DIR --token-id ID
  list-tokens  --data DIR [--all]`

type OptionSpec = Record<string, { type: 'string' | 'boolean' }>

function parse(
  args: string[],
  options: OptionSpec,
  required: string[],
): Record<string, string | boolean | undefined> {
  let values: Record<string, string | boolean | undefined>
  try {
    values = parseArgs({ args, options, strict: true, allowPositionals: false }).values as typeof values
  } catch (err) {
    throw new UsageError((err as Error).message)
  }
  for (const name of required)
    if (typeof values[name] !== 'string' || values[name] === '') throw new UsageError(`--${name} is required`)
  return values
}

function vesselName(value: string): string {
  const name = value.trim()
  // Names show in UIs and logs: printable text, no control characters.
  if (name.length === 0 || name.length > 100 || /\p{Cc}/u.test(name))
    throw new UsageError('--name must be 1–100 printable characters')
  return name
}

function port(value: string): number {
  if (!/^\d{1,5}$/.test(value) || Number(value) > 65_535)
    throw new UsageError('--port must be an integer from 0 to 65535')
  return Number(value)
}

function costPerMb(value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  const cost = Number(value)
  if (value.trim() === '' || !Number.isFinite(cost) || cost < 0)
    throw new UsageError('--cost-per-mb must be a number >= 0')
  return cost
}

/** Reads the PEM certificate and key; both or neither. */
function tlsFiles(
  certFile: string | undefined,
  keyFile: string | undefined,
): { cert: Buffer; key: Buffer } | undefined {
  if (certFile === undefined && keyFile === undefined) return undefined
  if (!certFile || !keyFile) throw new UsageError('--tls-cert and --tls-key go together')
  const read = (file: string, flag: string) => {
    try {
      const pem = readFileSync(file)
      if (!pem.includes('-----BEGIN')) throw new Error('not a PEM file')
      return pem
    } catch (err) {
      throw new UsageError(`--${flag} ${file}: ${(err as Error).message}`)
    }
  }
  return { cert: read(certFile, 'tls-cert'), key: read(keyFile, 'tls-key') }
}

async function serve(args: string[]): Promise<void> {
  const o = parse(
    args,
    {
      port: { type: 'string' },
      data: { type: 'string' },
      host: { type: 'string' },
      'cost-per-mb': { type: 'string' },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
    },
    ['port', 'data'],
  )
  const tls = tlsFiles(o['tls-cert'] as string | undefined, o['tls-key'] as string | undefined)
  const logger = pino({ name: 'relay' })
  const relay = await createRelay({
    dataDir: o.data as string,
    port: port(o.port as string),
    host: (o.host as string | undefined) ?? '127.0.0.1',
    costPerMb: costPerMb(o['cost-per-mb'] as string | undefined),
    logger,
    ...(tls ? { tls } : {}),
  })
  const stop = (signal: string) => {
    logger.info({ signal }, 'shutting down')
    relay.close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed')
        process.exit(1)
      },
    )
  }
  process.once('SIGINT', () => stop('SIGINT'))
  process.once('SIGTERM', () => stop('SIGTERM'))
}

function addVessel(args: string[]): void {
  const o = parse(args, { data: { type: 'string' }, vessel: { type: 'string' }, name: { type: 'string' } }, [
    'data',
    'vessel',
    'name',
  ])
  const imo = o.vessel as string
  if (!IMO_PATTERN.test(imo))
    throw new UsageError('--vessel must be IMO followed by 7 digits, e.g. IMO9811000')
  const name = vesselName(o.name as string)
  const stores = openRelayStores(o.data as string)
  try {
    const { token, record } = stores.db.transaction(() => {
      const isNew = stores.vessels.add(imo, name)
      console.log(`${isNew ? 'registered' : 'updated'} vessel ${imo} (${name})`)
      return stores.tokens.issueWithRecord('vessel', imo, 'vessel')
    })()
    console.log(`vessel token id ${record.id}; the token is shown once, on the next line:`)
    console.log(token)
  } finally {
    stores.db.close()
  }
}

function addUser(args: string[]): void {
  const o = parse(args, { data: { type: 'string' }, user: { type: 'string' }, role: { type: 'string' } }, [
    'data',
    'user',
    'role',
  ])
  const user = o.user as string
  const role = o.role as string
  if (!USER_NAME_PATTERN.test(user))
    throw new UsageError(
      '--user must be 1–64 letters, digits, ".", "_", "@" or "-", starting with a letter or digit',
    )
  if (!isShoreRole(role)) throw new UsageError(`--role must be one of ${SHORE_ROLES.join(', ')}`)
  const stores = openRelayStores(o.data as string)
  try {
    const { token, record } = stores.tokens.issueWithRecord('user', user, role)
    console.log(`user ${user} (${role}): token id ${record.id}; the token is shown once, on the next line:`)
    console.log(token)
  } finally {
    stores.db.close()
  }
}

function revokeToken(args: string[]): number {
  const o = parse(args, { data: { type: 'string' }, 'token-id': { type: 'string' } }, ['data', 'token-id'])
  const stores = openRelayStores(o.data as string)
  try {
    const id = o['token-id'] as string
    if (!stores.tokens.revoke(id)) {
      console.error(`no live token with id ${id} (unknown or already revoked)`)
      return 1
    }
    const record = stores.tokens.get(id)!
    console.log(`revoked ${record.kind} token ${id} of ${record.subject}`)
    return 0
  } finally {
    stores.db.close()
  }
}

function listTokens(args: string[]): void {
  const o = parse(args, { data: { type: 'string' }, all: { type: 'boolean' } }, ['data'])
  const stores = openRelayStores(o.data as string)
  try {
    const tokens = stores.tokens.list({ includeRevoked: o.all === true })
    console.log(['id', 'kind', 'subject', 'role', 'created', 'revoked'].join('\t'))
    for (const t of tokens)
      console.log([t.id, t.kind, t.subject, t.role ?? '-', t.createdAt, t.revokedAt ?? '-'].join('\t'))
  } finally {
    stores.db.close()
  }
}

async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv
  switch (command) {
    case 'serve':
      await serve(args)
      return -1 // keeps running
    case 'add-vessel':
      addVessel(args)
      return 0
    case 'add-user':
      addUser(args)
      return 0
    case 'revoke-token':
      return revokeToken(args)
    case 'list-tokens':
      listTokens(args)
      return 0
    case undefined:
    case '--help':
    case 'help':
      throw new UsageError('no command given')
    default:
      throw new UsageError(`unknown command ${command}`)
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code
  },
  (err: unknown) => {
    if (err instanceof UsageError) {
      console.error(`relay: ${err.message}\n${USAGE}`)
      process.exitCode = EXIT_USAGE
    } else {
      console.error(`relay: ${(err as Error).stack ?? String(err)}`)
      process.exitCode = 1
    }
  },
)
