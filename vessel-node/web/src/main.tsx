/**
 * Entry point of the crew UI, served by the vessel node at `/`. Every asset is bundled; nothing is
 * fetched from the internet.
 */
import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import '@tally/ui/styles.css'
import '@tally/ui/app.css'
import './app.css'
import { App } from './App.tsx'

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
)
