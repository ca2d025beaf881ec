/**
 * The crew UI, built into vessel-node/web/dist and served by the vessel node at `/`.
 * Build: `npx vite build vessel-node/web` (from the repository root).
 */
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vite'
import react from '@vitejs/plugin-react'

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  // Relative asset URLs: the bundle works wherever the vessel node mounts it.
  base: './',
  // The service worker (sw.js) both apps share.
  publicDir: fileURLToPath(new URL('../../packages/ui/public', import.meta.url)),
  plugins: [react()],
  resolve: {
    // The crew UI uses only @tally/manifest's catalog and validators, never an Automerge document.
    // The slim entry points skip loading the 3.6 MB WebAssembly module, which would otherwise delay
    // the first render on every tablet for nothing.
    alias: [
      { find: /^@automerge\/automerge$/, replacement: '@automerge/automerge/slim' },
      { find: /^@automerge\/automerge-repo$/, replacement: '@automerge/automerge-repo/slim' },
    ],
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 800,
  },
  server: {
    // `npx vite vessel-node/web` during development, against a vessel node on :4100.
    proxy: { '/api': 'http://127.0.0.1:4100' },
  },
})
