/**
 * A bounded writer for the outbound side of any protocol stream.
 *
 * libp2p 3 streams accept every `send()`: data beyond the muxer's window
 * waits in the stream's own write buffer, and `onDrain()` only waits once
 * (its promise is never renewed, so after the first drain it resolves at
 * once). A server that trusts either buffers without bound for a peer that
 * stops reading. This writer instead
 *
 * - waits before each write while it would take the stream's unsent bytes
 *   (`writeBufferLength`) past the per-stream cap, or while the stream needs
 *   a drain, watching the stream's own `drain`, `idle` and `close` events
 *   (libp2p's `maxWriteBufferLength`, set to the cap, backs this up);
 * - charges the bytes waiting in the stream to the peer's `PeerBudget`,
 *   shared by all of that peer's streams across protocols (a caller that
 *   reads data ahead, like a chunk, takes budget for it itself and writes it
 *   `prepaid`);
 * - tells when given bytes have left the stream's buffer (`flush(upTo)`),
 *   so a caller can hold an upload slot until its bytes are out;
 * - aborts the stream with ERR_TIMEOUT when a write or flush makes no
 *   progress (no drain, no bytes leaving the buffer) for the inactivity
 *   timeout, which frees whatever the peer pinned.
 *
 * One writer per stream; nothing else may send on it. A write that finds the
 * window open costs no more than `stream.send`: no timers, no copies.
 */
import { ShoalError } from '../errors.js'
import { encodeFrames } from './framing.js'
import type { ChunkStream } from './chunk-stream.js'
import type { PeerBudget } from './peer-budget.js'
import type { Uint8ArrayList } from 'uint8arraylist'

/** How long a write may make no progress before the stream is aborted, unless configured. */
export const DEFAULT_WRITE_INACTIVITY_TIMEOUT_MS = 30_000

/** Settings of a BoundedWriter. */
export interface BoundedWriterInit {
  /** The peer's budget (see PeerBudgets.lease). */
  budget: PeerBudget
  /** Most unsent bytes the stream may hold (so also the largest write); set as its `maxWriteBufferLength`. */
  maxStreamBufferedBytes: number
  /** Abort the stream after this long without write progress. */
  inactivityTimeoutMs: number
}

/** Writes to one stream under backpressure, per-stream and per-peer caps, and an inactivity timeout. */
export class BoundedWriter {
  readonly #stream: ChunkStream
  readonly #budget: PeerBudget
  readonly #maxBytes: number
  readonly #timeoutMs: number
  /** Bytes written since the start: the stream's position. */
  #written = 0
  /** Bytes of charged writes possibly still in the stream's buffer (charged to the budget). */
  #unsent = 0
  #waiting = 0
  #wakers: Array<() => void> = []
  #timer: NodeJS.Timeout | undefined
  #closed = false
  readonly #onProgress = (): void => { this.#progress() }
  readonly #onClose = (): void => { this.dispose() }

  constructor (stream: ChunkStream, init: BoundedWriterInit) {
    this.#stream = stream
    this.#budget = init.budget
    this.#maxBytes = init.maxStreamBufferedBytes
    this.#timeoutMs = init.inactivityTimeoutMs
    stream.maxWriteBufferLength = init.maxStreamBufferedBytes
    stream.addEventListener('drain', this.#onProgress)
    stream.addEventListener('idle', this.#onProgress)
    stream.addEventListener('close', this.#onClose)
  }

  /** Bytes written so far (handed to this writer, sent or not); a position for `flush`. */
  get written (): number { return this.#written }

  /**
   * Sends `data` once the stream has room for it under the cap. Its bytes are charged to the peer's budget while they wait in the
   * stream, unless `prepaid`: the caller holds budget for them already (e.g.
   * a whole chunk, taken before reading it) and gives it back itself.
   */
  async write (data: Uint8Array | Uint8ArrayList, options: { signal?: AbortSignal, prepaid?: boolean } = {}): Promise<void> {
    const { signal, prepaid = false } = options
    const bytes = data.byteLength
    if (bytes > this.#maxBytes) throw new ShoalError('ERR_INTERNAL', `a write of ${bytes} bytes exceeds the stream's ${this.#maxBytes}-byte cap`)
    while (!this.#writable(bytes)) await this.#nextProgress(signal)
    if (!prepaid) {
      if (!this.#budget.tryAcquire(bytes)) {
        await this.#budget.acquire(bytes, signal)
        if (this.#closed) { this.#budget.release(bytes); this.#assertOpen() }
        try {
          // Another write may have gone first while we waited for the budget.
          while (!this.#writable(bytes)) await this.#nextProgress(signal)
        } catch (err) {
          this.#budget.release(bytes)
          throw err
        }
      }
      this.#unsent += bytes
    }
    this.#written += bytes
    this.#stream.send(data)
    this.#sync()
  }

  /** Frames `payloads` (varint length prefixes) and writes them as one write. */
  async writeFrames (payloads: ReadonlyArray<Uint8Array | Uint8ArrayList>, options: { signal?: AbortSignal, prepaid?: boolean } = {}): Promise<void> {
    await this.write(encodeFrames(payloads), options)
  }

  /**
   * Waits until the first `upTo` bytes written (default: all so far) have
   * left the stream's buffer for the muxer, so they no longer sit in our
   * memory. Later writes may go on meanwhile.
   */
  async flush (upTo: number = this.#written, signal?: AbortSignal): Promise<void> {
    while (this.#written - this.#stream.writeBufferLength < upTo) {
      await this.#nextProgress(signal)
    }
  }

  /** Releases everything this writer holds; idempotent, and called by the stream's `close`. */
  dispose (): void {
    if (this.#closed) return
    this.#closed = true
    this.#stream.removeEventListener('drain', this.#onProgress)
    this.#stream.removeEventListener('idle', this.#onProgress)
    this.#stream.removeEventListener('close', this.#onClose)
    clearTimeout(this.#timer)
    this.#budget.release(this.#unsent)
    this.#unsent = 0
    this.#wakeAll()
  }

  /**
   * Whether `bytes` may be sent now: into an empty stream that needs no
   * drain, or behind what waits in it if the total stays within the cap.
   * Keeping the next block queued behind the current one matters: each
   * window update is then answered with one frame as large as it allows; a
   * stream left empty at every block boundary splits frames there, and since
   * yamux grants window per frame received, ever smaller frames follow
   * (measured: the seeder's CPU per byte doubled).
   */
  #writable (bytes: number): boolean {
    this.#assertOpen()
    const buffered = this.#stream.writeBufferLength
    return buffered === 0 ? !this.#stream.writableNeedsDrain : buffered + bytes <= this.#maxBytes
  }

  #assertOpen (): void {
    if (this.#closed || this.#stream.status !== 'open' || this.#stream.writeStatus !== 'writable') {
      throw new ShoalError('ERR_ABORTED', 'the stream is closed for writing')
    }
  }

  /** Charges the budget with what is still in the stream's buffer, no more. */
  #sync (): void {
    if (this.#unsent === 0) return
    const unsent = Math.min(this.#unsent, this.#stream.writeBufferLength)
    this.#budget.release(this.#unsent - unsent)
    this.#unsent = unsent
  }

  #progress (): void {
    this.#sync()
    if (this.#waiting > 0) this.#timer?.refresh()
    this.#wakeAll()
  }

  #wakeAll (): void {
    const wakers = this.#wakers
    if (wakers.length === 0) return
    this.#wakers = []
    for (const wake of wakers) wake()
  }

  /** Resolves at the stream's next drain/idle (or rejects: close, abort, inactivity). */
  async #nextProgress (signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted()
    this.#assertOpen()
    if (this.#waiting++ === 0) {
      // The inactivity clock runs only while someone waits on the stream.
      if (this.#timer == null) this.#timer = setTimeout(() => { this.#inactive() }, this.#timeoutMs).unref()
      else this.#timer.refresh()
    }
    try {
      await new Promise<void>((resolve, reject) => {
        const onAbort = (): void => { reject(signal?.reason ?? new ShoalError('ERR_ABORTED', 'write aborted')) }
        signal?.addEventListener('abort', onAbort, { once: true })
        this.#wakers.push(() => {
          signal?.removeEventListener('abort', onAbort)
          resolve()
        })
      })
    } finally {
      // The timer is left armed (a cleared Timeout cannot be refreshed); it checks #waiting.
      this.#waiting--
    }
    this.#assertOpen()
  }

  #inactive (): void {
    if (this.#waiting === 0 || this.#closed) return
    this.#stream.abort(new ShoalError('ERR_TIMEOUT', `no write progress for ${this.#timeoutMs} ms: the peer stopped reading`))
  }
}
