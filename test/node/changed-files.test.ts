/**
 * Changed files are never served (issue 9, item 3): a shared file rewritten
 * in place with its old size and mtime (`touch -r`), deleted on disk, or found
 * corrupt by `verify` is unshared with a `file:changed` warning, no longer
 * listed as a copy, and not served — over HTTP nor to peers. A downloader
 * names a peer that sent corrupt chunks as banned, with its ID, never as gone.
 * Real nodes in-process on 127.0.0.1, real files, a real SQLite catalog.
 */
import '../../src/polyfill.js'
import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdir, rm, writeFile } from 'node:fs/promises'
import Database from 'better-sqlite3'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { buildApi } from '../../src/api/server.js'
import { ShoalNode } from '../../src/node/node.js'
import { MIB } from '../../src/content/chunk-size.js'
import { hasCode } from '../../src/errors.js'
import { validateConfig } from '../../src/config/index.js'
import { LOOPBACK_CONFIG, startInProcessNode } from '../helpers/in-process-nodes.js'
import { rotInPlace, tempDir, waitFor } from '../helpers/cli.js'
import { startLyingSeeder } from '../helpers/lying-seeder.js'
import type { FileChangedEvent } from '../../src/node/library.js'

const TOKEN = 'test-token'
const PEER_CONFIG = { network: { listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false, dht: false } }
const FILE_BYTES = 4 * MIB + 321

/** A node sharing a fresh random file; collects its file:changed events. */
async function sharing (t: TestContext): Promise<{ dir: string, node: ShoalNode, path: string, data: Buffer, id: string, events: FileChangedEvent[] }> {
  const dir = await tempDir(t)
  const node = await startInProcessNode(t, dir, 'seeder')
  const events: FileChangedEvent[] = []
  node.on('file:changed', (e) => { events.push(e) })
  const path = join(dir, 'shared.bin')
  const data = randomBytes(FILE_BYTES)
  await writeFile(path, data)
  const { id } = await node.share(path)
  return { dir, node, path, data, id, events }
}

const isChanged = (err: unknown): boolean => hasCode(err, 'ERR_FILE_CHANGED')

test('a file rewritten in place with the same size and mtime (touch -r) is unshared, not served over HTTP or to peers', async (t) => {
  const { dir, node, path, data, id, events } = await sharing(t)
  assert.deepEqual(Buffer.from(await node.readChunk(id, 1)), data.subarray(MIB, 2 * MIB), 'served while unchanged')
  await sleep(20) // past the file system's timestamp granularity, as any real edit is
  await rotInPlace(path, [MIB + 5, 3 * MIB + 5])

  const app = buildApi(node, TOKEN)
  t.after(async () => { await app.close() })
  const res = await app.inject({ method: 'GET', url: `/api/chunks/${id}/1`, headers: { authorization: `Bearer ${TOKEN}` } })
  assert.equal(res.statusCode, 409, 'the HTTP chunk route refuses, it does not send the rewritten bytes')
  assert.equal(res.json().code, 'ERR_FILE_CHANGED')
  assert.ok(!(res.json().message as string).includes(dir), 'the answer does not echo the path on disk')
  assert.deepEqual(events.map(e => [e.id, e.path, e.reason]), [[id, path, 'changed']])
  assert.match(events[0]?.message ?? '', /no longer shared/)
  assert.deepEqual(node.list().find(f => f.id === id)?.paths, [], 'no longer listed as a copy')
  await assert.rejects(node.readChunk(id, 0), (err) => hasCode(err, 'ERR_FILE_NOT_FOUND'), 'nor served afterwards')

  // A peer asking for it gets no bytes at all (and certainly no bad ones).
  const peer = await startInProcessNode(t, dir, 'peer', validateConfig({ ...PEER_CONFIG, transfer: { noProviderTimeoutMs: 2000 } }, 'test'))
  await assert.rejects(peer.startDownload(id, { output: join(dir, 'copy.bin'), peers: node.addrs }), (err) => hasCode(err, 'ERR_NO_PROVIDERS'),
    'the seeder no longer offers the file at all')
})

test('a copy catalogued before its ctime was (an older data dir) and rotten with its identity intact is caught by the hash, and unshared', async (t) => {
  const { dir, node, path, id } = await sharing(t)
  await node.stop()
  // What a copy recorded by migration 1 looks like: size and mtime only.
  const db = new Database(join(dir, 'seeder', 'shoal.db'))
  db.prepare('UPDATE local_copies SET ctime_ms = NULL, ino = NULL, dev = NULL').run()
  db.close()
  const again = await startInProcessNode(t, dir, 'seeder')
  const events: FileChangedEvent[] = []
  again.on('file:changed', (e) => { events.push(e) })
  await sleep(20)
  await rotInPlace(path, [2 * MIB + 9]) // same size, same mtime: nothing recorded tells it apart
  await assert.rejects(again.readChunk(id, 2), isChanged)
  assert.deepEqual(events.map(e => [e.path, e.reason]), [[path, 'corrupt']])
  assert.match(events[0]?.message ?? '', /chunk 2 does not match/)
  assert.deepEqual(again.list().find(f => f.id === id)?.paths, [])
})

test('a shared file deleted on disk is unshared, not listed and not served, though its descriptor is still open', async (t) => {
  const { dir, node, path, data, id, events } = await sharing(t)
  assert.deepEqual(Buffer.from(await node.readChunk(id, 0)), data.subarray(0, MIB), 'the descriptor is open now')
  await rm(path)
  await assert.rejects(node.readChunk(id, 0), isChanged)
  assert.deepEqual(events.map(e => [e.id, e.reason]), [[id, 'deleted']])
  assert.deepEqual(node.list().find(f => f.id === id)?.paths, [])

  // Deleted while no node ran: a node starting on the data dir does not list it either.
  await mkdir(join(dir, 'again'))
  const again = join(dir, 'again', 'shared.bin') // same name and bytes: the same file ID
  await writeFile(again, data)
  const { id: sameId } = await node.share(again)
  assert.equal(sameId, id)
  await node.stop()
  await rm(again)
  const offline = new ShoalNode({ dataDir: join(dir, 'seeder'), config: LOOPBACK_CONFIG })
  const seen: FileChangedEvent[] = []
  offline.on('file:changed', (e) => { seen.push(e) })
  await offline.start({ offline: true })
  t.after(async () => { await offline.stop() })
  assert.deepEqual(offline.list().find(f => f.id === id)?.paths, [])
  assert.deepEqual(seen.map(e => [e.path, e.reason]), [[again, 'deleted']])
})

test('verify finding bad chunks unshares the copy with a warning', async (t) => {
  const { node, path, id, events } = await sharing(t)
  await rotInPlace(path, [7, 3 * MIB + 7])
  const [report] = await node.verify(id)
  assert.equal(report?.ok, false)
  assert.deepEqual(report?.badChunks, [0, 3])
  assert.deepEqual(events.map(e => [e.id, e.path, e.reason]), [[id, path, 'corrupt']])
  assert.match(events[0]?.message ?? '', /chunks 0, 3 do not match/)
  assert.deepEqual(node.list().find(f => f.id === id)?.paths, [])
  await assert.rejects(node.readChunk(id, 1), (err) => hasCode(err, 'ERR_FILE_NOT_FOUND'))
})

test('a downloader names a seeder that sent corrupt chunks as banned, with its ID, not as gone', async (t) => {
  const dir = await tempDir(t)
  const path = join(dir, 'f.bin')
  await writeFile(path, randomBytes(6 * MIB))
  const liar = await startLyingSeeder(path)
  t.after(async () => { await liar.stop() })
  const node = await startInProcessNode(t, dir, 'downloader')
  const { job, done } = await node.startDownload(liar.fileId, { output: join(dir, 'out.bin'), peers: liar.addrs })
  await waitFor(() => job.snapshot().bannedPeers.length > 0 && job.state === 'stalled', 30_000, 'the liar banned and the job stalled')
  const snap = job.snapshot()
  assert.deepEqual(snap.bannedPeers, [liar.peerId])
  assert.deepEqual(snap.missingPeers, [], 'a banned peer is not reported as gone')
  assert.equal(snap.peers.find(p => p.peerId === liar.peerId)?.state, 'banned')
  assert.equal(snap.chunksDone, 0)
  node.cancel(job.id)
  await done.catch(() => undefined) // cancelled on purpose
})
