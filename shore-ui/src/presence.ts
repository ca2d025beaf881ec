/**
 * Who else has a container open, and what they are editing, through automerge-repo's Presence API
 * (ephemeral messages on the document, relayed by `/sync`). The relay stamps the `user` channel with
 * the authenticated user, so a name shown here is the name of whoever holds that token.
 */
import { useEffect, useMemo, useRef, useState } from 'react'
import { Presence } from '@automerge/automerge-repo'
import type { DocHandle, PeerId } from '@automerge/automerge-repo'

/** A heartbeat every few seconds; a viewer silent for three of them is gone. */
const HEARTBEAT_MS = 4_000
const PEER_TTL_MS = 12_000
/** After a reconnection, this browser's presence is announced again this much later. */
const REANNOUNCE_DELAY_MS = 1_000

export interface PresenceUser {
  name: string
  role: string
}

export type PresenceState = {
  user: PresenceUser
  /** The section being edited (`notes`, `customs`, …), or null when only looking. */
  editing: string | null
}

export interface Viewer {
  peerId: PeerId
  user: PresenceUser
  editing: string | null
}

export interface PresenceControl {
  viewers: Viewer[]
  /** Announces what this user is editing (null: only looking). */
  setEditing(section: string | null): void
}

/**
 * Presence on a document while `online`; offline there is nobody to see. After a reconnection the
 * state is announced again, so what others see is current (updates sent while offline were lost).
 */
export function usePresence(
  handle: DocHandle<unknown> | null,
  me: PresenceUser,
  online: boolean,
): PresenceControl {
  const [viewers, setViewers] = useState<Viewer[]>([])
  const presence = useMemo(() => (handle ? new Presence<PresenceState>({ handle }) : null), [handle])
  const wasOnline = useRef(online)

  useEffect(() => {
    if (!presence) return
    const refresh = () => {
      const states = Object.values(presence.getPeerStates().value)
      setViewers(
        states
          .filter((s) => s.value?.user?.name)
          .map((s) => ({ peerId: s.peerId, user: s.value.user, editing: s.value.editing ?? null }))
          .sort((a, b) => a.user.name.localeCompare(b.user.name)),
      )
    }
    const events = ['update', 'snapshot', 'goodbye', 'pruning'] as const
    for (const e of events) presence.on(e, refresh)
    presence.start({
      initialState: { user: me, editing: null },
      heartbeatMs: HEARTBEAT_MS,
      peerTtlMs: PEER_TTL_MS,
    })
    const leave = () => presence.stop()
    window.addEventListener('pagehide', leave)
    return () => {
      window.removeEventListener('pagehide', leave)
      for (const e of events) presence.off(e, refresh)
      presence.stop()
      setViewers([])
    }
  }, [presence, me])

  useEffect(() => {
    if (online === wasOnline.current) return
    wasOnline.current = online
    if (!online || !presence) return
    // The document syncs with the relay again a moment after the socket is back; an announcement
    // made before that reaches nobody.
    const timer = setTimeout(() => {
      if (!presence.running) return
      const state = presence.getLocalState()
      presence.stop()
      presence.start({ initialState: state, heartbeatMs: HEARTBEAT_MS, peerTtlMs: PEER_TTL_MS })
    }, REANNOUNCE_DELAY_MS)
    return () => clearTimeout(timer)
  }, [online, presence])

  return {
    viewers: online ? viewers : [],
    setEditing: (section) => {
      if (presence?.running && presence.getLocalState().editing !== section)
        presence.broadcast('editing', section)
    },
  }
}
