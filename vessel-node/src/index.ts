/**
 * @tally/vessel-node: the ship's server (docs/architecture.md). `createVesselNode` starts one; the sync engine,
 * its retry policy and the status model are exported for tests, the demo and benchmarks.
 */
export { createVesselNode, type VesselNode, type VesselNodeOptions } from './app.ts'
export { DATABASE_FILE, databasePath } from './data-dir.ts'
export {
  SyncEngine,
  RELAY_PEER,
  DEFAULT_SYNC_INTERVAL_MS,
  EDIT_DEBOUNCE_MS,
  EDIT_MAX_WAIT_MS,
  START_DELAY_MS,
  COMPLETE_DISPLAY_MS,
  type SyncState,
  type SyncSnapshot,
  type SyncEngineOptions,
  type SyncTimers,
  type SessionRunner,
} from './sync-engine.ts'
export {
  CircuitBreaker,
  backoffCeilingMs,
  fullJitterDelayMs,
  RETRY_BASE_MS,
  RETRY_CAP_MS,
  RETRY_LIMIT,
  BREAKER_FAILURE_THRESHOLD,
  BREAKER_COOLDOWN_MS,
  type BreakerState,
} from './retry-policy.ts'
export { describeLinkFailure, type LinkFailure } from './link-failure.ts'
export { PendingEstimator, type PendingEstimate } from './pending-estimate.ts'
export {
  ForecastModel,
  buildSyncStatus,
  PRIOR_WIRE_RATIO,
  SESSION_OVERHEAD_BYTES,
  type SyncStatusBody,
} from './sync-status.ts'
export { historyOf, type HistoryEntry } from './history.ts'
export { VesselLinkReplica } from './vessel-link-replica.ts'
export { CrewActors } from './crew-actors.ts'
export { runLinkSession, LinkError, type LinkAttempt } from './link-client.ts'
