/**
 * Issue 13, items 2 and 4: `shoal ls`, `status`, `share` (and `get`) through
 * a running node cost no more than with no node. Timings belong to the bench (`npm run bench
 * -- --only latency`); this test asserts the cause instead: through a running
 * node these commands load no code of the node itself — not its networking
 * (libp2p), catalog (SQLite), config (YAML), download engine or link parsers
 * (the node checks the link itself) — only the CLI and its HTTP client. With no node, `ls` does load the node: the probe sees it.
 *
 * How: each CLI process runs with an ESM loader hook that records every
 * module file it loads; the bundle names each source module it holds in a
 * `// dist/…` or `// node_modules/…` comment, so the files loaded tell which
 * sources ran.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { readFile, writeFile } from 'node:fs/promises'
import { pathToFileURL, fileURLToPath } from 'node:url'
import { tempDir, runShoal, sha256File, startNode, writeRandomFile, type RunResult } from '../helpers/cli.js'

/** Loader hook: appends each loaded module's URL to $SHOAL_TEST_LOADED_LOG. */
const HOOK = `
import { appendFileSync } from 'node:fs'
export async function load (url, context, next) {
  appendFileSync(process.env.SHOAL_TEST_LOADED_LOG, url + '\\n')
  return await next(url, context)
}
`

/** Sources that must not run for a command served by a running node. */
const NODE_SOURCES = [
  'dist/node/node.js',
  'dist/content/link.js',
  'dist/store/catalog.js',
  'dist/config/load.js',
  'dist/transfer/download-job.js',
  'node_modules/libp2p/',
  'node_modules/yaml/',
  'node_modules/@libp2p/crypto/'
]

/** libp2p's one-line version module, which `--version` inlines on purpose (src/cli/version.ts): a constant, not the stack. */
const LIBP2P_VERSION = 'node_modules/libp2p/dist/src/version.js'

/** Runs `shoal …args` and returns the source modules it loaded (from the bundle's module comments). */
async function sourcesLoaded (dir: string, name: string, args: string[]): Promise<{ run: RunResult, sources: string[] }> {
  const hook = join(dir, 'hook.mjs')
  const register = join(dir, 'register.mjs')
  const log = join(dir, `${name}.loaded`)
  await writeFile(hook, HOOK)
  await writeFile(register, `import { register } from 'node:module'\nregister(${JSON.stringify(pathToFileURL(hook).href)})\n`)
  await writeFile(log, '')
  const run = await runShoal(args, { env: { NODE_OPTIONS: `--import=${pathToFileURL(register).href}`, SHOAL_TEST_LOADED_LOG: log } })
  const urls = (await readFile(log, 'utf8')).split('\n').filter(u => u.startsWith('file:') && u.includes('/dist/bundle/'))
  const sources = new Set<string>()
  for (const url of new Set(urls)) {
    for (const m of (await readFile(fileURLToPath(url), 'utf8')).matchAll(/^\/\/ ((?:dist|node_modules)\/\S+)$/gm)) sources.add(m[1] as string)
  }
  return { run, sources: [...sources] }
}

function nodeSourcesIn (sources: readonly string[]): string[] {
  return sources.filter(s => s !== LIBP2P_VERSION && NODE_SOURCES.some(n => s.startsWith(n)))
}

test('ls, status, share and get through a running node load none of the node\'s code; ls with no node does', async (t) => {
  const dir = await tempDir(t)
  const node = await startNode(t, join(dir, 'n'))
  const file = join(dir, 'f.bin')
  await writeRandomFile(file, 64 * 1024)
  let id = ''
  for (const [name, args] of [
    ['share', () => ['share', file, '--data-dir', node.dataDir, '--json']],
    ['ls', () => ['ls', '--data-dir', node.dataDir]],
    ['status', () => ['status', '--data-dir', node.dataDir]],
    ['get', () => ['get', id, '-o', join(dir, 'copy.bin'), '--data-dir', node.dataDir, '--json']]
  ] as const) {
    const { run, sources } = await sourcesLoaded(dir, name, args())
    assert.equal(run.code, 0, run.stderr)
    if (name === 'share') id = (JSON.parse(run.stdout) as { id: string }).id
    assert.ok(sources.includes('dist/cli/api-client.js'), `${name} went through the API: ${sources.join(' ')}`)
    assert.deepEqual(nodeSourcesIn(sources), [], `${name} through a running node loaded the node's code`)
  }
  assert.equal(await sha256File(join(dir, 'copy.bin')), await sha256File(file))
  const listed = await runShoal(['ls', '--data-dir', node.dataDir])
  assert.match(listed.stdout, /f\.bin/)

  const offline = await sourcesLoaded(dir, 'offline', ['ls', '--data-dir', join(dir, 'no-node')])
  assert.equal(offline.run.code, 0, offline.run.stderr)
  assert.ok(nodeSourcesIn(offline.sources).includes('dist/node/node.js'), `ls with no node runs one of its own: ${offline.sources.join(' ')}`)
})
