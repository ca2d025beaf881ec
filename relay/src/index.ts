/** @tally/relay: the shore hub (docs/architecture.md). */
export { createRelay, REVOCATION_CHECK_MS } from './app.ts'
export type { Relay, RelayExtension, RelayOptions, UpgradeHandler } from './app.ts'
export { authenticateUser, tokenOf, userPrincipal, SHORE_ROLES, USER_NAME_PATTERN } from './auth.ts'
export type { RelayUser } from './auth.ts'
export type { RelayContext } from './context.ts'
export { openRelayStores, RELAY_DB_FILE } from './stores.ts'
export type { RelayStores } from './stores.ts'
export { LinkServer } from './link-server.ts'
