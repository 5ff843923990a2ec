/**
 * The inbound side of the store protocol (frames in store-wire.ts). One
 * `InboundStore` per stream reads the offer and its record chain, answers,
 * then takes chunks: each is checked and kept by the HolderStore, and when
 * the pusher asked, passed on to the next holders (forwarder.ts), whose acks
 * travel back up this stream. Every phase has its frame cap; a bad frame, a
 * window overrun or a silent pusher resets this stream only. Replies go
 * through a BoundedWriter charged to the peer's budget.
 */
import { chunkRange } from '../content/chunk-size.js'
import { equalBytes } from '../content/hash.js'
import { manifestChunkCount, verifyManifestBytes } from '../content/manifest.js'
import { ShoalError } from '../errors.js'
import { BoundedWriter } from '../protocol/bounded-writer.js'
import { pauseStream } from '../protocol/pause-stream.js'
import { fileIdFromBytes } from '../protocol/file-id.js'
import { asProtocolError, FrameReader } from '../protocol/framing.js'
import { closeStream } from '../protocol/close-stream.js'
import { logger } from '../util/log.js'
import { preferRecord, rootChain, verifyChain } from './record-chain.js'
import { Forwarder } from './forwarder.js'
import {
  encodeAck, MAX_STORE_CHAIN_RECORDS, MAX_STORE_CONTROL_FRAME_BYTES, MAX_STORE_DATA_FRAME_BYTES, MAX_STORE_OFFER_FRAME_BYTES,
  MAX_STORE_RECORD_FRAME_BYTES, STORE_STEP_TIMEOUT_MS, storeWindow, StoreChunk, StoreOffer, StoreRefusal, StoreReply, type ChunkAck
} from './store-wire.js'
import type { HolderStore, OfferedFile } from './holder-store.js'
import type { HeldFile } from './holder-registry.js'
import type { PeerBudget, PeerBudgets } from '../protocol/peer-budget.js'
import type { Connection, Libp2p, Stream } from '@libp2p/interface'
import type { Uint8ArrayList } from 'uint8arraylist'

const log = logger('store-server')

/** What an inbound store stream needs. */
export interface StoreServerInit {
  libp2p: Libp2p
  holder: HolderStore
  budgets: PeerBudgets
  /** Abort a reply that makes no progress for this long (the pusher stopped reading). */
  writeTimeoutMs: number
  /** Wait for the next frame at most this long (tests shorten it). */
  stepTimeoutMs?: number
  /** Forwarding stall timeout (tests shorten it). */
  stallTimeoutMs?: number
  /**
   * Bytes of chunks held in memory per pushing peer, over all its store
   * streams (received, not yet kept and passed on); shared by every stream of
   * the handler. A header that does not fit pauses its stream — no yamux
   * window is granted, so the pusher waits — until earlier chunks are kept
   * and passed on.
   */
  inboundBudgets: PeerBudgets
  /**
   * Files this node has a record of without holding pushed chunks (the
   * uploader's own distributions): an UPDATE for one is verified like any
   * and handed to `update`, so the uploader's map follows repairs.
   */
  otherRecords?: {
    manifestBytes: (fileId: string) => Uint8Array | undefined
    update: (file: OfferedFile) => void
  }
  /**
   * Whether to adopt `file`'s newer record for a file held here (a repair
   * signed by another holder, carried by an UPDATE or a repair push). False
   * defers it: the held record stays and the offer is refused; the judge
   * keeps the update to apply once this node's own watch agrees that the
   * peers it replaces are gone. Without a judge every valid newer record is adopted.
   */
  judgeRecord?: (held: HeldFile, file: OfferedFile) => Promise<boolean>
}

/** `waiting`: a chunk header arrived and its bytes wait for room in the peer's inbound budget (the stream is paused). */
type Phase = 'offer' | 'records' | 'checking' | 'header' | 'waiting' | 'data' | 'closing'

/** A chunk whose bytes are arriving. */
interface PartialChunk {
  header: StoreChunk
  data: Uint8Array
  filled: number
}

/** Handles one inbound store stream to its end. */
export async function handleStoreStream (stream: Stream, conn: Connection, init: StoreServerInit): Promise<void> {
  const peer = conn.remotePeer.toString()
  const lease = init.budgets.lease(peer)
  const inboundLease = init.inboundBudgets.lease(peer)
  const inbound = new InboundStore(stream, peer, init, lease.budget, inboundLease.budget)
  stream.addEventListener('close', (evt) => {
    if (evt.error != null) log('store stream from %s ended: %s', peer, evt.error)
    inbound.dispose()
    lease.done()
    inboundLease.done()
  }, { once: true })
}

class InboundStore {
  readonly #stream: Stream
  readonly #peer: string
  readonly #init: StoreServerInit
  readonly #writer: BoundedWriter
  readonly #reader: FrameReader
  #phase: Phase = 'offer'
  #offer: StoreOffer | undefined
  readonly #records: Uint8Array[] = []
  #chainBytes = 0
  #file: OfferedFile | undefined
  #window = 0
  #chunk: PartialChunk | undefined
  /** index → holders (this node and those forwarded to) whose ack is still due. */
  readonly #inFlight = new Map<number, Set<string>>()
  #forwarder: Forwarder | undefined
  #remoteDone = false
  #timer: NodeJS.Timeout | undefined
  #sending: Promise<void> = Promise.resolve()
  readonly #inbound: PeerBudget
  /** index → inbound budget bytes it holds until kept and passed on. */
  readonly #held = new Map<number, number>()
  /** Frames that arrived while `waiting`, replayed once the chunk has room. */
  #queued: Uint8ArrayList[] = []
  readonly #closed = new AbortController()
  #finishing = false
  /** Ends this stream's count in `HolderStore.isBeingPushed`. */
  #pushEnded: () => void = () => {}

  constructor (stream: Stream, peer: string, init: StoreServerInit, budget: PeerBudget, inbound: PeerBudget) {
    this.#stream = stream
    this.#inbound = inbound
    this.#peer = peer
    this.#init = init
    this.#writer = new BoundedWriter(stream, { budget, maxStreamBufferedBytes: 256 * 1024, inactivityTimeoutMs: init.writeTimeoutMs })
    this.#reader = new FrameReader(stream, MAX_STORE_OFFER_FRAME_BYTES, (frame) => { this.#onFrame(frame) })
    stream.addEventListener('remoteCloseWrite', () => {
      this.#remoteDone = true
      // Closing in the middle of an offer or a chunk leaves nothing to answer
      // (unless the rest is still unread in a paused stream's buffer).
      const midway = this.#phase === 'offer' || this.#phase === 'records' || this.#phase === 'data'
      if (midway && this.#stream.readBufferLength === 0) this.#fail(new ShoalError('ERR_PROTOCOL', `the pusher stopped sending in the middle of its ${this.#phase}`))
      else this.#maybeClose()
    }, { once: true })
    this.#arm()
  }

  dispose (): void {
    this.#closed.abort()
    this.#pushEnded()
    for (const bytes of this.#held.values()) this.#inbound.release(bytes)
    this.#held.clear()
    this.#reader.stop()
    this.#writer.dispose()
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    this.#forwarder?.abort(new ShoalError('ERR_ABORTED', 'the upstream store stream closed'))
  }

  #fail (err: unknown): void {
    log('store stream from %s reset: %s', this.#peer, err)
    this.#reader.stop()
    this.#stream.abort(asProtocolError(err))
  }

  /** Resets the step timer: a pusher that leaves us waiting for a frame too long is cut off. */
  #arm (): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    this.#timer = setTimeout(() => {
      const waitingForPusher = this.#phase === 'offer' || this.#phase === 'records' || this.#phase === 'data' ||
        (this.#phase === 'header' && this.#inFlight.size === 0 && !this.#remoteDone)
      if (waitingForPusher) this.#fail(new ShoalError('ERR_TIMEOUT', `no store frame from ${this.#peer} for ${this.#stepMs} ms`))
      else this.#arm()
    }, this.#stepMs)
    this.#timer.unref()
  }

  get #stepMs (): number { return this.#init.stepTimeoutMs ?? STORE_STEP_TIMEOUT_MS }

  #onFrame (frame: Uint8ArrayList): void {
    this.#arm()
    if (this.#phase === 'waiting') {
      // Still in the message being decoded when the stream paused: at most one muxer frame.
      this.#queued.push(frame)
      return
    }
    try {
      switch (this.#phase) {
        case 'offer': return this.#onOffer(frame)
        case 'records': return this.#onRecord(frame)
        case 'header': return this.#onHeader(frame)
        case 'data': return this.#onData(frame)
        default: throw new ShoalError('ERR_PROTOCOL', `unexpected store frame while ${this.#phase}`)
      }
    } catch (err) {
      this.#fail(err)
    }
  }

  #onOffer (frame: Uint8ArrayList): void {
    const offer = StoreOffer.decode(frame)
    if (offer.records > MAX_STORE_CHAIN_RECORDS) throw new ShoalError('ERR_PROTOCOL', `a chain of ${offer.records} records is longer than ${MAX_STORE_CHAIN_RECORDS}`)
    this.#offer = offer
    this.#reader.setMaxFrameBytes(MAX_STORE_RECORD_FRAME_BYTES)
    this.#phase = 'records'
    if (offer.records === 0) this.#check()
  }

  #onRecord (frame: Uint8ArrayList): void {
    this.#records.push(frame.subarray())
    this.#chainBytes += frame.byteLength
    // The whole chain shares one record's cap.
    this.#reader.setMaxFrameBytes(MAX_STORE_RECORD_FRAME_BYTES - this.#chainBytes)
    if (this.#records.length === this.#offer?.records) this.#check()
  }

  #check (): void {
    this.#phase = 'checking'
    this.#reader.setMaxFrameBytes(MAX_STORE_CONTROL_FRAME_BYTES)
    this.#answer().catch((err) => { this.#fail(err) })
  }

  async #answer (): Promise<void> {
    const offer = this.#offer as StoreOffer
    const fileId = fileIdFromBytes(offer.fileId)
    const holder = this.#init.holder
    const held = holder.registry.get(fileId)
    if (offer.kind === StoreOffer.Kind.QUERY) {
      await this.#reply({ status: StoreReply.Status.ACCEPT, ...this.#capacity(this.#peer), have: haveBytes(held), version: BigInt(held?.record.record.version ?? 0) })
      return this.#closeWhenDone()
    }
    let file: OfferedFile
    try {
      const manifestBytes = offer.kind === StoreOffer.Kind.PUSH ? offer.manifest : held?.manifestBytes ?? this.#init.otherRecords?.manifestBytes(fileId)
      if (manifestBytes == null) return await this.#refuse(StoreRefusal.INVALID, 'no such held file')
      const manifest = verifyManifestBytes(fileId, manifestBytes)
      const record = await verifyChain(this.#records, { fileId })
      if (record.record.holders.length !== manifestChunkCount(manifest)) throw new ShoalError('ERR_INVALID_RECORD', 'the record and the manifest disagree on the chunk count')
      // Kept from the last uploader-signed version on (rootChain): the chain stays short.
      file = { fileId, manifest, manifestBytes, chain: rootChain(this.#records), record }
    } catch (err) {
      return await this.#refuse(StoreRefusal.INVALID, (err as Error).message)
    }
    if (held != null) {
      if (held.record.record.uploader !== file.record.record.uploader) return await this.#refuse(StoreRefusal.INVALID, 'the file is held under another uploader')
      if (preferRecord(held.record, file.record) === file.record && !equalBytes(held.record.bytes, file.record.bytes)) {
        if (this.#init.judgeRecord != null && !await this.#init.judgeRecord(held, file)) {
          return await this.#refuse(StoreRefusal.NOT_ACCEPTING, `version ${file.record.record.version} deferred: it replaces a holder this node still sees alive`)
        }
        holder.registry.setChain(fileId, file.chain, file.record)
      }
    }
    if (offer.kind === StoreOffer.Kind.UPDATE) {
      if (held == null && this.#init.otherRecords != null) {
        this.#init.otherRecords.update(file)
        await this.#reply({ status: StoreReply.Status.ACCEPT })
        return this.#closeWhenDone()
      }
      if (held == null) return await this.#refuse(StoreRefusal.INVALID, 'no such held file')
      await this.#reply({ status: StoreReply.Status.ACCEPT, version: BigInt(holder.registry.get(fileId)?.record.record.version ?? 0) })
      return this.#closeWhenDone()
    }
    const verdict = holder.judgeOffer(file)
    if (verdict.refusal !== StoreRefusal.NONE) return await this.#refuse(verdict.refusal, verdict.message)
    this.#file = file
    this.#pushEnded = holder.pushing(fileId)
    this.#window = storeWindow(file.manifest.chunkSize)
    this.#forwarder = new Forwarder(this.#init.libp2p, file, {
      onAck: (ack) => { this.#settle(ack) },
      read: async (index) => await holder.read(file, index),
      stallTimeoutMs: this.#init.stallTimeoutMs
    })
    // Chunks may follow the reply at once.
    this.#phase = 'header'
    await this.#reply({ status: StoreReply.Status.ACCEPT, ...this.#capacity(file.record.record.uploader), have: haveBytes(held) })
    this.#maybeClose()
  }

  #capacity (uploader: string): Pick<StoreReply, 'accepting' | 'freeBytes' | 'uploaderFreeBytes'> {
    const c = this.#init.holder.capacity(uploader)
    return { accepting: c.accepting, freeBytes: BigInt(c.freeBytes), uploaderFreeBytes: BigInt(c.uploaderFreeBytes) }
  }

  async #refuse (refusal: StoreRefusal, message: string): Promise<void> {
    log('refused a store offer from %s: %s %s', this.#peer, refusal, message)
    await this.#reply({ status: StoreReply.Status.REFUSE, refusal, message: message.slice(0, 512) })
    this.#closeWhenDone()
  }

  async #reply (reply: Partial<StoreReply>): Promise<void> {
    await this.#send(StoreReply.encode(reply))
  }

  async #send (frame: Uint8Array): Promise<void> {
    const next = this.#sending.then(async () => { await this.#writer.writeFrames([frame]) })
    this.#sending = next.catch((err) => { this.#fail(err) })
    await next
  }

  #closeWhenDone (): void {
    this.#phase = 'closing'
    this.#maybeClose()
  }

  #onHeader (frame: Uint8ArrayList): void {
    const header = StoreChunk.decode(frame)
    const file = this.#file as OfferedFile
    const count = file.record.record.holders.length
    if (header.index >= count) throw new ShoalError('ERR_PROTOCOL', `chunk ${header.index} of a ${count}-chunk file`)
    if (this.#inFlight.has(header.index)) throw new ShoalError('ERR_PROTOCOL', `chunk ${header.index} is already in flight`)
    if (this.#inFlight.size >= this.#window) throw new ShoalError('ERR_PROTOCOL', `more than ${this.#window} chunks in flight`)
    const { length } = chunkRange(file.manifest.size, file.manifest.chunkSize, header.index)
    if (header.length !== length) throw new ShoalError('ERR_PROTOCOL', `chunk ${header.index} is ${length} bytes, not ${header.length}`)
    const holders = file.record.record.holders[header.index] as readonly string[]
    const forward = new Set(header.forward)
    if (forward.size !== header.forward.length || forward.has(this.#init.holder.self) || header.forward.some((p) => !holders.includes(p))) {
      throw new ShoalError('ERR_PROTOCOL', `chunk ${header.index} is to be forwarded to peers that are not its other holders`)
    }
    this.#inFlight.set(header.index, new Set([this.#init.holder.self, ...header.forward]))
    // The chunk's data frames may already be in the decoder while we wait for room.
    this.#reader.setMaxFrameBytes(Math.min(MAX_STORE_DATA_FRAME_BYTES, length))
    if (this.#inbound.tryAcquire(length)) return this.#startData(header, length)
    this.#phase = 'waiting'
    pauseStream(this.#stream, () => this.#phase === 'waiting')
    this.#inbound.acquire(length, this.#closed.signal).then(() => {
      this.#startData(header, length)
      // Frames already decoded come before anything the resumed stream delivers;
      // one of them may be a header that has to wait in turn (then stay paused).
      for (const queued of this.#queued.splice(0)) this.#onFrame(queued)
      if (this.#phase !== 'waiting' && this.#stream.status === 'open') this.#stream.resume()
    }, (err) => { log('store stream from %s closed while waiting for memory: %s', this.#peer, err) })
  }

  #startData (header: StoreChunk, length: number): void {
    this.#held.set(header.index, length)
    this.#chunk = { header, data: new Uint8Array(length), filled: 0 }
    this.#phase = 'data'
    this.#reader.setMaxFrameBytes(Math.min(MAX_STORE_DATA_FRAME_BYTES, length))
  }

  #onData (frame: Uint8ArrayList): void {
    const chunk = this.#chunk as PartialChunk
    if (frame.byteLength === 0) throw new ShoalError('ERR_PROTOCOL', 'an empty data frame')
    chunk.data.set(frame.subarray(), chunk.filled)
    chunk.filled += frame.byteLength
    const left = chunk.data.byteLength - chunk.filled
    if (left > 0) {
      this.#reader.setMaxFrameBytes(Math.min(MAX_STORE_DATA_FRAME_BYTES, left))
      return
    }
    this.#chunk = undefined
    this.#phase = 'header'
    this.#reader.setMaxFrameBytes(MAX_STORE_CONTROL_FRAME_BYTES)
    this.#process(chunk.header, chunk.data).catch((err) => { this.#fail(err) })
  }

  async #process (header: StoreChunk, data: Uint8Array): Promise<void> {
    const file = this.#file as OfferedFile
    const self = this.#init.holder.self
    const verdict = await this.#init.holder.store(file, header.index, data)
    // Forward only bytes that match the manifest: a corrupt chunk stops here.
    if (verdict.refusal === StoreRefusal.CORRUPT) {
      for (const peer of header.forward) this.#settle({ index: header.index, holder: peer, refusal: StoreRefusal.SKIPPED, message: `${self} received it corrupt` })
    } else if (header.forward.length > 0) {
      // Kept: read back from disk when the next holder has room; refused here: passed on from memory.
      (this.#forwarder as Forwarder).forward(header.index, header.forward, verdict.refusal === StoreRefusal.NONE ? undefined : data)
    }
    // Kept (or refused): the memory is free again, whatever the holders further
    // down still have to say (forwarder.ts: nothing here waits on them).
    this.#release(header.index)
    this.#settle({ index: header.index, holder: self, ...verdict })
  }

  #release (index: number): void {
    this.#inbound.release(this.#held.get(index) ?? 0)
    this.#held.delete(index)
  }

  /** Sends one (chunk, holder) result upstream, and ends the chunk once all are in. */
  #settle (ack: ChunkAck): void {
    const due = this.#inFlight.get(ack.index)
    if (due?.delete(ack.holder) !== true) return
    if (due.size === 0) this.#inFlight.delete(ack.index)
    this.#send(encodeAck(ack)).then(() => { this.#maybeClose() }, (err) => { log('ack to %s not sent: %s', this.#peer, err) })
  }

  /** Closes once the pusher has finished sending and every chunk is settled. */
  #maybeClose (): void {
    if (this.#phase === 'header' && this.#remoteDone && this.#inFlight.size === 0) this.#phase = 'closing'
    if (this.#phase === 'closing') void this.#finish()
  }

  /** Waits for the downstream acks and our own replies to go out, then closes; once. */
  async #finish (): Promise<void> {
    if (this.#finishing || (this.#file != null && this.#inFlight.size > 0)) return
    this.#finishing = true
    await this.#forwarder?.finish()
    await this.#sending
    await closeStream(this.#stream)
  }
}

function haveBytes (held: HeldFile | undefined): Uint8Array<ArrayBuffer> {
  return (held?.have.toBytes() ?? new Uint8Array(0)) as Uint8Array<ArrayBuffer>
}
