import { createHash } from 'node:crypto'
import type Database from 'better-sqlite3'
import { isoNow, systemClock, type Clock } from './clock.ts'
import type { StoreOptions } from './store-options.ts'

/** A stored image, by its SHA-256. */
export interface PhotoBlob {
  sha256: string
  mime: string
  bytes: number
  data: Buffer
}

/** A photo taken on this replica. */
export interface PhotoRecord {
  id: string
  docId: string
  containerId: string
  sha256: string
  thumbSha256: string
  mime: string
  bytes: number
  takenAt: string
}

/** A full photo shore asked for, and how much of it has arrived (relay) or been acknowledged (vessel). */
export interface PhotoRequest {
  sha256: string
  vessel: string
  containerId: string
  photoId: string
  mime: string
  bytes: number
  requestedAt: string
  requestedBy: string
  receivedBytes: number
  completedAt: string | null
}

/** The vessel's signing key pair as stored (hex public key, raw secret). */
export interface StoredSigningKey {
  publicKey: string
  secretKey: Uint8Array
  createdAt: string
}

const sha256Hex = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex')

/**
 * Photos outside the documents (docs/photos.md): originals and thumbnails stored by SHA-256, the
 * photos taken here, the full photos shore requested with the parts received so far, and the
 * evidence keys. Synchronous; call inside `db.transaction` to commit with a document edit.
 */
export class PhotoStore {
  private readonly clock: Clock
  private readonly stmts: ReturnType<typeof prepare>

  constructor(
    private readonly db: Database.Database,
    options: StoreOptions = {},
  ) {
    this.clock = options.clock ?? systemClock
    this.stmts = prepare(db)
  }

  /** Stores an image under its SHA-256 (computed here); storing it twice is harmless. */
  putBlob(mime: string, data: Uint8Array): string {
    const sha = sha256Hex(data)
    this.stmts.putBlob.run(
      sha,
      mime,
      data.length,
      Buffer.from(data.buffer, data.byteOffset, data.length),
      isoNow(this.clock),
    )
    return sha
  }

  blob(sha256: string): PhotoBlob | undefined {
    return this.stmts.blob.get(sha256)
  }

  hasBlob(sha256: string): boolean {
    return this.stmts.hasBlob.get(sha256) !== undefined
  }

  addPhoto(photo: PhotoRecord): void {
    this.stmts.addPhoto.run(
      photo.id,
      photo.docId,
      photo.containerId,
      photo.sha256,
      photo.thumbSha256,
      photo.mime,
      photo.bytes,
      photo.takenAt,
    )
  }

  photo(id: string): PhotoRecord | undefined {
    return this.toRecord(this.stmts.photo.get(id))
  }

  /** A photo taken here, by its original's SHA-256. */
  photoBySha(sha256: string): PhotoRecord | undefined {
    return this.toRecord(this.stmts.photoBySha.get(sha256))
  }

  private toRecord(row: PhotoRow | undefined): PhotoRecord | undefined {
    return row
      ? {
          id: row.id,
          docId: row.doc_id,
          containerId: row.container_id,
          sha256: row.sha256,
          thumbSha256: row.thumb_sha256,
          mime: row.mime,
          bytes: row.bytes,
          takenAt: row.taken_at,
        }
      : undefined
  }

  /** Records a request for a full photo; a second request for the same photo keeps the first. */
  request(
    r: Omit<PhotoRequest, 'receivedBytes' | 'completedAt' | 'requestedAt'> & { requestedAt?: string },
  ): void {
    this.stmts.request.run(
      r.sha256,
      r.vessel,
      r.containerId,
      r.photoId,
      r.mime,
      r.bytes,
      r.requestedAt ?? isoNow(this.clock),
      r.requestedBy,
    )
  }

  requestOf(sha256: string): PhotoRequest | undefined {
    const row = this.stmts.requestOf.get(sha256)
    return row ? toRequest(row) : undefined
  }

  /** Requests of a vessel not yet complete, oldest first. */
  openRequests(vessel: string, limit = 100): PhotoRequest[] {
    return this.stmts.openRequests.all(vessel, limit).map(toRequest)
  }

  /** Every request not yet complete, fleet-wide (for /ops). */
  allOpenRequests(): PhotoRequest[] {
    return this.stmts.allOpen.all().map(toRequest)
  }

  /** Records how far the peer has acknowledged a photo (vessel side). */
  setProgress(sha256: string, receivedBytes: number, completed: boolean): void {
    this.stmts.progress.run(receivedBytes, completed ? isoNow(this.clock) : null, sha256)
  }

  /**
   * Stores one part of a full photo arriving over the link (relay side). Parts must come in order:
   * `offset` must be what has arrived so far, so a resend of an acknowledged part changes nothing.
   * When the last part arrives the photo is assembled, checked against its SHA-256 and stored.
   * Returns the bytes received after this part, and whether the photo is now whole.
   */
  addPart(sha256: string, offset: number, data: Uint8Array): { received: number; complete: boolean } {
    return this.db.transaction(() => {
      const request = this.requestOf(sha256)
      if (!request) throw new PhotoTransferError(`no request for photo ${sha256.slice(0, 12)}…`)
      if (request.completedAt) return { received: request.bytes, complete: true }
      if (offset !== request.receivedBytes) return { received: request.receivedBytes, complete: false }
      if (offset + data.length > request.bytes)
        throw new PhotoTransferError(`part at ${offset} runs past the photo's ${request.bytes} bytes`)
      this.stmts.addPart.run(sha256, offset, Buffer.from(data.buffer, data.byteOffset, data.length))
      const received = offset + data.length
      if (received < request.bytes) {
        this.stmts.progress.run(received, null, sha256)
        return { received, complete: false }
      }
      const whole = Buffer.concat(this.stmts.parts.all(sha256).map((p) => p.data))
      if (sha256Hex(whole) !== sha256) {
        // Each part matched its own checksum, so the sender's file changed: start over.
        this.stmts.dropParts.run(sha256)
        this.stmts.progress.run(0, null, sha256)
        throw new PhotoTransferError(`photo ${sha256.slice(0, 12)}… does not match its SHA-256`)
      }
      this.stmts.putBlob.run(sha256, request.mime, whole.length, whole, isoNow(this.clock))
      this.stmts.dropParts.run(sha256)
      this.stmts.progress.run(received, isoNow(this.clock), sha256)
      return { received, complete: true }
    })()
  }

  /** The vessel's evidence key, if one was made. */
  signingKey(): StoredSigningKey | undefined {
    const row = this.stmts.signingKey.get()
    return row
      ? { publicKey: row.public_key, secretKey: new Uint8Array(row.secret_key), createdAt: row.created_at }
      : undefined
  }

  /** Stores the vessel's evidence key unless one exists; returns the one kept. */
  keepSigningKey(publicKey: string, secretKey: Uint8Array): StoredSigningKey {
    this.stmts.putSigningKey.run(publicKey, Buffer.from(secretKey), isoNow(this.clock))
    return this.signingKey()!
  }

  /** Records a vessel's public key as the relay learned it. */
  learnVesselKey(imo: string, publicKey: string): void {
    this.stmts.learnKey.run(imo, publicKey, isoNow(this.clock))
  }

  /** A vessel's public keys, newest first. */
  vesselKeys(imo: string): { publicKey: string; learnedAt: string }[] {
    return this.stmts.vesselKeys.all(imo).map((r) => ({ publicKey: r.public_key, learnedAt: r.learned_at }))
  }
}

/** A part that cannot be stored: the sender must not send it again as it is. */
export class PhotoTransferError extends Error {
  override name = 'PhotoTransferError'
}

type RequestRow = {
  sha256: string
  vessel: string
  container_id: string
  photo_id: string
  mime: string
  bytes: number
  requested_at: string
  requested_by: string
  received_bytes: number
  completed_at: string | null
}

function toRequest(row: RequestRow): PhotoRequest {
  return {
    sha256: row.sha256,
    vessel: row.vessel,
    containerId: row.container_id,
    photoId: row.photo_id,
    mime: row.mime,
    bytes: row.bytes,
    requestedAt: row.requested_at,
    requestedBy: row.requested_by,
    receivedBytes: row.received_bytes,
    completedAt: row.completed_at,
  }
}

type PhotoRow = {
  id: string
  doc_id: string
  container_id: string
  sha256: string
  thumb_sha256: string
  mime: string
  bytes: number
  taken_at: string
}

function prepare(db: Database.Database) {
  return {
    putBlob: db.prepare<[string, string, number, Buffer, string]>(
      `INSERT INTO photo_blobs (sha256, mime, bytes, data, stored_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT(sha256) DO NOTHING`,
    ),
    blob: db.prepare<[string], PhotoBlob>(
      'SELECT sha256, mime, bytes, data FROM photo_blobs WHERE sha256 = ?',
    ),
    hasBlob: db.prepare<[string], { one: number }>('SELECT 1 AS one FROM photo_blobs WHERE sha256 = ?'),
    addPhoto: db.prepare<[string, string, string, string, string, string, number, string]>(
      `INSERT INTO photos (id, doc_id, container_id, sha256, thumb_sha256, mime, bytes, taken_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    photo: db.prepare<[string], PhotoRow>('SELECT * FROM photos WHERE id = ?'),
    photoBySha: db.prepare<[string], PhotoRow>('SELECT * FROM photos WHERE sha256 = ? LIMIT 1'),
    request: db.prepare<[string, string, string, string, string, number, string, string]>(
      `INSERT INTO photo_requests (sha256, vessel, container_id, photo_id, mime, bytes, requested_at, requested_by)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(sha256) DO NOTHING`,
    ),
    requestOf: db.prepare<[string], RequestRow>('SELECT * FROM photo_requests WHERE sha256 = ?'),
    openRequests: db.prepare<[string, number], RequestRow>(
      `SELECT * FROM photo_requests WHERE vessel = ? AND completed_at IS NULL ORDER BY requested_at, sha256 LIMIT ?`,
    ),
    allOpen: db.prepare<[], RequestRow>(
      'SELECT * FROM photo_requests WHERE completed_at IS NULL ORDER BY requested_at',
    ),
    progress: db.prepare<[number, string | null, string]>(
      'UPDATE photo_requests SET received_bytes = ?, completed_at = ? WHERE sha256 = ?',
    ),
    addPart: db.prepare<[string, number, Buffer]>(
      'INSERT OR REPLACE INTO photo_parts (sha256, offset, data) VALUES (?, ?, ?)',
    ),
    parts: db.prepare<[string], { data: Buffer }>(
      'SELECT data FROM photo_parts WHERE sha256 = ? ORDER BY offset',
    ),
    dropParts: db.prepare<[string]>('DELETE FROM photo_parts WHERE sha256 = ?'),
    signingKey: db.prepare<[], { public_key: string; secret_key: Buffer; created_at: string }>(
      'SELECT public_key, secret_key, created_at FROM signing_keys WHERE id = 1',
    ),
    putSigningKey: db.prepare<[string, Buffer, string]>(
      `INSERT INTO signing_keys (id, public_key, secret_key, created_at) VALUES (1, ?, ?, ?)
       ON CONFLICT(id) DO NOTHING`,
    ),
    learnKey: db.prepare<[string, string, string]>(
      `INSERT INTO vessel_keys (imo, public_key, learned_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
    ),
    vesselKeys: db.prepare<[string], { public_key: string; learned_at: string }>(
      'SELECT public_key, learned_at FROM vessel_keys WHERE imo = ? ORDER BY learned_at DESC',
    ),
  }
}
