/**
 * @tally/storage-sqlite: automerge-repo storage on better-sqlite3, plus the sync bookkeeping tables
 * (cursors, sessions, dead letters, audit, actors, tokens) that live in the same file.
 */
export {
  SqliteStorageAdapter,
  ensureChunkTable,
  DEFAULT_CHUNK_TABLE,
  type SqliteStorageAdapterOptions,
  type SynchronousMode,
} from './sqlite-storage-adapter.ts'
export { encodeStorageKey, decodeStorageKey, storageKeyRange, type StorageKeyRange } from './storage-key.ts'
export {
  openTallyDatabase,
  shrinkDatabase,
  DEFAULT_BUSY_TIMEOUT_MS,
  type OpenTallyDatabaseOptions,
} from './tally-database.ts'
export {
  migrate,
  schemaVersion,
  MIGRATIONS,
  SCHEMA_VERSION,
  SchemaTooNewError,
  type Migration,
} from './migrations.ts'
export {
  DiskFullError,
  isSqliteFullError,
  mapDiskFull,
  withDiskFullRecovery,
  type DiskFullRecoveryOptions,
} from './disk-full.ts'
export { pruneSyncLogs } from './prune-sync-logs.ts'
export { systemClock, isoNow, type Clock } from './clock.ts'
export type { StoreOptions } from './store-options.ts'
export { CursorStore, type PeerState } from './cursor-store.ts'
export {
  SessionLog,
  DEFAULT_USD_PER_MB,
  BYTES_PER_MB,
  type SessionLogOptions,
  type SyncSessionState,
  type SyncSessionCounters,
  type SyncSessionRecord,
  type SyncTotals,
  type DailySyncTotals,
  type HourlySyncTotals,
} from './session-log.ts'
export {
  projectDailyBill,
  dailyBillOf,
  sumDailyBills,
  formatKb,
  MIN_PROJECTION_BASIS_MS,
  type DailyBill,
  type DailyBillInput,
  type DailyBillReport,
} from './daily-bill.ts'
export {
  DeadLetterStore,
  type DeadLetterStatus,
  type NewDeadLetter,
  type DeadLetterRecord,
  type DeadLetterFilter,
} from './dead-letter-store.ts'
export { AuditLog, type NewAuditEntry, type AuditRecord } from './audit-log.ts'
export {
  ActorRegistryStore,
  ActorBindingConflictError,
  type ActorKind,
  type ActorBinding,
  type NewActorBinding,
} from './actor-registry-store.ts'
export { TokenStore, hashToken, type TokenKind, type TokenRecord } from './token-store.ts'
export {
  DcsaEventStore,
  type DcsaEventType,
  type NewDcsaEvent,
  type StoredDcsaEvent,
  type DcsaEventFilter,
} from './dcsa-event-store.ts'
export { SubscriptionStore, type SubscriptionRecord, type NewSubscription } from './subscription-store.ts'
export {
  PhotoStore,
  PhotoTransferError,
  type PhotoBlob,
  type PhotoRecord,
  type PhotoRequest,
  type StoredSigningKey,
} from './photo-store.ts'
export {
  isSharedDatabase,
  DatabaseUnavailableError,
  type SqlDatabase,
  type SqlStatement,
  type SqlRunResult,
  type SqlTransaction,
  type SharedSqlDatabase,
} from './sql-database.ts'
export { VoyageStore, type StoredVoyage, type PortCallRow } from './voyage-store.ts'
export { pruneRetention, type RetentionResult } from './retention.ts'
export { LinkPresenceStore, type LinkPresence } from './link-presence-store.ts'
export { AlertStore, type AlertRecord, type NewAlert } from './alert-store.ts'
export { AlertThresholdStore, VesselReportStore } from './ops-report-stores.ts'
export { VesselRegistry, type VesselLinkStatus, type VesselRecord } from './vessel-registry.ts'
export {
  OpsSettingsStore,
  type LinkPacing,
  type VesselOpsSettings,
  type VesselOpsSettingsPatch,
} from './ops-settings-store.ts'
export { ConflictStore, type ConflictEvent } from './conflict-store.ts'
export { ViewCacheStore } from './view-cache-store.ts'
