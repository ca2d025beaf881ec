/**
 * The relay's command line (docs/api.md contract; every command is listed in {@link COMMANDS}):
 *
 *   npm run relay -- serve --port 4000 --data DIR [--host 127.0.0.1] [--cost-per-mb 10] [--alert-webhook URL] …
 *                          [--tls-cert FILE --tls-key FILE]     # serve https:// and wss://
 *   npm run relay -- add-vessel --data DIR --vessel IMO9811000 --name NAME [--create]  # last stdout line: token
 *   npm run relay -- add-user --data DIR --user NAME --role shore|customs|ops [--create] # last stdout line: token
 *   npm run relay -- add-integration --data DIR --name NAME --scope read|customs [--create] # last line: token
 *   npm run relay -- add-scrape-token --data DIR --name NAME [--create]    # last stdout line: token (/metrics only)
 *   npm run relay -- revoke-token --data DIR --token-id ID
 *   npm run relay -- list-tokens --data DIR [--all]
 *   npm run relay -- verify-evidence FILE    # exit 0 when every fact and photo holds, 1 otherwise
 *
 * Every command takes `--database postgres://USER@HOST:PORT/DB` instead of `--data DIR` to use a
 * PostgreSQL database shared by several relays (docs/operations.md).
 *
 * `--help` after any command prints that command's usage. Commands that add or revoke refuse a folder
 * with no relay database unless `--create` is given: a typo in `--data` must not quietly start a
 * second, empty relay whose tokens the running one rejects. Bad arguments exit with code 2 and a
 * message on stderr. Plaintext tokens are printed once, when issued, and never stored or listed.
 */
import fs from 'node:fs'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { pino } from 'pino'
import { DatabaseUnavailableError, SchemaTooNewError } from '@tally/storage-sqlite'
import { createRelay } from './app.ts'
import {
  INTEGRATION_SCOPES,
  isIntegrationScope,
  isShoreRole,
  SCRAPE_ROLE,
  SHORE_ROLES,
  USER_NAME_PATTERN,
} from './auth.ts'
import { databaseOption, parseServeOptions, SERVE_OPTIONS, SERVE_USAGE } from './cli-serve.ts'
import { CliError, UsageError } from './cli-errors.ts'
import type { OptionSpec } from './cli-errors.ts'
import { openRelayStores, openRelayStoresAt, RELAY_DB_FILE } from './stores.ts'
import { IMO_PATTERN } from './vessels.ts'

/** Exit code for a usage error. */
const EXIT_USAGE = 2

interface Command {
  usage: string
  options: OptionSpec
  required: string[]
  /** A command that takes one positional argument (a file) names it here; it arrives as `values.file`. */
  positional?: string
  run(values: Record<string, string | boolean | undefined>): Promise<number> | number
}

const HELP: OptionSpec = { help: { type: 'boolean', short: 'h' } }

function parse(args: string[], command: Command): Record<string, string | boolean | undefined> | null {
  let values: Record<string, string | boolean | undefined>
  try {
    const parsed = parseArgs({
      args,
      options: { ...command.options, ...HELP },
      strict: true,
      allowPositionals: command.positional !== undefined,
    })
    values = parsed.values as typeof values
    if (command.positional !== undefined) {
      if (parsed.positionals.length > 1) throw new Error(`one ${command.positional} only`)
      values.file = parsed.positionals[0]
    }
  } catch (err) {
    throw new UsageError((err as Error).message, command.usage)
  }
  if (values.help === true) return null
  for (const name of command.required)
    if (typeof values[name] !== 'string' || values[name] === '')
      throw new UsageError(`--${name} is required`, command.usage)
  return values
}

/**
 * Opens the relay's stores for a command that changes them. Without `--create`, the folder must
 * already hold a relay database (the demo's is `.data/demo/relay`, not `.data/demo`).
 */
function openForChange(o: Record<string, string | boolean | undefined>, create: boolean, usage: string) {
  const where = databaseOption(o, usage)
  if ('databaseUrl' in where) return openRelayStoresAt(where)
  const dataDir = where.dataDir
  const file = path.join(dataDir, RELAY_DB_FILE)
  if (!create && !fs.existsSync(file))
    throw new CliError(
      `no relay database in ${dataDir} (looked for ${RELAY_DB_FILE}). Pass the folder the relay serves with ` +
        `--data (the demo's is .data/demo/relay), or add --create to start a new relay database there.`,
    )
  return openRelayStores(dataDir)
}

function vesselName(value: string, usage: string): string {
  const name = value.trim()
  // Names show in UIs and logs: printable text, no control characters.
  if (name.length === 0 || name.length > 100 || /\p{Cc}/u.test(name))
    throw new UsageError('--name must be 1–100 printable characters', usage)
  return name
}

const ADD_VESSEL: Command = {
  usage: `relay add-vessel --data DIR --vessel IMO9811000 --name NAME [--create]
  Registers (or renames) a vessel and issues it a link token; the token is the last stdout line.
  --create   make a new relay database if DIR has none (otherwise DIR must hold relay.sqlite)`,
  options: {
    data: { type: 'string' },
    database: { type: 'string' },
    vessel: { type: 'string' },
    name: { type: 'string' },
    create: { type: 'boolean' },
  },
  required: ['vessel', 'name'],
  run(o) {
    const imo = o.vessel as string
    if (!IMO_PATTERN.test(imo))
      throw new UsageError('--vessel must be IMO followed by 7 digits, e.g. IMO9811000', this.usage)
    const name = vesselName(o.name as string, this.usage)
    const stores = openForChange(o, o.create === true, this.usage)
    try {
      const { token, record } = stores.db.transaction(() => {
        const isNew = stores.vessels.add(imo, name)
        console.log(`${isNew ? 'registered' : 'updated'} vessel ${imo} (${name})`)
        return stores.tokens.issueWithRecord('vessel', imo, 'vessel')
      })()
      console.log(`vessel token id ${record.id}; the token is shown once, on the next line:`)
      console.log(token)
      return 0
    } finally {
      stores.db.close()
    }
  },
}

const ADD_USER: Command = {
  usage: `relay add-user --data DIR --user NAME --role shore|customs|ops [--create]
  Issues a user token; the token is the last stdout line.
  --create   make a new relay database if DIR has none (otherwise DIR must hold relay.sqlite)`,
  options: {
    data: { type: 'string' },
    database: { type: 'string' },
    user: { type: 'string' },
    role: { type: 'string' },
    create: { type: 'boolean' },
  },
  required: ['user', 'role'],
  run(o) {
    const user = o.user as string
    const role = o.role as string
    if (!USER_NAME_PATTERN.test(user))
      throw new UsageError(
        '--user must be 1–64 letters, digits, ".", "_", "@" or "-", starting with a letter or digit',
        this.usage,
      )
    if (!isShoreRole(role))
      throw new UsageError(`--role must be one of ${SHORE_ROLES.join(', ')}`, this.usage)
    const stores = openForChange(o, o.create === true, this.usage)
    try {
      const { token, record } = stores.tokens.issueWithRecord('user', user, role)
      console.log(`user ${user} (${role}): token id ${record.id}; the token is shown once, on the next line:`)
      console.log(token)
      return 0
    } finally {
      stores.db.close()
    }
  },
}

const ADD_INTEGRATION: Command = {
  usage: `relay add-integration --data DIR --name NAME --scope read|customs [--create]
  Issues a token for a shore system (docs/integrations.md); the token is the last stdout line.
  read: REST reads, DCSA events and subscriptions; customs: also PATCH of the customs section.
  --create   make a new relay database if DIR has none (otherwise DIR must hold relay.sqlite)`,
  options: {
    data: { type: 'string' },
    database: { type: 'string' },
    name: { type: 'string' },
    scope: { type: 'string' },
    create: { type: 'boolean' },
  },
  required: ['name', 'scope'],
  run(o) {
    const name = o.name as string
    const scope = o.scope as string
    if (!USER_NAME_PATTERN.test(name))
      throw new UsageError(
        '--name must be 1–64 letters, digits, ".", "_", "@" or "-", starting with a letter or digit',
        this.usage,
      )
    if (!isIntegrationScope(scope))
      throw new UsageError(`--scope must be one of ${INTEGRATION_SCOPES.join(', ')}`, this.usage)
    const stores = openForChange(o, o.create === true, this.usage)
    try {
      const { token, record } = stores.tokens.issueWithRecord('integration', name, scope)
      console.log(
        `integration ${name} (scope ${scope}): token id ${record.id} (revoke-token --token-id ${record.id}); ` +
          'the token is shown once, on the next line:',
      )
      console.log(token)
      return 0
    } finally {
      stores.db.close()
    }
  },
}

const ADD_SCRAPE_TOKEN: Command = {
  usage: `relay add-scrape-token --data DIR --name NAME [--create]
  Issues a token that reads /metrics and nothing else (for Prometheus); it is the last stdout line.
  An ops user token reads /metrics too.`,
  options: {
    data: { type: 'string' },
    database: { type: 'string' },
    name: { type: 'string' },
    create: { type: 'boolean' },
  },
  required: ['name'],
  run(o) {
    const name = o.name as string
    if (!USER_NAME_PATTERN.test(name))
      throw new UsageError('--name must be 1–64 letters, digits, ".", "_", "@" or "-"', this.usage)
    const stores = openForChange(o, o.create === true, this.usage)
    try {
      const { token, record } = stores.tokens.issueWithRecord('user', name, SCRAPE_ROLE)
      console.log(`scrape token ${name}: token id ${record.id}; the token is shown once, on the next line:`)
      console.log(token)
      return 0
    } finally {
      stores.db.close()
    }
  },
}

const REVOKE_TOKEN: Command = {
  usage: `relay revoke-token --data DIR --token-id ID
  Revokes a token at once (a running relay refuses it on the next request; open links close).
  The IDs are in list-tokens.`,
  options: { data: { type: 'string' }, database: { type: 'string' }, 'token-id': { type: 'string' } },
  required: ['token-id'],
  run(o) {
    const stores = openForChange(o, false, this.usage)
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
  },
}

const LIST_TOKENS: Command = {
  usage: `relay list-tokens --data DIR [--all]
  Lists live tokens (id, kind, subject, role, created, revoked); --all includes revoked ones.
  Plaintext tokens are never stored, so never listed.`,
  options: { data: { type: 'string' }, database: { type: 'string' }, all: { type: 'boolean' } },
  required: [],
  run(o) {
    const stores = openForChange(o, false, this.usage)
    try {
      const tokens = stores.tokens.list({ includeRevoked: o.all === true })
      console.log(['id', 'kind', 'subject', 'role', 'created', 'revoked'].join('\t'))
      for (const t of tokens)
        console.log([t.id, t.kind, t.subject, t.role ?? '-', t.createdAt, t.revokedAt ?? '-'].join('\t'))
      return 0
    } finally {
      stores.db.close()
    }
  },
}

const SERVE: Command = {
  usage: SERVE_USAGE,
  options: SERVE_OPTIONS,
  required: ['port'],
  async run(o) {
    const options = parseServeOptions(o, this.usage)
    // Written synchronously: pino's asynchronous stream retries its last lines at exit forever when
    // whatever read them has gone (EPIPE), and SIGTERM would never stop the relay (docs/operations.md, "Logs").
    const logger = pino(
      { name: 'relay', level: process.env.LOG_LEVEL ?? 'info' },
      pino.destination({ dest: 1, sync: true }),
    )
    const relay = await createRelay({ ...options, logger })
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
    return -1 // keeps running
  },
}

const VERIFY_EVIDENCE: Command = {
  usage: `relay verify-evidence FILE
  Checks an evidence bundle (GET /api/vessels/IMO/containers/ID/evidence) offline: every signed fact
  against the vessel's key, every photo against its signed SHA-256. Exit 0 when all hold, 1 otherwise.`,
  options: {},
  required: [],
  positional: 'FILE',
  async run(o) {
    const file = o.file
    if (typeof file !== 'string' || file === '')
      throw new UsageError('FILE is required', VERIFY_EVIDENCE.usage)
    let bundle: unknown
    try {
      bundle = JSON.parse(fs.readFileSync(file, 'utf8'))
    } catch (err) {
      throw new CliError(`${file}: not a readable JSON bundle: ${(err as Error).message}`)
    }
    const { verifyBundle } = await import('./evidence-bundle.ts')
    const { ok, findings } = verifyBundle(bundle)
    const c = (bundle as { container?: { containerId?: string; vessel?: string; voyage?: string } }).container
    if (c) console.log(`evidence for ${c.containerId} on ${c.vessel} voyage ${c.voyage}`)
    for (const f of findings) console.log(`${f.holds ? 'HOLDS' : 'FAILS'}  ${f.subject}: ${f.detail}`)
    const failed = findings.filter((f) => !f.holds).length
    console.log(
      ok ? `all ${findings.length} facts and photos hold` : `${failed} of ${findings.length} do not hold`,
    )
    return ok ? 0 : 1
  },
}

const COMMANDS: Record<string, Command> = {
  serve: SERVE,
  'add-vessel': ADD_VESSEL,
  'add-user': ADD_USER,
  'add-integration': ADD_INTEGRATION,
  'add-scrape-token': ADD_SCRAPE_TOKEN,
  'revoke-token': REVOKE_TOKEN,
  'list-tokens': LIST_TOKENS,
  'verify-evidence': VERIFY_EVIDENCE,
}

const USAGE = `usage: relay <command> [options]   (relay <command> --help for one command)
${Object.values(COMMANDS)
  .map((c) => '  ' + c.usage.split('\n')[0]!.replace(/^relay /, ''))
  .join('\n')}`

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv
  if (name === '--help' || name === '-h' || name === 'help') {
    console.log(USAGE)
    return 0
  }
  if (name === undefined) throw new UsageError('no command given', USAGE)
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined
  if (!command) throw new UsageError(`unknown command ${name}`, USAGE)
  const values = parse(args, command)
  if (values === null) {
    console.log(`usage: ${command.usage}`)
    return 0
  }
  return command.run(values)
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code
  },
  (err: unknown) => {
    if (err instanceof UsageError) {
      console.error(`relay: ${err.message}\nusage: ${err.usage.replace(/^usage: /, '')}`)
      process.exitCode = EXIT_USAGE
    } else if (
      err instanceof CliError ||
      err instanceof DatabaseUnavailableError ||
      err instanceof SchemaTooNewError
    ) {
      // An operator's problem, not a bug: the reason without a stack trace.
      console.error(`relay: ${err.message}`)
      process.exitCode = 1
    } else {
      console.error(`relay: ${(err as Error).stack ?? String(err)}`)
      process.exitCode = 1
    }
  },
)
