/**
 * One download, end to end: the state machine and pump around the Scheduler.
 *
 * Its storage (job-storage.ts) locks the destination and restores what an
 * earlier run verified; its source pool (source-pool.ts) subscribes to every
 * source the finder names. The job keeps each source's window full as the
 * scheduler decides. Every chunk is verified against the manifest before it
 * is written; written chunks are recorded and announced to our own have-
 * subscribers, so they are served onwards at once. With no source left the job
 * is `stalled` and looks for sources again every resume interval. When every
 * chunk is written the storage commits the part file onto `dest`.
 */
import { EventEmitter } from 'node:events'
import { chunkRange } from '../content/chunk-size.js'
import { chunkHash, manifestChunkCount, type Manifest } from '../content/manifest.js'
import { equalBytes } from '../content/hash.js'
import type { BufferPool } from './buffer-pool.js'
import { chunkBudget } from './chunk-budget.js'
import type { ChunkRefusal } from '../protocol/chunk-channel.js'
import { JobStorage } from './job-storage.js'
import { SourcePool, type DirectDialer, type SwarmMembership } from './source-pool.js'
import type { JobSnapshot } from './job-snapshot.js'
import { ShoalError, toShoalError } from '../errors.js'
import { Scheduler } from './scheduler.js'
import { JobProgress, type ChunkProgress } from './job-progress.js'
import type { Catalog, DownloadState } from '../store/catalog.js'
import type { JobLibrary } from './job-library.js'
import type { SourceFinder } from './sources.js'
import type { DownloadLimiter } from './download-limiter.js'
import { LOCAL_SOURCE } from './local-source.js'
import { logger } from '../util/log.js'
import type { Libp2p } from '@libp2p/interface'
import type { Ping } from '@libp2p/ping'

const log = logger('download-job')

export { MAX_SOURCES, type SourceState, type PeerContribution, type SwarmMembership } from './source-pool.js'
export { SYNC_INTERVAL_MS } from './job-storage.js'
export type { JobSnapshot } from './job-snapshot.js'

/** How often the job checks for stalls, updates speed and emits progress. */
export const TICK_MS = 250
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
  /** The node's direct TLS path, if it runs one; chunks move over libp2p otherwise. */
  direct?: DirectDialer
  options: DownloadJobOptions
  now?: () => number
}

/** Typed events of a job; listeners that throw are isolated from the engine. */
export interface DownloadJobEvents {
  'chunk': [{ index: number } & ChunkProgress]
  'state': [{ state: DownloadState, error?: string }]
  'progress': [JobSnapshot]
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
  readonly #sources: SourcePool
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
    this.#sources = new SourcePool({
      ...init,
      scheduler: this.#scheduler,
      now: this.#now,
      signal: this.#abort.signal,
      hooks: {
        onChunk: (key, index, data, digest) => { this.#onChunk(key, index, data, digest) },
        onBlock: (key, index, received, blockBytes) => { this.#onBlock(key, index, received, blockBytes) },
        onRefused: (key, index, reason) => { this.#onRefused(key, index, reason) },
        pump: (key) => { this.#pump(key) },
        onReady: (key) => {
          if (this.#state === 'stalled') this.#setState('running')
          this.#pump(key)
        },
        onReleased: (index) => { this.#progress.released(index) },
        onDropped: () => {
          this.#pumpAll()
          this.#checkStalled()
        }
      }
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
        await this.#sources.addLocal().catch((err: unknown) => { log.error('opening a local copy of %s failed: %O', this.fileId, err) })
        // Every source found is subscribed to at once, not one after the
        // other: a small download's first chunks race on all of them (the
        // scheduler's opening), and none waits on a slow source found first.
        const adding: Array<Promise<void>> = []
        for await (const peer of this.#init.finder.findSources(this.fileId, { signal: this.#abort.signal })) {
          if (this.#abort.signal.aborted) break
          adding.push(this.#sources.add(peer).catch((err: unknown) => { log('source %s of %s not added: %s', peer, this.fileId, err) }))
        }
        await Promise.all(adding)
      } catch (err) {
        // Discovery failing is not fatal: the next resume check tries again.
        log('looking for sources of %s failed: %s', this.fileId, err)
      } finally {
        this.#discovering = false
        this.#checkStalled()
      }
    })()
  }

  /** Fills `key`'s window with the requests the scheduler hands out. */
  #pump (key: string): void {
    if (this.#state !== 'running' && this.#state !== 'stalled') return
    const channel = this.#sources.channel(key)
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
      if (this.#scheduler.peer(key)?.state === 'banned') this.#sources.drop(key)
      this.#pumpAll()
      return
    }
    for (const c of this.#scheduler.onChunkDone(key, index, now)) this.#sources.channel(c.peer)?.cancel(c.index)
    this.#sources.credit(key, data.byteLength)
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
      this.#sources.channel(c.peer)?.cancel(c.index)
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
    this.#sources.dropAll()
    await this.#storage.close(this.#now())
  }

  /** The job as the API and CLI show it; a job that is over has no speed, rates or ETA. */
  snapshot (): JobSnapshot {
    const live = this.#state === 'running' || this.#state === 'stalled'
    const { peers, missingPeers, bannedPeers } = this.#sources.view(live, this.#state === 'stalled', id => this.#progress.peerRate(id))
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
      missingPeers,
      bannedPeers,
      error: this.#error?.message ?? null,
      errorCode: this.#error?.code ?? null
    }
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
