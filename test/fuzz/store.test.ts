/**
 * Fuzzing a live holder's store protocol: random frame sequences — garbage,
 * oversized length prefixes, offers with bad fields, chunk headers and data
 * that do not fit — on real streams. Each stream must end (reset or closed)
 * promptly, the holder must keep only chunks that verify, and it must go on
 * answering and storing for honest peers.
 */
import '../../src/polyfill.js'
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import * as varint from 'uint8-varint'
import { peerIdFromString } from '@libp2p/peer-id'
import { STORE_PROTOCOL } from '../../src/protocol/constants.js'
import { encodeFrames } from '../../src/protocol/framing.js'
import { fileIdToBytes } from '../../src/protocol/file-id.js'
import { rootRecord, signRecord } from '../../src/distribute/record.js'
import { queryStore, StoreSession } from '../../src/distribute/store-client.js'
import { StoreChunk, StoreOffer, StoreRefusal, type ChunkAck } from '../../src/distribute/store-wire.js'
import { makeFixture } from '../distribute/store-fixture.js'
import { introduce, startHolder, startHost } from '../distribute/store-hosts.js'
import { check } from './fuzz.js'
import type { Stream } from '@libp2p/interface'

/** How long a holder may take to end a bad stream (its step timeout is 1 s here). */
const END_WITHIN_MS = 5_000

async function ended (stream: Stream): Promise<boolean> {
  if (stream.status !== 'open') return true
  return await new Promise((resolve) => {
    const timer = setTimeout(() => { resolve(false) }, END_WITHIN_MS)
    stream.addEventListener('close', () => { clearTimeout(timer); resolve(true) }, { once: true })
  })
}

describe('store protocol fuzz', () => {
  it('ends every malformed stream and keeps serving honest pushes', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'shoal-store-fuzz-'))
    t.after(async () => { await rm(dir, { recursive: true, force: true }) })
    const attacker = await startHost(t, 'attacker')
    const holder = await startHolder(t, join(dir, 'h'), 'h', { stepTimeoutMs: 1_000 })
    await introduce([attacker, holder])
    const file = makeFixture(8 * 64 * 1024)
    const rec = await signRecord(rootRecord({ fileId: file.fileId, replicas: 1, strategy: 'round-robin', holders: Array.from({ length: file.chunkCount }, () => [holder.peerId]), uploader: attacker.peerId }), attacker.privateKey)
    const offer = StoreOffer.encode({ kind: StoreOffer.Kind.PUSH, fileId: fileIdToBytes(file.fileId) as Uint8Array<ArrayBuffer>, manifest: file.manifestBytes as Uint8Array<ArrayBuffer>, records: 1 })

    const garbage = fc.uint8Array({ maxLength: 300 })
    const framed = garbage.map((b) => encodeFrames([b]).subarray())
    const hugePrefix = fc.integer({ min: 9 * 1024 * 1024, max: 2 ** 31 }).map((n) => varint.encode(n))
    const header = fc.record({ index: fc.nat({ max: 20 }), length: fc.nat({ max: 200_000 }), forward: fc.array(fc.constantFrom(attacker.peerId, holder.peerId, 'x'), { maxLength: 3 }) })
      .map((h) => encodeFrames([StoreChunk.encode(h)]).subarray())
    const validStart = fc.constant(encodeFrames([offer, rec.bytes]).subarray())
    const part = fc.oneof(garbage, framed, hugePrefix, header, validStart)
    await check(fc.asyncProperty(fc.array(part, { minLength: 1, maxLength: 6 }), async (parts) => {
      const stream = await attacker.libp2p.dialProtocol(peerIdFromString(holder.peerId), STORE_PROTOCOL)
      try {
        for (const p of parts) if (stream.status === 'open' && stream.writeStatus === 'writable') stream.send(p)
        if (stream.writeStatus === 'writable') await stream.close().catch(() => { /* reset by the holder: what we test for */ })
      } catch {
        // The holder reset the stream under us: that is an allowed end.
      }
      assert.ok(await ended(stream), 'the holder left a malformed stream open')
      // Whatever it kept verifies and is accounted for.
      const held = holder.registry.get(file.fileId)
      assert.equal(holder.chunks.usedBytes, (held?.have.count ?? 0) * 64 * 1024)
    }), 40)

    // Still answering and storing for honest pushes.
    assert.equal((await queryStore(attacker.libp2p, holder.peerId, file)).accepting, true)
    const acks: ChunkAck[] = []
    const session = await StoreSession.open(attacker.libp2p, holder.peerId, { fileId: file.fileId, chunkCount: file.chunkCount, chunkSize: file.manifest.chunkSize, manifestBytes: file.manifestBytes, chain: [rec.bytes] }, { onAck: (a) => acks.push(a) })
    for (let i = 0; i < file.chunkCount; i++) await session.push(i, file.chunk(i), [])
    await session.finish()
    assert.deepEqual(acks.map((a) => a.refusal), Array(file.chunkCount).fill(StoreRefusal.NONE))
  })
})
