// The dashboard's build: web/ → dist/web, served by the node's API at `/`.
// JSX is compiled by esbuild for Preact; no plugin needed.
import { defineConfig } from 'vite'
import { fileURLToPath } from 'node:url'

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  logLevel: 'warn',
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: {
    outDir: fileURLToPath(new URL('../dist/web', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    // One small bundle; a source map would double what is shipped.
    sourcemap: false,
    modulePreload: { polyfill: false }
  }
})
