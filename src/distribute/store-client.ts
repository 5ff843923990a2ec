/**
 * The outbound side of the store protocol (frames in store-wire.ts): a push
 * session to one receiver, used by the pusher and by a holder forwarding a
 * chunk down the pipeline, and the one-shot QUERY and UPDATE exchanges.
 *
 * A session keeps at most `storeWindow(chunkSize)` chunks in flight: a chunk
 * leaves the window once every holder it was sent to (the receiver and those
 * it forwards to) has acknowledged it. When no ack arrives for
 * STORE_STALL_TIMEOUT_MS while chunks are in flight, or the stream dies, the
 * session ends and every missing ack is made up locally: UNREACHED for the
 * receiver, SKIPPED for the holders behind it — so the caller always learns
 * the fate of every (chunk, holder) it asked for, exactly once.
 */
import { peerIdFromString } from '@libp2p/peer-id'
import { Bitfield } from '../content/bitfield.js'
import { ShoalError } from '../errors.js'
import { STORE_PROTOCOL } from '../protocol/constants.js'
import { fileIdToBytes } from '../protocol/file-id.js'
import { FrameReader, sendFrames } from '../protocol/framing.js'
import { closeStream } from '../protocol/close-stream.js'
import { anySignal } from '../protocol/manifest.js'
import { logger } from '../util/log.js'
import {
  chunkFrames, decodeAck, MAX_STORE_CONTROL_FRAME_BYTES, MAX_STORE_REPLY_FRAME_BYTES, STORE_REQUEST_TIMEOUT_MS, STORE_STALL_TIMEOUT_MS,
  storeWindow, StoreOffer, StoreRefusal, StoreReply, type ChunkAck
} from './store-wire.js'
import type { Libp2p, Stream } from '@libp2p/interface'
import type { Uint8ArrayList } from 'uint8arraylist'

const log = logger('store-client')

/** What a receiver says about itself and a file (its StoreReply). */
export interface StoreAnswer {
  accepted: boolean
  refusal: StoreRefusal
  message: string
  accepting: boolean
  freeBytes: number
  uploaderFreeBytes: number
  /** Chunk indices of the file held there (empty bitfield when none). */
  have: Bitfield
  /** Version of the file's record held there (0: none). */
  version: number
}

/** An offer: the file and the record chain the receiver is asked to act under. */
export interface StoreOfferInit {
  fileId: string
  chunkCount: number
  chunkSize: number
  manifestBytes?: Uint8Array
  chain: readonly Uint8Array[]
}

/** Asks `peer` its capacity (for us as uploader) and which chunks of `fileId` it holds. */
export async function queryStore (libp2p: Libp2p, peer: string, file: { fileId: string, chunkCount: number }, options: { signal?: AbortSignal } = {}): Promise<StoreAnswer> {
  const { answer, stream } = await openExchange(libp2p, peer, StoreOffer.Kind.QUERY, { ...file, chunkSize: 1, chain: [] }, options.signal)
  await closeStream(stream)
  return answer
}

/** Sends a newer record chain for a file `peer` holds; resolves with its answer (refused: `accepted` false). */
export async function sendRecordUpdate (libp2p: Libp2p, peer: string, offer: StoreOfferInit, options: { signal?: AbortSignal } = {}): Promise<StoreAnswer> {
  const { answer, stream } = await openExchange(libp2p, peer, StoreOffer.Kind.UPDATE, offer, options.signal)
  await closeStream(stream)
  return answer
}

/** An answered exchange; frames after the reply go to `exchange.onFrame` once set (earlier ones wait in `frames`). */
interface Exchange {
  answer: StoreAnswer
  stream: Stream
  reader: FrameReader
  frames: Uint8ArrayList[]
  onFrame?: (frame: Uint8ArrayList) => void
}

async function openExchange (libp2p: Libp2p, peer: string, kind: StoreOffer.Kind, offer: StoreOfferInit, signal?: AbortSignal): Promise<Exchange> {
  const timeout = anySignal(signal, STORE_REQUEST_TIMEOUT_MS)
  const stream = await libp2p.dialProtocol(peerIdFromString(peer), STORE_PROTOCOL, { signal: timeout })
  const frames: Uint8ArrayList[] = []
  let wake: (() => void) | undefined
  const exchange: Partial<Exchange> = { frames }
  const reader = new FrameReader(stream, MAX_STORE_REPLY_FRAME_BYTES, (frame) => {
    if (exchange.onFrame != null) exchange.onFrame(frame)
    else frames.push(frame)
    wake?.()
  })
  const onClose = (): void => { wake?.() }
  stream.addEventListener('close', onClose)
  try {
    const head = StoreOffer.encode({ kind, fileId: fileIdToBytes(offer.fileId) as Uint8Array<ArrayBuffer>, manifest: (offer.manifestBytes ?? new Uint8Array(0)) as Uint8Array<ArrayBuffer>, records: offer.chain.length })
    await sendFrames(stream, [head, ...offer.chain], { signal: timeout })
    while (frames.length === 0) {
      timeout.throwIfAborted()
      if (stream.status !== 'open') throw new ShoalError('ERR_PEER_UNREACHABLE', `${peer} closed the store stream without answering`, { peer })
      await new Promise<void>((resolve) => {
        wake = resolve
        timeout.addEventListener('abort', () => { resolve() }, { once: true })
      })
    }
    reader.setMaxFrameBytes(MAX_STORE_CONTROL_FRAME_BYTES)
    const reply = StoreReply.decode(frames.shift() as Uint8ArrayList)
    return Object.assign(exchange, { answer: toAnswer(reply, offer.chunkCount), stream, reader, frames })
  } catch (err) {
    reader.stop()
    stream.abort(err instanceof Error ? err : new Error(String(err)))
    if (err instanceof ShoalError) throw err
    throw new ShoalError(timeout.aborted ? 'ERR_TIMEOUT' : 'ERR_PEER_UNREACHABLE', `store exchange with ${peer} failed: ${(err as Error).message}`, { peer }, { cause: err })
  } finally {
    stream.removeEventListener('close', onClose)
    wake = undefined
  }
}

function toAnswer (reply: StoreReply, chunkCount: number): StoreAnswer {
  let have = new Bitfield(chunkCount)
  if (reply.have.byteLength > 0) have = new Bitfield(chunkCount, reply.have)
  return {
    accepted: reply.status === StoreReply.Status.ACCEPT,
    refusal: reply.refusal,
    message: reply.message,
    accepting: reply.accepting,
    freeBytes: Number(reply.freeBytes),
    uploaderFreeBytes: Number(reply.uploaderFreeBytes),
    have,
    version: Number(reply.version)
  }
}

/** Settings of a push session. */
export interface StoreSessionInit {
  /** Hears every (chunk, holder) result, exactly once each. */
  onAck: (ack: ChunkAck) => void
  signal?: AbortSignal
  /** Stall timeout override (tests). */
  stallTimeoutMs?: number
}

/** One PUSH stream to one receiver. */
export class StoreSession {
  /** The receiver. */
  readonly peer: string
  readonly answer: StoreAnswer
  readonly #stream: Stream
  readonly #reader: FrameReader
  readonly #window: number
  readonly #onAck: (ack: ChunkAck) => void
  readonly #stallMs: number
  /** index → holders whose ack is still due. */
  readonly #outstanding = new Map<number, Set<string>>()
  /** index → how many holders the receiver passes it on to (its pipeline depth). */
  readonly #depth = new Map<number, number>()
  #wakers: Array<() => void> = []
  #stall: NodeJS.Timeout | undefined
  #bytesSent = 0
  #ended = false

  private constructor (peer: string, answer: StoreAnswer, stream: Stream, reader: FrameReader, chunkSize: number, init: StoreSessionInit) {
    this.peer = peer
    this.answer = answer
    this.#stream = stream
    this.#reader = reader
    this.#window = storeWindow(chunkSize)
    this.#onAck = init.onAck
    this.#stallMs = init.stallTimeoutMs ?? STORE_STALL_TIMEOUT_MS
    stream.addEventListener('close', () => { this.#end() }, { once: true })
  }

  /**
   * Opens a PUSH stream and waits for the receiver's answer. A refusal is
   * thrown as ERR_UNAUTHORIZED (details: peer, refusal, message).
   */
  static async open (libp2p: Libp2p, peer: string, offer: StoreOfferInit, init: StoreSessionInit): Promise<StoreSession> {
    const exchange = await openExchange(libp2p, peer, StoreOffer.Kind.PUSH, offer, init.signal)
    const { answer, stream, reader, frames } = exchange
    if (!answer.accepted) {
      reader.stop()
      await closeStream(stream)
      throw new ShoalError('ERR_UNAUTHORIZED', `${peer} refused the push: ${answer.refusal} ${answer.message}`, { peer, refusal: answer.refusal, message: answer.message })
    }
    const session = new StoreSession(peer, answer, stream, reader, offer.chunkSize, init)
    // Acks go to the session from now on (any that came with the reply first).
    exchange.onFrame = (frame) => { session.#ack(frame) }
    for (const frame of frames.splice(0)) session.#ack(frame)
    return session
  }

  /** Bytes of chunk data handed to the stream. */
  get bytesSent (): number { return this.#bytesSent }

  /** True once the stream is gone (every missing ack has been made up). */
  get ended (): boolean { return this.#ended }

  /**
   * Sends chunk `index` for the receiver to store and pass on to `forward`
   * (in order). Waits while the window is full. On a dead session the
   * chunk's acks are made up at once (UNREACHED, SKIPPED).
   */
  async push (index: number, data: Uint8Array, forward: readonly string[], signal?: AbortSignal): Promise<void> {
    while (!this.#ended && this.#outstanding.size >= this.#window) await this.#waitForChange(signal)
    const holders = new Set([this.peer, ...forward])
    if (this.#ended || this.#outstanding.has(index)) {
      for (const holder of holders) this.#makeUp(index, holder)
      return
    }
    this.#outstanding.set(index, holders)
    this.#depth.set(index, forward.length)
    this.#armStall()
    try {
      await sendFrames(this.#stream, chunkFrames(index, data, forward), { signal })
      this.#bytesSent += data.byteLength
    } catch (err) {
      log('push of chunk %d to %s failed: %s', index, this.peer, err)
      this.abort(err instanceof Error ? err : new Error(String(err)))
    }
  }

  /** Waits for every ack due (made up if the stream dies), then closes the stream. */
  async finish (signal?: AbortSignal): Promise<void> {
    while (!this.#ended && this.#outstanding.size > 0) await this.#waitForChange(signal)
    this.#clearStall()
    this.#reader.stop()
    await closeStream(this.#stream, { signal })
    this.#end()
  }

  /** Ends the session at once; missing acks are made up. */
  abort (err: Error): void {
    this.#stream.abort(err)
    this.#end()
  }

  #ack (frame: Uint8ArrayList): void {
    let ack: ChunkAck
    try {
      ack = decodeAck(frame)
    } catch (err) {
      this.abort(new ShoalError('ERR_PROTOCOL', `malformed store ack from ${this.peer}`, {}, { cause: err }))
      return
    }
    const due = this.#outstanding.get(ack.index)
    if (due?.delete(ack.holder) !== true) {
      this.abort(new ShoalError('ERR_PROTOCOL', `${this.peer} acked chunk ${ack.index} for ${ack.holder}, which was not asked`))
      return
    }
    if (due.size === 0) {
      this.#outstanding.delete(ack.index)
      this.#depth.delete(ack.index)
    }
    this.#deliver(ack)
    this.#armStall()
    this.#wake()
  }

  #makeUp (index: number, holder: string): void {
    const refusal = holder === this.peer ? StoreRefusal.UNREACHED : StoreRefusal.SKIPPED
    this.#deliver({ index, holder, refusal, message: holder === this.peer ? 'the store stream ended' : `not reached: ${this.peer} ended` })
  }

  #deliver (ack: ChunkAck): void {
    try {
      this.#onAck(ack)
    } catch (err) {
      log.error('an ack listener threw: %s', err)
    }
  }

  #end (): void {
    if (this.#ended) return
    this.#ended = true
    this.#clearStall()
    this.#reader.stop()
    for (const [index, holders] of this.#outstanding) for (const holder of holders) this.#makeUp(index, holder)
    this.#outstanding.clear()
    this.#depth.clear()
    this.#wake()
  }

  /**
   * (Re)starts the stall timer. A chunk passed on d more times may wait for d
   * downstream stall timeouts before its acks come back (each hop gives up
   * on the next and says so), so the wait scales with the deepest pipeline
   * in flight: a slow holder far down is blamed, not the one we talk to.
   */
  #armStall (): void {
    this.#clearStall()
    if (this.#outstanding.size === 0) return
    const ms = this.#stallMs * (1 + Math.max(0, ...this.#depth.values()))
    this.#stall = setTimeout(() => {
      this.abort(new ShoalError('ERR_TIMEOUT', `${this.peer} acknowledged nothing for ${ms} ms`, { peer: this.peer }))
    }, ms)
    this.#stall.unref()
  }

  #clearStall (): void {
    if (this.#stall !== undefined) clearTimeout(this.#stall)
    this.#stall = undefined
  }

  #wake (): void {
    const wakers = this.#wakers
    this.#wakers = []
    for (const wake of wakers) wake()
  }

  async #waitForChange (signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted()
    await new Promise<void>((resolve) => {
      const done = (): void => { signal?.removeEventListener('abort', done); resolve() }
      this.#wakers.push(done)
      signal?.addEventListener('abort', done, { once: true })
    })
    signal?.throwIfAborted()
  }
}
