/**
 * "Add photo" on a container's page: on a tablet the file input opens the camera (`capture`), a
 * caption is optional, and the photo is stored aboard before the answer (docs/photos.md). Its
 * thumbnail goes to shore with the next window; the full photo stays aboard until shore asks.
 */
import { useRef, useState } from 'react'
import type { CrewApi } from './api.ts'

export function AddPhoto({
  api,
  containerId,
  onAdded,
}: {
  api: CrewApi
  containerId: string
  onAdded: () => void
}) {
  const [open, setOpen] = useState(false)
  const [caption, setCaption] = useState('')
  const [busy, setBusy] = useState(false)
  const [message, setMessage] = useState<{ kind: 'ok' | 'error'; text: string } | null>(null)
  const fileRef = useRef<HTMLInputElement>(null)

  const submit = async (e: React.FormEvent) => {
    e.preventDefault()
    const file = fileRef.current?.files?.[0]
    if (!file) {
      setMessage({ kind: 'error', text: 'Take or choose a photo first.' })
      return
    }
    setBusy(true)
    setMessage(null)
    try {
      await api.addPhoto(containerId, file, caption)
      setMessage({ kind: 'ok', text: 'Photo saved aboard. Its thumbnail goes to shore with the next sync.' })
      setCaption('')
      if (fileRef.current) fileRef.current.value = ''
      setOpen(false)
      onAdded()
    } catch (err) {
      setMessage({ kind: 'error', text: (err as Error).message })
    } finally {
      setBusy(false)
    }
  }

  return (
    <div className="add-photo">
      <button
        type="button"
        className="tly-button tly-button--secondary"
        aria-expanded={open}
        onClick={() => setOpen((o) => !o)}
        data-testid="add-photo-toggle"
      >
        {open ? 'Close' : 'Add photo'}
      </button>
      {open && (
        <form className="add-photo__form" onSubmit={submit} data-testid="add-photo-form">
          <label>
            Photo
            <input
              ref={fileRef}
              type="file"
              accept="image/*"
              capture="environment"
              data-testid="photo-file"
              required
            />
          </label>
          <label>
            Caption (optional)
            <input
              type="text"
              value={caption}
              maxLength={2000}
              onChange={(e) => setCaption(e.target.value)}
              data-testid="photo-caption"
            />
          </label>
          <button type="submit" className="tly-button" disabled={busy} data-testid="photo-submit">
            {busy ? 'Saving…' : 'Save photo'}
          </button>
        </form>
      )}
      {message && (
        <p
          className={message.kind === 'error' ? 'tly-alert tly-alert--error' : 'tly-status'}
          role={message.kind === 'error' ? 'alert' : 'status'}
          data-testid="photo-message"
        >
          {message.text}
        </p>
      )}
    </div>
  )
}
