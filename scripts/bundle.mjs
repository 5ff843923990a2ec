/**
 * Bundles the compiled CLI (dist/cli/main.js) and its hash worker into
 * dist/bundle/, which bin/shoal.js runs.
 *
 * Why: Node 20 loads the ~900 ES modules of the libp2p stack one file at a
 * time, about 0.5 s of every `shoal get` and `shoal start`; as a few bundled
 * files they load in about 0.12 s. Code splitting keeps the networking
 * half lazy, so `shoal ls` and friends still never load it.
 *
 * Entry files keep their bare names side by side: the chunker starts
 * `./hash-worker.js` next to itself, and the tracker reads
 * `../../package.json`, both relative to the bundled file.
 */
import { build } from 'esbuild'
import { rm } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const outdir = `${root}dist/bundle`

await rm(outdir, { recursive: true, force: true })
await build({
  absWorkingDir: root,
  entryPoints: ['dist/cli/main.js', 'dist/content/hash-worker.js'],
  entryNames: '[name]',
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // A native addon: loaded from node_modules as it is.
  external: ['better-sqlite3'],
  // CommonJS dependencies (commander, …) call require(); an ES module has none.
  banner: { js: "import { createRequire as __shoalCreateRequire } from 'node:module'; const require = __shoalCreateRequire(import.meta.url);" },
  logLevel: 'warning'
})
