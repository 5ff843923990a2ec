/**
 * Fuzzing the protocols end to end over real libp2p streams (TCP on
 * 127.0.0.1): random, valid and mutated frames sent to a seeder on each
 * protocol, and a hostile peer answering the client side (manifest fetch,
 * have subscription, chunk channel) with random frames. The seeder must keep
 * serving; every client call must end, within its timeout, with a correct
 * result or a coded error.
 */
import '../../src/polyfill.js'
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import * as varint from 'uint8-varint'
import { CHUNKS_PROTOCOL, HAVE_PROTOCOL, MANIFEST_PROTOCOL } from '../../src/protocol/constants.js'
import { ChunkRequest, ChunkResponse, ChunksOpen, Have, HaveRequest, ManifestRequest, ManifestResponse } from '../../src/protocol/pb/shoal.js'
import { fetchManifest } from '../../src/protocol/manifest.js'
import { subscribeHave } from '../../src/protocol/have.js'
import { ChunkChannel } from '../../src/protocol/chunk-channel.js'
import { fileIdToBytes } from '../../src/protocol/file-id.js'
import { encodeManifest, manifestChunkCount, type Manifest } from '../../src/content/manifest.js'
import { chunkRange } from '../../src/content/chunk-size.js'
import { ShoalNode } from '../../src/node/node.js'
import { validateConfig } from '../../src/config/index.js'
import { writeRandomFile } from '../helpers/cli.js'
import { assertCoded, check, mutated } from './fuzz.js'
import type { Stream } from '@libp2p/interface'

/** Small chunks, so a file of a few chunks stays small. */
const CONFIG = validateConfig({ network: { listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false, dht: false }, chunking: { chunkSize: 16 * 1024 } }, 'test')
/** How long one case may take before the test gives up on it and aborts its stream, in ms. */
const CASE_MS = 3_000
/** What a client call may fail with when the peer lies. */
const CLIENT_CODES = ['ERR_PROTOCOL', 'ERR_MESSAGE_TOO_LARGE', 'ERR_INVALID_MANIFEST', 'ERR_ABORTED', 'ERR_TIMEOUT']

function frame (payload: Uint8Array): Uint8Array {
  return Buffer.concat([varint.encode(payload.byteLength), payload])
}

/** What a hostile peer sends: framed valid / mutated / random messages, unframed junk, huge length claims. */
function frames (valid: fc.Arbitrary<Uint8Array>): fc.Arbitrary<Uint8Array> {
  const one = fc.oneof(
    { weight: 4, arbitrary: valid.map(frame) },
    { weight: 2, arbitrary: mutated(valid).map(frame) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 40 }).map(frame) },
    { weight: 1, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 12 }) },
    { weight: 1, arbitrary: fc.integer({ min: 1 << 20, max: 0xffffffff }).map(n => varint.encode(n)) }
  )
  return fc.array(one, { maxLength: 6 }).map(parts => Buffer.concat(parts))
}

/** Resolves when the stream has closed, or aborts it after `ms`. */
async function settle (stream: Stream, ms = CASE_MS): Promise<void> {
  if (stream.status === 'closed' || stream.status === 'aborted' || stream.status === 'reset') return
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => { stream.abort(new Error('case over')); resolve() }, ms)
    stream.addEventListener('close', () => { clearTimeout(timer); resolve() }, { once: true })
  })
}

describe('fuzz: protocols over real streams', () => {
  let dir: string
  let seeder: ShoalNode
  let attacker: ShoalNode
  let id: string
  let manifest: Manifest

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'shoal-fuzz-wire-'))
    seeder = new ShoalNode({ dataDir: join(dir, 'seeder'), config: CONFIG })
    attacker = new ShoalNode({ dataDir: join(dir, 'attacker'), config: CONFIG })
    await seeder.start()
    await attacker.start()
    await writeRandomFile(join(dir, 'f.bin'), 3 * 16 * 1024 + 100)
    const shared = await seeder.share(join(dir, 'f.bin'))
    id = shared.id
    const record = seeder.catalog.getFile(id)
    assert.ok(record != null)
    manifest = record.manifest
  })
  after(async () => {
    await attacker?.stop()
    await seeder?.stop()
    await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 })
  })

  it('a seeder fed random frames on every protocol keeps serving', async () => {
    const fileId = fc.oneof({ weight: 3, arbitrary: fc.constant(fileIdToBytes(id)) }, { weight: 1, arbitrary: fc.uint8Array({ maxLength: 40 }) })
    const chunkRequest = fc.record({ kind: fc.constantFrom(ChunkRequest.Kind.GET, ChunkRequest.Kind.CANCEL), index: fc.oneof(fc.nat({ max: 5 }), fc.nat()), urgent: fc.boolean() }).map(r => ChunkRequest.encode(r))
    const byProtocol = {
      [MANIFEST_PROTOCOL]: frames(fileId.map(f => ManifestRequest.encode({ fileId: f as Uint8Array<ArrayBuffer> }))),
      [HAVE_PROTOCOL]: frames(fileId.map(f => HaveRequest.encode({ fileId: f as Uint8Array<ArrayBuffer> }))),
      [CHUNKS_PROTOCOL]: fc.tuple(fileId.map(f => frame(ChunksOpen.encode({ fileId: f as Uint8Array<ArrayBuffer> }))), frames(chunkRequest)).map(([open, rest]) => Buffer.concat([open, rest]))
    }
    const cases = fc.constantFrom(MANIFEST_PROTOCOL, HAVE_PROTOCOL, CHUNKS_PROTOCOL).chain(p => fc.tuple(fc.constant(p), byProtocol[p], fc.boolean()))
    const conn = await attacker.libp2p.dial(seeder.libp2p.getMultiaddrs()[0]!)
    await check(fc.asyncProperty(cases, async ([protocol, bytes, closeWrite]) => {
      const stream = await conn.newStream(protocol)
      stream.addEventListener('message', () => {}) // drain whatever comes back
      if (bytes.byteLength > 0) stream.send(bytes)
      if (closeWrite) await stream.close().catch(() => { /* the seeder may have reset it already: that is an allowed outcome */ })
      // A half-open stream may rightly wait for more: give the seeder a moment to act on what it got.
      await settle(stream, closeWrite ? 1_000 : 150)
    }), 60)
    // Still serving, verified against the ID.
    const fetched = await fetchManifest(attacker.libp2p, seeder.libp2p.peerId, id)
    assert.equal(fetched?.size, manifest.size)
  })

  describe('a hostile peer answering the client side', () => {
    /** What the hostile handler sends on the next stream, and whether it then resets. */
    let reply: { bytes: Uint8Array, reset: boolean } = { bytes: new Uint8Array(), reset: false }

    before(async () => {
      for (const protocol of [MANIFEST_PROTOCOL, HAVE_PROTOCOL, CHUNKS_PROTOCOL]) {
        await attacker.libp2p.unhandle(protocol)
        await attacker.libp2p.handle(protocol, async (stream) => {
          const { bytes, reset } = reply
          stream.addEventListener('message', () => {}) // requests are ignored
          if (bytes.byteLength > 0) stream.send(bytes)
          if (reset) stream.abort(new Error('hostile reset'))
          else await stream.close().catch(() => { /* the victim may have reset first: fine */ })
        }, { maxInboundStreams: 64 })
      }
      await seeder.libp2p.dial(attacker.libp2p.getMultiaddrs()[0]!)
    })

    /** Awaits a client call: its value, or a coded error. */
    async function settled<T> (call: Promise<T>): Promise<T | undefined> {
      try {
        return await call
      } catch (err) {
        assertCoded(err, CLIENT_CODES)
        return undefined
      }
    }

    it('fetchManifest: the verified manifest, none, or a coded error', async () => {
      const response = fc.oneof(
        fc.constant(encodeManifest(manifest)), mutated(fc.constant(encodeManifest(manifest))), fc.uint8Array({ maxLength: 60 })
      ).chain(m => fc.constantFrom(ManifestResponse.Status.OK, ManifestResponse.Status.NOT_FOUND).map(status => ManifestResponse.encode({ status, manifest: m as Uint8Array<ArrayBuffer> })))
      await check(fc.asyncProperty(frames(response), fc.boolean(), async (bytes, reset) => {
        reply = { bytes, reset }
        const got = await settled(fetchManifest(seeder.libp2p, attacker.libp2p.peerId, id, { signal: AbortSignal.timeout(CASE_MS) }))
        if (got !== undefined) assert.deepEqual(Buffer.from(encodeManifest(got)), Buffer.from(encodeManifest(manifest)))
      }), 40)
    })

    it('subscribeHave: a bitfield of the right length and in-range updates, or a coded error', async () => {
      const count = manifestChunkCount(manifest)
      const have = fc.record({
        status: fc.constantFrom(Have.Status.OK, Have.Status.NOT_FOUND),
        chunkCount: fc.oneof(fc.constant(count), fc.nat()),
        bitfield: fc.oneof(fc.constant(Uint8Array.of(0b10100000)), fc.uint8Array({ maxLength: 3 })),
        added: fc.array(fc.oneof(fc.nat({ max: count + 1 }), fc.nat()), { maxLength: 5 }),
        peers: fc.array(fc.record({ peerId: fc.uint8Array({ maxLength: 40 }), addrs: fc.array(fc.uint8Array({ maxLength: 20 }), { maxLength: 2 }) }), { maxLength: 3 })
      }).map(h => Have.encode(h as Have))
      await check(fc.asyncProperty(frames(have), fc.boolean(), async (bytes, reset) => {
        reply = { bytes, reset }
        const updates: number[] = []
        const sub = await settled(subscribeHave(seeder.libp2p, attacker.libp2p.peerId, id, count, {
          onUpdate: (index) => { updates.push(index) },
          onPeers: (hints) => { assert.ok(hints.length <= 32) }
        }, { signal: AbortSignal.timeout(CASE_MS) }))
        if (sub === undefined) return
        assert.equal(sub.bitfield.length, count)
        await new Promise(resolve => setTimeout(resolve, 50))
        sub.close()
        for (const index of updates) assert.ok(index < count)
      }), 40)
    })

    it('chunk channel: only requested chunks of the right length, refusals, or a coded close', async () => {
      const count = manifestChunkCount(manifest)
      const lengths = Array.from({ length: count }, (_, i) => chunkRange(manifest.size, manifest.chunkSize, i).length)
      const header = fc.record({
        status: fc.constantFrom(...Object.values(ChunkResponse.Status).filter(v => typeof v === 'string')) as fc.Arbitrary<ChunkResponse.Status>,
        index: fc.oneof(fc.nat({ max: count }), fc.nat()),
        offset: fc.oneof(fc.constant(0), fc.nat({ max: 20_000 })),
        length: fc.oneof(fc.constant(lengths[0]!), fc.nat({ max: 20_000 }), fc.nat()),
        last: fc.boolean()
      }).map(h => ChunkResponse.encode(h))
      // A valid header may be followed by data of any size.
      const withData = fc.tuple(header, fc.nat({ max: 17_000 })).map(([h, n]) => Buffer.concat([frame(h), frame(new Uint8Array(n))]))
      const bytes = fc.oneof(frames(header), withData, fc.tuple(withData, frames(header)).map(([a, b]) => Buffer.concat([a, b])))
      await check(fc.asyncProperty(bytes, fc.boolean(), async (wire, reset) => {
        reply = { bytes: wire, reset }
        const requested = new Set([0, 1, 2].filter(i => i < count))
        let closed!: () => void
        const done = new Promise<void>((resolve) => { closed = resolve })
        const channel = await settled(ChunkChannel.open(seeder.libp2p, attacker.libp2p.peerId, id, manifest, {
          onChunk: (index, data) => {
            assert.ok(requested.has(index), `unrequested chunk ${index}`)
            assert.equal(data.byteLength, lengths[index])
          },
          onRefused: (index) => { assert.ok(requested.has(index)) },
          onClose: () => { closed() }
        }, { signal: AbortSignal.timeout(CASE_MS) }))
        if (channel === undefined) return
        for (const i of requested) channel.request(i)
        // The hostile side has sent all it will; a channel still open is left to the job's stall check.
        const timer = setTimeout(() => { channel.abort(new Error('case over')) }, 300)
        await done
        clearTimeout(timer)
      }), 40)
    })
  })
})
