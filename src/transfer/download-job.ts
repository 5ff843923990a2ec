/**
 * One download, end to end: the I/O shell around the Scheduler.
 *
 * It locks the destination, opens `<dest>.shoal-part`, restores verified
 * chunks (re-hashing those written since the last sync, in case of a crash),
 * then for every source peer subscribes to its bitfield and opens a chunk
 * channel, and keeps each peer's window full as the scheduler decides. Every
 * chunk is verified against the manifest before it is written; written
 * chunks are recorded in the catalog and announced to our own have-
 * subscribers, so they are served onwards at once. With no source left the job
 * is `stalled` and looks for sources again every resume interval. When every
 * chunk is written it syncs and renames the part file onto `dest`.
 */
import { EventEmitter } from 'node:events'
import { Bitfield } from '../content/bitfield.js'
import { chunkRange } from '../content/chunk-size.js'
import { chunkHash, manifestChunkCount, type Manifest } from '../content/manifest.js'
import { equalBytes } from '../content/hash.js'
import type { BufferPool } from './buffer-pool.js'
import { chunkBudget } from './chunk-budget.js'
import { ChunkChannel, type ChunkRefusal } from '../protocol/chunk-channel.js'
import { subscribeHave, type HaveSubscription } from '../protocol/have.js'
import type { PeerHint } from '../protocol/peer-exchange.js'
import { JobStorage } from './job-storage.js'
import { ShoalError, toShoalError } from '../errors.js'
import { Scheduler } from './scheduler.js'
import { JobProgress, type ChunkProgress } from './job-progress.js'
import type { Catalog, DownloadState } from '../store/catalog.js'
import type { JobLibrary } from './job-library.js'
import type { SourceFinder } from './sources.js'
import type { DownloadLimiter } from './download-limiter.js'
import { LOCAL_SOURCE, openLocalSource, type LocalSource } from './local-source.js'
import { logger } from '../util/log.js'
import type { Libp2p, PeerId } from '@libp2p/interface'
import type { Ping } from '@libp2p/ping'

const log = logger('download-job')

/** How often the job checks for stalls, updates speed and emits progress. */
export const TICK_MS = 250
/**
 * Most sources one job subscribes to. Like BitTorrent's peer cap: beyond a few
 * dozen, more peers add connections and have-traffic, not speed.
 */
export const MAX_SOURCES = 50

/**
 * The tail of a download, asked for as urgent: the last 2 % of its chunks,
 * at least 4. A peer then sends them itself even if it just sent them to
 * another peer (see UploadSpread), so the end does not wait on a relay.
 */
const URGENT_TAIL_SHARE = 0.02
const URGENT_TAIL_MIN_CHUNKS = 4

/** Knobs of a job (from config and flags). */
export interface DownloadJobOptions {
  maxRequestsPerPeer: number
  chunkRetries: number
  stallTimeoutMs: number
  resumeCheckIntervalMs: number
  sequential: boolean
}

/** The file's swarm as a job sees it: it joins its sources and takes in peer-exchange hints. */
export interface SwarmMembership {
  /** Records `peer` as exchanging `fileId` with us until the returned function is called. */
  join: (fileId: string, peer: PeerId) => () => void
  /** Stores a hint's addresses so the peer can be dialled by its ID. */
  learn: (hint: PeerHint) => Promise<void>
}

/** Everything a job needs, passed in by the node. */
export interface DownloadJobInit {
  jobId: string
  fileId: string
  manifest: Manifest
  dest: string
  libp2p: Libp2p<{ ping: Ping }>
  catalog: Catalog
  library: JobLibrary
  finder: SourceFinder
  swarm: SwarmMembership
  /** The node's download rate limits (shared by its jobs), with this job's own if it has one (`forJob`). */
  rates: DownloadLimiter
  /** Chunk buffers, recycled (shared by the node's jobs). */
  buffers: BufferPool
  options: DownloadJobOptions
  now?: () => number
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

/** A point-in-time view of a job, for the API, the CLI and the dashboard. */
export interface JobSnapshot {
  id: string
  fileId: string
  name: string
  dest: string
  state: DownloadState
  size: number
  bytesDone: number
  chunkCount: number
  chunksDone: number
  /** Bytes per second over the last rate window; 0 once the job is over. */
  speed: number
  /** Seconds left at that speed; null when unknown and once the job is over. */
  etaSeconds: number | null
  peers: PeerContribution[]
  /** Sources that gave at least one verified byte (`bytes > 0`): what "from N peers" counts. */
  peersUsed: number
  /** Sources lost (disconnected, or no longer holding the file) while the job is stalled. */
  missingPeers: string[]
  /** Sources banned for sending chunks that did not match the manifest: not gone, lying. */
  bannedPeers: string[]
  error: string | null
  errorCode: string | null
  /** True when the destination already held the file, verified: nothing was transferred. */
  alreadyComplete?: boolean
}

/** Typed events of a job; listeners that throw are isolated from the engine. */
export interface DownloadJobEvents {
  'chunk': [{ index: number } & ChunkProgress]
  'state': [{ state: DownloadState, error?: string }]
  'progress': [JobSnapshot]
}

interface Source {
  channel: ChunkChannel | LocalSource | undefined
  have: HaveSubscription
  leave: () => void
}

/** A running download. `run()` resolves when the file is complete. */
export class DownloadJob extends EventEmitter<DownloadJobEvents> {
  readonly id: string
  readonly fileId: string
  readonly manifest: Manifest
  readonly dest: string
  readonly #init: DownloadJobInit
  readonly #now: () => number
  readonly #scheduler: Scheduler
  readonly #progress: JobProgress
  readonly #storage: JobStorage
  readonly #sources = new Map<string, Source>()
  /** Peers being subscribed to now, so two hints of one peer open one subscription. */
  readonly #joining = new Set<string>()
  /** Every source the job subscribed to, with its peer ID (none for the local copy). */
  readonly #everSeen = new Map<string, PeerId | undefined>()
  readonly #contributed = new Map<string, number>()
  readonly #abort = new AbortController()
  #state: DownloadState = 'running'
  #error: ShoalError | undefined
  /** Chunks on their way to disk: their buffers count against the chunk budget. */
  #pendingWrites = 0
  /** Chunks that fit the chunk memory budget (chunk-budget.ts). */
  readonly #chunkBudget: number
  /** Missing chunks from which on requests are urgent. */
  readonly #urgentTail: number
  #lastDiscovery = 0
  #discovering = false
  readonly #finished = deferred()

  constructor (init: DownloadJobInit) {
    super()
    this.id = init.jobId
    this.fileId = init.fileId
    this.manifest = init.manifest
    this.dest = init.dest
    this.#init = init
    this.#now = init.now ?? Date.now
    const n = manifestChunkCount(init.manifest)
    this.#storage = new JobStorage(init)
    this.#progress = new JobProgress(n, init.manifest.size, this.#now())
    this.#chunkBudget = chunkBudget(init.manifest.chunkSize)
    this.#urgentTail = Math.max(URGENT_TAIL_MIN_CHUNKS, Math.ceil(n * URGENT_TAIL_SHARE))
    this.#scheduler = new Scheduler({
      chunkCount: n,
      chunkSize: init.manifest.chunkSize,
      maxRequestsPerPeer: init.options.maxRequestsPerPeer,
      maxRetries: init.options.chunkRetries,
      stallTimeoutMs: init.options.stallTimeoutMs,
      sequential: init.options.sequential
    })
    // `run()` hands this rejection to its caller; this only keeps it from counting as unhandled first.
    this.#finished.promise.catch(() => {})
  }

  get state (): DownloadState { return this.#state }

  /** Runs the download to completion; rejects with the reason it stopped otherwise. */
  async run (signal?: AbortSignal): Promise<void> {
    const onAbort = (): void => { this.cancel() }
    signal?.addEventListener('abort', onAbort, { once: true })
    const timer = setInterval(() => { this.#tick() }, TICK_MS).unref()
    try {
      await this.#prepare()
      if (this.#scheduler.complete) await this.#complete()
      else this.#discover()
      await this.#finished.promise
    } catch (err) {
      const e = toShoalError(err)
      if (this.#state === 'running' || this.#state === 'stalled') this.#setState(e.code === 'ERR_ABORTED' ? 'cancelled' : 'failed', e)
      throw e
    } finally {
      clearInterval(timer)
      signal?.removeEventListener('abort', onAbort)
      await this.#teardown()
    }
  }

  /** Stops the job at the user's request; verified chunks stay on disk and the same `get` resumes. */
  cancel (): void {
    this.#fail(new ShoalError('ERR_ABORTED', 'download cancelled'), 'cancelled')
  }

  /** Stops the job because the node stops; it resumes on the next start. */
  pause (): void {
    this.#fail(new ShoalError('ERR_ABORTED', 'download paused: the node is stopping'), 'paused')
  }

  async #prepare (): Promise<void> {
    await this.#storage.open((index, length) => {
      this.#scheduler.markDone(index)
      this.#progress.restored(index, length)
    })
    this.#setState('running')
  }

  /** Asks the finder for sources and adds every new one; runs in the background. */
  #discover (): void {
    if (this.#discovering || this.#abort.signal.aborted) return
    this.#discovering = true
    this.#lastDiscovery = this.#now()
    this.#scheduler.resetFailures()
    void (async () => {
      try {
        await this.#addLocal().catch((err: unknown) => { log.error('opening a local copy of %s failed: %O', this.fileId, err) })
        for await (const peer of this.#init.finder.findSources(this.fileId, { signal: this.#abort.signal })) {
          if (this.#abort.signal.aborted) break
          await this.#addSource(peer).catch((err: unknown) => { log('source %s of %s not added: %s', peer, this.fileId, err) })
        }
      } catch (err) {
        // Discovery failing is not fatal: the next resume check tries again.
        log('looking for sources of %s failed: %s', this.fileId, err)
      } finally {
        this.#discovering = false
        this.#checkStalled()
      }
    })()
  }

  async #addSource (peer: PeerId): Promise<void> {
    const key = peer.toString()
    if (this.#sources.has(key) || this.#joining.has(key) || this.#scheduler.peer(key)?.state === 'banned') return
    if (this.#sources.size + this.#joining.size >= MAX_SOURCES) return
    this.#joining.add(key)
    try {
      await this.#subscribe(peer)
    } finally {
      this.#joining.delete(key)
    }
  }

  /** A complete copy on this node's disk is a source like a peer, named LOCAL_SOURCE. */
  async #addLocal (): Promise<void> {
    if (this.#abort.signal.aborted || this.#sources.has(LOCAL_SOURCE) || this.#scheduler.peer(LOCAL_SOURCE)?.state === 'banned') return
    const { library, manifest } = this.#init
    const channel = await openLocalSource(library, this.fileId, manifest, this.dest, {
      onChunk: (index, data, digest) => { this.#onChunk(LOCAL_SOURCE, index, data, digest) },
      onProgress: (index, received, blockBytes) => { this.#onBlock(LOCAL_SOURCE, index, received, blockBytes) },
      onClose: (replaced) => {
        this.#dropSource(LOCAL_SOURCE)
        // The copy changed or did not match (it is unshared now): the next one, if any, takes over.
        if (replaced) this.#addLocal().catch((err: unknown) => { log.error('opening a local copy of %s failed: %O', this.fileId, err) })
      }
    })
    if (channel == null) return
    if (this.#abort.signal.aborted) { channel.close(); return }
    const all = Bitfield.full(manifestChunkCount(manifest))
    this.#sources.set(LOCAL_SOURCE, { channel, have: { bitfield: all, close: () => {} }, leave: () => {} })
    this.#everSeen.set(LOCAL_SOURCE, undefined)
    this.#scheduler.addPeer(LOCAL_SOURCE, all, this.#now())
    if (this.#state === 'stalled') this.#setState('running')
    this.#pump(LOCAL_SOURCE)
  }

  async #subscribe (peer: PeerId): Promise<void> {
    const key = peer.toString()
    const { libp2p, manifest } = this.#init
    const signal = this.#abort.signal
    const have = await subscribeHave(libp2p, peer, this.fileId, manifestChunkCount(manifest), {
      onUpdate: (index) => {
        this.#scheduler.peerHas(key, index)
        this.#pump(key)
      },
      onPeers: (hints) => { this.#onPeers(hints) },
      onClose: () => { this.#dropSource(key) }
    }, { signal })
    if (have == null || signal.aborted) { have?.close(); return }
    const source: Source = { channel: undefined, have, leave: this.#init.swarm.join(this.fileId, peer) }
    this.#sources.set(key, source)
    this.#everSeen.set(key, peer)
    this.#scheduler.addPeer(key, have.bitfield, this.#now())
    const rtt = await libp2p.services.ping.ping(peer, { signal }).catch(() => undefined) // no answer: the scheduler measures RTT itself
    if (typeof rtt === 'number') this.#scheduler.onRtt(key, rtt)
    source.channel = await ChunkChannel.open(libp2p, peer, this.fileId, manifest, {
      allocate: (length) => this.#init.buffers.acquire(length),
      onChunk: (index, data, digest) => { this.#onChunk(key, index, data, digest) },
      onProgress: (index, received, blockBytes) => { this.#onBlock(key, index, received, blockBytes) },
      onRefused: (index, reason) => { this.#onRefused(key, index, reason) },
      onClose: () => { this.#dropSource(key) }
    }, { signal }).catch((err) => { this.#dropSource(key); throw err })
    if (this.#state === 'stalled') this.#setState('running')
    this.#pump(key)
  }

  /** Peers a source says also exchange this file: subscribe to them too, up to MAX_SOURCES. */
  #onPeers (hints: PeerHint[]): void {
    for (const hint of hints) {
      const key = hint.peerId.toString()
      if (this.#sources.has(key) || this.#joining.has(key) || hint.peerId.equals(this.#init.libp2p.peerId)) continue
      this.#init.swarm.learn(hint)
        .then(async () => { await this.#addSource(hint.peerId) })
        .catch((err: unknown) => { log('peer-exchange hint %s not added: %s', key, err) }) // the other sources carry on
    }
  }

  #dropSource (key: string): void {
    const source = this.#sources.get(key)
    if (source == null) return
    this.#sources.delete(key)
    source.leave()
    source.have.close()
    source.channel?.close()
    for (const index of this.#scheduler.peer(key)?.inFlight.keys() ?? []) this.#progress.released(index)
    // A banned peer stays in the scheduler (inert) so the ban shows in status.
    if (this.#scheduler.peer(key)?.state !== 'banned') this.#scheduler.removePeer(key)
    this.#pumpAll()
    this.#checkStalled()
  }

  /** Fills `key`'s window with the requests the scheduler hands out. */
  #pump (key: string): void {
    if (this.#state !== 'running' && this.#state !== 'stalled') return
    const channel = this.#sources.get(key)?.channel
    if (channel == null || channel.closed) return
    const budget = this.#chunkBudget - this.#scheduler.inFlight - this.#pendingWrites
    if (budget <= 0) return
    const { manifest, rates } = this.#init
    // Rate limits are for the network: a copy from our own disk is not paced.
    const local = key === LOCAL_SOURCE
    const allowed = local ? budget : rates.grant(key, budget, manifest.chunkSize)
    if (allowed === 0) return // the tick pumps again
    const picked = this.#scheduler.assign(key, this.#now(), allowed)
    if (!local) rates.refund(key, allowed - picked.length, manifest.chunkSize)
    const urgent = this.#scheduler.missingCount <= this.#urgentTail
    for (const index of picked) {
      channel.request(index, urgent)
      this.#progress.requested(index, key, chunkRange(manifest.size, manifest.chunkSize, index).length)
      this.#emitSafe('chunk', { index, ...this.#progress.chunk(index) })
    }
  }

  #pumpAll (): void {
    for (const key of this.#sources.keys()) this.#pump(key)
  }

  #onBlock (key: string, index: number, received: number, blockBytes: number): void {
    this.#scheduler.onData(key, blockBytes, this.#now())
    if (this.#state === 'stalled') this.#setState('running')
    this.#progress.received(index, key, received, blockBytes, this.#now())
  }

  /** A chunk arrived whole, hashed on arrival: keep it if it matches the manifest, or count it against its sender. */
  #onChunk (key: string, index: number, data: Buffer, digest: Uint8Array): void {
    const now = this.#now()
    if ((this.#state !== 'running' && this.#state !== 'stalled') || this.#scheduler.isDone(index)) {
      this.#scheduler.onChunkDone(key, index, now)
      this.#init.buffers.release(data)
      this.#pump(key)
      return
    }
    if (!equalBytes(digest, chunkHash(this.manifest, index))) {
      this.#init.buffers.release(data)
      this.#scheduler.onChunkCorrupt(key, index, now)
      this.#progress.failed(index, key)
      this.#emitSafe('chunk', { index, ...this.#progress.chunk(index) })
      if (this.#scheduler.peer(key)?.state === 'banned') this.#dropSource(key)
      this.#pumpAll()
      return
    }
    for (const c of this.#scheduler.onChunkDone(key, index, now)) this.#sources.get(c.peer)?.channel?.cancel(c.index)
    this.#contributed.set(key, (this.#contributed.get(key) ?? 0) + data.byteLength)
    this.#write(key, index, data)
    this.#pump(key)
  }

  #write (key: string, index: number, data: Buffer): void {
    this.#pendingWrites++
    this.#storage.write(index, data).then(() => {
      this.#written(data)
      if (this.#state !== 'running' && this.#state !== 'stalled') return
      this.#storage.record(index)
      this.#progress.completed(index, key, data.byteLength)
      this.#emitSafe('chunk', { index, ...this.#progress.chunk(index) })
      if (this.#scheduler.complete && this.#pendingWrites === 0) {
        this.#complete().catch((err) => { this.#fail(toShoalError(err), 'failed') })
      }
    }, (err) => {
      this.#written(data)
      this.#fail(toShoalError(err), 'failed')
    })
  }

  /** A chunk's write ended (done or failed): its buffer is free, room for more requests. */
  #written (data: Buffer): void {
    this.#pendingWrites--
    this.#init.buffers.release(data)
    this.#pumpAll()
  }

  #onRefused (key: string, index: number, reason: ChunkRefusal): void {
    const now = this.#now()
    if (reason === 'CANCELLED') {
      // Our own withdrawal (endgame loser or stall): already released.
    } else if (reason === 'BUSY') {
      // The peer just sent this chunk to another (see UploadSpread): ask for another one now.
      this.#scheduler.onChunkDeferred(key, index, now)
      this.#progress.released(index)
    } else if (reason === 'NOT_FOUND') {
      this.#scheduler.onChunkRefused(key, index, now)
      this.#progress.failed(index, key)
    } else {
      this.#scheduler.onRequestFailed(key, index, now)
      this.#progress.failed(index, key)
    }
    this.#emitSafe('chunk', { index, ...this.#progress.chunk(index) })
    this.#pumpAll()
  }

  #tick (): void {
    if (this.#state !== 'running' && this.#state !== 'stalled') return
    const now = this.#now()
    for (const c of this.#scheduler.tick(now)) {
      this.#sources.get(c.peer)?.channel?.cancel(c.index)
      this.#progress.released(c.index)
    }
    this.#progress.tick(now)
    this.#pumpAll()
    this.#checkStalled()
    if (now - this.#lastDiscovery >= this.#init.options.resumeCheckIntervalMs) this.#discover()
    if (this.#storage.syncDue(now)) void this.#storage.sync(now).catch((err) => { this.#fail(toShoalError(err), 'failed') })
    this.#emitSafe('progress', this.snapshot())
  }

  #checkStalled (): void {
    if (this.#state !== 'running' || this.#discovering || this.#scheduler.complete) return
    const busy = this.#scheduler.inFlight > 0
    if (!busy && this.#scheduler.unavailableChunks().length > 0) this.#setState('stalled')
  }

  async #complete (): Promise<void> {
    await this.#storage.commit()
    this.#setState('completed')
    this.#init.catalog.deleteDownload(this.id)
    this.#finished.resolve()
  }

  #fail (err: ShoalError, state: 'failed' | 'cancelled' | 'paused'): void {
    if (this.#state !== 'running' && this.#state !== 'stalled') return
    this.#setState(state, err)
    this.#finished.reject(err)
  }

  #setState (state: DownloadState, err?: ShoalError): void {
    if (err != null) this.#error = err
    if (this.#state === state && state !== 'running') return
    this.#state = state
    if (state !== 'completed') this.#init.catalog.setDownloadState(this.id, state, err?.message ?? null)
    this.#emitSafe('state', err == null ? { state } : { state, error: err.message })
  }

  async #teardown (): Promise<void> {
    this.#abort.abort()
    for (const key of [...this.#sources.keys()]) this.#dropSource(key)
    await this.#storage.close(this.#now())
  }

  /** The job as the API and CLI show it; a job that is over has no speed, rates or ETA. */
  snapshot (): JobSnapshot {
    const seen = [...this.#everSeen.keys()]
    const banned = seen.filter(k => this.#scheduler.peer(k)?.state === 'banned')
    const missing = this.#state === 'stalled'
      ? seen.filter(k => !this.#sources.has(k) && !banned.includes(k))
      : []
    const live = this.#state === 'running' || this.#state === 'stalled'
    const peers = seen.map((id) => {
      const state = this.#sourceState(id, live ? this.#progress.peerRate(id) : 0, live)
      // Only a source sending now has a rate: a gone peer's last bytes are not a speed.
      const rate = state === 'active' ? Math.round(this.#progress.peerRate(id)) : 0
      return { peerId: id, bytes: this.#contributed.get(id) ?? 0, rate, state, inFlight: this.#scheduler.peer(id)?.inFlight.size ?? 0 }
    })
    return {
      id: this.id,
      fileId: this.fileId,
      name: this.manifest.name,
      dest: this.dest,
      state: this.#state,
      size: this.manifest.size,
      bytesDone: this.#progress.bytesDone,
      chunkCount: this.#progress.chunkCount,
      chunksDone: this.#progress.chunksDone,
      speed: live ? Math.round(this.#progress.speed) : 0,
      etaSeconds: live ? this.#progress.etaSeconds ?? null : null,
      peers,
      peersUsed: peers.filter(p => p.bytes > 0).length,
      missingPeers: missing,
      bannedPeers: banned,
      error: this.#error?.message ?? null,
      errorCode: this.#error?.code ?? null
    }
  }

  /**
   * See SourceState. A peer the job let go of (it ended, or the peer stopped
   * offering the file) is `gone` only if it is no longer connected; the local
   * copy is gone if it was dropped while the job ran (changed on disk).
   */
  #sourceState (id: string, rate: number, live: boolean): SourceState {
    const stats = this.#scheduler.peer(id)
    if (stats?.state === 'banned') return 'banned'
    const peer = this.#everSeen.get(id)
    const present = this.#sources.has(id) || (peer == null
      ? !live
      : this.#init.libp2p.getConnections(peer).length > 0)
    if (!present) return 'gone'
    if (rate > 0) return 'active'
    return stats?.state === 'stalled' && this.#sources.has(id) ? 'stalled' : 'idle'
  }

  /** Per-chunk states, for chunks_status. */
  chunkStates (): ChunkProgress[] {
    return Array.from({ length: this.#progress.chunkCount }, (_, i) => this.#progress.chunk(i))
  }

  #emitSafe<K extends keyof DownloadJobEvents> (event: K, ...args: DownloadJobEvents[K]): void {
    try {
      this.emit(event, ...(args as any))
    } catch (err) {
      // A throwing listener must not break the download.
      log.error('a %s listener threw: %s', event, err)
    }
  }
}

/** A promise with its settle functions (Promise.withResolvers is Node 22+). */
function deferred (): { promise: Promise<void>, resolve: () => void, reject: (err: Error) => void } {
  let resolve!: () => void
  let reject!: (err: Error) => void
  const promise = new Promise<void>((res, rej) => { resolve = res; reject = rej })
  return { promise, resolve, reject }
}
