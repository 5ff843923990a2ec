/**
 * ShoalNode — the composition root. It builds every component from the
 * config and passes each only what it needs: catalog and library (store),
 * libp2p with Shoal's protocols, the upload limiter, and download jobs.
 * Start order: data dir → catalog → identity → libp2p → protocols → resume
 * downloads. Stop runs in reverse: jobs (verified chunks kept) → libp2p →
 * library → catalog. A failed start stops whatever had started and rethrows.
 */
import { stat } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { randomInt } from 'node:crypto'
import { EventEmitter } from 'node:events'
import { Catalog, CATALOG_FILE, type FileRecord } from '../store/catalog.js'
import { prepareDataDir } from '../store/data-dir.js'
import { PART_SUFFIX } from '../store/partial-file.js'
import { Library, type FileChangedEvent } from './library.js'
import { PeerDirectory, type PeerView } from './peer-directory.js'
import { BufferPool } from '../transfer/buffer-pool.js'
import { chunkBudget } from '../transfer/chunk-budget.js'
import type { VerifyReport } from './verify.js'
import type { ShoalServices } from '../net/create-libp2p.js'
import type { HintedSourceFinder } from '../discovery/hinted-finder.js'
import type { SwarmDirectory } from '../discovery/swarm-directory.js'
import type { DownloadLimiter } from '../transfer/download-limiter.js'
import type { SourceFinder } from '../transfer/sources.js'
import type { TrackerAnnouncer } from '../discovery/tracker-announcer.js'
import type { DownloadJob, JobSnapshot } from '../transfer/download-job.js'
import { checkFile } from '../content/file-check.js'
import { LOCAL_SOURCE } from '../transfer/local-source.js'
import { verifyLocalCopy } from './verify.js'
import { formatLink, parseTarget, MAX_LINK_PEERS } from '../content/link.js'
import { manifestChunkCount } from '../content/manifest.js'
import { assertSafeFileName, quoteName } from '../content/file-name.js'
import { chunkRange } from '../content/chunk-size.js'
import { ShoalError } from '../errors.js'
import { logger } from '../util/log.js'
import type { ShoalConfig } from '../config/index.js'
import type { Libp2p } from '@libp2p/interface'

const log = logger('node')
const announcerLog = logger('tracker-announcer')

/** Finished jobs remembered for status queries. */
export const MAX_FINISHED_JOBS = 100

/** A shared file as reported to users. */
export interface ShareResult {
  id: string
  link: string
  name: string
  size: number
  chunks: number
}

/** Directory in the data dir holding libp2p's peer store (known peers, DHT routing table). */
export const PEERSTORE_DIR = 'peerstore'

/** How long a node started with trackers spends dialling the peers they list. */
export const TRACKER_BOOTSTRAP_TIMEOUT_MS = 30_000

export type { PeerView } from './peer-directory.js'

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

/** A file in the catalog, as `ls` shows it. */
export interface FileListing {
  id: string
  name: string
  size: number
  chunks: number
  paths: string[]
  link: string
}

/** Events the node emits (the API streams them to the dashboard and CLI). */
export interface NodeEvents {
  'file:added': [ShareResult]
  'file:removed': [{ id: string }]
  /** A copy changed, deleted or corrupt on disk was unshared (a warning for the user). */
  'file:changed': [FileChangedEvent]
  'download:started': [JobSnapshot]
  'download:progress': [JobSnapshot]
  'download:state': [JobSnapshot]
}

/** One Shoal node: a libp2p host serving and fetching content-addressed files. */
export class ShoalNode extends EventEmitter<NodeEvents> {
  readonly dataDir: string
  readonly config: ShoalConfig
  #catalog: Catalog | undefined
  #library: Library | undefined
  #libp2p: Libp2p<ShoalServices> | undefined
  /** Where link and --peer hints go. */
  #finder: HintedSourceFinder | undefined
  /** Every finder at once: what downloads use. */
  #sources: SourceFinder | undefined
  #announcer: TrackerAnnouncer | undefined
  /** Download rate limits, shared by every job. */
  #rates: DownloadLimiter | undefined
  /** Who exchanges which file with us: for peer exchange. */
  #swarm: SwarmDirectory | undefined
  /** The networked half, loaded by `start()` unless offline. */
  #net: typeof import('./networking.js') | undefined
  /** Running jobs; `claimed` once a get follows it (auto-resumed jobs start unclaimed). */
  readonly #jobs = new Map<string, { job: DownloadJob, done: Promise<void>, claimed: boolean }>()
  readonly #finished = new Map<string, JobSnapshot>()
  readonly #peers = new PeerDirectory()
  readonly #buffers = new BufferPool(chunkBudget)
  /** Aborted by `stop()`: background work (provides, bootstrap, dials, lookups) ends with the node. */
  #lifetime = new AbortController()
  /** The start in progress or done: a second `start()` joins it instead of opening a second catalog and host. */
  #starting: Promise<void> | undefined

  constructor (init: { dataDir: string, config: ShoalConfig }) {
    super()
    this.dataDir = resolve(init.dataDir)
    this.config = init.config
  }

  get libp2p (): Libp2p<ShoalServices> { return this.#need(this.#libp2p) }
  get catalog (): Catalog { return this.#need(this.#catalog) }
  get peerId (): string { return this.libp2p.peerId.toString() }

  /** Full multiaddrs (with /p2p/) others can dial. */
  get addrs (): string[] { return this.libp2p.getMultiaddrs().map(a => a.toString()) }

  #need<T> (value: T | undefined): T {
    if (value == null) throw new ShoalError('ERR_NODE_NOT_RUNNING', 'the node is not started')
    return value
  }

  /**
   * Starts the node. `offline` opens only the catalog and library — enough
   * for share, ls, rm and verify when no node runs — without networking.
   * `resume: false` leaves unfinished downloads alone (a short-lived node
   * started by `shoal get` fetches only what it was asked for).
   * Idempotent: a second call, in either mode and even while the first is
   * still running, waits for the first instead of opening a second catalog.
   */
  async start (options: { offline?: boolean, resume?: boolean } = {}): Promise<void> {
    this.#starting ??= this.#start(options).catch((err: unknown) => {
      this.#starting = undefined // rolled back: a later start() tries again
      throw err
    })
    await this.#starting
  }

  async #start (options: { offline?: boolean, resume?: boolean }): Promise<void> {
    if (this.#lifetime.signal.aborted) this.#lifetime = new AbortController()
    try {
      await prepareDataDir(this.dataDir)
      this.#catalog = new Catalog(join(this.dataDir, CATALOG_FILE))
      this.#library = new Library(this.#catalog)
      this.#library.on('file:changed', (e) => { this.emit('file:changed', e) })
      await this.#library.checkCopies({ deletedOnly: options.offline === true })
      if (options.offline === true) return
      const n = this.#net = await import('./networking.js')
      const privateKey = await n.loadOrCreateIdentity(this.dataDir)
      const datastore = new n.FsDatastore(join(this.dataDir, PEERSTORE_DIR))
      await datastore.open()
      const net = this.config.network
      this.#libp2p = await n.createShoalLibp2p({
        privateKey,
        listen: net.listen,
        announce: net.announce,
        maxConnections: net.maxConnections,
        maxConnectionsPerIp: net.maxConnectionsPerIp,
        // A relative key path in the config is relative to the data dir (the CLI makes flags absolute).
        swarmKeyFile: net.swarmKey === '' ? undefined : resolve(this.dataDir, net.swarmKey),
        dhtProtocol: net.dht ? net.dhtProtocol : undefined,
        mdns: net.mdns,
        bootstrap: net.bootstrap,
        datastore
      })
      const libp2p = this.#libp2p
      const library = this.#library
      const t = this.config.transfer
      const limiter = new n.UploadLimiter({ maxPerPeer: t.maxUploadsPerPeer, maxTotal: t.maxUploadsTotal, rateBytesPerSecond: t.uploadRateLimit, peerRateBytesPerSecond: t.peerUploadRateLimit })
      this.#rates = new n.DownloadLimiter({ rateBytesPerSecond: t.downloadRateLimit, peerRateBytesPerSecond: t.peerDownloadRateLimit })
      const swarm = this.#swarm = new n.SwarmDirectory(libp2p, (peer) => { this.#peers.found(peer, 'pex') })
      const spread = new n.UploadSpread({ connected: (peer) => libp2p.getConnections(n.peerIdFromString(peer)).length > 0 })
      const observer = { onUploaded: (peer: string, _id: string, bytes: number) => { this.#peers.uploaded(peer, bytes) } }
      const budgets = new n.PeerBudgets(t.peerUploadBufferBytes)
      await n.serveShoalProtocols(libp2p, { provider: library, swarm, uploads: { gate: limiter, budgets, writeTimeoutMs: t.uploadStallTimeoutMs, observer, spread } })
      this.#finder = new n.HintedSourceFinder(libp2p, (peer) => { this.#peers.found(peer, 'link') })
      const finders: SourceFinder[] = [this.#finder]
      if (net.dht) finders.push(new n.DhtSourceFinder(libp2p, (peer) => { this.#peers.found(peer, 'dht') }))
      this.#peers.attach(libp2p, n, this.#lifetime.signal)
      if (net.trackers.length > 0) {
        const announcer = this.#announcer = new n.TrackerAnnouncer({
          trackers: net.trackers,
          privateKey,
          addrs: () => this.addrs,
          heldFiles: () => this.#heldFiles(),
          onError: (tracker, err) => { announcerLog.error('announce to %s failed: %O', tracker, err) }
        })
        finders.push(new n.TrackerSourceFinder(libp2p, () => announcer.clients, (peer) => { this.#peers.found(peer, 'tracker') }))
      }
      this.#sources = n.combineFinders(libp2p.peerId, finders)
      await libp2p.start()
      if (this.#announcer != null) {
        this.#announcer.start()
        n.bootstrapFromTrackers(libp2p, this.#announcer.clients, (peer) => { this.#peers.found(peer, 'tracker') }, this.#lifetimeSignal(TRACKER_BOOTSTRAP_TIMEOUT_MS))
          .catch((err: unknown) => { log.error('bootstrap from trackers failed: %s', err) })
      }
      library.startWatching()
      for (const id of this.#heldFiles()) this.#provide(id)
      if (this.config.chunking.autoResumeDownloads && options.resume !== false) {
        this.#resumeDownloads().catch((err: unknown) => { log.error('resuming downloads failed: %s', err) })
      }
    } catch (err) {
      await this.#teardown()
      throw err
    }
  }

  /** Stops everything; running downloads keep their verified chunks and resume on next start. */
  async stop (): Promise<void> {
    // A start still running finishes (or rolls back) before it is undone.
    await this.#starting?.catch(() => {}) // its error went to its own caller
    this.#starting = undefined
    await this.#teardown()
  }

  /** Stops whatever has started, in reverse order of start. */
  async #teardown (): Promise<void> {
    const jobs = [...this.#jobs.values()]
    // Paused, not aborted: an aborted job counts as cancelled, and these must resume on the next start.
    for (const { job } of jobs) job.pause()
    await Promise.allSettled(jobs.map(async j => { await j.done }))
    this.#lifetime.abort()
    await this.#announcer?.stop()
    this.#announcer = undefined
    await this.#libp2p?.stop()
    await this.#library?.close()
    this.#catalog?.close()
    this.#peers.detach()
    this.#libp2p = undefined
    this.#library = undefined
    this.#catalog = undefined
  }

  /** Hashes and shares a local file, served in place. */
  async share (path: string, options: { signal?: AbortSignal } = {}): Promise<ShareResult> {
    const record = await this.#need(this.#library).share(path, { baseChunkSize: this.config.chunking.chunkSize, signal: options.signal })
    const result = this.#describe(record)
    this.#announcer?.added(record.id)
    this.#provide(record.id)
    this.emit('file:added', result)
    return result
  }

  /** Tells the DHT we hold `fileId`, in the background; kad-dht re-provides before records expire. */
  #provide (fileId: string): void {
    const libp2p = this.#libp2p
    if (libp2p == null || !this.config.network.dht) return
    this.#need(this.#net).provideOnDht(libp2p, fileId, { signal: this.#lifetime.signal })
      .catch((err: unknown) => { log.error('providing %s on the DHT failed: %s', fileId, err) })
  }

  /** A signal that ends with the node or after `timeoutMs`, whichever is first. */
  #lifetimeSignal (timeoutMs: number): AbortSignal {
    return AbortSignal.any([this.#lifetime.signal, AbortSignal.timeout(timeoutMs)])
  }

  /** The caller's signal, also aborted when the node stops. */
  #bound (signal: AbortSignal | undefined): AbortSignal {
    return signal == null ? this.#lifetime.signal : AbortSignal.any([this.#lifetime.signal, signal])
  }

  /** Files held whole (a local copy) or in part (a running download): what trackers are told. */
  #heldFiles (): string[] {
    const held = new Set(this.catalog.listFiles().filter(f => this.catalog.localCopies(f.id).length > 0).map(f => f.id))
    for (const { job } of this.#jobs.values()) held.add(job.fileId)
    return [...held]
  }

  #describe (record: FileRecord): ShareResult {
    const { manifest } = record
    return {
      id: record.id,
      link: this.linkFor(record.id, manifest.name, manifest.size),
      name: manifest.name,
      size: manifest.size,
      chunks: manifestChunkCount(manifest)
    }
  }

  /** A share link pointing at this node. */
  linkFor (id: string, name?: string, size?: number): string {
    const peers = this.#libp2p != null ? this.addrs.slice(0, MAX_LINK_PEERS) : []
    return formatLink({ id, name, size, peers })
  }

  /** Catalogued files, with where their complete copies are. */
  list (): FileListing[] {
    return this.catalog.listFiles().map((r) => ({
      ...this.#describe(r),
      paths: this.catalog.localCopies(r.id).map(c => c.path)
    }))
  }

  /** Stops sharing a file and forgets it (files on disk are never deleted). */
  async remove (id: string): Promise<void> {
    if (this.catalog.getFile(id) == null) throw new ShoalError('ERR_FILE_NOT_FOUND', `no file ${id} in this node`, { id })
    for (const { job } of this.#jobs.values()) if (job.fileId === id) job.cancel()
    await this.#need(this.#library).remove(id)
    this.emit('file:removed', { id })
  }

  /** Re-hashes every local copy of a file against its manifest; a copy that fails is unshared (`file:changed`). */
  async verify (id: string, options: { signal?: AbortSignal } = {}): Promise<VerifyReport[]> {
    return await this.#need(this.#library).verify(id, options)
  }

  /**
   * Starts (or resumes) a download and returns its job at once; `done`
   * settles when it completes or stops.
   */
  async startDownload (input: string, options: GetOptions = {}): Promise<{ job: DownloadHandle, done: Promise<void> }> {
    const target = parseTarget(input)
    const n = this.#need(this.#net)
    const hints = n.parsePeerAddrs([...target.peers, ...(options.peers ?? [])])
    this.#need(this.#finder).addHints(target.id, hints)
    const manifest = this.catalog.getFile(target.id)?.manifest ??
      await n.resolveManifest(this.libp2p, this.#need(this.#sources), target.id, { timeoutMs: this.config.transfer.noProviderTimeoutMs, signal: this.#bound(options.signal), onAsked: options.onLookup })
    this.catalog.putFile(target.id, manifest)
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
    const record = this.catalog.findResumable(target.id, dest) ??
      this.catalog.createDownload({ id: newJobId(), fileId: target.id, dest, hints: hints.map(String) })
    return this.#run(record.id, target.id, manifest, dest, options, true)
  }

  /**
   * Whether `dest` is a complete, verified copy of the file: a catalogued copy
   * unchanged on disk, or a file of the right size whose every chunk matches
   * the manifest (then catalogued as a copy, served like any other).
   */
  async #holds (fileId: string, manifest: FileRecord['manifest'], dest: string, signal?: AbortSignal): Promise<boolean> {
    const copy = this.catalog.localCopies(fileId).find(c => c.path === dest)
    if (copy != null && await checkFile(dest, copy) === 'unchanged') return true
    if ((await stat(dest)).size !== manifest.size) return false
    if (!(await verifyLocalCopy(manifest, dest, { signal: this.#bound(signal) })).ok) return false
    await this.#need(this.#library).addDownloaded(fileId, dest)
    return true
  }

  /** A finished job for a get whose destination holds the file already: nothing to transfer. */
  #alreadyComplete (fileId: string, manifest: FileRecord['manifest'], dest: string): { job: DownloadHandle, done: Promise<void> } {
    const snap: JobSnapshot = { ...restingSnapshot({ id: newJobId(), fileId, dest, state: 'completed', error: null }, manifest, manifestChunkCount(manifest)), alreadyComplete: true }
    this.#remember(snap)
    this.emit('download:started', snap)
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

  #run (jobId: string, fileId: string, manifest: FileRecord['manifest'], dest: string, options: GetOptions, claimed: boolean): { job: DownloadJob, done: Promise<void> } {
    const t = this.config.transfer
    const job = new (this.#need(this.#net).DownloadJob)({
      jobId,
      fileId,
      manifest,
      dest,
      libp2p: this.libp2p,
      catalog: this.catalog,
      library: this.#need(this.#library),
      finder: this.#need(this.#sources),
      swarm: this.#need(this.#swarm),
      rates: this.#need(this.#rates).forJob(options.downloadLimit ?? 0),
      buffers: this.#buffers,
      options: {
        maxRequestsPerPeer: t.requestsInFlightPerPeer,
        chunkRetries: t.chunkRetries,
        stallTimeoutMs: t.stallTimeoutMs,
        resumeCheckIntervalMs: this.config.chunking.resumeCheckInterval * 1000,
        sequential: options.sequential ?? false
      }
    })
    job.on('progress', (s) => { this.emit('download:progress', s) })
    job.on('chunk', (c) => {
      // A chunk copied from our own disk came from no peer.
      if (c.status === 'completed' && c.peer != null && c.peer !== LOCAL_SOURCE) this.#peers.downloaded(c.peer, chunkRange(manifest.size, manifest.chunkSize, c.index).length)
    })
    job.on('state', () => { this.emit('download:state', job.snapshot()) })
    const done = job.run(options.signal).finally(() => {
      this.#jobs.delete(jobId)
      this.#remember(job.snapshot())
    })
    // Callers that follow the job await `done` themselves; this only keeps a job nobody follows from an unhandled rejection.
    done.catch((err: unknown) => { log('job %s ended: %s', jobId, err) })
    const entry = { job, done, claimed }
    this.#jobs.set(jobId, entry)
    this.#announcer?.added(fileId)
    this.#provide(fileId)
    this.emit('download:started', job.snapshot())
    return entry
  }

  async #resumeDownloads (): Promise<void> {
    for (const d of this.catalog.listDownloads()) {
      if (d.state !== 'running' && d.state !== 'stalled' && d.state !== 'paused') continue
      const record = this.catalog.getFile(d.fileId)
      if (record == null) continue
      if (await this.#committedBeforeCrash(d.id, d.fileId, record.manifest, d.dest)) continue
      this.#need(this.#finder).addHints(d.fileId, this.#need(this.#net).parsePeerAddrs(d.hints))
      this.#run(d.id, d.fileId, record.manifest, d.dest, {}, false)
    }
  }

  /**
   * A download whose part file is gone while the catalog still lists its
   * chunks, and whose destination holds the file, was committed by a run that
   * died before its cleanup: once the destination verifies, it is finished
   * (a local copy) rather than downloaded again over it.
   */
  async #committedBeforeCrash (jobId: string, fileId: string, manifest: FileRecord['manifest'], dest: string): Promise<boolean> {
    if (this.catalog.verifiedChunks(jobId).length === 0 || await isFile(dest + PART_SUFFIX) || !await isFile(dest)) return false
    const report = await verifyLocalCopy(manifest, dest, { signal: this.#lifetime.signal })
    if (!report.ok) return false
    await this.#need(this.#library).addDownloaded(fileId, dest)
    this.catalog.deleteDownload(jobId)
    log('download %s had been committed to %s before the last run ended; finished', jobId, dest)
    return true
  }

  /** A running job by ID. */
  job (id: string): DownloadJob | undefined {
    return this.#jobs.get(id)?.job
  }

  /** A job's latest view: running, recently finished, or persisted from an earlier run. */
  download (id: string): JobSnapshot | undefined {
    return this.job(id)?.snapshot() ?? this.#finished.get(id) ?? this.downloads().find(d => d.id === id)
  }

  /** Running jobs, recently finished ones, and unfinished ones persisted from earlier runs. */
  downloads (): JobSnapshot[] {
    const out = new Map<string, JobSnapshot>()
    for (const [id, snap] of this.#finished) out.set(id, snap)
    for (const d of this.catalog.listDownloads()) {
      if (out.has(d.id) || this.#jobs.has(d.id)) continue
      out.set(d.id, restingSnapshot(d, this.catalog.getFile(d.fileId)?.manifest, this.catalog.verifiedChunks(d.id).length))
    }
    for (const { job } of this.#jobs.values()) out.set(job.id, job.snapshot())
    return [...out.values()]
  }

  /** Peers we are connected to or have exchanged data with. */
  async peers (options: { signal?: AbortSignal } = {}): Promise<PeerView[]> {
    return await this.#peers.list(this.#bound(options.signal))
  }

  /** One chunk's bytes, as served to peers (seed 000's GET /api/chunks/:fileId/:chunkIndex). */
  async readChunk (fileId: string, index: number): Promise<Uint8Array> {
    const file = this.#need(this.#library).getServedFile(fileId)
    if (file == null) throw new ShoalError('ERR_FILE_NOT_FOUND', `no file ${fileId} in this node`, { id: fileId })
    if (!Number.isInteger(index) || index < 0 || index >= file.have.length || !file.have.get(index)) {
      throw new ShoalError('ERR_CHUNK_NOT_AVAILABLE', `chunk ${index} of ${fileId} is not held here`, { id: fileId, index })
    }
    return await file.readChunk(index)
  }

  /** Cancels a job; its verified chunks stay on disk. */
  cancel (id: string): void {
    const job = this.job(id)
    if (job == null) throw new ShoalError('ERR_JOB_NOT_FOUND', `no running download ${id}`, { id })
    job.cancel()
  }
}

/** The view of a job that is not running: `chunksDone` chunks verified, nothing moving. */
function restingSnapshot (job: { id: string, fileId: string, dest: string, state: JobSnapshot['state'], error: string | null }, manifest: FileRecord['manifest'] | undefined, chunksDone: number): JobSnapshot {
  return {
    id: job.id,
    fileId: job.fileId,
    name: manifest?.name ?? '',
    dest: job.dest,
    state: job.state,
    size: manifest?.size ?? 0,
    bytesDone: manifest == null ? 0 : Math.min(manifest.size, chunksDone * manifest.chunkSize),
    chunkCount: manifest == null ? 0 : manifestChunkCount(manifest),
    chunksDone,
    speed: 0,
    etaSeconds: null,
    peers: [],
    peersUsed: 0,
    missingPeers: [],
    bannedPeers: [],
    error: job.error,
    errorCode: null
  }
}

/**
 * Where a download goes: `-o` as given, inside it if it is a directory, or
 * the file's own name in cwd. The manifest's name has passed the file name
 * rule already (decoding checks it); it is checked again here because this is
 * where it becomes a path, and a hidden name (leading dot) is only written
 * where the user named the file itself with `-o`.
 */
async function destinationFor (name: string, options: GetOptions): Promise<string> {
  const cwd = options.cwd ?? process.cwd()
  const out = options.output == null ? undefined : resolve(cwd, options.output)
  if (out != null && !(await isDirectory(out))) return out
  assertSafeFileName(name, 'ERR_INVALID_MANIFEST', 'the file name')
  if (name.startsWith('.')) {
    throw new ShoalError('ERR_INVALID_ARGUMENT', `the file's name ${quoteName(name)} starts with a dot (a hidden file); ` +
      'Shoal writes it only under a name you choose: give the destination file with -o PATH', { name })
  }
  return out == null ? resolve(cwd, name) : join(out, name)
}

/** True when `path` is a directory; false when it is anything else or cannot be looked at (the write that follows will say why). */
async function isDirectory (path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory()
  } catch {
    return false
  }
}

async function isFile (path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile()
  } catch {
    return false
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
