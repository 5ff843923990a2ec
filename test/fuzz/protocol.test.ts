/**
 * Fuzzing the wire decoders of src/protocol: every protons message, the
 * length-prefixed frame decoder, bitfields, file IDs from the wire and peer
 * exchange hints. Random bytes and mutations of valid encodings may only
 * decode to a well-formed value or fail with a coded error (after the
 * stream's `asProtocolError`), quickly, and never allocate more than the
 * input could carry.
 */
import '../../src/polyfill.js'
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import * as varint from 'uint8-varint'
import { Uint8ArrayList } from 'uint8arraylist'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { ChunkRequest, ChunkResponse, ChunksOpen, Have, HaveRequest, ManifestRequest, ManifestResponse, PeerHint, StoreAck, StoreChunk, StoreOffer, StoreRefusal, StoreReply } from '../../src/protocol/pb/shoal.js'
import { FrameDecoder, asProtocolError } from '../../src/protocol/framing.js'
import { fileIdFromBytes } from '../../src/protocol/file-id.js'
import { MAX_PEX_ADDRS, MAX_PEX_PEERS, decodeHints, encodeHint } from '../../src/protocol/peer-exchange.js'
import { Bitfield } from '../../src/content/bitfield.js'
import { check, mutated, outcome } from './fuzz.js'

const PROTOCOL_CODES = ['ERR_PROTOCOL', 'ERR_MESSAGE_TOO_LARGE']

/** A decode as a stream handler runs it: codec errors become coded errors. */
function wireDecode<T> (decode: () => T): ReturnType<typeof outcome<T>> {
  return outcome(() => {
    try {
      return decode()
    } catch (err) {
      throw asProtocolError(err)
    }
  }, PROTOCOL_CODES)
}

const bytes = (maxLength = 64): fc.Arbitrary<Uint8Array<ArrayBuffer>> => fc.uint8Array({ maxLength })
const u32 = fc.nat({ max: 0xffffffff })
/** The values of a protons enum (its namespace also holds a `codec` function). */
const enumOf = (e: object): fc.Arbitrary<any> => fc.constantFrom(...Object.values(e).filter(v => typeof v === 'string'))

/** Valid messages of every type, for round trips and as seeds of mutations. */
const MESSAGES = [
  { name: 'ManifestRequest', codec: ManifestRequest, valid: fc.record({ fileId: bytes() }) },
  { name: 'ManifestResponse', codec: ManifestResponse, valid: fc.record({ status: enumOf(ManifestResponse.Status), manifest: bytes(256) }) },
  { name: 'HaveRequest', codec: HaveRequest, valid: fc.record({ fileId: bytes() }) },
  {
    name: 'Have',
    codec: Have,
    valid: fc.record({
      status: enumOf(Have.Status),
      chunkCount: u32,
      bitfield: bytes(),
      added: fc.array(u32, { maxLength: 16 }),
      peers: fc.array(fc.record({ peerId: bytes(40), addrs: fc.array(bytes(30), { maxLength: 4 }) }), { maxLength: 4 })
    })
  },
  { name: 'PeerHint', codec: PeerHint, valid: fc.record({ peerId: bytes(40), addrs: fc.array(bytes(30), { maxLength: 4 }) }) },
  { name: 'ChunksOpen', codec: ChunksOpen, valid: fc.record({ fileId: bytes() }) },
  { name: 'ChunkRequest', codec: ChunkRequest, valid: fc.record({ kind: enumOf(ChunkRequest.Kind), index: u32, urgent: fc.boolean() }) },
  {
    name: 'ChunkResponse',
    codec: ChunkResponse,
    valid: fc.record({ status: enumOf(ChunkResponse.Status), index: u32, offset: u32, length: u32, last: fc.boolean() })
  },
  { name: 'StoreOffer', codec: StoreOffer, valid: fc.record({ kind: enumOf(StoreOffer.Kind), fileId: bytes(), manifest: bytes(256), records: u32 }) },
  {
    name: 'StoreReply',
    codec: StoreReply,
    valid: fc.record({
      status: enumOf(StoreReply.Status),
      refusal: enumOf(StoreRefusal),
      message: fc.string({ maxLength: 40 }),
      accepting: fc.boolean(),
      freeBytes: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
      uploaderFreeBytes: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
      have: bytes(),
      version: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n })
    })
  },
  { name: 'StoreChunk', codec: StoreChunk, valid: fc.record({ index: u32, length: u32, forward: fc.array(fc.string({ maxLength: 60 }), { maxLength: 4 }) }) },
  { name: 'StoreAck', codec: StoreAck, valid: fc.record({ index: u32, holder: fc.string({ maxLength: 60 }), refusal: enumOf(StoreRefusal), message: fc.string({ maxLength: 40 }) }) }
] as const

interface AnyCodec {
  encode: (m: any) => Uint8Array
  decode: (b: Uint8Array | Uint8ArrayList) => any
}

/** Bytes of all byte fields and entries of all lists in a decoded message: at most what the input carried. */
function footprint (value: unknown): number {
  if (value instanceof Uint8Array) return value.byteLength
  if (Array.isArray(value)) return value.length + value.reduce<number>((n, v) => n + footprint(v), 0)
  if (typeof value === 'object' && value !== null) return Object.values(value).reduce<number>((n, v) => n + footprint(v), 0)
  return 0
}

describe('fuzz: protons messages', () => {
  for (const { name, codec, valid } of MESSAGES) {
    const c = codec as unknown as AnyCodec
    const inputs = fc.oneof(bytes(128), mutated((valid as fc.Arbitrary<any>).map(m => c.encode(m))))

    it(`${name}: random and mutated bytes decode to a re-encodable message or a coded error`, async () => {
      await check(fc.property(inputs, (input) => {
        const result = wireDecode(() => c.decode(input))
        if (!result.ok) return
        assert.ok(footprint(result.value) <= input.byteLength, 'decoded more than the input carried')
        // Whatever decoded must survive a round trip unchanged (no half-valid values).
        assert.deepEqual(c.decode(c.encode(result.value)), result.value)
      }), 150)
    })

    it(`${name}: valid messages round-trip`, async () => {
      await check(fc.property(valid as fc.Arbitrary<any>, (m) => {
        const decoded = c.decode(c.encode(m))
        assert.deepEqual(c.encode(decoded), c.encode(m))
      }), 50)
    })
  }

  it('a bytes or list field claiming 4 GiB fails at once, without allocating it', () => {
    const before = process.memoryUsage().arrayBuffers
    // field 1 / 2 / 3, wire type 2 (length-delimited), length 0xffffffff, then 3 bytes
    for (const tag of [0x0a, 0x12, 0x1a, 0x2a]) {
      const input = Uint8Array.from([tag, ...varint.encode(0xffffffff), 1, 2, 3])
      for (const { codec } of MESSAGES) {
        const c = codec as unknown as AnyCodec
        const result = wireDecode(() => c.decode(input))
        if (result.ok) assert.ok(footprint(result.value) <= input.byteLength)
      }
    }
    assert.ok(process.memoryUsage().arrayBuffers - before < 64 * 1024 * 1024, 'no large buffer was allocated')
  })
})

describe('fuzz: frame decoder', () => {
  const MAX = 1024

  it('random bytes in random pieces: frames within the cap, or a coded error', async () => {
    await check(fc.property(fc.array(bytes(40), { maxLength: 12 }), (pieces) => {
      const decoder = new FrameDecoder(MAX)
      const result = outcome(() => {
        const frames: number[] = []
        for (const piece of pieces) for (const frame of decoder.decode(piece)) frames.push(frame.byteLength)
        return frames
      }, PROTOCOL_CODES)
      if (result.ok) for (const length of result.value) assert.ok(length <= MAX)
    }), 300)
  })

  it('a length prefix above 2^53 is a coded error, not a bare RangeError (found by this fuzz)', () => {
    for (const prefix of [[128, 128, 128, 128, 128, 128, 128, 16], [255, 255, 255, 255, 255, 255, 255, 255, 127]]) {
      // outcome() fails on anything but a coded error
      const result = outcome(() => [...new FrameDecoder(MAX).decode(Uint8Array.from(prefix))], PROTOCOL_CODES)
      assert.equal(result.ok, false)
    }
  })

  it('valid frames split anywhere decode to exactly the payloads sent', async () => {
    const input = fc.tuple(fc.array(bytes(MAX), { maxLength: 8 }), fc.array(fc.nat(), { maxLength: 8 }))
    await check(fc.property(input, ([payloads, cuts]) => {
      const wire = Buffer.concat(payloads.flatMap(p => [varint.encode(p.byteLength), p]))
      const points = [...new Set(cuts.map(c => wire.byteLength === 0 ? 0 : c % wire.byteLength))].sort((a, b) => a - b)
      const decoder = new FrameDecoder(MAX)
      const out: Uint8Array[] = []
      let from = 0
      for (const to of [...points, wire.byteLength]) {
        for (const frame of decoder.decode(wire.subarray(from, to))) out.push(frame.subarray())
        from = to
      }
      assert.deepEqual(out.map(b => Buffer.from(b).toString('hex')), payloads.map(b => Buffer.from(b).toString('hex')))
    }), 200)
  })

  it('a length prefix claiming up to 4 GiB is refused before any of it is buffered', async () => {
    await check(fc.property(fc.integer({ min: MAX + 1, max: 0xffffffff }), bytes(16), (claimed, tail) => {
      const decoder = new FrameDecoder(MAX)
      const result = outcome(() => [...decoder.decode(Buffer.concat([varint.encode(claimed), tail]))], PROTOCOL_CODES)
      assert.equal(result.ok, false)
      assert.equal(result.ok ? '' : result.code, 'ERR_MESSAGE_TOO_LARGE')
    }), 100)
  })
})

describe('fuzz: bitfields from the wire', () => {
  it('any length and bytes: a bitfield whose count matches its bits, or ERR_PROTOCOL', async () => {
    await check(fc.property(fc.nat({ max: 600 }), bytes(80), (length, input) => {
      const result = outcome(() => new Bitfield(length, input), ['ERR_PROTOCOL'])
      if (!result.ok) return
      let set = 0
      for (let i = 0; i < length; i++) if (result.value.get(i)) set++
      assert.equal(result.value.count, set)
      assert.deepEqual(Buffer.from(result.value.toBytes()), Buffer.from(input))
    }), 300)
  })

  it('bitfields of valid bytes round-trip', async () => {
    const valid = fc.nat({ max: 600 }).chain(length => fc.tuple(fc.constant(length), fc.array(fc.nat({ max: Math.max(0, length - 1) }), { maxLength: length === 0 ? 0 : 40 })))
    await check(fc.property(valid, ([length, indices]) => {
      const b = new Bitfield(length)
      for (const i of indices) b.set(i)
      const copy = new Bitfield(length, b.toBytes())
      assert.equal(copy.count, new Set(indices).size)
    }), 100)
  })
})

describe('fuzz: file IDs and peer exchange hints from the wire', () => {
  it('file ID bytes: a CID string or ERR_PROTOCOL', async () => {
    await check(fc.property(bytes(80), (input) => {
      const result = outcome(() => fileIdFromBytes(input), ['ERR_PROTOCOL'])
      if (result.ok) assert.equal(typeof result.value, 'string')
    }), 300)
  })

  it('hints: random and mutated hints never throw, and stay within the caps', async () => {
    const key = await generateKeyPair('Ed25519')
    const peerId = peerIdFromPrivateKey(key)
    const recipient = multiaddr('/ip4/10.0.0.9/tcp/4001')
    const validHint = encodeHint({ peerId, addrs: [multiaddr('/ip4/10.1.2.3/tcp/4001'), multiaddr('/ip6/fe80::1/udp/4001/quic-v1')] }, recipient)
    assert.ok(validHint != null)
    const hint = fc.oneof({ weight: 3, arbitrary: fc.constant(validHint) }, fc.record({
      peerId: fc.oneof(bytes(48), mutated(fc.constant(validHint.peerId))),
      addrs: fc.array(fc.oneof({ weight: 8, arbitrary: fc.constantFrom(...validHint.addrs) }, bytes(32), ...validHint.addrs.map(a => mutated(fc.constant(a)))), { maxLength: 12, size: 'max' })
    }))
    await check(fc.property(fc.array(hint, { maxLength: 60, size: 'max' }), (hints) => {
      const decoded = outcome(() => decodeHints(hints as PeerHint[]), []).ok
      assert.ok(decoded, 'decodeHints never throws')
      const out = decodeHints(hints as PeerHint[])
      assert.ok(out.length <= MAX_PEX_PEERS)
      for (const h of out) assert.ok(h.addrs.length > 0 && h.addrs.length <= MAX_PEX_ADDRS)
    }), 100)
    assert.equal(decodeHints([validHint])[0]?.peerId.toString(), peerId.toString())
  })
})
