/**
 * The messages of automerge-repo's WebSocket protocol (as `@automerge/automerge-repo-network-websocket`
 * speaks it), checked field by field: everything a browser sends is untrusted. A client joins with
 * `join`, the relay answers `peer`; after that both sides exchange the Repo's own messages (`sync`,
 * `request`, `ephemeral`, `doc-unavailable`), each one CBOR-encoded binary WebSocket message.
 */
import { cbor } from '@automerge/automerge-repo'
import type { DocumentId, PeerId, PeerMetadata } from '@automerge/automerge-repo'
import { SyncCloseCode, SyncProtocolError } from './close-codes.ts'

/** The only version of the WebSocket protocol there is. */
export const PROTOCOL_V1 = '1'

/** Client → relay, first message. */
export interface JoinMessage {
  type: 'join'
  senderId: PeerId
  peerMetadata: PeerMetadata
  supportedProtocolVersions?: string[]
}

/** Relay → client, the answer to `join`. */
export interface PeerMessage {
  type: 'peer'
  senderId: PeerId
  targetId: PeerId
  peerMetadata: PeerMetadata
  selectedProtocolVersion: string
}

/** Relay → client: something went wrong. Stock clients log it. */
export interface ErrorMessage {
  type: 'error'
  senderId: PeerId
  targetId: PeerId
  message: string
}

/** A Repo message about one document. */
export interface DocMessage {
  type: 'sync' | 'request' | 'ephemeral' | 'doc-unavailable'
  senderId: PeerId
  targetId: PeerId
  documentId: DocumentId
  data?: Uint8Array
  count?: number
  sessionId?: string
}

/** Remote-heads gossip; the relay does not gossip, so it ignores these. */
export interface GossipMessage {
  type: 'remote-subscription-change' | 'remote-heads-changed'
  senderId: PeerId
  targetId: PeerId
}

export type ClientMessage = JoinMessage | DocMessage | GossipMessage

const MAX_ID_LENGTH = 128
const DOC_TYPES = new Set(['sync', 'request', 'ephemeral', 'doc-unavailable'])
const GOSSIP_TYPES = new Set(['remote-subscription-change', 'remote-heads-changed'])

const bad = (what: string) => new SyncProtocolError(SyncCloseCode.BadMessage, what)
const isId = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= MAX_ID_LENGTH
const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array)

/** Decodes and checks one inbound message; throws {@link SyncProtocolError} (4400) when malformed. */
export function decodeClientMessage(bytes: Uint8Array): ClientMessage {
  let value: unknown
  try {
    value = cbor.decode(bytes)
  } catch (err) {
    throw bad(`malformed CBOR: ${(err as Error).message}`.slice(0, 120))
  }
  if (!isRecord(value)) throw bad('malformed message: not a CBOR map')
  const { type, senderId } = value
  if (typeof type !== 'string') throw bad('malformed message: no type')
  if (!isId(senderId)) throw bad(`malformed ${type.slice(0, 40)} message: bad senderId`)
  if (type === 'join') {
    const meta = value.peerMetadata ?? {}
    const versions = value.supportedProtocolVersions
    if (!isRecord(meta)) throw bad('malformed join message: bad peerMetadata')
    if (versions !== undefined && (!Array.isArray(versions) || !versions.every((v) => typeof v === 'string')))
      throw bad('malformed join message: bad supportedProtocolVersions')
    const peerMetadata: PeerMetadata = {}
    if (isId(meta.storageId)) peerMetadata.storageId = meta.storageId as PeerMetadata['storageId']
    if (typeof meta.isEphemeral === 'boolean') peerMetadata.isEphemeral = meta.isEphemeral
    return {
      type,
      senderId: senderId as PeerId,
      peerMetadata,
      ...(versions ? { supportedProtocolVersions: versions as string[] } : {}),
    }
  }
  if (GOSSIP_TYPES.has(type))
    return {
      type: type as GossipMessage['type'],
      senderId: senderId as PeerId,
      targetId: value.targetId as PeerId,
    }
  if (!DOC_TYPES.has(type)) throw bad(`unknown message type ${JSON.stringify(type.slice(0, 40))}`)
  if (!isId(value.targetId)) throw bad(`malformed ${type} message: bad targetId`)
  if (!isId(value.documentId)) throw bad(`malformed ${type} message: bad documentId`)
  const message: DocMessage = {
    type: type as DocMessage['type'],
    senderId: senderId as PeerId,
    targetId: value.targetId as PeerId,
    documentId: value.documentId as DocumentId,
  }
  if (type !== 'doc-unavailable') {
    if (!(value.data instanceof Uint8Array)) throw bad(`malformed ${type} message: no data`)
    message.data = value.data
  }
  if (type === 'ephemeral') {
    if (!Number.isSafeInteger(value.count) || (value.count as number) < 0)
      throw bad('malformed ephemeral message: bad count')
    if (!isId(value.sessionId)) throw bad('malformed ephemeral message: bad sessionId')
    message.count = value.count as number
    message.sessionId = value.sessionId as string
  }
  return message
}

/** Encodes a message for the wire, as the stock adapters do. */
export function encodeMessage(message: object): Uint8Array {
  return cbor.encode(message)
}
