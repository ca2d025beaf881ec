/**
 * A modal dialog on the native `<dialog>` element, which gives focus trapping, Escape to close and
 * an inert background without a library.
 */
import { useEffect, useId, useRef } from 'react'
import type { ReactNode } from 'react'

export interface DialogProps {
  open: boolean
  title: string
  onClose: () => void
  children: ReactNode
  testId?: string
}

export function Dialog({ open, title, onClose, children, testId }: DialogProps) {
  const ref = useRef<HTMLDialogElement>(null)
  const id = useId().replace(/[^a-zA-Z0-9_-]/g, '')
  useEffect(() => {
    const dialog = ref.current
    if (!dialog) return
    if (open && !dialog.open) dialog.showModal()
    if (!open && dialog.open) dialog.close()
  }, [open])
  return (
    <dialog
      ref={ref}
      className="tly-dialog"
      aria-labelledby={`${id}-title`}
      onClose={onClose}
      onCancel={(e) => {
        e.preventDefault()
        onClose()
      }}
      data-testid={testId}
    >
      {open && (
        <>
          <header className="tly-dialog__header">
            <h2 id={`${id}-title`}>{title}</h2>
            <button
              type="button"
              className="tly-button tly-button--ghost"
              onClick={onClose}
              aria-label="Close"
            >
              ✕
            </button>
          </header>
          <div className="tly-dialog__body">{children}</div>
        </>
      )}
    </dialog>
  )
}
