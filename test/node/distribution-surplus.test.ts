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
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { ShoalNode } from '../../src/node/node.js'
import { loadOrCreateIdentity } from '../../src/net/identity.js'
import { nextRecord, signRecord } from '../../src/distribute/record.js'
import { sendRecordUpdate } from '../../src/distribute/store-client.js'
import { chunkHash } from '../../src/content/manifest.js'
import { ChunkStore } from '../../src/store/chunk-store.js'
import { SURPLUS_GRACE_ENV } from '../../src/node/repair-driver.js'
import { waitFor } from '../helpers/cli.js'
import { CHUNK, heldChain, heldChunks, startSwarm } from './distribution-nodes.js'

const GRACE_MS = 3_000
const SHARED_CHUNKS = 8


test('surplus copies are dropped after the grace; bytes another held file uses are kept', { timeout: 90_000 }, async (t) => {
  const before = process.env[SURPLUS_GRACE_ENV]
  process.env[SURPLUS_GRACE_ENV] = String(GRACE_MS)
  t.after(() => { if (before === undefined) delete process.env[SURPLUS_GRACE_ENV]; else process.env[SURPLUS_GRACE_ENV] = before })
  const { dir, nodes } = await startSwarm(t, 'shoal-surplus-', ['a', 'b', 'c', 'd'])
  const [a, b, c, d] = nodes as [ShoalNode, ShoalNode, ShoalNode, ShoalNode]
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
  const held = (await heldChain(b, first.id)).record
  const heldBy = (fileId: string): number[] => heldChunks(b, fileId)
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
