/**
 * A download's sources: the peers it subscribes to (their bitfields over the
 * have protocol, a chunk channel each) and the local copy, up to MAX_SOURCES.
 * It adds them (from the finder and from peer-exchange hints), drops them when
 * they close or are banned, and tells what each is doing for the job. What to
 * ask of whom is the job's (and its scheduler's); the pool keeps the scheduler
 * told of who is there and what they hold.
 */
import { Bitfield } from '../content/bitfield.js'
import { manifestChunkCount, type Manifest } from '../content/manifest.js'
import { ChunkChannel, type ChunkChannelHandlers, type ChunkRefusal } from '../protocol/chunk-channel.js'
import type { ChunkStream } from '../protocol/chunk-stream.js'
import { subscribeHave, type HaveSubscription } from '../protocol/have.js'
import type { PeerHint } from '../protocol/peer-exchange.js'
import { LOCAL_SOURCE, openLocalSource, type LocalSource } from './local-source.js'
import { logger } from '../util/log.js'
import type { Scheduler } from './scheduler.js'
import type { BufferPool } from './buffer-pool.js'
import type { JobLibrary } from './job-library.js'
import type { Libp2p, PeerId } from '@libp2p/interface'
import type { Ping } from '@libp2p/ping'

const log = logger('download-job')

/**
 * Most sources one job subscribes to. Like BitTorrent's peer cap: beyond a few
 * dozen, more peers add connections and have-traffic, not speed.
 */
export const MAX_SOURCES = 50

/**
 * Files at least this big try the direct TLS path to each source. Below it
 * the attempt (a ticket round trip, a TCP and TLS handshake) would cost more
 * than the bytes it speeds up.
 */
export const DIRECT_MIN_FILE_BYTES = 4 * 1024 * 1024

/**
 * Opens direct chunk streams (src/net/direct/: a node:tls socket between the
 * two nodes, both authenticated by peer ID, opened with a one-time ticket).
 * Declared here so transfer/ does not depend on net/; `DirectPath` satisfies it.
 */
export interface DirectDialer {
  /** A direct chunk stream to `peer`, or undefined (no path: use libp2p); never throws. */
  dial: (peer: PeerId, options: { signal?: AbortSignal }) => Promise<ChunkStream | undefined>
}

/**
 * What a source is doing for the job now: `active` sent data within the last
 * rate window (its rate is above 0); `idle` is connected (or is the local
 * copy) and sends nothing now — it has nothing we still need, we are paced by
 * a limit, or the job is over; `stalled` left our requests unanswered past the
 * stall timeout; `gone` is no longer connected; `banned` sent chunks that did
 * not match the manifest.
 */
export type SourceState = 'active' | 'idle' | 'stalled' | 'gone' | 'banned'

/** A source's part in the download. */
export interface PeerContribution {
  /** The peer's ID, or LOCAL_SOURCE ('local') for a copy on this node's disk. */
  peerId: string
  /** Verified bytes it gave. */
  bytes: number
  /** Bytes per second it sent over the last rate window; 0 once the job is over. */
  rate: number
  state: SourceState
  inFlight: number
}

/** The file's swarm as a job sees it: it joins its sources and takes in peer-exchange hints. */
export interface SwarmMembership {
  /** Records `peer` as exchanging `fileId` with us until the returned function is called. */
  join: (fileId: string, peer: PeerId) => () => void
  /** Stores a hint's addresses so the peer can be dialled by its ID. */
  learn: (hint: PeerHint) => Promise<void>
}

/** What the job hears from its sources. */
export interface SourcePoolHooks {
  onChunk: (key: string, index: number, data: Buffer, digest: Uint8Array) => void
  onBlock: (key: string, index: number, received: number, blockBytes: number) => void
  onRefused: (key: string, index: number, reason: ChunkRefusal) => void
  /** `key` may take requests now (it announced a chunk). */
  pump: (key: string) => void
  /** `key` is connected and can be asked for chunks. */
  onReady: (key: string) => void
  /** A dropped source's request for `index` will not be answered. */
  onReleased: (index: number) => void
  /** A source was dropped: the others may take its share. */
  onDropped: () => void
}

/** What the pool works with, from the job. */
export interface SourcePoolInit {
  fileId: string
  manifest: Manifest
  dest: string
  libp2p: Libp2p<{ ping: Ping }>
  library: JobLibrary
  swarm: SwarmMembership
  buffers: BufferPool
  scheduler: Scheduler
  now: () => number
  /** The direct TLS path, when the node runs it. */
  direct?: DirectDialer
  /** Ends every subscription: aborted when the job ends. */
  signal: AbortSignal
  hooks: SourcePoolHooks
}

interface Source {
  channel: ChunkChannel | LocalSource | undefined
  have: HaveSubscription
  leave: () => void
}

/** The sources of one job, and every source it ever had (for status). */
export class SourcePool {
  readonly #init: SourcePoolInit
  readonly #sources = new Map<string, Source>()
  /** Peers being subscribed to now, so two hints of one peer open one subscription. */
  readonly #joining = new Map<string, Promise<void>>()
  /** Every source the job subscribed to, with its peer ID (none for the local copy). */
  readonly #everSeen = new Map<string, PeerId | undefined>()
  readonly #contributed = new Map<string, number>()
  /** Sources whose direct channel broke: they stay on libp2p for this job. */
  readonly #directBroke = new Set<string>()

  constructor (init: SourcePoolInit) {
    this.#init = init
  }

  /** Keys of the current sources. */
  keys (): IterableIterator<string> { return this.#sources.keys() }

  /** A current source's channel, once open. */
  channel (key: string): ChunkChannel | LocalSource | undefined { return this.#sources.get(key)?.channel }

  /** Credits `key` with verified bytes. */
  credit (key: string, bytes: number): void {
    this.#contributed.set(key, (this.#contributed.get(key) ?? 0) + bytes)
  }

  #banned (key: string): boolean { return this.#init.scheduler.peer(key)?.state === 'banned' }

  /** Subscribes to `peer` unless it is a source already, is banned, or the pool is full. */
  async add (peer: PeerId): Promise<void> {
    const key = peer.toString()
    if (this.#sources.has(key) || this.#joining.has(key) || this.#banned(key)) return
    if (this.#sources.size + this.#joining.size >= MAX_SOURCES) return
    const joined = this.#subscribe(peer).finally(() => { this.#joining.delete(key) })
    this.#joining.set(key, joined)
    await joined
  }

  /** A complete copy on this node's disk is a source like a peer, named LOCAL_SOURCE. */
  async addLocal (): Promise<void> {
    const { library, manifest, fileId, dest, hooks, signal } = this.#init
    if (signal.aborted || this.#sources.has(LOCAL_SOURCE) || this.#banned(LOCAL_SOURCE)) return
    const channel = await openLocalSource(library, fileId, manifest, dest, {
      onChunk: (index, data, digest) => { hooks.onChunk(LOCAL_SOURCE, index, data, digest) },
      onProgress: (index, received, blockBytes) => { hooks.onBlock(LOCAL_SOURCE, index, received, blockBytes) },
      onClose: (replaced) => {
        this.drop(LOCAL_SOURCE)
        // The copy changed or did not match (it is unshared now): the next one, if any, takes over.
        if (replaced) this.addLocal().catch((err: unknown) => { log.error('opening a local copy of %s failed: %O', fileId, err) })
      }
    })
    if (channel == null) return
    if (signal.aborted) { channel.close(); return }
    // Chunks held for others are a local source too, for the chunks held.
    const all = channel.have ?? Bitfield.full(manifestChunkCount(manifest))
    this.#sources.set(LOCAL_SOURCE, { channel, have: { bitfield: all, close: () => {} }, leave: () => {} })
    this.#everSeen.set(LOCAL_SOURCE, undefined)
    this.#init.scheduler.addPeer(LOCAL_SOURCE, all, this.#init.now())
    hooks.onReady(LOCAL_SOURCE)
  }

  async #subscribe (peer: PeerId): Promise<void> {
    const key = peer.toString()
    const { libp2p, manifest, fileId, scheduler, hooks, signal } = this.#init
    const have = await subscribeHave(libp2p, peer, fileId, manifestChunkCount(manifest), {
      onUpdate: (index) => {
        scheduler.peerHas(key, index)
        hooks.pump(key)
      },
      onPeers: (hints) => { this.#onPeers(hints) },
      onClose: () => { this.drop(key) }
    }, { signal })
    if (have == null || signal.aborted) { have?.close(); return }
    const source: Source = { channel: undefined, have, leave: this.#init.swarm.join(fileId, peer) }
    this.#sources.set(key, source)
    this.#everSeen.set(key, peer)
    scheduler.addPeer(key, have.bitfield, this.#init.now())
    // The direct attempt (bounded: one connect) runs alongside the RTT probe.
    const [rtt, direct] = await Promise.all([
      libp2p.services.ping.ping(peer, { signal }).catch(() => undefined), // no answer: the scheduler measures RTT itself
      this.#dialDirect(key, peer)
    ])
    if (typeof rtt === 'number') scheduler.onRtt(key, rtt)
    const handlers: ChunkChannelHandlers = {
      allocate: (length) => this.#init.buffers.acquire(length),
      onChunk: (index, data, digest) => { hooks.onChunk(key, index, data, digest) },
      onProgress: (index, received, blockBytes) => { hooks.onBlock(key, index, received, blockBytes) },
      onRefused: (index, reason) => { hooks.onRefused(key, index, reason) },
      onClose: () => {
        // A direct channel that ends while we still use it (the socket was
        // cut, the path broke): the source comes back at once over libp2p,
        // its requests handed to the scheduler again meanwhile.
        const broke = direct != null && this.#sources.get(key) === source && !signal.aborted
        this.drop(key)
        if (!broke) return
        this.#directBroke.add(key)
        log('direct channel to %s ended; going on over libp2p', key)
        // After the subscription that opened it has settled (it may be the one failing now).
        const settled = this.#joining.get(key)?.then(() => {}, () => {}) ?? Promise.resolve()
        settled
          .then(async () => { await this.add(peer) })
          .catch((err: unknown) => { log('%s not re-added over libp2p: %s', key, err) })
      }
    }
    const opened = direct != null
      ? ChunkChannel.over(peer, direct, fileId, manifest, handlers, { signal })
      : ChunkChannel.open(libp2p, peer, fileId, manifest, handlers, { signal })
    source.channel = await opened.catch((err) => { this.drop(key); throw err })
    hooks.onReady(key)
  }

  /** A direct stream to `peer` if this job should try one and it can be had. */
  async #dialDirect (key: string, peer: PeerId): Promise<ChunkStream | undefined> {
    const { direct, manifest, signal } = this.#init
    if (direct == null || manifest.size < DIRECT_MIN_FILE_BYTES || this.#directBroke.has(key)) return undefined
    return await direct.dial(peer, { signal })
  }

  /** Peers a source says also exchange this file: subscribe to them too, up to MAX_SOURCES. */
  #onPeers (hints: PeerHint[]): void {
    for (const hint of hints) {
      const key = hint.peerId.toString()
      if (this.#sources.has(key) || this.#joining.has(key) || hint.peerId.equals(this.#init.libp2p.peerId)) continue
      this.#init.swarm.learn(hint)
        .then(async () => { await this.add(hint.peerId) })
        .catch((err: unknown) => { log('peer-exchange hint %s not added: %s', key, err) }) // the other sources carry on
    }
  }

  /** Lets a source go: its subscription and channel close, its requests go back to the others. */
  drop (key: string): void {
    const source = this.#sources.get(key)
    if (source == null) return
    const { scheduler, hooks } = this.#init
    this.#sources.delete(key)
    source.leave()
    source.have.close()
    source.channel?.close()
    for (const index of scheduler.peer(key)?.inFlight.keys() ?? []) hooks.onReleased(index)
    // A banned peer stays in the scheduler (inert) so the ban shows in status.
    if (!this.#banned(key)) scheduler.removePeer(key)
    hooks.onDropped()
  }

  /** Drops every source (the job ends). */
  dropAll (): void {
    for (const key of [...this.#sources.keys()]) this.drop(key)
  }

  /**
   * Every source the job had, as status shows them. `live`: the job is
   * running or stalled; `stalled`: sources lost count as missing; `rateOf`:
   * a source's current rate.
   */
  view (live: boolean, stalled: boolean, rateOf: (key: string) => number): { peers: PeerContribution[], missingPeers: string[], bannedPeers: string[] } {
    const seen = [...this.#everSeen.keys()]
    const bannedPeers = seen.filter(k => this.#banned(k))
    const missingPeers = stalled
      ? seen.filter(k => !this.#sources.has(k) && !bannedPeers.includes(k))
      : []
    const peers = seen.map((id) => {
      const state = this.#sourceState(id, live ? rateOf(id) : 0, live)
      // Only a source sending now has a rate: a gone peer's last bytes are not a speed.
      const rate = state === 'active' ? Math.round(rateOf(id)) : 0
      return { peerId: id, bytes: this.#contributed.get(id) ?? 0, rate, state, inFlight: this.#init.scheduler.peer(id)?.inFlight.size ?? 0 }
    })
    return { peers, missingPeers, bannedPeers }
  }

  /**
   * See SourceState. A peer the job let go of (it ended, or the peer stopped
   * offering the file) is `gone` only if it is no longer connected; the local
   * copy is gone if it was dropped while the job ran (changed on disk).
   */
  #sourceState (id: string, rate: number, live: boolean): SourceState {
    const stats = this.#init.scheduler.peer(id)
    if (stats?.state === 'banned') return 'banned'
    const peer = this.#everSeen.get(id)
    const present = this.#sources.has(id) || (peer == null
      ? !live
      : this.#init.libp2p.getConnections(peer).length > 0)
    if (!present) return 'gone'
    if (rate > 0) return 'active'
    return stats?.state === 'stalled' && this.#sources.has(id) ? 'stalled' : 'idle'
  }
}
