/**
 * Entry point of the shore UI, served by the relay at `/`. Automerge's WebAssembly is a hashed
 * asset of this bundle (see vite.config.ts); it is initialised before anything renders, because
 * every container view is computed from an Automerge document in the browser.
 */
import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { initializeWasm } from '@automerge/automerge/slim'
import wasmUrl from '@automerge/automerge/automerge.wasm?url'
import { registerShellWorker, Splash } from '@tally/ui'
import '@tally/ui/styles.css'
import '@tally/ui/app.css'
import './app.css'
import { App } from './App.tsx'

registerShellWorker()

const root = createRoot(document.getElementById('root')!)
initializeWasm(wasmUrl).then(
  () =>
    root.render(
      <StrictMode>
        <App />
      </StrictMode>,
    ),
  (err: unknown) =>
    root.render(
      <Splash>
        <p role="alert">
          The app could not start ({String((err as Error)?.message ?? err)}). Reload the page.
        </p>
      </Splash>,
    ),
)
