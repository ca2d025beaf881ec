/**
 * The demo's log: read by a person at a terminal after the banner, so one line per event in words
 * (`[20:28:03] INFO (demo): satellite link UP`), not pino's JSON.
 */
import pino from 'pino'
import type { Logger } from 'pino'
import pretty from 'pino-pretty'

export function demoLogger(destination: NodeJS.WritableStream = process.stdout): Logger {
  return pino(
    { name: 'demo', level: 'info' },
    pretty({
      sync: true,
      translateTime: 'UTC:HH:MM:ss',
      ignore: 'pid,hostname',
      singleLine: true,
      colorize: false,
      destination,
    }),
  )
}
