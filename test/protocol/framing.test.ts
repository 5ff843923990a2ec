import '../../src/polyfill.js'
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { once } from 'node:events'
import * as varint from 'uint8-varint'
import { Uint8ArrayList } from 'uint8arraylist'
import { streamPair } from '@libp2p/utils'
import { asProtocolError, FrameDecoder, FrameReader, sendFrames } from '../../src/protocol/framing.js'
import { hasCode } from '../../src/errors.js'
import type { Stream } from '@libp2p/interface'

/** `payload` with its varint length prefix. */
function frame (payload: Uint8Array): Uint8Array {
  return Uint8Array.from([...varint.encode(payload.byteLength), ...payload])
}

/** Concatenates byte arrays. */
function concat (...parts: Uint8Array[]): Uint8Array {
  return new Uint8ArrayList(...parts).subarray()
}

/** Every frame `decoder` yields for `input`, as plain arrays. */
function decodeAll (decoder: FrameDecoder, input: Uint8Array | Uint8ArrayList): Uint8Array[] {
  return [...decoder.decode(input)].map(f => f.subarray())
}

const bytes = (...values: number[]): Uint8Array => Uint8Array.from(values)

describe('FrameDecoder', () => {
  it('yields several frames from one input', () => {
    const decoder = new FrameDecoder(1024)
    const a = bytes(1, 2, 3)
    const b = new Uint8Array(300).fill(7) // a two-byte length prefix
    const c = bytes(9)
    assert.deepEqual(decodeAll(decoder, concat(frame(a), frame(b), frame(c))), [a, b, c])
  })

  it('accepts a Uint8ArrayList input', () => {
    const decoder = new FrameDecoder(1024)
    const input = new Uint8ArrayList(frame(bytes(1, 2)), frame(bytes(3)))
    assert.deepEqual(decodeAll(decoder, input), [bytes(1, 2), bytes(3)])
  })

  it('reassembles a frame split byte by byte across inputs', () => {
    const decoder = new FrameDecoder(1024)
    const payload = Uint8Array.from({ length: 200 }, (_, i) => i) // two-byte prefix, split too
    const wire = frame(payload)
    for (let i = 0; i < wire.byteLength - 1; i++) {
      assert.deepEqual(decodeAll(decoder, wire.subarray(i, i + 1)), [], `nothing after byte ${i}`)
    }
    assert.deepEqual(decodeAll(decoder, wire.subarray(wire.byteLength - 1)), [payload])
    assert.deepEqual(decodeAll(decoder, new Uint8Array(0)), [], 'nothing left buffered')
  })

  it('keeps a partial frame buffered after whole ones', () => {
    const decoder = new FrameDecoder(1024)
    const wire = concat(frame(bytes(1)), frame(bytes(2, 3, 4)))
    assert.deepEqual(decodeAll(decoder, wire.subarray(0, 4)), [bytes(1)])
    assert.deepEqual(decodeAll(decoder, wire.subarray(4)), [bytes(2, 3, 4)])
  })

  it('yields empty (zero-length) frames', () => {
    // A protobuf message whose fields are all defaults encodes to zero bytes and is still a message.
    const decoder = new FrameDecoder(1024)
    assert.deepEqual(decodeAll(decoder, bytes(0)), [new Uint8Array(0)])
    assert.deepEqual(decodeAll(decoder, concat(bytes(0), frame(bytes(5)), bytes(0, 0))), [new Uint8Array(0), bytes(5), new Uint8Array(0), new Uint8Array(0)])
  })

  it('accepts a frame of exactly the cap', () => {
    const decoder = new FrameDecoder(16)
    const payload = new Uint8Array(16).fill(1)
    assert.deepEqual(decodeAll(decoder, frame(payload)), [payload])
  })

  it('throws ERR_MESSAGE_TOO_LARGE for a frame above the cap, as soon as its prefix arrives', () => {
    const decoder = new FrameDecoder(16)
    // Only the prefix: the decoder must not wait for (or buffer) the oversized body.
    assert.throws(() => decodeAll(decoder, varint.encode(17)), (err) => hasCode(err, 'ERR_MESSAGE_TOO_LARGE'))
    const huge = new FrameDecoder(1024)
    assert.throws(() => decodeAll(huge, varint.encode(2 ** 34)), (err) => hasCode(err, 'ERR_MESSAGE_TOO_LARGE'))
  })

  it('yields the frames before a bad one, then throws', () => {
    const decoder = new FrameDecoder(16)
    const seen: Uint8Array[] = []
    assert.throws(() => {
      for (const f of decoder.decode(concat(frame(bytes(1)), varint.encode(1000)))) seen.push(f.subarray())
    }, (err) => hasCode(err, 'ERR_MESSAGE_TOO_LARGE'))
    assert.deepEqual(seen, [bytes(1)])
  })

  it('applies a cap changed between frames to the very next frame of the same input', () => {
    const decoder = new FrameDecoder(64)
    const seen: Uint8Array[] = []
    // A 40-byte frame passes the first cap; lowered to 8 after it, the next 9-byte frame is refused.
    assert.throws(() => {
      for (const f of decoder.decode(concat(frame(new Uint8Array(40)), frame(new Uint8Array(9))))) {
        seen.push(f.subarray())
        decoder.maxFrameBytes = 8
      }
    }, (err) => hasCode(err, 'ERR_MESSAGE_TOO_LARGE'))
    assert.equal(seen.length, 1)
  })

  it('throws ERR_PROTOCOL for a malformed 6-byte varint prefix', () => {
    const decoder = new FrameDecoder(1024)
    assert.throws(() => decodeAll(decoder, bytes(0xff, 0xff, 0xff, 0xff, 0xff, 0xff)), (err) => hasCode(err, 'ERR_PROTOCOL'))
    const another = new FrameDecoder(1024)
    assert.throws(() => decodeAll(another, bytes(0x80, 0x80, 0x80, 0x80, 0x80, 0x80)), (err) => hasCode(err, 'ERR_PROTOCOL'))
  })

  it('waits for the rest of a length prefix split across inputs', () => {
    const decoder = new FrameDecoder(2 ** 20)
    const payload = new Uint8Array(70_000).fill(3) // three-byte prefix
    const wire = frame(payload)
    assert.deepEqual(decodeAll(decoder, wire.subarray(0, 2)), [])
    assert.deepEqual(decodeAll(decoder, wire.subarray(2)), [payload])
  })

  it('rejects a non-minimal length prefix with ERR_PROTOCOL instead of misreading the frame', () => {
    // 0x81 0x00 is 1 written in two bytes. The decoder takes the prefix length from
    // encodingLength(1) = 1, so it returns [0x00] as the frame and treats the real payload
    // byte as the next prefix: the stream silently desynchronises. Unsigned varints must be
    // minimal (multiformats/unsigned-varint), so this is malformed input.
    const decoder = new FrameDecoder(1024)
    assert.throws(() => decodeAll(decoder, bytes(0x81, 0x00, 0x2a)), (err) => hasCode(err, 'ERR_PROTOCOL'))
    const padded = new FrameDecoder(1024)
    assert.throws(() => decodeAll(padded, bytes(0x80, 0x80, 0x80, 0x80, 0x80, 0x00)), (err) => hasCode(err, 'ERR_PROTOCOL'))
  })
})

describe('asProtocolError', () => {
  it('keeps ShoalErrors, maps length errors to ERR_MESSAGE_TOO_LARGE and anything else to ERR_PROTOCOL', () => {
    const tooLarge = Object.assign(new Error('big'), { name: 'InvalidDataLengthError' })
    assert.equal(asProtocolError(tooLarge).code, 'ERR_MESSAGE_TOO_LARGE')
    assert.equal(asProtocolError(Object.assign(new Error('big'), { name: 'MaxLengthError' })).code, 'ERR_MESSAGE_TOO_LARGE')
    assert.equal(asProtocolError(new RangeError('index out of range')).code, 'ERR_PROTOCOL')
    assert.equal(asProtocolError('weird').code, 'ERR_PROTOCOL')
    const mine = asProtocolError(new RangeError('x'))
    assert.equal(asProtocolError(mine), mine)
  })
})

describe('FrameReader and sendFrames on a stream pair', () => {
  /** Connected streams, both aborted when the test ends. */
  async function pair (t: { after: (fn: () => void) => void }): Promise<[Stream, Stream]> {
    const streams = await streamPair()
    t.after(() => { for (const s of streams) s.abort(new Error('test over')) })
    return streams
  }

  it('delivers frames sent with sendFrames, empty ones included', async (t) => {
    const [outbound, inbound] = await pair(t)
    const frames: Uint8Array[] = []
    let resolveAll!: () => void
    const all = new Promise<void>((resolve) => { resolveAll = resolve })
    const reader = new FrameReader(inbound, 1024, (f) => {
      frames.push(f.subarray())
      if (frames.length === 4) resolveAll()
    })
    await sendFrames(outbound, [bytes(1, 2, 3), new Uint8Array(0)])
    await sendFrames(outbound, [new Uint8ArrayList(bytes(4), bytes(5)), new Uint8Array(500).fill(6)])
    await all
    reader.stop()
    reader.stop()
    assert.deepEqual(frames, [bytes(1, 2, 3), new Uint8Array(0), bytes(4, 5), new Uint8Array(500).fill(6)])
    assert.equal(inbound.status, 'open')
  })

  it('aborts the stream with ERR_MESSAGE_TOO_LARGE on an oversized frame', async (t) => {
    const [outbound, inbound] = await pair(t)
    const frames: Uint8Array[] = []
    const reader = new FrameReader(inbound, 16, (f) => { frames.push(f.subarray()) })
    const closed = once(inbound, 'close') as Promise<[{ error?: unknown }]>
    outbound.send(concat(frame(bytes(1)), frame(new Uint8Array(17))))
    const [evt] = await closed
    reader.stop()
    assert.deepEqual(frames, [bytes(1)], 'frames before the bad one were delivered')
    assert.equal(inbound.status, 'aborted')
    assert.ok(hasCode(evt.error, 'ERR_MESSAGE_TOO_LARGE'), String(evt.error))
  })
})
