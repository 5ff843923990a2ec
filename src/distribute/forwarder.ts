/**
 * Pipelined replication, the holder's half (HDFS-like): a chunk received with
 * a `forward` list is passed to the first peer of that list, on this node's
 * own push stream to it (opened once per peer and reused, under the same
 * offer), with the rest of the list for that peer to pass on. The acks that
 * come back are handed to `onAck`, which sends them upstream. A peer that
 * cannot be reached or refuses the offer gets that refusal (UNREACHED when it
 * did not answer) for every chunk, and the peers behind it SKIPPED.
 *
 * Never waited on by the inbound stream: `forward` queues the chunk and
 * returns, and each downstream peer's queue is sent as its window allows.
 * A chunk this node kept is queued by index and read back from its chunk
 * store when its turn comes, so waiting costs no memory; one it did not keep
 * (refused: quota, not accepting) waits in memory. Were the inbound stream to
 * wait for room downstream, pipelines crossing the same peers in a ring
 * (A passes to B while B passes to A) could each hold the memory and window
 * the other waits for, for ever. What waits here is bounded all the same:
 * a chunk stays in the upstream pusher's window until every downstream ack
 * is back, and the inbound stream refuses more than a window in flight.
 * A downstream hop silent for the stall timeout is given up (StoreSession).
 */
import { setMaxListeners } from 'node:events'
import { ShoalError } from '../errors.js'
import { logger } from '../util/log.js'
import { StoreSession, type StoreOfferInit } from './store-client.js'
import { manifestChunkCount } from '../content/manifest.js'
import { MAX_STORE_WINDOW_CHUNKS, StoreRefusal, type ChunkAck } from './store-wire.js'
import type { OfferedFile } from './holder-store.js'
import type { Libp2p } from '@libp2p/interface'

const log = logger('forwarder')

/** A downstream peer: its session, or why there is none. */
type Hop = { session: StoreSession } | { refusal: StoreRefusal, message: string }

/** A chunk waiting to go downstream: read back by index, or its bytes when this node did not keep it. */
interface Queued { index: number, rest: readonly string[], data?: Uint8Array }

/** One downstream peer: its session (once open) and what waits for it. */
interface Downstream {
  hop: Promise<Hop>
  readonly queue: Queued[]
  /** The sender running through `queue`, while it runs. */
  sending?: Promise<void>
}

/** Forwards the chunks of one inbound stream to the next holders. */
export class Forwarder {
  readonly #libp2p: Libp2p
  readonly #offer: StoreOfferInit
  readonly #onAck: (ack: ChunkAck) => void
  readonly #read: (index: number) => Promise<Uint8Array>
  readonly #stallTimeoutMs: number | undefined
  readonly #downstream = new Map<string, Downstream>()
  readonly #controller = new AbortController()

  /** `read` gives back a chunk this node kept (verified against its hash). */
  constructor (libp2p: Libp2p, file: OfferedFile, init: { onAck: (ack: ChunkAck) => void, read: (index: number) => Promise<Uint8Array>, stallTimeoutMs?: number }) {
    this.#libp2p = libp2p
    this.#offer = {
      fileId: file.fileId,
      chunkCount: manifestChunkCount(file.manifest),
      chunkSize: file.manifest.chunkSize,
      manifestBytes: file.manifestBytes,
      chain: file.chain
    }
    this.#onAck = init.onAck
    this.#read = init.read
    this.#stallTimeoutMs = init.stallTimeoutMs
    // Every chunk in flight may wait on this signal at once (a drain, a window slot), per downstream peer.
    setMaxListeners(4 * MAX_STORE_WINDOW_CHUNKS, this.#controller.signal)
  }

  /**
   * Queues chunk `index` for `forward[0]`, asking it to pass it on to the
   * rest; `data` only for a chunk this node did not keep. Returns at once:
   * the acks come through `onAck`.
   */
  forward (index: number, forward: readonly string[], data?: Uint8Array): void {
    const [next, ...rest] = forward
    if (next === undefined) return
    let down = this.#downstream.get(next)
    if (down == null) this.#downstream.set(next, down = { hop: this.#open(next), queue: [] })
    down.queue.push({ index, rest, data })
    down.sending ??= this.#send(next, down)
  }

  async #open (peer: string): Promise<Hop> {
    return await StoreSession.open(this.#libp2p, peer, this.#offer, { onAck: this.#onAck, signal: this.#controller.signal, stallTimeoutMs: this.#stallTimeoutMs })
      .then((session) => ({ session }), (err: unknown): Hop => {
        log('cannot forward to %s: %s', peer, err)
        const details = (err as ShoalError).details ?? {}
        const refusal = typeof details.refusal === 'string' ? details.refusal as StoreRefusal : StoreRefusal.UNREACHED
        return { refusal, message: (err as Error).message }
      })
  }

  /**
   * Sends what waits for `peer`, in order, each as the session's window
   * allows. Marks itself done in the same step that finds the queue empty, so
   * a chunk queued after that starts a new sender.
   */
  async #send (peer: string, down: Downstream): Promise<void> {
    try {
      for (let item = down.queue.shift(); item !== undefined; item = down.queue.shift()) {
        let hop = await down.hop
        // A session the receiver closed while it had nothing of ours (idle past
        // its step timeout: our upstream sent us nothing for it meanwhile) is
        // opened again; one that died with chunks in flight made up their acks.
        if ('session' in hop && hop.session.ended && !this.#controller.signal.aborted) hop = await (down.hop = this.#open(peer))
        if (!('session' in hop)) {
          this.#fail(peer, item, hop.refusal, hop.message)
          continue
        }
        let data: Uint8Array
        try {
          data = item.data ?? await this.#read(item.index)
        } catch (err) {
          log('chunk %d to forward to %s could not be read: %s', item.index, peer, err)
          this.#fail(peer, item, StoreRefusal.UNREACHED, `not passed on: ${(err as Error).message}`)
          continue
        }
        // A dead session makes up the acks itself (UNREACHED, SKIPPED).
        await hop.session.push(item.index, data, item.rest, this.#controller.signal).catch((err: unknown) => {
          this.#fail(peer, item, StoreRefusal.UNREACHED, (err as Error).message)
        })
      }
    } finally {
      down.sending = undefined
    }
  }

  #fail (peer: string, item: Queued, refusal: StoreRefusal, message: string): void {
    this.#onAck({ index: item.index, holder: peer, refusal, message })
    for (const other of item.rest) this.#onAck({ index: item.index, holder: other, refusal: StoreRefusal.SKIPPED, message: `not reached: ${peer} failed` })
  }

  /** Waits for every queued chunk to be sent and every downstream ack, then closes the downstream streams. */
  async finish (): Promise<void> {
    await Promise.all([...this.#downstream.values()].map(async (down) => {
      while (down.sending != null) await down.sending
      const hop = await down.hop
      if ('session' in hop) await hop.session.finish(this.#controller.signal).catch((err) => { log('closing a downstream store stream: %s', err) })
    }))
  }

  /** Drops every downstream stream (the upstream one is gone); missing acks are made up and go nowhere. */
  abort (err: Error): void {
    this.#controller.abort(err)
    for (const down of this.#downstream.values()) {
      down.queue.length = 0
      void down.hop.then((hop) => { if ('session' in hop) hop.session.abort(err) })
    }
  }
}
