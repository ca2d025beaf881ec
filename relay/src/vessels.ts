/**
 * The relay's vessel register (`VesselRegistry`, kept by the storage package: which vessels exist
 * and what the link last learned about each) and the form of a vessel's IMO number.
 */
export { VesselRegistry, type VesselLinkStatus, type VesselRecord } from '@tally/storage-sqlite'

/** `IMO` followed by 7 digits, as the manifest's `vessel` field requires. */
export const IMO_PATTERN = /^IMO\d{7}$/
