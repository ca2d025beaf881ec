/**
 * The container's notes as live collaborative text: every keystroke is an Automerge text edit
 * (through the manifest's `applyPatch`, so the catalog's length limit holds), and other people's
 * edits are merged into the textarea the moment they arrive, with the caret moved by the same
 * patches, so nobody's typing lands inside someone else's words.
 */
import { useEffect, useRef, useState } from 'react'
import type { DocHandle, DocHandleChangePayload } from '@automerge/automerge-repo'
import type { ContainerDoc, Role } from '@tally/manifest'
import { problemOf } from '@tally/ui'
import { patchDocument } from './edits.ts'
import type { Viewer } from './presence.ts'

export interface NotesEditorProps {
  handle: DocHandle<ContainerDoc>
  role: Role
  /** Other people editing the notes right now. */
  editors: Viewer[]
  onEditing(editing: boolean): void
}

type TextPatch = { action: string; path: (string | number)[]; value?: unknown; length?: number }

/**
 * Where a caret offset moves under the document's patches to the notes, or null when a patch
 * replaced the text wholesale. An insertion exactly at the caret stays after it, so what the user
 * types next goes where they were typing.
 */
function moveOffset(offset: number, patches: readonly TextPatch[]): number | null {
  let at = offset
  for (const p of patches) {
    if (p.path[0] !== 'notes') continue
    if (p.path.length !== 2 || typeof p.path[1] !== 'number') return null
    const index = p.path[1]
    if (p.action === 'splice') {
      if (index < at) at += String(p.value ?? '').length
    } else if (p.action === 'del') {
      const length = p.length ?? 1
      if (index < at) at -= Math.min(length, at - index)
    } else return null
  }
  return at
}

export function NotesEditor({ handle, role, editors, onEditing }: NotesEditorProps) {
  const ref = useRef<HTMLTextAreaElement>(null)
  const [problem, setProblem] = useState<string | null>(null)

  // The textarea always shows the document: a keystroke is then diffed against exactly what the
  // user saw, and never undoes an edit that arrived in between (they run in separate tasks).
  useEffect(() => {
    const el = ref.current
    if (!el) return
    el.value = String(handle.doc().notes ?? '')
    const onChange = ({ doc, patches }: DocHandleChangePayload<ContainerDoc>) => {
      const next = String(doc.notes ?? '')
      if (el.value === next) return
      const focused = el.ownerDocument.activeElement === el
      const start = moveOffset(el.selectionStart, patches as TextPatch[])
      const end = moveOffset(el.selectionEnd, patches as TextPatch[])
      el.value = next
      if (focused) el.setSelectionRange(start ?? next.length, end ?? next.length)
    }
    handle.on('change', onChange)
    return () => {
      handle.off('change', onChange)
    }
  }, [handle])

  const others = editors.map((v) => v.user.name)
  return (
    <section className="tly-card notes" aria-labelledby="notes-h" data-testid="section-notes">
      <header className="tly-card__header">
        <h2 id="notes-h">Notes</h2>
        <p className="tly-owner">
          <span className="tly-owner__tag tly-owner__tag--both">Shared by vessel and shore · live</span>
          {others.length > 0 && (
            <span className="notes__typing" data-testid="notes-editors">
              <span className="presence-dot" aria-hidden="true" /> {others.join(', ')}{' '}
              {others.length === 1 ? 'is' : 'are'} typing here
            </span>
          )}
        </p>
      </header>
      <label htmlFor="notes-text" className="tly-visually-hidden">
        Notes
      </label>
      <textarea
        id="notes-text"
        ref={ref}
        className="tly-input tly-textarea notes__text"
        rows={5}
        spellCheck
        aria-describedby="notes-help"
        data-testid="notes-text"
        onFocus={() => onEditing(true)}
        onBlur={() => onEditing(false)}
        onInput={(e) => {
          const value = e.currentTarget.value
          try {
            patchDocument(handle, { notes: value }, role)
            setProblem(null)
          } catch (err) {
            setProblem(problemOf(err).message)
            e.currentTarget.value = String(handle.doc().notes ?? '')
          }
        }}
      />
      <p id="notes-help" className="tly-muted notes__help">
        Everyone with this container open sees your typing as it happens; the crew receive the notes with the
        next link window.
      </p>
      {problem && (
        <p className="tly-alert tly-alert--error" role="alert">
          {problem}
        </p>
      )}
    </section>
  )
}
