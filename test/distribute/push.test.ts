/**
 * Pushing a file out with pipelined replication, on real libp2p hosts over
 * TCP with real SQLite catalogs and chunks/ dirs.
 */
import '../../src/polyfill.js'
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { join } from 'node:path'
import { pushFile } from '../../src/distribute/pusher.js'
import { verifyChain } from '../../src/distribute/record-chain.js'
import { makeFixture, chunksOnDisk } from './store-fixture.js'
import { introduce, startHolder, startHost, tempDir, type Holder } from './store-hosts.js'
import { waitFor } from '../helpers/cli.js'

describe('pushFile', () => {
  it('puts every chunk on N distinct peers, verified on disk, sending the file once (pipelined)', async (t) => {
    const dir = await tempDir(t)
    const pusher = await startHost(t, 'pusher')
    const holders = await Promise.all(['a', 'b', 'c'].map(async (n) => await startHolder(t, join(dir, n), n)))
    await introduce([pusher, ...holders])
    const file = makeFixture(4 * 1024 * 1024 + 12_345)
    const started = performance.now()
    const result = await pushFile({
      libp2p: pusher.libp2p,
      privateKey: pusher.privateKey,
      manifest: file.manifest,
      manifestBytes: file.manifestBytes,
      readChunk: file.readChunk,
      candidates: holders.map((h) => h.peerId),
      replicas: 2,
      strategy: 'round-robin',
      minPeers: 2,
      includeLocal: false
    })
    const ms = performance.now() - started
    const { record } = result
    assert.equal(record.record.holders.length, file.chunkCount)
    for (const hs of record.record.holders) {
      assert.equal(new Set(hs).size, 2)
      assert.ok(!hs.includes(pusher.peerId))
    }
    // Every (chunk, holder) of the record is on that holder's disk, verified, and nothing else is.
    for (const h of holders) {
      const expected = record.record.holders.flatMap((hs, i) => hs.includes(h.peerId) ? [i] : [])
      assert.deepEqual(await chunksOnDisk(h, file), expected, h.name)
      // Every holder got the final record.
      const held = h.registry.get(file.fileId)
      assert.equal(held?.record.record.version, record.record.version)
      assert.equal((await verifyChain(held.chain)).record.version, record.record.version)
    }
    const ratio = result.bytesSent / file.manifest.size
    t.diagnostic(`pushed ${file.manifest.size} bytes × 2 replicas in ${ms.toFixed(0)} ms; uploader sent ${result.bytesSent} bytes = ${ratio.toFixed(3)} × file size`)
    assert.ok(ratio <= 1.15, `the uploader sent ${ratio} × the file size`)
    assert.equal(result.chunksSent, file.chunkCount)
  })
})

describe('pushFile holders', () => {
  it('a holder knows a push of the file is under way until its stream ends (chunks it lacks meanwhile are on their way)', async (t) => {
    const dir = await tempDir(t)
    const pusher = await startHost(t, 'pusher')
    const holders = await Promise.all(['a', 'b'].map(async (n) => await startHolder(t, join(dir, n), n, { inboundBudgetBytes: 64 * 1024 })))
    await introduce([pusher, ...holders])
    const file = makeFixture(64 * 64 * 1024)
    const a = holders[0] as Holder
    assert.equal(a.store.isBeingPushed(file.fileId), false)
    const pushing = pushFile({ libp2p: pusher.libp2p, privateKey: pusher.privateKey, manifest: file.manifest, manifestBytes: file.manifestBytes, readChunk: file.readChunk, candidates: holders.map((h) => h.peerId), replicas: 2, strategy: 'round-robin', minPeers: 2, includeLocal: false })
    await waitFor(() => a.registry.get(file.fileId) != null, 10_000, 'the first chunk on a')
    assert.equal(a.store.isBeingPushed(file.fileId), true, 'chunks kept, more coming')
    await pushing
    await waitFor(() => !a.store.isBeingPushed(file.fileId), 10_000, 'the push streams to close')
  })
})

describe('pushFile backpressure', () => {
  it('completes when holders can keep only one chunk per pusher in memory (their streams pause, the pipeline waits)', async (t) => {
    const dir = await tempDir(t)
    const pusher = await startHost(t, 'pusher')
    const holders = await Promise.all(['a', 'b', 'c'].map(async (n) => await startHolder(t, join(dir, n), n, { inboundBudgetBytes: 64 * 1024 })))
    await introduce([pusher, ...holders])
    const file = makeFixture(24 * 64 * 1024)
    const result = await pushFile({ libp2p: pusher.libp2p, privateKey: pusher.privateKey, manifest: file.manifest, manifestBytes: file.manifestBytes, readChunk: file.readChunk, candidates: holders.map((h) => h.peerId), replicas: 3, strategy: 'round-robin', minPeers: 2, includeLocal: false })
    assert.equal(result.refused, 0)
    for (const h of holders) assert.equal((await chunksOnDisk(h, file)).length, file.chunkCount)
    assert.ok(result.bytesSent <= file.manifest.size * 1.15)
  })

  it('pipelines that cross the same holders in a ring never wait on each other: a long push with one chunk of memory per pusher completes', async (t) => {
    const dir = await tempDir(t)
    const pusher = await startHost(t, 'pusher')
    // Four holders, three copies: every holder forwards to every other, both ways, many windows deep.
    const holders = await Promise.all(['a', 'b', 'c', 'd'].map(async (n) => await startHolder(t, join(dir, n), n, { inboundBudgetBytes: 64 * 1024, stallTimeoutMs: 5_000, stepTimeoutMs: 5_000 })))
    await introduce([pusher, ...holders])
    const file = makeFixture(400 * 64 * 1024)
    const result = await pushFile({ libp2p: pusher.libp2p, privateKey: pusher.privateKey, manifest: file.manifest, manifestBytes: file.manifestBytes, readChunk: file.readChunk, candidates: holders.map((h) => h.peerId), replicas: 3, strategy: 'round-robin', minPeers: 2, includeLocal: false })
    assert.equal(result.refused, 0, 'a holder gave up on a pipeline (a stall timeout: they waited on each other)')
    const copies = (await Promise.all(holders.map(async (h) => (await chunksOnDisk(h, file)).length))).reduce((a, b) => a + b, 0)
    assert.equal(copies, 3 * file.chunkCount)
    assert.ok(result.bytesSent <= file.manifest.size * 1.15)
  })
})

describe('pushFile placement', () => {
  it('round-robin counts the uploader as one peer keeping its share; weighted follows free quota', async (t) => {
    const dir = await tempDir(t)
    const pusher = await startHost(t, 'pusher')
    const a = await startHolder(t, join(dir, 'a'), 'a')
    const b = await startHolder(t, join(dir, 'b'), 'b')
    await introduce([pusher, a, b])
    const file = makeFixture(30 * 64 * 1024)
    const rr = await pushFile({ libp2p: pusher.libp2p, privateKey: pusher.privateKey, manifest: file.manifest, manifestBytes: file.manifestBytes, readChunk: file.readChunk, candidates: [a.peerId, b.peerId], replicas: 2, strategy: 'round-robin', minPeers: 2 })
    const counts = new Map<string, number>()
    for (const hs of rr.record.record.holders) for (const h of hs) counts.set(h, (counts.get(h) ?? 0) + 1)
    // 30 chunks × 2 copies over a ring of 3: 20 each, the uploader's in the file it shares.
    assert.deepEqual([...counts.values()], [20, 20, 20])
    assert.equal(counts.get(pusher.peerId), 20)
    for (const h of [a, b]) assert.equal((await chunksOnDisk(h, file)).length, 20)
    assert.ok(rr.bytesSent <= file.manifest.size, 'each chunk left the uploader at most once')

    // Weighted, without the uploader: d has a third of c's and e's room, so
    // √3 less weight (√(free × bandwidth)), and gets clearly fewer of 200 chunks.
    const K16 = 16 * 1024
    const c = await startHolder(t, join(dir, 'c'), 'c', { quotaBytes: 600 * K16 })
    const d = await startHolder(t, join(dir, 'd'), 'd', { quotaBytes: 200 * K16 })
    const e = await startHolder(t, join(dir, 'e'), 'e', { quotaBytes: 600 * K16 })
    await introduce([pusher, c, d, e])
    const big = makeFixture(200 * K16, K16)
    const w = await pushFile({ libp2p: pusher.libp2p, privateKey: pusher.privateKey, manifest: big.manifest, manifestBytes: big.manifestBytes, readChunk: big.readChunk, candidates: [c.peerId, d.peerId, e.peerId], replicas: 1, strategy: 'weighted', minPeers: 2 })
    const held = { c: (await chunksOnDisk(c, big)).length, d: (await chunksOnDisk(d, big)).length, e: (await chunksOnDisk(e, big)).length }
    t.diagnostic(`weighted over free quotas 3:1:3 (weights √3:1:√3, expected ≈ 79:45:79 of 200) → ${held.c}:${held.d}:${held.e}`)
    assert.equal(held.c + held.d + held.e, 200)
    assert.equal(w.record.record.holders.length, 200)
    assert.ok(held.d < held.c && held.d < held.e, 'the peer with a third of the room got no fewer chunks')
    assert.ok(held.d < held.c && held.d < held.e)
  })
})
