/**
 * Serving side of /shoal/chunks/1.0.0. One stream carries one file for one
 * peer: the peer opens it with ChunksOpen, then pipelines GET and CANCEL
 * requests; we answer them in order, one chunk at a time, cut into blocks.
 *
 * What a peer can make us hold is bounded: each chunk sent holds an upload
 * slot (UploadGate, per peer and in total) and its bytes in the peer's
 * PeerBudget from before it is read until all of it has left the stream's
 * buffer for the muxer (is on its way, not merely queued); every block waits for the stream to drain (BoundedWriter), and a
 * peer that stops reading has the stream aborted after the write inactivity
 * timeout. Requests queued per stream are capped; more reset the stream. A
 * chunk just sent whole to another peer may be answered BUSY (spread), to be
 * fetched from that peer instead. A malformed or oversized frame resets this
 * stream only.
 */
import { ChunkRequest, ChunkResponse, ChunksOpen } from './pb/shoal.js'
import { BLOCK_SIZE_BYTES, INBOUND_REQUEST_TIMEOUT_MS, MAX_BLOCK_HEADER_BYTES, MAX_CONTROL_FRAME_BYTES, MAX_QUEUED_REQUESTS_PER_STREAM } from './constants.js'
import { fileIdFromBytes } from './file-id.js'
import { FrameReader, asProtocolError } from './framing.js'
import { BoundedWriter } from './bounded-writer.js'
import { chunkRange } from '../content/chunk-size.js'
import { ShoalError, hasCode } from '../errors.js'
import { logger } from '../util/log.js'
import type { PeerBudget, PeerBudgets } from './peer-budget.js'
import type { FileProvider, ServedFile } from './served-file.js'
import type { UploadGate } from './upload-gate.js'
import type { ChunkStream } from './chunk-stream.js'
import type { Connection, Stream } from '@libp2p/interface'

const log = logger('chunks')

/**
 * Blocks a chunks stream may hold unsent. More than one keeps yamux frames
 * large (see BoundedWriter.#writable); four (a 1 MiB chunk) give the disk
 * read of the next chunk, which starts once the last block of this one is
 * queued, a whole chunk's sending time to finish before the stream runs dry.
 * The bytes are the chunk's own, already counted in the peer's budget.
 */
const STREAM_QUEUE_BLOCKS = 4

/** Observes uploads, for statistics. */
export interface UploadObserver {
  onUploaded: (peer: string, fileId: string, bytes: number) => void
}

/** Defers chunks just sent to another peer (UploadSpread satisfies it). */
export interface SpreadPolicy {
  shouldDefer: (fileId: string, index: number, peer: string) => boolean
  started: (fileId: string, index: number, peer: string) => void
}

/** What every upload session of a node shares. */
export interface UploadServices {
  /** Upload slots and rate limits (UploadLimiter). */
  gate: UploadGate
  /** Outbound bytes each peer may pin, shared with the node's other protocols. */
  budgets: PeerBudgets
  /** A stream whose writes make no progress this long is aborted. */
  writeTimeoutMs: number
  /** Defers chunks just sent to another peer (initial seeding); absent, every request is served. */
  spread?: SpreadPolicy
  observer?: UploadObserver
}

/** Serves one inbound chunks stream until either side ends it. */
export async function handleChunksStream (stream: Stream, connection: Connection, provider: FileProvider, services: UploadServices): Promise<void> {
  await serveChunks(stream, connection.remotePeer.toString(), provider, services)
}

/**
 * Serves the chunk protocol to `peer` on any ChunkStream (a libp2p stream, or
 * the direct TLS path's socket) until either side ends it: the same slots,
 * budget, backpressure and stall timeout whatever carries the bytes.
 */
export async function serveChunks (stream: ChunkStream, peer: string, provider: FileProvider, services: UploadServices): Promise<void> {
  const lease = services.budgets.lease(peer)
  const writer = new BoundedWriter(stream, {
    budget: lease.budget,
    maxStreamBufferedBytes: STREAM_QUEUE_BLOCKS * (BLOCK_SIZE_BYTES + MAX_BLOCK_HEADER_BYTES),
    inactivityTimeoutMs: services.writeTimeoutMs
  })
  try {
    await new ChunkUploadSession(stream, peer, provider, services, lease.budget, writer).run()
  } finally {
    writer.dispose()
    lease.done()
  }
}

class ChunkUploadSession {
  readonly #stream: ChunkStream
  readonly #peer: string
  readonly #provider: FileProvider
  readonly #gate: UploadGate
  readonly #spread: SpreadPolicy | undefined
  readonly #observer: UploadObserver | undefined
  readonly #reader: FrameReader
  readonly #writer: BoundedWriter
  readonly #budget: PeerBudget
  /** The last chunk sent, until its bytes have left the stream's buffer (then its slot and budget are freed). */
  #settling: Promise<void> = Promise.resolve()
  /** Answers (CANCELLED) written outside the serving loop and not sent yet; they count as queued. */
  #replies = 0
  readonly #abort = new AbortController()
  /** undefined until ChunksOpen arrives; null when we did not have the file then. */
  #fileId: string | null | undefined
  readonly #queue: number[] = []
  /** Queued GETs: index → urgent (see ChunkRequest.urgent). */
  readonly #queued = new Map<number, boolean>()
  #current = -1
  #cancelCurrent = false
  #remoteDone = false
  #wake: (() => void) | undefined

  constructor (stream: ChunkStream, peer: string, provider: FileProvider, services: UploadServices, budget: PeerBudget, writer: BoundedWriter) {
    this.#stream = stream
    this.#peer = peer
    this.#provider = provider
    this.#budget = budget
    this.#writer = writer
    this.#gate = services.gate
    this.#spread = services.spread
    this.#observer = services.observer
    this.#reader = new FrameReader(stream, MAX_CONTROL_FRAME_BYTES, (frame) => { this.#onFrame(frame.subarray()) })
    stream.addEventListener('close', () => {
      this.#abort.abort()
      this.#poke()
    }, { once: true })
    stream.addEventListener('remoteCloseWrite', () => {
      this.#remoteDone = true
      this.#poke()
    }, { once: true })
  }

  #poke (): void {
    const wake = this.#wake
    this.#wake = undefined
    wake?.()
  }

  #onFrame (frame: Uint8Array): void {
    if (this.#fileId === undefined) {
      const id = fileIdFromBytes(ChunksOpen.decode(frame).fileId)
      this.#fileId = this.#provider.getServedFile(id) == null ? null : id
      this.#poke()
      return
    }
    const req = ChunkRequest.decode(frame)
    if (req.kind === ChunkRequest.Kind.CANCEL) {
      if (this.#queued.delete(req.index)) {
        this.#reply(status(ChunkResponse.Status.CANCELLED, req.index))
      } else if (this.#current === req.index) {
        this.#cancelCurrent = true
      }
      return
    }
    if (this.#queued.has(req.index) || this.#current === req.index) return
    this.#checkQueue()
    this.#queued.set(req.index, req.urgent)
    this.#queue.push(req.index)
    this.#poke()
  }

  /** Requests and unsent answers waiting on this stream are capped: a peer that floods it is reset. */
  #checkQueue (): void {
    // #queue, not #queued: cancelled requests stay in it until the loop reaches them,
    // so a peer repeating GET and CANCEL would otherwise grow it without bound.
    if (this.#queue.length + this.#replies >= MAX_QUEUED_REQUESTS_PER_STREAM) {
      throw new ShoalError('ERR_PROTOCOL', `more than ${MAX_QUEUED_REQUESTS_PER_STREAM} requests queued`)
    }
  }

  /** Answers out of turn (a cancelled queued request), behind whatever block is being written. */
  #reply (response: ChunkResponse): void {
    this.#checkQueue()
    this.#replies++
    this.#writer.writeFrames([ChunkResponse.encode(response)], { signal: this.#abort.signal })
      .catch((err) => { log('reply to %s not sent: %s', this.#peer, (err as Error).message) })
      .finally(() => { this.#replies-- })
  }

  async run (): Promise<void> {
    const signal = this.#abort.signal
    try {
      await this.#waitFor(() => this.#fileId !== undefined, AbortSignal.any([signal, AbortSignal.timeout(INBOUND_REQUEST_TIMEOUT_MS)]))
      while (true) {
        await this.#waitFor(() => this.#queue.length > 0 || this.#remoteDone, signal)
        const index = this.#queue.shift()
        if (index === undefined) break
        const urgent = this.#queued.get(index)
        if (urgent === undefined) continue // cancelled while queued
        this.#queued.delete(index)
        await this.#serve(index, urgent, signal)
      }
      this.#reader.stop()
      await this.#settling
      await this.#stream.close({ signal })
    } catch (err) {
      this.#reader.stop()
      if (this.#stream.status === 'open') this.#stream.abort(asProtocolError(err))
    }
  }

  async #waitFor (ready: () => boolean, signal: AbortSignal): Promise<void> {
    while (!ready()) {
      signal.throwIfAborted()
      await new Promise<void>((resolve) => {
        const done = (): void => { signal.removeEventListener('abort', done); resolve() }
        this.#wake = done
        signal.addEventListener('abort', done, { once: true })
      })
    }
  }

  /**
   * Looks the file up for every chunk, not once per stream: a stream outlives
   * what it opened on (a download in progress becomes a complete copy, a
   * share is removed), and must serve from what the node holds now.
   */
  async #serve (index: number, urgent: boolean, signal: AbortSignal): Promise<void> {
    const file = this.#fileId == null ? undefined : this.#provider.getServedFile(this.#fileId)
    if (file == null || index >= file.have.length || !file.have.get(index)) {
      await this.#send([ChunkResponse.encode(status(ChunkResponse.Status.NOT_FOUND, index))], signal)
      return
    }
    if (!urgent && this.#spread?.shouldDefer(file.id, index, this.#peer) === true) {
      await this.#send([ChunkResponse.encode(status(ChunkResponse.Status.BUSY, index))], signal)
      return
    }
    this.#current = index
    this.#cancelCurrent = false
    // The chunk's bytes count against the peer's budget from before they are
    // read; the budget is taken before the slot, so a peer's streams waiting
    // on their own budget hold no slot that other peers could use.
    const length = chunkRange(file.manifest.size, file.manifest.chunkSize, index).length
    const bytes = length + Math.ceil(length / BLOCK_SIZE_BYTES) * MAX_BLOCK_HEADER_BYTES
    let release: (() => void) | undefined
    let sent = false
    try {
      await this.#budget.acquire(bytes, signal)
      try {
        release = await this.#gate.acquire(this.#peer, signal)
        sent = await this.#sendChunk(file, index, signal)
      } catch (err) {
        release?.()
        this.#budget.release(bytes)
        throw err
      }
    } finally {
      this.#current = -1
    }
    // The slot and the budget are held until the chunk's bytes have left the
    // stream's buffer, not merely been queued; meanwhile the next request is
    // prepared (budget, slot, disk read), so reads overlap the network. What
    // a stream has in flight is bounded by its write cap and the peer's budget.
    const free = release
    this.#settling = this.#writer.flush(this.#writer.written, signal).then(() => {
      // Recorded once the whole chunk is out, not when it starts: a peer that
      // stops reading must not get other peers turned away (BUSY) for chunks
      // it will never pass on.
      if (sent) this.#spread?.started(file.id, index, this.#peer)
    }).finally(() => {
      free()
      this.#budget.release(bytes)
    })
    this.#settling.catch((err) => { log('chunk %d to %s not flushed: %s', index, this.#peer, (err as Error).message) })
  }

  /** Reads one chunk and writes it block by block (or the answer saying why not); true if it wrote all of it. */
  async #sendChunk (file: ServedFile, index: number, signal: AbortSignal): Promise<boolean> {
    let data: Uint8Array
    try {
      data = await file.readChunk(index)
    } catch (err) {
      // NOT_FOUND tells the peer not to ask again until we announce the
      // chunk anew; anything else (an I/O error, a download being swapped
      // for its finished copy) may pass, so the peer retries after a back-off.
      const gone = hasCode(err, 'ERR_CHUNK_NOT_AVAILABLE') || hasCode(err, 'ERR_FILE_CHANGED')
      await this.#send([ChunkResponse.encode(status(gone ? ChunkResponse.Status.NOT_FOUND : ChunkResponse.Status.ERROR, index))], signal)
      return false
    }
    for (let offset = 0; offset < data.byteLength; offset += BLOCK_SIZE_BYTES) {
      if (this.#cancelCurrent) {
        await this.#send([ChunkResponse.encode(status(ChunkResponse.Status.CANCELLED, index))], signal)
        return false
      }
      const block = data.subarray(offset, Math.min(offset + BLOCK_SIZE_BYTES, data.byteLength))
      const last = offset + block.byteLength === data.byteLength
      const header = ChunkResponse.encode({ status: ChunkResponse.Status.DATA, index, offset, length: block.byteLength, last })
      await this.#gate.throttle(this.#peer, block.byteLength, signal)
      await this.#writer.writeFrames([header, block], { signal, prepaid: true })
      this.#observer?.onUploaded(this.#peer, file.id, block.byteLength)
    }
    return true
  }

  async #send (frames: Uint8Array[], signal?: AbortSignal): Promise<void> {
    await this.#writer.writeFrames(frames, { signal })
  }
}

function status (s: ChunkResponse.Status, index: number): ChunkResponse {
  return { status: s, index, offset: 0, length: 0, last: true }
}
