/**
 * Has the ship got it? Under a container's head: "saved at shore", then either "on board since
 * 20:22" or "waiting for the vessel's next window (forecast 20:40)", from the relay's cursor for the
 * vessel against the document's heads (`GET …/delivery`, docs/api.md). Asked again whenever the
 * document changes and every {@link DELIVERY_REFRESH_MS} while the relay is reachable; while this
 * browser holds changes the relay lacks, the presence bar says so instead.
 */
import { useEffect, useState, useSyncExternalStore } from 'react'
import type { ContainerKey } from '@tally/manifest'
import { formatTime } from '@tally/ui'
import type { Delivery, ShoreApi } from './api.ts'
import type { RelayConnection } from './connection.ts'

export const DELIVERY_REFRESH_MS = 15_000

export function DeliveryNote(props: {
  api: ShoreApi
  conn: RelayConnection
  containerKey: ContainerKey
  heads: string
  unsynced: boolean
}) {
  const { api, conn, containerKey, heads, unsynced } = props
  const link = useSyncExternalStore(conn.subscribe, conn.getSnapshot)
  const [delivery, setDelivery] = useState<{ heads: string; value: Delivery } | null>(null)
  useEffect(() => {
    if (link.state !== 'online' || unsynced) return
    const controller = new AbortController()
    const ask = () =>
      api.delivery(containerKey, controller.signal).then(
        (value) => setDelivery({ heads, value }),
        () => undefined,
      )
    void ask()
    const timer = setInterval(ask, DELIVERY_REFRESH_MS)
    return () => {
      clearInterval(timer)
      controller.abort()
    }
  }, [api, containerKey, heads, link.state, unsynced])

  if (link.state !== 'online' || unsynced || !delivery || delivery.heads !== heads) return null
  const d = delivery.value
  return (
    <p className="delivery" data-testid="delivery" data-state={d.state}>
      <span className="delivery__shore">Saved at shore</span>
      {' · '}
      {d.state === 'on_board' ? (
        <span>On board since {formatTime(d.onBoardSince)}</span>
      ) : (
        <span>
          Waiting for the vessel&apos;s next window
          {d.forecastAt
            ? ` (forecast ${formatTime(d.forecastAt)})`
            : ' (no forecast yet: too few windows so far)'}
        </span>
      )}
    </p>
  )
}
