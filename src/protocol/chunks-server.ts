/**
 * Serving side of /shoal/chunks/1.0.0. One stream carries one file for one
 * peer: the peer opens it with ChunksOpen, then pipelines GET and CANCEL
 * requests; we answer them in order, one chunk at a time, cut into blocks.
 * Each chunk sent holds a slot of the UploadLimiter, so uploads are bounded
 * per peer and in total. A chunk just sent to another peer may be answered
 * BUSY (UploadSpread), to be fetched from that peer instead. A malformed or oversized frame resets this stream
 * only.
 */
import { ChunkRequest, ChunkResponse, ChunksOpen } from './pb/shoal.js'
import { BLOCK_SIZE_BYTES, INBOUND_REQUEST_TIMEOUT_MS, MAX_CONTROL_FRAME_BYTES, MAX_QUEUED_REQUESTS_PER_STREAM } from './constants.js'
import { fileIdFromBytes } from './file-id.js'
import { FrameReader, asProtocolError, sendFrames } from './framing.js'
import { ShoalError, hasCode } from '../errors.js'
import type { FileProvider } from './served-file.js'
import type { UploadLimiter } from '../transfer/upload-limiter.js'
import type { UploadSpread } from '../transfer/upload-spread.js'
import type { Connection, Stream } from '@libp2p/interface'

/** Observes uploads, for statistics. */
export interface UploadObserver {
  onUploaded: (peer: string, fileId: string, bytes: number) => void
}

/** What every upload session of a node shares. */
export interface UploadServices {
  limiter: UploadLimiter
  /** Defers chunks just sent to another peer (initial seeding); absent, every request is served. */
  spread?: UploadSpread
  observer?: UploadObserver
}

/** Serves one inbound chunks stream until either side ends it. */
export async function handleChunksStream (stream: Stream, connection: Connection, provider: FileProvider, services: UploadServices): Promise<void> {
  await new ChunkUploadSession(stream, connection.remotePeer.toString(), provider, services).run()
}

class ChunkUploadSession {
  readonly #stream: Stream
  readonly #peer: string
  readonly #provider: FileProvider
  readonly #limiter: UploadLimiter
  readonly #spread: UploadSpread | undefined
  readonly #observer: UploadObserver | undefined
  readonly #reader: FrameReader
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

  constructor (stream: Stream, peer: string, provider: FileProvider, services: UploadServices) {
    this.#stream = stream
    this.#peer = peer
    this.#provider = provider
    this.#limiter = services.limiter
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
        this.#send([ChunkResponse.encode(status(ChunkResponse.Status.CANCELLED, req.index))]).catch(() => {})
      } else if (this.#current === req.index) {
        this.#cancelCurrent = true
      }
      return
    }
    if (this.#queued.has(req.index) || this.#current === req.index) return
    if (this.#queued.size >= MAX_QUEUED_REQUESTS_PER_STREAM) {
      throw new ShoalError('ERR_PROTOCOL', `more than ${MAX_QUEUED_REQUESTS_PER_STREAM} requests queued`)
    }
    this.#queued.set(req.index, req.urgent)
    this.#queue.push(req.index)
    this.#poke()
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
        const release = await this.#limiter.acquire(this.#peer, signal)
        try {
          await this.#serve(index, urgent, signal)
        } finally {
          release()
        }
      }
      this.#reader.stop()
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
    this.#spread?.started(file.id, index, this.#peer)
    this.#current = index
    this.#cancelCurrent = false
    try {
      let data: Uint8Array
      try {
        data = await file.readChunk(index)
      } catch (err) {
        // NOT_FOUND tells the peer not to ask again until we announce the
        // chunk anew; anything else (an I/O error, a download being swapped
        // for its finished copy) may pass, so the peer retries after a back-off.
        const gone = hasCode(err, 'ERR_CHUNK_NOT_AVAILABLE') || hasCode(err, 'ERR_FILE_CHANGED')
        await this.#send([ChunkResponse.encode(status(gone ? ChunkResponse.Status.NOT_FOUND : ChunkResponse.Status.ERROR, index))], signal)
        return
      }
      for (let offset = 0; offset < data.byteLength; offset += BLOCK_SIZE_BYTES) {
        if (this.#cancelCurrent) {
          await this.#send([ChunkResponse.encode(status(ChunkResponse.Status.CANCELLED, index))], signal)
          return
        }
        const block = data.subarray(offset, Math.min(offset + BLOCK_SIZE_BYTES, data.byteLength))
        const last = offset + block.byteLength === data.byteLength
        const header = ChunkResponse.encode({ status: ChunkResponse.Status.DATA, index, offset, length: block.byteLength, last })
        await this.#limiter.throttle(this.#peer, block.byteLength, signal)
        await this.#send([header, block], signal)
        this.#observer?.onUploaded(this.#peer, file.id, block.byteLength)
      }
    } finally {
      this.#current = -1
    }
  }

  async #send (frames: Uint8Array[], signal?: AbortSignal): Promise<void> {
    if (this.#stream.status !== 'open' || this.#stream.writeStatus !== 'writable') return
    await sendFrames(this.#stream, frames, { signal })
  }
}

function status (s: ChunkResponse.Status, index: number): ChunkResponse {
  return { status: s, index, offset: 0, length: 0, last: true }
}
