/**
 * Per-vessel operator settings (the daily budget, the expected window, the link's pacing), kept by
 * the storage package's `OpsSettingsStore`.
 */
export {
  OpsSettingsStore,
  type LinkPacing,
  type VesselOpsSettings,
  type VesselOpsSettingsPatch,
} from '@tally/storage-sqlite'
