/**
 * The relay's command line (design §8 contract; every command is listed in {@link COMMANDS}):
 *
 *   npm run relay -- serve --port 4000 --data DIR [--host 127.0.0.1] [--cost-per-mb 10] [--alert-webhook URL] …
 *   npm run relay -- add-vessel --data DIR --vessel IMO9811000 --name NAME [--create]  # last stdout line: token
 *   npm run relay -- add-user --data DIR --user NAME --role shore|customs|ops [--create] # last stdout line: token
 *   npm run relay -- revoke-token --data DIR --token-id ID
 *   npm run relay -- list-tokens --data DIR [--all]
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
import { createRelay } from './app.ts'
import { isShoreRole, SHORE_ROLES, USER_NAME_PATTERN } from './auth.ts'
import { parseServeOptions, SERVE_OPTIONS, SERVE_USAGE } from './cli-serve.ts'
import { CliError, UsageError } from './cli-errors.ts'
import type { OptionSpec } from './cli-errors.ts'
import { openRelayStores, RELAY_DB_FILE } from './stores.ts'
import { IMO_PATTERN } from './vessels.ts'

/** Exit code for a usage error. */
const EXIT_USAGE = 2

interface Command {
  usage: string
  options: OptionSpec
  required: string[]
  run(values: Record<string, string | boolean | undefined>): Promise<number> | number
}

const HELP: OptionSpec = { help: { type: 'boolean', short: 'h' } }

function parse(args: string[], command: Command): Record<string, string | boolean | undefined> | null {
  let values: Record<string, string | boolean | undefined>
  try {
    values = parseArgs({
      args,
      options: { ...command.options, ...HELP },
      strict: true,
      allowPositionals: false,
    }).values as typeof values
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
function openForChange(dataDir: string, create: boolean) {
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
    vessel: { type: 'string' },
    name: { type: 'string' },
    create: { type: 'boolean' },
  },
  required: ['data', 'vessel', 'name'],
  run(o) {
    const imo = o.vessel as string
    if (!IMO_PATTERN.test(imo))
      throw new UsageError('--vessel must be IMO followed by 7 digits, e.g. IMO9811000', this.usage)
    const name = vesselName(o.name as string, this.usage)
    const stores = openForChange(o.data as string, o.create === true)
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
    user: { type: 'string' },
    role: { type: 'string' },
    create: { type: 'boolean' },
  },
  required: ['data', 'user', 'role'],
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
    const stores = openForChange(o.data as string, o.create === true)
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

const REVOKE_TOKEN: Command = {
  usage: `relay revoke-token --data DIR --token-id ID
  Revokes a token at once (a running relay refuses it on the next request; open links close).
  The IDs are in list-tokens.`,
  options: { data: { type: 'string' }, 'token-id': { type: 'string' } },
  required: ['data', 'token-id'],
  run(o) {
    const stores = openForChange(o.data as string, false)
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
  options: { data: { type: 'string' }, all: { type: 'boolean' } },
  required: ['data'],
  run(o) {
    const stores = openForChange(o.data as string, false)
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
  required: ['port', 'data'],
  async run(o) {
    const options = parseServeOptions(o, this.usage)
    const logger = pino({ name: 'relay', level: process.env.LOG_LEVEL ?? 'info' })
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

const COMMANDS: Record<string, Command> = {
  serve: SERVE,
  'add-vessel': ADD_VESSEL,
  'add-user': ADD_USER,
  'revoke-token': REVOKE_TOKEN,
  'list-tokens': LIST_TOKENS,
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
    } else if (err instanceof CliError) {
      console.error(`relay: ${err.message}`)
      process.exitCode = 1
    } else {
      console.error(`relay: ${(err as Error).stack ?? String(err)}`)
      process.exitCode = 1
    }
  },
)
