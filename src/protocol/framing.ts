/**
 * Length-prefixed framing on libp2p v3 message streams.
 *
 * `FrameReader` decodes frames synchronously inside the stream's `message`
 * events, so a long-lived stream (chunks, have-updates) never buffers more than
 * the remote was asked to send, and a frame above the cap aborts that stream
 * alone. `sendFrames` writes several frames in one `send` without copying the
 * payloads, and waits for `drain` when the muxer pushes back (bulk data goes
 * through bounded-writer.ts, which also caps what a stream and a peer hold).
 */
import * as varint from 'uint8-varint'
import { Uint8ArrayList } from 'uint8arraylist'
import { ShoalError } from '../errors.js'
import type { AbortOptions } from '@libp2p/interface'
import type { ChunkStream } from './chunk-stream.js'

/** Called once per complete frame; returning normally means "keep reading". */
export type FrameHandler = (frame: Uint8ArrayList) => void

/** Decodes frames from a stream and hands each to `onFrame`; owns the stream's `message` listener. */
export class FrameReader {
  readonly #stream: ChunkStream
  readonly #decoder: FrameDecoder
  readonly #onFrame: FrameHandler
  readonly #onMessage: (evt: { data: Uint8Array | Uint8ArrayList }) => void

  constructor (stream: ChunkStream, maxFrameBytes: number, onFrame: FrameHandler) {
    this.#stream = stream
    this.#onFrame = onFrame
    this.#decoder = new FrameDecoder(maxFrameBytes)
    this.#onMessage = (evt) => { this.#consume(evt.data) }
    stream.addEventListener('message', this.#onMessage)
  }

  /**
   * Changes the cap for frames not yet started, for protocols whose frames
   * differ by phase (a large offer first, then small blocks).
   */
  setMaxFrameBytes (maxFrameBytes: number): void {
    this.#decoder.maxFrameBytes = maxFrameBytes
  }

  /** Stops reading; frames still buffered are dropped. Idempotent. */
  stop (): void {
    this.#stream.removeEventListener('message', this.#onMessage)
  }

  #consume (data: Uint8Array | Uint8ArrayList): void {
    try {
      for (const frame of this.#decoder.decode(data)) {
        if (this.#stream.status !== 'open') return
        this.#onFrame(frame)
      }
    } catch (err) {
      this.stop()
      this.#stream.abort(asProtocolError(err))
    }
  }
}

/** Longest varint length prefix we accept (enough for 2^35). */
const MAX_LENGTH_PREFIX_BYTES = 5

/**
 * Splits a byte stream into varint length-prefixed frames. Unlike
 * @libp2p/utils' decoder it yields empty frames too: a protobuf message whose
 * fields are all defaults encodes to zero bytes and is still a message. It
 * buffers at most one partial frame; the muxer's flow control bounds what
 * arrives at once, and the per-frame cap guards against hostile lengths.
 */
export class FrameDecoder {
  /** The largest frame accepted; checked against each length prefix before buffering. */
  maxFrameBytes: number
  readonly #buffer = new Uint8ArrayList()

  constructor (maxFrameBytes: number) {
    this.maxFrameBytes = maxFrameBytes
  }

  * decode (data: Uint8Array | Uint8ArrayList): Generator<Uint8ArrayList> {
    this.#buffer.append(data)
    while (this.#buffer.byteLength > 0) {
      let length: number
      try {
        length = varint.decode(this.#buffer)
      } catch (err) {
        if (!(err instanceof RangeError)) throw err
        if (this.#buffer.byteLength >= MAX_LENGTH_PREFIX_BYTES) throw new ShoalError('ERR_PROTOCOL', 'malformed length prefix')
        return // the prefix itself is incomplete
      }
      // The cap first: a prefix of 8+ bytes can claim more than 2^53, which
      // `encodingLength` refuses with a bare RangeError.
      if (length > this.maxFrameBytes) {
        throw new ShoalError('ERR_MESSAGE_TOO_LARGE', `frame of ${length} bytes exceeds the ${this.maxFrameBytes}-byte limit`)
      }
      const prefix = varint.encodingLength(length)
      // The prefix must be the minimal encoding (multiformats unsigned-varint): otherwise the
      // bytes decoded and the `prefix` bytes skipped below differ and the stream desynchronises.
      if ((this.#buffer.get(prefix - 1) & 0x80) !== 0) {
        throw new ShoalError('ERR_PROTOCOL', 'malformed length prefix')
      }
      if (this.#buffer.byteLength < prefix + length) return
      const frame = this.#buffer.sublist(prefix, prefix + length)
      this.#buffer.consume(prefix + length)
      yield frame
    }
  }
}

/** Varint length-prefixes each payload into one list, without copying the payloads. */
export function encodeFrames (payloads: ReadonlyArray<Uint8Array | Uint8ArrayList>): Uint8ArrayList {
  const list = new Uint8ArrayList()
  for (const payload of payloads) {
    list.append(varint.encode(payload.byteLength))
    list.append(payload)
  }
  return list
}

/**
 * Frames one or more payloads and sends them in a single write, then waits
 * while the stream needs a drain. For small or occasional messages; a
 * stream that carries bulk data goes through a BoundedWriter instead.
 */
export async function sendFrames (stream: ChunkStream, payloads: ReadonlyArray<Uint8Array | Uint8ArrayList>, options?: AbortOptions): Promise<void> {
  if (!stream.send(encodeFrames(payloads))) await waitForDrain(stream, options)
}

/**
 * Resolves once `stream` needs no drain; rejects if it closes first or on
 * abort. Not `stream.onDrain()`: in @libp2p/utils 7 its promise is created
 * once and never renewed, so after the first drain it resolves at once.
 */
export async function waitForDrain (stream: ChunkStream, options?: AbortOptions): Promise<void> {
  while (stream.writableNeedsDrain) {
    options?.signal?.throwIfAborted()
    if (stream.status !== 'open') throw new ShoalError('ERR_ABORTED', 'the stream closed while waiting to drain')
    await new Promise<void>((resolve) => {
      const done = (): void => {
        stream.removeEventListener('drain', done)
        stream.removeEventListener('close', done)
        options?.signal?.removeEventListener('abort', done)
        resolve()
      }
      stream.addEventListener('drain', done)
      stream.addEventListener('close', done)
      options?.signal?.addEventListener('abort', done)
    })
  }
}

/** Normalises decoder and codec failures into a ShoalError with code ERR_PROTOCOL. */
export function asProtocolError (err: unknown): ShoalError {
  const e = err as { name?: string, message?: string, code?: string }
  if (e?.name === 'InvalidDataLengthError' || e?.code === 'ERR_MSG_DATA_TOO_LONG' || e?.name === 'MaxLengthError') {
    return new ShoalError('ERR_MESSAGE_TOO_LARGE', `frame too large: ${e.message ?? ''}`, {}, { cause: err })
  }
  if (err instanceof ShoalError) return err
  return new ShoalError('ERR_PROTOCOL', `malformed message: ${e?.message ?? String(err)}`, {}, { cause: err })
}
