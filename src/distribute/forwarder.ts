/**
 * Pipelined replication, the holder's half (HDFS-like): a chunk received with
 * a `forward` list is passed to the first peer of that list, on this node's
 * own push stream to it (opened once per peer and reused, under the same
 * offer), with the rest of the list for that peer to pass on. The acks that
 * come back are handed to `onAck`, which sends them upstream. A peer that
 * cannot be reached or refuses the offer gets that refusal (UNREACHED when it
 * did not answer) for every chunk, and the peers behind it SKIPPED.
 *
 * Bounded: `forward` waits while the downstream window is full, so the
 * inbound stream keeps the chunk in flight and the pusher, whose window is
 * the same, sends no more — backpressure up the whole pipeline. A downstream
 * hop silent for the stall timeout is given up (StoreSession).
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

/** Forwards the chunks of one inbound stream to the next holders. */
export class Forwarder {
  readonly #libp2p: Libp2p
  readonly #offer: StoreOfferInit
  readonly #onAck: (ack: ChunkAck) => void
  readonly #stallTimeoutMs: number | undefined
  readonly #hops = new Map<string, Promise<Hop>>()
  readonly #controller = new AbortController()

  constructor (libp2p: Libp2p, file: OfferedFile, init: { onAck: (ack: ChunkAck) => void, stallTimeoutMs?: number }) {
    this.#libp2p = libp2p
    this.#offer = {
      fileId: file.fileId,
      chunkCount: manifestChunkCount(file.manifest),
      chunkSize: file.manifest.chunkSize,
      manifestBytes: file.manifestBytes,
      chain: file.chain
    }
    this.#onAck = init.onAck
    this.#stallTimeoutMs = init.stallTimeoutMs
    // Every chunk in flight may wait on this signal at once (a drain, a window slot), per downstream peer.
    setMaxListeners(4 * MAX_STORE_WINDOW_CHUNKS, this.#controller.signal)
  }

  /** Passes chunk `index` to `forward[0]`, asking it to pass it on to the rest; resolves once sent (acks come later). */
  async forward (index: number, data: Uint8Array, forward: readonly string[]): Promise<void> {
    const [next, ...rest] = forward
    if (next === undefined) return
    const hop = await this.#hop(next)
    if ('session' in hop) {
      await hop.session.push(index, data, rest, this.#controller.signal)
      return
    }
    this.#onAck({ index, holder: next, refusal: hop.refusal, message: hop.message })
    for (const peer of rest) this.#onAck({ index, holder: peer, refusal: StoreRefusal.SKIPPED, message: `not reached: ${next} failed` })
  }

  async #hop (peer: string): Promise<Hop> {
    let hop = this.#hops.get(peer)
    if (hop == null) {
      hop = StoreSession.open(this.#libp2p, peer, this.#offer, { onAck: this.#onAck, signal: this.#controller.signal, stallTimeoutMs: this.#stallTimeoutMs })
        .then((session) => ({ session }), (err: unknown): Hop => {
          log('cannot forward to %s: %s', peer, err)
          const details = (err as ShoalError).details ?? {}
          const refusal = typeof details.refusal === 'string' ? details.refusal as StoreRefusal : StoreRefusal.UNREACHED
          return { refusal, message: (err as Error).message }
        })
      this.#hops.set(peer, hop)
    }
    return await hop
  }

  /** Waits for every downstream ack, then closes the downstream streams. */
  async finish (): Promise<void> {
    await Promise.all([...this.#hops.values()].map(async (p) => {
      const hop = await p
      if ('session' in hop) await hop.session.finish(this.#controller.signal).catch((err) => { log('closing a downstream store stream: %s', err) })
    }))
  }

  /** Drops every downstream stream (the upstream one is gone); missing acks are made up and go nowhere. */
  abort (err: Error): void {
    this.#controller.abort(err)
    for (const p of this.#hops.values()) {
      void p.then((hop) => { if ('session' in hop) hop.session.abort(err) })
    }
  }
}
