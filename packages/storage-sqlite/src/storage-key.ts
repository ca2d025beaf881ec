import type { StorageKey } from '@automerge/automerge-repo'

/**
 * Encoding of automerge-repo storage keys as one TEXT column, chosen so that "every key starting with
 * this prefix" is a single indexed range scan.
 *
 * Each part is written as `/` followed by the part with `%` and `/` percent-escaped, so an encoded
 * part never contains a bare `/`. Hence:
 * - `[]` encodes to `''` and `['']` to `'/'`: the encoding is injective;
 * - key K starts with prefix P (as arrays) exactly when enc(K) = enc(P) or enc(K) starts with
 *   enc(P) + '/', i.e. enc(P) + '/' <= enc(K) < enc(P) + '0' in byte order ('0' follows '/').
 *
 * SQLite's default BINARY collation compares UTF-8 bytes, which is what that range relies on.
 */

const SEPARATOR = '/'
/** The character immediately after {@link SEPARATOR} in byte order; the exclusive upper bound. */
const AFTER_SEPARATOR = '0'

/** Encodes a storage key for the `key` column. Throws on a non-string part. */
export function encodeStorageKey(key: StorageKey): string {
  let out = ''
  for (const part of key) {
    if (typeof part !== 'string') throw new TypeError(`storage key parts must be strings, got ${typeof part}`)
    out += SEPARATOR + part.replace(/%/g, '%25').replace(/\//g, '%2F')
  }
  return out
}

/** Inverse of {@link encodeStorageKey}. */
export function decodeStorageKey(encoded: string): StorageKey {
  if (encoded === '') return []
  // The leading separator yields an empty first element.
  return encoded
    .split(SEPARATOR)
    .slice(1)
    .map((part) => part.replace(/%2F|%25/g, (m) => (m === '%2F' ? '/' : '%')))
}

/** Bounds for the keys under `prefix`: the exact key, plus the half-open range [lower, upper). */
export interface StorageKeyRange {
  exact: string
  lower: string
  upper: string
}

/** Range of encoded keys whose decoded key starts with `prefix` (see module comment). */
export function storageKeyRange(prefix: StorageKey): StorageKeyRange {
  const exact = encodeStorageKey(prefix)
  return { exact, lower: exact + SEPARATOR, upper: exact + AFTER_SEPARATOR }
}
