export { SatelliteLink, type CorruptOptions } from './satellite-link.ts'
export { startControlServer } from './control-server.ts'
export type {
  CorruptEvent,
  Direction,
  DownReason,
  DropEvent,
  LinkStats,
  LinkStatus,
  LinkWindow,
  SatelliteLinkEvents,
  SatelliteLinkOptions,
} from './types.ts'
