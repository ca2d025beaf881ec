/**
 * The shore UI, built into shore-ui/dist and served by the relay at `/`.
 * Build: `npx vite build shore-ui` (from the repository root) or `npm run build -w shore-ui`.
 */
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vite'
import react from '@vitejs/plugin-react'

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  // Relative asset URLs: the bundle works wherever the relay mounts it.
  base: './',
  // The service worker (sw.js) both apps share.
  publicDir: fileURLToPath(new URL('../packages/ui/public', import.meta.url)),
  plugins: [react()],
  resolve: {
    // Automerge's browser entry imports its WebAssembly as an ES module, which needs a bundler
    // plugin. The slim entry points load nothing by themselves; main.tsx fetches the .wasm file as
    // a hashed asset and initialises Automerge before the app renders (one cacheable download,
    // instead of 4.8 MB of base64 inside the JavaScript).
    alias: [
      { find: /^@automerge\/automerge$/, replacement: '@automerge/automerge/slim' },
      { find: /^@automerge\/automerge-repo$/, replacement: '@automerge/automerge-repo/slim' },
    ],
  },
  // The tab hub (src/tab-hub.worker.ts) is a module SharedWorker with Automerge in it.
  worker: { format: 'es' },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 1200,
  },
  server: {
    // `npx vite shore-ui` during development, against a relay on :4000.
    proxy: { '/api': 'http://127.0.0.1:4000', '/sync': { target: 'ws://127.0.0.1:4000', ws: true } },
  },
})
