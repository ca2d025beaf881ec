/**
 * Run the satellite link simulator as its own process:
 *
 *   npx tsx test/link-sim/cli.ts --listen 4200 --target 127.0.0.1:4000 \
 *     --rate-kbps 128 --delay-ms 300 --control-port 4201 [--schedule 30000:10000,60000:5000 --repeat]
 *
 * Logs are pino JSON lines on stdout; the first `satellite link listening` line carries the ports
 * (useful with `--listen 0`). SIGINT/SIGTERM stop it cleanly.
 */
import { parseArgs } from 'node:util'
import { pino } from 'pino'
import { SatelliteLink } from './satellite-link.ts'
import type { LinkWindow } from './types.ts'

const USAGE = `usage: tsx test/link-sim/cli.ts --listen PORT --target HOST:PORT [--rate-kbps 128] [--delay-ms 300]
       [--control-port PORT] [--slice-bytes 1024] [--schedule UP_MS:DOWN_MS[,UP_MS:DOWN_MS...] [--repeat]]`

function fail(message: string): never {
  process.stderr.write(`${message}\n${USAGE}\n`)
  process.exit(2)
}

function int(name: string, value: string | undefined, fallback?: number): number {
  if (value === undefined) {
    if (fallback === undefined) fail(`--${name} is required`)
    return fallback
  }
  const n = Number(value)
  if (!Number.isFinite(n) || n < 0) fail(`--${name} must be a non-negative number, got "${value}"`)
  return n
}

function parseSchedule(text: string): LinkWindow[] {
  return text.split(',').map((part) => {
    const [up, down] = part.split(':')
    return { upMs: int('schedule', up), downMs: down === 'inf' ? Infinity : int('schedule', down) }
  })
}

const { values } = parseArgs({
  options: {
    listen: { type: 'string' },
    target: { type: 'string' },
    'rate-kbps': { type: 'string' },
    'delay-ms': { type: 'string' },
    'control-port': { type: 'string' },
    'slice-bytes': { type: 'string' },
    schedule: { type: 'string' },
    repeat: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
})
if (values.help) {
  process.stdout.write(`${USAGE}\n`)
  process.exit(0)
}
const match = /^(.+):(\d+)$/.exec(values.target ?? '')
if (match === null) fail('--target HOST:PORT is required')

const link = new SatelliteLink({
  listenPort: int('listen', values.listen),
  target: { host: match[1], port: Number(match[2]) },
  rateBitsPerSecond: int('rate-kbps', values['rate-kbps'], 128) * 1000,
  oneWayDelayMs: int('delay-ms', values['delay-ms'], 300),
  sliceBytes: values['slice-bytes'] === undefined ? undefined : int('slice-bytes', values['slice-bytes']),
  controlPort: values['control-port'] === undefined ? undefined : int('control-port', values['control-port']),
  logger: pino({ level: process.env.LOG_LEVEL ?? 'info' }),
})
await link.start()
if (values.schedule !== undefined) link.schedule(parseSchedule(values.schedule), { repeat: values.repeat })

let stopping = false
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return
    stopping = true
    link.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    )
  })
}
