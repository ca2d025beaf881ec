/** Set-up the replica's tests share: a throwaway database and a reading made by a given actor. */
import { afterEach } from 'vitest'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import * as A from '@automerge/automerge'
import { appendReading } from '@tally/manifest'
import type { ContainerDoc } from '@tally/manifest'
import { openTallyDatabase } from '@tally/storage-sqlite'

const cleanups: (() => void)[] = []
afterEach(() => {
  while (cleanups.length) cleanups.pop()!()
})

/** A fresh Tally database in its own temporary folder, closed and removed after the test. */
export function tempDatabase(name: string): ReturnType<typeof openTallyDatabase> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `tally-${name}-`))
  const db = openTallyDatabase(path.join(dir, 'vessel.sqlite'))
  cleanups.push(
    () => fs.rmSync(dir, { recursive: true, force: true }),
    () => db.close(),
  )
  return db
}

/** `doc` with a reefer reading of the given hour (1 November 2026) made by `actor`. */
export const readingBy = (doc: A.Doc<ContainerDoc>, hour: number, actor: string): A.Doc<ContainerDoc> =>
  appendReading(
    A.clone(doc, { actor: actor as A.ActorId }),
    { at: new Date(Date.UTC(2026, 10, 1, hour)).toISOString(), supplyC: 4, returnC: 5 },
    'vessel',
  )
