/**
 * The holder's side beyond pushes: record updates, data rotting on disk, a
 * tampered registry, and a downstream holder that goes silent mid-pipeline.
 * Real hosts over TCP, real SQLite and chunks/ dirs.
 */
import '../../src/polyfill.js'
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { chunkHash } from '../../src/content/manifest.js'
import { toHex } from '../../src/content/hash.js'
import { pushFile } from '../../src/distribute/pusher.js'
import { nextRecord, rootRecord, signRecord } from '../../src/distribute/record.js'
import { HeldFileProvider } from '../../src/distribute/served-held.js'
import { queryStore, sendRecordUpdate, StoreSession } from '../../src/distribute/store-client.js'
import { Distribution } from '../../src/node/distribution.js'
import { serveStoreProtocol } from '../../src/distribute/serve-store.js'
import { Catalog } from '../../src/store/catalog.js'
import { validateConfig, type ShoalConfig } from '../../src/config/index.js'
import { PeerBudgets } from '../../src/protocol/peer-budget.js'
import { StoreRefusal, StoreReply, type ChunkAck } from '../../src/distribute/store-wire.js'
import { STORE_PROTOCOL } from '../../src/protocol/constants.js'
import { FrameReader, sendFrames } from '../../src/protocol/framing.js'
import { makeFixture, chunksOnDisk, type Fixture } from './store-fixture.js'
import { type Holder, type Host, introduce, pushBase, startHolder, startHost, tempDir } from './store-hosts.js'
import type { TestContext } from 'node:test'
import { waitFor } from '../helpers/cli.js'

async function pushed (t: TestContext): Promise<{ dir: string, pusher: Host, a: Holder, b: Holder, file: Fixture, result: Awaited<ReturnType<typeof pushFile>> }> {
  const dir = await tempDir(t)
  const pusher = await startHost(t, 'pusher')
  const a = await startHolder(t, join(dir, 'a'), 'a')
  const b = await startHolder(t, join(dir, 'b'), 'b')
  await introduce([pusher, a, b])
  const file = makeFixture(8 * 64 * 1024)
  return { dir, pusher, a, b, file, result: await pushFile(pushBase(pusher, file, [a, b])) }
}

describe('holders', () => {
  it('take a newer record from the uploader, keep theirs over a stale one, refuse a stranger\'s', async (t) => {
    const { pusher, a, file, result } = await pushed(t)
    const offer = { fileId: file.fileId, chunkCount: file.chunkCount, chunkSize: file.manifest.chunkSize }
    const v2 = await signRecord(nextRecord(result.record, result.record.record.holders, pusher.peerId), pusher.privateKey)
    assert.equal((await sendRecordUpdate(pusher.libp2p, a.peerId, { ...offer, chain: [v2.bytes] })).version, 2)
    assert.equal(a.registry.get(file.fileId)?.record.record.version, 2)
    // The older version is valid but not preferred: the holder keeps version 2.
    assert.equal((await sendRecordUpdate(pusher.libp2p, a.peerId, { ...offer, chain: [result.record.bytes] })).version, 2)
    // A stranger's record for the same file names another uploader: refused.
    const stranger = await startHost(t, 'stranger')
    await introduce([stranger, a])
    const theirs = await signRecord({ ...v2.record, version: 1, prev: null, uploader: stranger.peerId, signer: stranger.peerId }, stranger.privateKey)
    const answer = await sendRecordUpdate(stranger.libp2p, a.peerId, { ...offer, chain: [theirs.bytes] })
    assert.equal(answer.accepted, false)
    assert.equal(answer.refusal, StoreRefusal.INVALID)
    assert.equal(a.registry.get(file.fileId)?.record.record.uploader, pusher.peerId)
  })

  it('never serve a chunk that rotted on disk, and drop a file whose stored record no longer verifies', async (t) => {
    const { dir, a, file } = await pushed(t)
    const hex = toHex(chunkHash(file.manifest, 3))
    await writeFile(join(a.dir, 'chunks', hex.slice(0, 2), hex), Buffer.alloc(64 * 1024, 7))
    const served = new HeldFileProvider(a.registry, a.chunks).getServedFile(file.fileId)
    await assert.rejects(served?.readChunk(3) as Promise<Uint8Array>, { code: 'ERR_CHUNK_NOT_AVAILABLE' })
    assert.equal(a.registry.get(file.fileId)?.have.get(3), false, 'the rotten chunk is no longer offered')
    assert.deepEqual(await served?.readChunk(4), file.chunk(4))

    // Tamper with the stored record, then restart: the file and its chunks are dropped.
    a.db.prepare('UPDATE held_records SET bytes = ? WHERE file_id = ?').run(Buffer.from('not a record'), file.fileId)
    await a.stop()
    const again = await startHolder(t, join(dir, 'a'), 'a-again', { privateKey: a.privateKey })
    assert.equal(again.registry.get(file.fileId), undefined)
    assert.equal(again.chunks.usedBytes, 0)
  })

  it('the node\'s distribution unit takes the config: quota, per-uploader share and acceptPushes acted upon', async (t) => {
    const dir = await tempDir(t)
    const pusher = await startHost(t, 'pusher')
    const hosts = [await startHost(t, 'open'), await startHost(t, 'closed')]
    const configs = [
      validateConfig({ storage: { chunkQuotaBytes: 1024 * 1024, chunkQuotaPerUploaderPercent: 25 } }, 'test'),
      validateConfig({ distribution: { acceptPushes: false } }, 'test')
    ]
    const holdings = await Promise.all(hosts.map(async (host, i) => {
      const catalog = new Catalog(join(dir, `${host.name}.db`))
      t.after(() => { catalog.close() })
      const distribution = await Distribution.open({ dataDir: join(dir, host.name), config: configs[i] as ShoalConfig, catalog })
      const holder = distribution.attach({ libp2p: host.libp2p, privateKey: host.privateKey, readChunk: async () => { throw new Error('nothing shared here') } })
      await serveStoreProtocol(host.libp2p, { holder, budgets: new PeerBudgets(), writeTimeoutMs: 10_000 })
      return distribution
    }))
    await introduce([pusher, ...hosts])
    const file = makeFixture(8 * 64 * 1024)
    const [open, closed] = await Promise.all(hosts.map(async (h) => await queryStore(pusher.libp2p, h.peerId, file)))
    assert.deepEqual([open?.accepting, open?.freeBytes, open?.uploaderFreeBytes], [true, 1024 * 1024, 256 * 1024])
    assert.equal(closed?.accepting, false)
    assert.equal(holdings[0]?.chunks.quotaBytes, 1024 * 1024)
  })

  it('pass chunks on after the downstream stream idled out and was closed: it is opened again, nothing re-placed', async (t) => {
    const dir = await tempDir(t)
    const pusher = await startHost(t, 'pusher')
    const a = await startHolder(t, join(dir, 'a'), 'a')
    // b cuts off a stream that brings nothing for 500 ms: a's forwarding stream to it, between chunks.
    const b = await startHolder(t, join(dir, 'b'), 'b', { stepTimeoutMs: 500 })
    await introduce([pusher, a, b])
    const file = makeFixture(4 * 64 * 1024)
    const record = await signRecord(rootRecord({ fileId: file.fileId, replicas: 2, strategy: 'round-robin', holders: Array.from({ length: file.chunkCount }, () => [a.peerId, b.peerId]), uploader: pusher.peerId }), pusher.privateKey)
    const acks: ChunkAck[] = []
    const session = await StoreSession.open(pusher.libp2p, a.peerId, { fileId: file.fileId, chunkCount: file.chunkCount, chunkSize: file.manifest.chunkSize, manifestBytes: file.manifestBytes, chain: [record.bytes] }, { onAck: (ack) => { acks.push(ack) } })
    await session.push(0, await file.readChunk(0), [b.peerId])
    await waitFor(() => acks.length === 2, 10_000, 'chunk 0 acked by a and b')
    // a's upstream (us) sends nothing for a while: b closes a's idle stream to it.
    await new Promise(resolve => setTimeout(resolve, 1_500))
    await session.push(1, await file.readChunk(1), [b.peerId])
    await session.finish()
    assert.deepEqual(acks.map(x => [x.index, x.holder === a.peerId ? 'a' : 'b', x.refusal]).sort(), [[0, 'a', StoreRefusal.NONE], [0, 'b', StoreRefusal.NONE], [1, 'a', StoreRefusal.NONE], [1, 'b', StoreRefusal.NONE]])
    assert.deepEqual(await chunksOnDisk(b, file), [0, 1])
  })

  it('give up on a downstream holder that goes silent (stall timeout), and the pusher re-places its copies', async (t) => {
    const dir = await tempDir(t)
    const pusher = await startHost(t, 'pusher')
    const hs = await Promise.all(['a', 'b', 'c'].map(async (n) => await startHolder(t, join(dir, n), n, { stallTimeoutMs: 1_000 })))
    // A peer that answers every offer with ACCEPT and plenty of room, then never acks a chunk.
    const silent = await startHost(t, 'silent')
    await silent.libp2p.handle(STORE_PROTOCOL, (stream) => {
      let answered = false
      const reader = new FrameReader(stream, 16 * 1024 * 1024, () => {
        if (answered) return
        answered = true
        void sendFrames(stream, [StoreReply.encode({ status: StoreReply.Status.ACCEPT, accepting: true, freeBytes: 1n << 40n, uploaderFreeBytes: 1n << 40n })])
      })
      stream.addEventListener('close', () => { reader.stop() })
    })
    await introduce([pusher, silent, ...hs])
    const file = makeFixture(16 * 64 * 1024)
    const started = performance.now()
    const result = await pushFile({ ...pushBase(pusher, file, [...hs, silent]), stallTimeoutMs: 1_000 })
    t.diagnostic(`silent peer given up and its copies re-placed in ${(performance.now() - started).toFixed(0)} ms (${result.refused} copies, ${result.rounds} rounds)`)
    assert.ok(!result.record.record.holders.flat().includes(silent.peerId))
    for (const h of hs) assert.deepEqual(await chunksOnDisk(h, file), result.record.record.holders.flatMap((x, i) => x.includes(h.peerId) ? [i] : []))
    // Only the silent peer was blamed: every live holder kept its place.
    const used = new Set(result.record.record.holders.flat())
    for (const h of hs) assert.ok(used.has(h.peerId), `${h.name} was dropped`)
  })
})
