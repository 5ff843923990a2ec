/**
 * Surplus copies: a holder that a newer map no longer lists for chunks it
 * holds (it was replaced while away) keeps serving them for the grace
 * period, then drops them — their bytes too, unless another held file uses
 * the same bytes. The grace is shortened through SHOAL_SURPLUS_GRACE_MS.
 * Real in-process nodes over TCP on 127.0.0.1.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ShoalNode } from '../../src/node/node.js'
import { validateConfig } from '../../src/config/index.js'
import { loadOrCreateIdentity } from '../../src/net/identity.js'
import { verifyChain } from '../../src/distribute/record-chain.js'
import { nextRecord, signRecord } from '../../src/distribute/record.js'
import { sendRecordUpdate } from '../../src/distribute/store-client.js'
import { chunkHash } from '../../src/content/manifest.js'
import { ChunkStore } from '../../src/store/chunk-store.js'
import { SURPLUS_GRACE_ENV } from '../../src/node/repair-driver.js'
import { waitFor } from '../helpers/cli.js'
import type { TestContext } from 'node:test'

const CHUNK = 64 * 1024
const GRACE_MS = 3_000
const SHARED_CHUNKS = 8

async function start (t: TestContext, dir: string, name: string, bootstrap: string[] = []): Promise<ShoalNode> {
  const config = validateConfig({ network: { listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false, dht: false, bootstrap }, chunking: { chunkSize: CHUNK } }, 'test')
  const node = new ShoalNode({ dataDir: join(dir, name), config })
  await node.start()
  t.after(async () => { await node.stop() })
  return node
}

test('surplus copies are dropped after the grace; bytes another held file uses are kept', { timeout: 90_000 }, async (t) => {
  const before = process.env[SURPLUS_GRACE_ENV]
  process.env[SURPLUS_GRACE_ENV] = String(GRACE_MS)
  t.after(() => { if (before === undefined) delete process.env[SURPLUS_GRACE_ENV]; else process.env[SURPLUS_GRACE_ENV] = before })
  const dir = await mkdtemp(join(tmpdir(), 'shoal-surplus-'))
  t.after(async () => { await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 }) })
  const a = await start(t, dir, 'a')
  const b = await start(t, dir, 'b', [a.addrs[0] as string])
  const c = await start(t, dir, 'c', [a.addrs[0] as string, b.addrs[0] as string])
  const d = await start(t, dir, 'd', [a.addrs[0] as string, b.addrs[0] as string, c.addrs[0] as string])
  await waitFor(() => [a, b, c, d].every((n) => n.libp2p.getPeers().length >= 3), 20_000, 'connected')
  // Two files whose first SHARED_CHUNKS chunks are the same bytes, both distributed over b, c, d.
  const common = randomBytes(SHARED_CHUNKS * CHUNK)
  const one = join(dir, 'one.bin')
  const two = join(dir, 'two.bin')
  await writeFile(one, Buffer.concat([common, randomBytes(16 * CHUNK)]))
  await writeFile(two, Buffer.concat([common, randomBytes(16 * CHUNK)]))
  const first = await a.share(one, { distribute: true, replicas: 2, strategy: 'weighted' })
  const second = await a.share(two, { distribute: true, replicas: 2, strategy: 'weighted' })
  const manifest = a.catalog.getFile(first.id)?.manifest
  assert.ok(manifest != null)
  const rows = b.catalog.database.prepare('SELECT bytes FROM held_records WHERE file_id = ? ORDER BY seq').all(first.id) as Array<{ bytes: Uint8Array }>
  const chain = rows.map((r) => new Uint8Array(r.bytes))
  const held = await verifyChain(chain, { fileId: first.id })
  const heldBy = (fileId: string): number[] => (b.catalog.database.prepare('SELECT chunk_index FROM held_chunks WHERE file_id = ? ORDER BY chunk_index').all(fileId) as Array<{ chunk_index: number }>).map((r) => r.chunk_index)
  const inSecond = new Set(heldBy(second.id))
  const bOfFirst = heldBy(first.id)
  const shared = bOfFirst.filter((i) => i < SHARED_CHUNKS && inSecond.has(i))
  const own = bOfFirst.filter((i) => i >= SHARED_CHUNKS)
  assert.ok(shared.length > 0 && own.length > 0, `b holds shared chunks ${shared.join()} and unshared ${own.join()}`)

  // The uploader's new map (as after b was replaced while away) moves every copy of b's to the third peer.
  const others = [c.peerId, d.peerId]
  const holders = held.record.holders.map((hs) => hs.includes(b.peerId) ? hs.map((p) => p === b.peerId ? others.find((o) => !hs.includes(o)) as string : p) : [...hs])
  const signed = await signRecord(nextRecord(held, holders, a.peerId), await loadOrCreateIdentity(a.dataDir))
  const answer = await sendRecordUpdate(a.libp2p, b.peerId, { fileId: first.id, chunkCount: holders.length, chunkSize: CHUNK, chain: [signed.bytes] })
  assert.equal(answer.accepted, true, answer.message)
  const updated = Date.now()

  // Kept through the grace (still served), then dropped.
  await new Promise((resolve) => setTimeout(resolve, GRACE_MS / 2))
  assert.deepEqual(heldBy(first.id), bOfFirst, 'nothing dropped within the grace')
  await waitFor(() => heldBy(first.id).length === 0, 30_000, 'b dropped its surplus copies')
  t.diagnostic(`${bOfFirst.length} surplus copies dropped ${Date.now() - updated} ms after the new map (grace ${GRACE_MS} ms)`)
  const store = new ChunkStore(join(b.dataDir, 'chunks'), Number.MAX_SAFE_INTEGER)
  for (const i of shared) assert.equal(await store.has(chunkHash(manifest, i)), true, `chunk ${i}'s bytes, used by the other file, kept`)
  for (const i of own) assert.equal(await store.has(chunkHash(manifest, i)), false, `chunk ${i}'s bytes deleted`)
  assert.deepEqual(heldBy(second.id), [...inSecond].sort((x, y) => x - y), 'the other file keeps its chunks')
})
