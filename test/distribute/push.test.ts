/**
 * Pushing a file out with pipelined replication, on real libp2p hosts over
 * TCP with real SQLite catalogs and chunks/ dirs.
 */
import '../../src/polyfill.js'
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pushFile } from '../../src/distribute/pusher.js'
import { verifyChain } from '../../src/distribute/record-chain.js'
import { makeFixture, chunksOnDisk } from './store-fixture.js'
import { introduce, startHolder, startHost } from './store-hosts.js'
import type { TestContext } from 'node:test'

async function tempDir (t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'shoal-push-'))
  t.after(async () => { await rm(dir, { recursive: true, force: true }) })
  return dir
}

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
