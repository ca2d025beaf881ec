/**
 * Entry point of the crew UI, served by the vessel node at `/`. Every asset is bundled; nothing is
 * fetched from the internet. A service worker keeps the shell, so the app opens on a tablet out of
 * Wi-Fi range (docs/architecture.md, "The crew tablet out of Wi-Fi range").
 */
import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import '@tally/ui/styles.css'
import '@tally/ui/app.css'
import './app.css'
import { registerShellWorker } from '@tally/ui'
import { App } from './App.tsx'

registerShellWorker()

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
)
