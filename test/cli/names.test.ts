/**
 * File names from the network, as real `shoal` processes: a peer serving a
 * manifest whose name breaks the rule (traversal, bidi override, a reserved
 * suffix) makes `get` fail at once with ERR_INVALID_MANIFEST, not after the
 * provider wait; a hidden (leading-dot) name is written only where `-o` names
 * the file; a local file with a bad name is not shared. The lying peer is an
 * in-process node whose manifest handler serves crafted bytes.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { mkdir, readdir, writeFile } from 'node:fs/promises'
import * as dagCbor from '@ipld/dag-cbor'
import { tempDir, runShoal, lastJson, startNode, writeRandomFile, sha256File } from '../helpers/cli.js'
import { startInProcessNode } from '../helpers/in-process-nodes.js'
import { fileIdFromManifestBytes } from '../../src/content/manifest.js'
import { quoteName } from '../../src/content/file-name.js'
import { MIB } from '../../src/content/chunk-size.js'
import { handleManifestStream } from '../../src/protocol/manifest.js'
import { MANIFEST_PROTOCOL } from '../../src/protocol/constants.js'
import type { ServedFile } from '../../src/protocol/served-file.js'

interface ShareJson { id: string, link: string }
interface GetJson { id: string, path: string, size: number }

/** How long the old code took to give up (transfer.noProviderTimeoutMs); a bad manifest must fail well before. */
const PROVIDER_WAIT_MS = 20_000
/** "At once": a get with a node of its own, start-up included, on a busy 2-core machine. */
const PROMPT_FAILURE_MS = 10_000

test('a peer serving a manifest with a bad name: get fails at once with ERR_INVALID_MANIFEST and writes nothing', async (t) => {
  const dir = await tempDir(t)
  const liar = await startInProcessNode(t, dir, 'liar')
  // The manifests a hostile peer can make up: each is the canonical encoding
  // of its content, so its ID verifies; only the name is wrong.
  const crafted = new Map<string, Uint8Array>()
  const names = ['../x', '../../.bashrc', 'invoice\u202eexe.txt', 'x.shoal-lock', 'a\u0000b']
  const ids = names.map((name) => {
    const bytes = dagCbor.encode({ v: 1, name, size: 1, chunkSize: MIB, hashes: new Uint8Array(32) })
    const id = fileIdFromManifestBytes(bytes)
    crafted.set(id, bytes)
    return id
  })
  const provider = { getServedFile: (id: string) => crafted.has(id) ? { id, manifestBytes: crafted.get(id) } as unknown as ServedFile : undefined }
  await liar.libp2p.handle(MANIFEST_PROTOCOL, async (stream) => { await handleManifestStream(stream, provider) }, { force: true })
  const peer = liar.addrs[0]
  assert.ok(peer != null)

  const cwd = join(dir, 'work', 'in')
  await mkdir(cwd, { recursive: true })
  for (const [i, id] of ids.entries()) {
    const started = Date.now()
    const r = await runShoal(['get', id, '--peer', peer, '--data-dir', join(dir, 'b')], { cwd, timeoutMs: PROVIDER_WAIT_MS + 30_000 })
    const elapsed = Date.now() - started
    assert.equal(r.code, 1, `${JSON.stringify(names[i])}: ${r.stderr}`)
    assert.match(r.stderr, /ERR_INVALID_MANIFEST/, JSON.stringify(names[i]))
    assert.match(r.stderr, /manifest name/, JSON.stringify(names[i]))
    assert.ok(elapsed < PROMPT_FAILURE_MS, `${JSON.stringify(names[i])}: failed after ${elapsed} ms`)
    assert.doesNotMatch(r.stderr, /[\u0000-\u0008\u000b-\u001f\u202e]/, 'the name is printed escaped')
    t.diagnostic(`${quoteName(names[i])}: exit ${r.code} after ${elapsed} ms: ${r.stderr.trim()}`)
  }
  assert.deepEqual(await readdir(cwd), [], 'nothing written where we are')
  assert.deepEqual(await readdir(join(dir, 'work')), ['in'], 'nor next to it')
})

test('a hidden (leading-dot) name is written only where -o names the file', async (t) => {
  const dir = await tempDir(t)
  const seeder = await startNode(t, join(dir, 'a'))
  const src = join(dir, '.notes')
  await writeRandomFile(src, 3 * MIB + 7)
  const share = await runShoal(['share', src, '--data-dir', seeder.dataDir, '--json'])
  assert.equal(share.code, 0, share.stderr)
  const { link } = lastJson<ShareJson>(share)

  const cwd = join(dir, 'cwd')
  await mkdir(cwd)
  // No -o: the manifest would choose a hidden file in the current directory.
  const bare = await runShoal(['get', link, '--data-dir', join(dir, 'b')], { cwd })
  assert.equal(bare.code, 2, bare.stderr)
  assert.match(bare.stderr, /ERR_INVALID_ARGUMENT/)
  assert.match(bare.stderr, /"\.notes" starts with a dot.*-o/)
  // -o a directory: the name would still come from the manifest.
  const intoDir = await runShoal(['get', link, '-o', cwd, '--data-dir', join(dir, 'b')], { cwd })
  assert.equal(intoDir.code, 2, intoDir.stderr)
  assert.match(intoDir.stderr, /starts with a dot/)
  assert.deepEqual(await readdir(cwd), [], 'no hidden file, part or lock file written')

  // -o naming the file: the user's choice, hidden or not.
  const named = await runShoal(['get', link, '-o', join(cwd, '.notes'), '--data-dir', join(dir, 'b'), '--json'], { cwd })
  assert.equal(named.code, 0, named.stderr)
  assert.equal(lastJson<GetJson>(named).path, join(cwd, '.notes'))
  assert.equal(await sha256File(join(cwd, '.notes')), await sha256File(src))
})

test('a local file whose name breaks the rule is not shared, and the rule is named', async (t) => {
  const dir = await tempDir(t)
  for (const [name, rule] of [['report.shoal-lock', /ends with \.shoal-lock/], ['invoice\u202eexe.txt', /bidirectional/], ['tab\there', /control/]] as const) {
    const path = join(dir, name)
    await writeFile(path, 'hello')
    const r = await runShoal(['share', path, '--data-dir', join(dir, 'd')])
    assert.equal(r.code, 2, `${JSON.stringify(name)}: ${r.stderr}`)
    assert.match(r.stderr, /ERR_INVALID_ARGUMENT/)
    assert.match(r.stderr, rule)
    assert.match(r.stderr, /rename the file/)
  }
  const ls = await runShoal(['ls', '--data-dir', join(dir, 'd'), '--json'])
  assert.equal(ls.code, 0, ls.stderr)
  assert.deepEqual(lastJson<{ files: unknown[] }>(ls).files, [])
})
