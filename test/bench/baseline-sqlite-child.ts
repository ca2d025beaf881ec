/**
 * Child process of the SQLite load baseline: a fresh process, like a vessel node starting, opens the
 * database and finds every document through a Repo. Prints one JSON line: `{ms, loaded}`.
 *
 * Usage: tsx baseline-sqlite-child.ts DB_FILE IDS_JSON_FILE
 */
import fs from 'node:fs'
import { Repo } from '@automerge/automerge-repo'
import type { DocumentId, PeerId } from '@automerge/automerge-repo'
import { SqliteStorageAdapter } from '@tally/storage-sqlite'

const [file, idsFile] = process.argv.slice(2)
if (!file || !idsFile) throw new Error('usage: baseline-sqlite-child.ts DB_FILE IDS_JSON_FILE')
const ids = JSON.parse(fs.readFileSync(idsFile, 'utf8')) as DocumentId[]

const start = performance.now()
const storage = new SqliteStorageAdapter(file)
const repo = new Repo({ storage, network: [], peerId: `loader-${process.pid}` as PeerId })
const handles = await Promise.all(ids.map((id) => repo.find(id)))
const ms = performance.now() - start
const loaded = handles.filter((h) => h.heads().length > 0).length
await repo.shutdown()
storage.close()
process.stdout.write(JSON.stringify({ ms, loaded }) + '\n')
