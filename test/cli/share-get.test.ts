/**
 * The core user story, as real processes: a node shares a file, another data
 * dir gets it (with a node of its own, then through its own running node),
 * byte for byte; catalogue commands; empty files; serving onwards.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { mkdir, readFile, stat, writeFile, readdir } from 'node:fs/promises'
import { tempDir, runShoal, lastJson, startNode, writeRandomFile, sha256File } from '../helpers/cli.js'

interface ShareJson { id: string, link: string, size: number, chunks: number }
interface GetJson { id: string, path: string, size: number, peers: Array<{ peerId: string, bytes: number }> }

test('share on one node, get on another: verified, byte for byte, with --json shapes', async (t) => {
  const dir = await tempDir(t)
  const seeder = await startNode(t, join(dir, 'a'))
  const src = join(dir, 'movie.bin')
  await writeRandomFile(src, 5 * 1024 * 1024 + 12345)

  const share = await runShoal(['share', src, '--data-dir', seeder.dataDir, '--json'])
  assert.equal(share.code, 0, share.stderr)
  const shared = lastJson<ShareJson>(share)
  assert.deepEqual(Object.keys(shared).sort(), ['chunks', 'id', 'link', 'size'])
  assert.match(shared.id, /^bafy/)
  assert.equal(shared.size, 5 * 1024 * 1024 + 12345)
  assert.equal(shared.chunks, 6)
  assert.ok(shared.link.startsWith(`shoal://${shared.id}?`))
  assert.ok(shared.link.includes(encodeURIComponent(seeder.peerId)), 'link names the seeder')

  // No node runs in b: get starts one of its own for the download.
  const out = join(dir, 'out', 'copy.bin')
  await mkdir(join(dir, 'out'))
  const get = await runShoal(['get', shared.link, '-o', out, '--data-dir', join(dir, 'b'), '--json'])
  assert.equal(get.code, 0, get.stderr)
  const got = lastJson<GetJson>(get)
  assert.deepEqual(Object.keys(got).sort(), ['id', 'path', 'peers', 'size'])
  assert.equal(got.id, shared.id)
  assert.equal(got.path, out)
  assert.equal(got.size, shared.size)
  assert.deepEqual(got.peers, [{ peerId: seeder.peerId, bytes: shared.size }])
  assert.equal(await sha256File(out), await sha256File(src))
  assert.deepEqual((await readdir(join(dir, 'out'))).sort(), ['copy.bin'], 'no part or lock file left behind')

  // The same ID again into the same path: already there, so done (get is safe to re-run), file untouched.
  const again = await runShoal(['get', shared.id, '-o', out, '--data-dir', join(dir, 'b')])
  assert.equal(again.code, 0, again.stderr)
  assert.match(again.stdout, /already complete here, verified/)
  assert.equal(await sha256File(out), await sha256File(src))
})

test('get by bare ID through a running node, with --peer; the copy is served onwards', async (t) => {
  const dir = await tempDir(t)
  const a = await startNode(t, join(dir, 'a'))
  const b = await startNode(t, join(dir, 'b'))
  const src = join(dir, 'data.bin')
  await writeRandomFile(src, 3 * 1024 * 1024)
  const shared = lastJson<ShareJson>(await runShoal(['share', src, '--data-dir', a.dataDir, '--json']))

  const viaB = await runShoal(['get', shared.id, '--peer', a.addrs[0] as string, '-o', join(dir, 'b.bin'), '--data-dir', b.dataDir, '--json'])
  assert.equal(viaB.code, 0, viaB.stderr)
  assert.equal(await sha256File(join(dir, 'b.bin')), await sha256File(src))

  const ls = lastJson<{ files: Array<{ id: string, paths: string[] }> }>(await runShoal(['ls', '--data-dir', b.dataDir, '--json']))
  assert.deepEqual(ls.files.map(f => [f.id, f.paths]), [[shared.id, [join(dir, 'b.bin')]]])

  // With the original seeder gone, a third node gets it from b.
  await a.stop()
  const fromB = await runShoal(['get', shared.id, '--peer', b.addrs[0] as string, '-o', join(dir, 'c.bin'), '--data-dir', join(dir, 'c'), '--json'])
  assert.equal(fromB.code, 0, fromB.stderr)
  assert.deepEqual(lastJson<GetJson>(fromB).peers.map(p => p.peerId), [b.peerId])
  assert.equal(await sha256File(join(dir, 'c.bin')), await sha256File(src))
})

test('an empty file is valid: zero chunks, downloads as an empty file', async (t) => {
  const dir = await tempDir(t)
  const a = await startNode(t, join(dir, 'a'))
  await writeFile(join(dir, 'empty'), '')
  const shared = lastJson<ShareJson>(await runShoal(['share', join(dir, 'empty'), '--data-dir', a.dataDir, '--json']))
  assert.equal(shared.size, 0)
  assert.equal(shared.chunks, 0)
  const get = await runShoal(['get', shared.link, '-o', join(dir, 'empty.copy'), '--data-dir', join(dir, 'b'), '--json'])
  assert.equal(get.code, 0, get.stderr)
  assert.equal((await stat(join(dir, 'empty.copy'))).size, 0)
})

test('ls, verify and rm without a running node; verify catches a modified file', async (t) => {
  const dir = await tempDir(t)
  const data = join(dir, 'd')
  const src = join(dir, 'notes.bin')
  await writeRandomFile(src, 2 * 1024 * 1024 + 7)
  const share = await runShoal(['share', src, '--data-dir', data])
  assert.equal(share.code, 0, share.stderr)
  assert.match(share.stdout, /No node is running/)
  const id = share.stdout.split('\n')[0] as string

  const ls = lastJson<{ files: Array<{ id: string, name: string, size: number }> }>(await runShoal(['ls', '--data-dir', data, '--json']))
  assert.deepEqual(ls.files.map(f => [f.id, f.name, f.size]), [[id, 'notes.bin', 2 * 1024 * 1024 + 7]])

  const ok = await runShoal(['verify', id, '--data-dir', data, '--json'])
  assert.equal(ok.code, 0, ok.stderr)
  assert.equal(lastJson<{ ok: boolean }>(ok).ok, true)

  const bytes = await readFile(src)
  bytes[1024 * 1024 + 5] = (bytes[1024 * 1024 + 5] as number) ^ 0xff
  await writeFile(src, bytes)
  const bad = await runShoal(['verify', id, '--data-dir', data, '--json'])
  assert.equal(bad.code, 1)
  const report = lastJson<{ ok: boolean, copies: Array<{ badChunks: number[] }> }>(bad)
  assert.equal(report.ok, false)
  assert.deepEqual(report.copies[0]?.badChunks, [1])

  const rm = await runShoal(['rm', id, '--data-dir', data])
  assert.equal(rm.code, 0, rm.stderr)
  assert.equal((await stat(src)).size, bytes.length, 'rm never deletes the user\'s file')
  const after = lastJson<{ files: unknown[] }>(await runShoal(['ls', '--data-dir', data, '--json']))
  assert.deepEqual(after.files, [])
  const rmAgain = await runShoal(['rm', id, '--data-dir', data])
  assert.equal(rmAgain.code, 1)
  assert.match(rmAgain.stderr, /ERR_FILE_NOT_FOUND/)
})

test('start keeps its identity across restarts and refuses a second node in one data dir', async (t) => {
  const dir = await tempDir(t)
  const first = await startNode(t, join(dir, 'a'))
  const twice = await runShoal(['start', '--data-dir', join(dir, 'a'), '--listen', '/ip4/127.0.0.1/tcp/0', '--api', '127.0.0.1:0'])
  assert.equal(twice.code, 1)
  assert.match(twice.stderr, /ERR_NODE_ALREADY_RUNNING/)
  assert.equal(twice.stderr.trim().split('\n').length, 1, 'one line, no stack trace')
  await first.stop()
  const info = JSON.parse(await readFile(join(dir, 'a', 'node.json'), 'utf8').catch(() => '{}')) as { pid?: number }
  assert.equal(info.pid, undefined, 'node.json is withdrawn on stop')
  const second = await startNode(t, join(dir, 'a'))
  assert.equal(second.peerId, first.peerId)
  assert.ok(second.addrs.every(a => a.endsWith(`/p2p/${second.peerId}`)))
})

test('a shared file modified afterwards is never served stale: the node unshares it', async (t) => {
  const dir = await tempDir(t)
  const a = await startNode(t, join(dir, 'a'))
  const src = join(dir, 'doc.bin')
  await writeRandomFile(src, 2 * 1024 * 1024)
  const shared = lastJson<ShareJson>(await runShoal(['share', src, '--data-dir', a.dataDir, '--json']))
  await writeRandomFile(src, 2 * 1024 * 1024) // same size, new bytes, new mtime

  const out = join(dir, 'copy.bin')
  const r = await runShoal(['get', shared.link, '-o', out, '--data-dir', join(dir, 'b')], {
    env: { SHOAL_TRANSFER_NO_PROVIDER_TIMEOUT_MS: '1500' }
  })
  assert.equal(r.code, 3, 'exit 3: no source')
  assert.match(r.stderr, /ERR_NO_SOURCES_LEFT/)
  await assert.rejects(stat(out), 'nothing under the final name')
  const ls = lastJson<{ files: Array<{ id: string, paths: string[] }> }>(await runShoal(['ls', '--data-dir', a.dataDir, '--json']))
  assert.deepEqual(ls.files.find(f => f.id === shared.id)?.paths, [], 'the changed copy is no longer shared')
})

test('back-to-back gets of a one-chunk file: the second is not held back by the first', async (t) => {
  // The seeder spreads first copies by asking a second downloader to fetch a
  // chunk it just sent from the first one; a `shoal get` that finished has
  // exited, so the second must be served at once, not after the spread window.
  const dir = await tempDir(t)
  const seeder = await startNode(t, join(dir, 'seeder'))
  const src = join(dir, 'note.txt')
  await writeFile(src, 'one chunk\n')
  const { link } = lastJson<ShareJson>(await runShoal(['share', src, '--data-dir', seeder.dataDir, '--json']))
  const timedGet = async (name: string): Promise<number> => {
    const started = Date.now()
    const r = await runShoal(['get', link, '-o', join(dir, name), '--data-dir', join(dir, `dl-${name}`), '--json'])
    assert.equal(r.code, 0, r.stderr)
    assert.equal(await readFile(join(dir, name), 'utf8'), 'one chunk\n')
    return Date.now() - started
  }
  const first = await timedGet('first')
  const second = await timedGet('second')
  t.diagnostic(`first ${first} ms, second ${second} ms`)
  assert.ok(second < first + 3_000, `the second get took ${second} ms against ${first} ms: held back by the spread window`)
})
