import type { Clock } from './clock.ts'

/** Options shared by the bookkeeping stores. */
export interface StoreOptions {
  /** Timestamps for rows written without an explicit time. Default: the system clock. */
  clock?: Clock
}
