/**
 * Imports run one way between src/'s folders: a lower layer never reaches
 * up into one that uses it. The test reads every src/ file's imports (static,
 * `export … from`, and `import()`) and names each one that breaks a rule.
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, relative, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'src')

/** Folders of src/ each folder must not import (files at src/'s top, like errors.ts, are open to all). */
const FORBIDDEN: Record<string, readonly string[]> = {
  util: ['content', 'store', 'protocol', 'transfer', 'discovery', 'distribute', 'net', 'node', 'tracker', 'api', 'cli', 'config'],
  config: ['content', 'store', 'protocol', 'transfer', 'discovery', 'distribute', 'net', 'node', 'tracker', 'api', 'cli'],
  content: ['store', 'protocol', 'transfer', 'discovery', 'distribute', 'net', 'node', 'tracker', 'api', 'cli'],
  store: ['protocol', 'transfer', 'discovery', 'distribute', 'net', 'node', 'tracker', 'api', 'cli'],
  protocol: ['transfer', 'discovery', 'distribute', 'node', 'tracker', 'api', 'cli'],
  transfer: ['discovery', 'distribute', 'node', 'tracker', 'api', 'cli'],
  discovery: ['distribute', 'node', 'api', 'cli'],
  distribute: ['node', 'api', 'cli'],
  tracker: ['discovery', 'distribute', 'node', 'transfer', 'api', 'cli'],
  net: ['transfer', 'discovery', 'distribute', 'node', 'api', 'cli'],
  node: ['api', 'cli'],
  api: ['cli']
}

/** Module specifiers in `import … from`, `export … from`, `import '…'` and `import('…')`. */
const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(?\s*)['"]([^'"]+)['"]/g

async function sourceFiles (dir: string): Promise<string[]> {
  const out: string[] = []
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) out.push(...await sourceFiles(path))
    else if (entry.name.endsWith('.ts')) out.push(path)
  }
  return out
}

/** The src/ folder a path is in, or undefined for a file at src/'s top or outside src/. */
function folderOf (root: string, path: string): string | undefined {
  const parts = relative(root, path).split(sep)
  return parts.length > 1 && parts[0] !== '..' ? parts[0] : undefined
}

/** Every import under `root` that breaks a rule, as `file → import`. */
async function violations (root: string): Promise<string[]> {
  const found: string[] = []
  for (const file of await sourceFiles(root)) {
    const from = folderOf(root, file)
    if (from == null) continue
    const text = await readFile(file, 'utf8')
    for (const [, spec] of text.matchAll(SPECIFIER)) {
      if (spec == null || !spec.startsWith('.')) continue
      const to = folderOf(root, resolve(dirname(file), spec))
      if (to == null || to === from) continue
      const forbidden = from === 'cli' ? [] : [...(FORBIDDEN[from] ?? []), 'cli']
      if (forbidden.includes(to)) found.push(`${relative(root, file)} → ${spec}`)
    }
  }
  return found
}

describe('architecture', () => {
  it('every folder of src/ has a rule (a new folder gets one)', async () => {
    const folders = (await readdir(SRC, { withFileTypes: true })).filter(e => e.isDirectory()).map(e => e.name)
    assert.deepEqual(folders.filter(f => f !== 'cli' && FORBIDDEN[f] == null), [])
  })

  it('imports run one way: no src/ folder imports one above it', async () => {
    assert.deepEqual(await violations(SRC), [])
  })

  it('the check names imports that break a rule, and only those (it can fail)', async (t) => {
    const root = await mkdtemp(join(tmpdir(), 'shoal-arch-'))
    t.after(async () => { await rm(root, { recursive: true, force: true }) })
    const files: Record<string, string> = {
      'protocol/a.ts': "import { x } from '../transfer/x.js'\nimport { e } from '../errors.js'\nimport { b } from './b.js'",
      'transfer/b.ts': "export { y } from '../node/y.js'\nimport type { C } from '../protocol/c.js'",
      'api/c.ts': "const m = await import('../cli/main.js')\nimport { n } from '../node/node.js'",
      'cli/d.ts': "import { s } from '../api/server.js'"
    }
    for (const [path, text] of Object.entries(files)) {
      await mkdir(join(root, dirname(path)), { recursive: true })
      await writeFile(join(root, path), text)
    }
    assert.deepEqual((await violations(root)).sort(), [
      `api${sep}c.ts → ../cli/main.js`,
      `protocol${sep}a.ts → ../transfer/x.js`,
      `transfer${sep}b.ts → ../node/y.js`
    ])
  })
})
