import { pino, type Logger } from 'pino'

/** Logger used when the caller injects none: library code never writes to the console on its own. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' })
}
