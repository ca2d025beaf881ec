/**
 * A throwaway PostgreSQL cluster for tests and benchmarks: Debian's `postgresql` package (installed
 * by .ci/run), `initdb` in a temporary directory, a free port on 127.0.0.1, run as the `postgres`
 * user when the tests run as root (PostgreSQL refuses to run as root). Nothing to set up by hand.
 */
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { PostgresDatabase } from '@tally/storage-postgres'

export interface PgCluster {
  port: number
  /** `postgres://postgres@127.0.0.1:PORT/DB` */
  url(database?: string): string
  /** Creates an empty database and returns its URL. */
  createDatabase(name: string): string
  /** Stops the server at once, as a crash would (`-m immediate`). */
  stop(): void
  /** Starts it again on the same port and data. */
  start(): void
  /** Stops it and removes its files. */
  destroy(): void
}

/** Where Debian keeps the server binaries (the newest major version), or PATH. */
function binDir(): string {
  const debian = '/usr/lib/postgresql'
  if (fs.existsSync(debian)) {
    const versions = fs
      .readdirSync(debian)
      .filter((v) => fs.existsSync(path.join(debian, v, 'bin', 'initdb')))
      .sort((a, b) => Number(b) - Number(a))
    if (versions.length > 0) return path.join(debian, versions[0]!, 'bin')
  }
  for (const dir of (process.env.PATH ?? '').split(':'))
    if (dir && fs.existsSync(path.join(dir, 'initdb'))) return dir
  throw new Error('PostgreSQL server binaries not found: apt-get install -y postgresql')
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo
      server.close(() => resolve(port))
    })
  })
}

/** Runs a server binary, as the `postgres` user when we are root. */
function runAsPostgres(bin: string, args: string[]): void {
  const asRoot = process.getuid?.() === 0
  const [file, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', bin, ...args]] : [bin, args]
  execFileSync(file, argv, { stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 })
}

/**
 * Starts a cluster. `fsync` stays on unless `fast` (tests that do not measure durability use it to
 * spare the shared disk).
 */
export async function startPgCluster(
  options: { fast?: boolean; maxConnections?: number } = {},
): Promise<PgCluster> {
  const bin = binDir()
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tally-pg-'))
  const data = path.join(dir, 'data')
  if (process.getuid?.() === 0) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim())
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim())
    fs.chownSync(dir, uid, gid)
  }
  runAsPostgres(path.join(bin, 'initdb'), [
    '-D',
    data,
    '-U',
    'postgres',
    '--auth=trust',
    '-E',
    'UTF8',
    '--locale=C',
    '--no-sync',
  ])
  const port = await freePort()
  const settings = [
    `-p ${port}`,
    `-k ${dir}`,
    '-c listen_addresses=127.0.0.1',
    `-c max_connections=${options.maxConnections ?? 50}`,
    // fsync off trusts the OS to keep what PostgreSQL wrote: a server crash (`stop`) loses nothing
    // acknowledged, only a crash of the machine would. synchronous_commit stays on, since with it off
    // a crash of the server alone forgets the last commits it acknowledged.
    ...(options.fast ? ['-c fsync=off', '-c full_page_writes=off'] : []),
  ].join(' ')
  const log = path.join(dir, 'server.log')
  const start = () =>
    runAsPostgres(path.join(bin, 'pg_ctl'), [
      '-D',
      data,
      '-o',
      settings,
      '-l',
      log,
      '-w',
      '-t',
      '60',
      'start',
    ])
  const stop = () => {
    try {
      runAsPostgres(path.join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop'])
    } catch {
      // Already stopped.
    }
  }
  start()
  const url = (database = 'postgres') => `postgres://postgres@127.0.0.1:${port}/${database}`
  return {
    port,
    url,
    createDatabase(name) {
      if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`bad database name ${name}`)
      const admin = new PostgresDatabase(url())
      try {
        admin.exec(`CREATE DATABASE ${name}`)
      } finally {
        admin.close()
      }
      return url(name)
    },
    stop,
    start,
    destroy() {
      stop()
      fs.rmSync(dir, { recursive: true, force: true })
    },
  }
}
