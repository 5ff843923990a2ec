/**
 * The node's downloads: starting a job (finding the manifest, claiming its
 * destination, joining a job the node resumed by itself), resuming the
 * unfinished ones on start, and remembering finished ones for status
 * queries. A job's own work — sources, chunks, the part file — is
 * DownloadJob's; this owns the set of jobs.
 */
import { randomInt } from 'node:crypto'
import { stat } from 'node:fs/promises'
import { PART_SUFFIX } from '../store/partial-file.js'
import { checkFile } from '../content/file-check.js'
import { parseTarget } from '../content/link.js'
import { manifestChunkCount, type Manifest } from '../content/manifest.js'
import { chunkRange } from '../content/chunk-size.js'
import { BufferPool } from '../transfer/buffer-pool.js'
import { chunkBudget } from '../transfer/chunk-budget.js'
import { LOCAL_SOURCE } from '../transfer/local-source.js'
import { verifyLocalCopy } from './verify.js'
import { destinationFor, isFile } from './destination.js'
import { ShoalError } from '../errors.js'
import { logger } from '../util/log.js'
import type { Catalog } from '../store/catalog.js'
import type { Library } from './library.js'
import type { ShoalServices } from '../net/create-libp2p.js'
import type { HintedSourceFinder } from '../discovery/hinted-finder.js'
import type { SwarmDirectory } from '../discovery/swarm-directory.js'
import type { DownloadLimiter } from '../transfer/download-limiter.js'
import type { SourceFinder } from '../transfer/sources.js'
import { restingSnapshot, type JobSnapshot } from '../transfer/job-snapshot.js'
import type { DirectDialer } from '../transfer/source-pool.js'
import type { DownloadJob } from '../transfer/download-job.js'
import type { ShoalConfig } from '../config/index.js'
import type { Libp2p } from '@libp2p/interface'

const log = logger('node')

/** Finished jobs remembered for status queries. */
export const MAX_FINISHED_JOBS = 100

/** Options of `get`. */
export interface GetOptions {
  /** Destination file, or an existing directory to put the file in; default: the file's name in `cwd`. */
  output?: string
  cwd?: string
  peers?: readonly string[]
  sequential?: boolean
  /** This download's own rate limit in bytes/s, on top of the node's (0 or absent: none). */
  downloadLimit?: number
  signal?: AbortSignal
  /** Hears how many peers have been asked for the manifest while it is looked for (the CLI shows it). */
  onLookup?: (progress: { asked: number }) => void
}

/** What `startDownload` hands back: the job as callers may follow it. */
export type DownloadHandle = Pick<DownloadJob, 'id' | 'fileId' | 'dest' | 'state' | 'snapshot'>

/** Download events the node emits. */
export interface DownloadEvents {
  'download:started': [JobSnapshot]
  'download:progress': [JobSnapshot]
  'download:state': [JobSnapshot]
}

/** The started node's parts that jobs use (see `attach`). */
export interface OnlineParts {
  libp2p: Libp2p<ShoalServices>
  net: typeof import('./networking.js')
  /** Where link and --peer hints go. */
  finder: HintedSourceFinder
  /** Every finder at once: what jobs look for sources with. */
  sources: SourceFinder
  swarm: SwarmDirectory
  rates: DownloadLimiter
  /** The direct TLS data path, when the node runs it (network.direct). */
  direct?: DirectDialer
}

/** What the node gives the manager. */
export interface DownloadManagerInit {
  config: ShoalConfig
  /** The node's catalog and library; throws while the node is not started. */
  store: () => { catalog: Catalog, library: Library }
  /** The caller's signal, also aborted when the node stops. */
  bound: (signal?: AbortSignal) => AbortSignal
  emit: (event: keyof DownloadEvents, snap: JobSnapshot) => void
  /** A job starts on `fileId`: tell trackers and the DHT we hold part of it. */
  onJobStarted: (fileId: string) => void
  /** A peer sent us `bytes` verified bytes. */
  onDownloaded: (peer: string, bytes: number) => void
}

interface Entry { job: DownloadJob, done: Promise<void>, claimed: boolean }

/** Running jobs, finished ones remembered, and those persisted from earlier runs. */
export class DownloadManager {
  readonly #init: DownloadManagerInit
  /** Running jobs; `claimed` once a get follows it (auto-resumed jobs start unclaimed). */
  readonly #jobs = new Map<string, Entry>()
  readonly #finished = new Map<string, JobSnapshot>()
  readonly #buffers = new BufferPool(chunkBudget)
  #online: OnlineParts | undefined

  constructor (init: DownloadManagerInit) {
    this.#init = init
  }

  /** Gives the manager the started host and finders; `detach()` on stop. */
  attach (online: OnlineParts): void { this.#online = online }
  detach (): void { this.#online = undefined }

  #need (): OnlineParts {
    if (this.#online == null) throw new ShoalError('ERR_NODE_NOT_RUNNING', 'the node is not started')
    return this.#online
  }

  /** See ShoalNode.startDownload. */
  async start (input: string, options: GetOptions = {}): Promise<{ job: DownloadHandle, done: Promise<void> }> {
    const target = parseTarget(input)
    const online = this.#need()
    const { catalog } = this.#init.store()
    const hints = online.net.parsePeerAddrs([...target.peers, ...(options.peers ?? [])])
    online.finder.addHints(target.id, hints)
    const manifest = catalog.getFile(target.id)?.manifest ??
      await online.net.resolveManifest(online.libp2p, online.sources, target.id, { timeoutMs: this.#init.config.transfer.noProviderTimeoutMs, signal: this.#init.bound(options.signal), onAsked: options.onLookup })
    catalog.putFile(target.id, manifest)
    const dest = await destinationFor(manifest.name, options)
    for (const entry of this.#jobs.values()) {
      if (entry.job.dest !== dest) continue
      // A download the node resumed by itself is what this get asks for: join it, once.
      if (entry.job.fileId === target.id && !entry.claimed) {
        entry.claimed = true
        return entry
      }
      throw new ShoalError('ERR_DOWNLOAD_IN_PROGRESS', `${dest} is already being downloaded (job ${entry.job.id})`, { dest, job: entry.job.id })
    }
    if (await isFile(dest)) {
      // Safe to re-run: the file already there, verified, is the download done.
      if (await this.#holds(target.id, manifest, dest, options.signal)) return this.#alreadyComplete(target.id, manifest, dest)
      throw new ShoalError('ERR_DEST_EXISTS', `${dest} already exists and is not this file; choose another path with -o`, { dest })
    }
    const record = catalog.findResumable(target.id, dest) ??
      catalog.createDownload({ id: newJobId(), fileId: target.id, dest, hints: hints.map(String) })
    return this.#run(record.id, target.id, manifest, dest, options, true)
  }

  /**
   * Whether `dest` is a complete, verified copy of the file: a catalogued copy
   * unchanged on disk, or a file of the right size whose every chunk matches
   * the manifest (then catalogued as a copy, served like any other).
   */
  async #holds (fileId: string, manifest: Manifest, dest: string, signal?: AbortSignal): Promise<boolean> {
    const { catalog, library } = this.#init.store()
    const copy = catalog.localCopies(fileId).find(c => c.path === dest)
    if (copy != null && await checkFile(dest, copy) === 'unchanged') return true
    if ((await stat(dest)).size !== manifest.size) return false
    if (!(await verifyLocalCopy(manifest, dest, { signal: this.#init.bound(signal) })).ok) return false
    await library.addDownloaded(fileId, dest)
    return true
  }

  /** A finished job for a get whose destination holds the file already: nothing to transfer. */
  #alreadyComplete (fileId: string, manifest: Manifest, dest: string): { job: DownloadHandle, done: Promise<void> } {
    const snap: JobSnapshot = { ...restingSnapshot({ id: newJobId(), fileId, dest, state: 'completed', error: null }, manifest, manifestChunkCount(manifest)), alreadyComplete: true }
    this.#remember(snap)
    this.#init.emit('download:started', snap)
    return { job: { id: snap.id, fileId, dest, state: 'completed', snapshot: () => snap }, done: Promise.resolve() }
  }

  /** Keeps a finished job's last view for status queries, the newest MAX_FINISHED_JOBS. */
  #remember (snap: JobSnapshot): void {
    this.#finished.set(snap.id, snap)
    for (const old of this.#finished.keys()) {
      if (this.#finished.size <= MAX_FINISHED_JOBS) break
      this.#finished.delete(old)
    }
  }

  #run (jobId: string, fileId: string, manifest: Manifest, dest: string, options: GetOptions, claimed: boolean): Entry {
    const { config, emit } = this.#init
    const { catalog, library } = this.#init.store()
    const online = this.#need()
    const t = config.transfer
    const job = new online.net.DownloadJob({
      jobId,
      fileId,
      manifest,
      dest,
      libp2p: online.libp2p,
      catalog,
      library,
      finder: online.sources,
      swarm: online.swarm,
      rates: online.rates.forJob(options.downloadLimit ?? 0),
      buffers: this.#buffers,
      direct: online.direct,
      options: {
        maxRequestsPerPeer: t.requestsInFlightPerPeer,
        chunkRetries: t.chunkRetries,
        stallTimeoutMs: t.stallTimeoutMs,
        resumeCheckIntervalMs: config.chunking.resumeCheckInterval * 1000,
        sequential: options.sequential ?? false
      }
    })
    job.on('progress', (s) => { emit('download:progress', s) })
    job.on('chunk', (c) => {
      // A chunk copied from our own disk came from no peer.
      if (c.status === 'completed' && c.peer != null && c.peer !== LOCAL_SOURCE) this.#init.onDownloaded(c.peer, chunkRange(manifest.size, manifest.chunkSize, c.index).length)
    })
    job.on('state', () => { emit('download:state', job.snapshot()) })
    const done = job.run(options.signal).finally(() => {
      this.#jobs.delete(jobId)
      this.#remember(job.snapshot())
    })
    // Callers that follow the job await `done` themselves; this only keeps a job nobody follows from an unhandled rejection.
    done.catch((err: unknown) => { log('job %s ended: %s', jobId, err) })
    const entry = { job, done, claimed }
    this.#jobs.set(jobId, entry)
    this.#init.onJobStarted(fileId)
    emit('download:started', job.snapshot())
    return entry
  }

  /** Restarts the downloads an earlier run left unfinished (unclaimed: a later get joins them). */
  async resume (): Promise<void> {
    const { catalog } = this.#init.store()
    for (const d of catalog.listDownloads()) {
      if (d.state !== 'running' && d.state !== 'stalled' && d.state !== 'paused') continue
      const record = catalog.getFile(d.fileId)
      if (record == null) continue
      if (await this.#committedBeforeCrash(d.id, d.fileId, record.manifest, d.dest)) continue
      const online = this.#need()
      online.finder.addHints(d.fileId, online.net.parsePeerAddrs(d.hints))
      this.#run(d.id, d.fileId, record.manifest, d.dest, {}, false)
    }
  }

  /**
   * A download whose part file is gone while the catalog still lists its
   * chunks, and whose destination holds the file, was committed by a run that
   * died before its cleanup: once the destination verifies, it is finished
   * (a local copy) rather than downloaded again over it.
   */
  async #committedBeforeCrash (jobId: string, fileId: string, manifest: Manifest, dest: string): Promise<boolean> {
    const { catalog, library } = this.#init.store()
    if (catalog.verifiedChunks(jobId).length === 0 || await isFile(dest + PART_SUFFIX) || !await isFile(dest)) return false
    const report = await verifyLocalCopy(manifest, dest, { signal: this.#init.bound() })
    if (!report.ok) return false
    await library.addDownloaded(fileId, dest)
    catalog.deleteDownload(jobId)
    log('download %s had been committed to %s before the last run ended; finished', jobId, dest)
    return true
  }

  /** Pauses every running job (they resume on the next start) and waits for them to let go. */
  async pauseAll (): Promise<void> {
    const jobs = [...this.#jobs.values()]
    // Paused, not aborted: an aborted job counts as cancelled, and these must resume on the next start.
    for (const { job } of jobs) job.pause()
    await Promise.allSettled(jobs.map(async j => { await j.done }))
  }

  /** Cancels every running job of `fileId`. */
  cancelFile (fileId: string): void {
    for (const { job } of this.#jobs.values()) if (job.fileId === fileId) job.cancel()
  }

  /** Files some running job is fetching. */
  fileIds (): string[] {
    return [...this.#jobs.values()].map(e => e.job.fileId)
  }

  /** A running job by ID. */
  job (id: string): DownloadJob | undefined {
    return this.#jobs.get(id)?.job
  }

  /** A job's latest view: running, recently finished, or persisted from an earlier run. */
  download (id: string): JobSnapshot | undefined {
    return this.job(id)?.snapshot() ?? this.#finished.get(id) ?? this.list().find(d => d.id === id)
  }

  /** Running jobs, recently finished ones, and unfinished ones persisted from earlier runs. */
  list (): JobSnapshot[] {
    const { catalog } = this.#init.store()
    const out = new Map<string, JobSnapshot>()
    for (const [id, snap] of this.#finished) out.set(id, snap)
    for (const d of catalog.listDownloads()) {
      if (out.has(d.id) || this.#jobs.has(d.id)) continue
      out.set(d.id, restingSnapshot(d, catalog.getFile(d.fileId)?.manifest, catalog.verifiedChunks(d.id).length))
    }
    for (const { job } of this.#jobs.values()) out.set(job.id, job.snapshot())
    return [...out.values()]
  }

  /** Cancels a job; its verified chunks stay on disk. */
  cancel (id: string): void {
    const job = this.job(id)
    if (job == null) throw new ShoalError('ERR_JOB_NOT_FOUND', `no running download ${id}`, { id })
    job.cancel()
  }
}

/** Letters and digits only: an ID never starts with `-` (read as an option) or needs quoting. */
const JOB_ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'
/** 8 characters of 62: about 48 bits, as the base64url IDs of earlier versions (which still work). */
const JOB_ID_LENGTH = 8

/** A fresh job ID. */
export function newJobId (): string {
  let id = ''
  for (let i = 0; i < JOB_ID_LENGTH; i++) id += JOB_ID_ALPHABET[randomInt(JOB_ID_ALPHABET.length)]
  return id
}
