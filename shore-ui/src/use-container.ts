/**
 * One container document, live: found through the browser's Repo (IndexedDB first, then the
 * relay), turned into the contract's container view on every change (local edits, other browsers,
 * the vessel's changes relayed after a link window), with conflict authors named, whether the relay
 * holds our latest heads, and any changes the relay refused.
 */
import { useCallback, useEffect, useMemo, useRef, useState, useSyncExternalStore } from 'react'
import * as A from '@automerge/automerge'
import { parseAutomergeUrl } from '@automerge/automerge-repo'
import type { AutomergeUrl, DocHandle } from '@automerge/automerge-repo'
import { toView } from '@tally/manifest'
import type { ContainerDoc, ContainerView } from '@tally/manifest'
import type { ActorDirectory, ActorInfo } from './actors.ts'
import type { RelayConnection } from './connection.ts'

/** A change the relay refused (relay/src/sync/notices.ts). */
export interface RefusedChange {
  hash: string
  reason: string
  field?: string
}

export type DocStatus = 'loading' | 'ready' | 'unavailable'

export interface ContainerDocState {
  status: DocStatus
  handle: DocHandle<ContainerDoc> | null
  view: ContainerView | null
  /** Changes of ours the relay refused; they stay in this browser's copy until it is reloaded. */
  refused: RefusedChange[]
  /** True while the relay does not hold exactly our heads. */
  unsynced: boolean
  /** Drops this browser's copy and loads the relay's (recovers from refused changes). */
  reload(): void
}

interface TallyNotice {
  type?: string
  changes?: RefusedChange[]
  actors?: Record<string, ActorInfo>
}

/** Retries of a document still unavailable while the relay is reachable, and their spacing. */
const UNAVAILABLE_RETRIES = 5
const UNAVAILABLE_RETRY_MS = 1_500

const sameHeads = (a: readonly string[] | undefined, b: readonly string[]): boolean =>
  !!a && a.length === b.length && [...a].sort().join() === [...b].sort().join()

export function useContainerDoc(
  conn: RelayConnection,
  url: AutomergeUrl,
  actors: ActorDirectory,
  myPrincipal: string,
): ContainerDocState {
  const [handle, setHandle] = useState<DocHandle<ContainerDoc> | null>(null)
  const [status, setStatus] = useState<DocStatus>('loading')
  const [refused, setRefused] = useState<RefusedChange[]>([])
  const [tick, setTick] = useState(0)
  const [attempt, setAttempt] = useState(0)
  const link = useSyncExternalStore(conn.subscribe, conn.getSnapshot)
  const actorVersion = useSyncExternalStore(actors.subscribe, actors.getVersion)
  const frame = useRef<number | null>(null)

  // Find the document; an unavailable one is tried again whenever the relay comes back.
  useEffect(() => {
    let cancelled = false
    setStatus((s) => (s === 'ready' ? s : 'loading'))
    // A handle that was unavailable answers so again at once; a fresh one asks the peers anew (the
    // tab hub, say, which may have it from the relay by now). Nothing is lost: it holds nothing.
    if (conn.repo.handles[parseAutomergeUrl(url).documentId]?.state === 'unavailable') conn.repo.delete(url)
    conn.repo
      .find<ContainerDoc>(url, { allowableStates: ['ready'] })
      .then((h) => {
        if (cancelled) return
        setHandle(h)
        setStatus('ready')
      })
      .catch(() => !cancelled && setStatus('unavailable'))
    return () => {
      cancelled = true
    }
  }, [conn, url, attempt])
  useEffect(() => {
    if (link.state === 'online' && status === 'unavailable') setAttempt((n) => n + 1)
    if (link.state === 'online') actors.forgetQuestions()
  }, [link.state, status, actors])
  // Online and still unavailable (asked before the relay answered, say): a few more tries, spaced.
  const retries = useRef(0)
  useEffect(() => {
    if (status === 'ready') retries.current = 0
    if (link.state !== 'online' || status !== 'unavailable' || retries.current >= UNAVAILABLE_RETRIES) return
    const timer = setTimeout(() => {
      retries.current++
      setAttempt((n) => n + 1)
    }, UNAVAILABLE_RETRY_MS)
    return () => clearTimeout(timer)
  }, [link.state, status, attempt])

  // Re-render on changes (at most once a frame), on the relay's heads, and on Tally notices.
  useEffect(() => {
    if (!handle) return
    const rerender = () => {
      if (frame.current !== null) return
      frame.current = requestAnimationFrame(() => {
        frame.current = null
        setTick((t) => t + 1)
      })
    }
    const onEphemeral = ({ message }: { message: unknown }) => {
      const notice = (message as { tally?: TallyNotice } | null)?.tally
      if (notice?.type === 'actors' && notice.actors) actors.learn(notice.actors)
      if (notice?.type === 'refused' && notice.changes)
        setRefused((all) => [...all, ...notice.changes!.filter((c) => !all.some((a) => a.hash === c.hash))])
    }
    handle.on('change', rerender)
    // A change without patches (a conflict resolved in favour of the value shown) has no `change`.
    handle.on('heads-changed', rerender)
    handle.on('remote-heads', rerender)
    handle.on('ephemeral-message', onEphemeral)
    return () => {
      handle.off('change', rerender)
      handle.off('heads-changed', rerender)
      handle.off('remote-heads', rerender)
      handle.off('ephemeral-message', onEphemeral)
      if (frame.current !== null) cancelAnimationFrame(frame.current)
      frame.current = null
    }
  }, [handle, actors])

  const doc = handle?.isReady() ? handle.doc() : undefined
  const view = useMemo(() => {
    if (!doc) return null
    const mine = A.getActorId(doc)
    const unknown = new Set<string>()
    const principalOf = (actor: string) => {
      if (actor === mine) return myPrincipal
      const known = actors.principalOf(actor)
      if (!known) unknown.add(actor)
      return known
    }
    const v = toView(doc, principalOf)
    if (unknown.size > 0 && handle) queueMicrotask(() => actors.ask(handle, unknown))
    return v
    // `tick` and `actorVersion` stand for the document's and the directory's changes.
  }, [doc, tick, actorVersion, myPrincipal, handle, actors])

  const relayId = link.state === 'online' ? conn.relayStorageId() : undefined
  const unsynced =
    !!handle && !!doc && !sameHeads(relayId && handle.getSyncInfo(relayId)?.lastHeads, handle.heads())

  const reload = useCallback(() => {
    setRefused([])
    setHandle(null)
    setStatus('loading')
    // Every copy goes (the tab hub's too), then the document comes again from the relay.
    void conn.forget(url).then(() => setAttempt((n) => n + 1))
  }, [conn, url])

  return { status, handle, view, refused, unsynced, reload }
}
