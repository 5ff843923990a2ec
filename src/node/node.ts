/**
 * ShoalNode — the composition root. It builds every component from the
 * config and passes each only what it needs: catalog and library (store),
 * the host (host.ts) with Shoal's protocols, the upload limiter, the finders,
 * the peer directory (peer-directory.ts) and the download manager
 * (download-manager.ts); its public methods delegate to them.
 * Start order: data dir → catalog → identity → libp2p → protocols → resume
 * downloads. Stop runs in reverse: jobs (verified chunks kept) → libp2p →
 * library → catalog. A failed start stops whatever had started and rethrows.
 */
import { join, resolve } from 'node:path'
import { EventEmitter } from 'node:events'
import { Catalog, CATALOG_FILE, type FileRecord } from '../store/catalog.js'
import { prepareDataDir } from '../store/data-dir.js'
import { Library, type FileChangedEvent } from './library.js'
import { PeerDirectory, type PeerView } from './peer-directory.js'
import { createHost } from './host.js'
import { DownloadManager, type DownloadEvents, type DownloadHandle, type GetOptions } from './download-manager.js'
import type { VerifyReport } from './verify.js'
import type { ShoalServices } from '../net/create-libp2p.js'
import type { SourceFinder } from '../transfer/sources.js'
import type { TrackerAnnouncer } from '../discovery/tracker-announcer.js'
import type { DirectPath } from '../net/direct/index.js'
import type { PeerDatastore } from '../net/peer-datastore.js'
import type { DownloadJob, JobSnapshot } from '../transfer/download-job.js'
import { Distribution, type DistributionEvents, type StorageUsage } from './distribution.js'
import { DISTRIBUTION_EVENTS, resumeDistributions, shareFile, type ShareOptions, type ShareResult } from './share.js'
import { serveDistribution } from './distribution-online.js'
import type { RepairDriver } from './repair-driver.js'
import { mapSourceFinder } from './map-finder.js'
import { combineProviders, readServedChunk } from '../distribute/served-held.js'
import type { DistributionView } from '../distribute/record.js'
import type { FileProvider } from '../protocol/served-file.js'
import { formatLink, MAX_LINK_PEERS } from '../content/link.js'
import { manifestChunkCount } from '../content/manifest.js'
import { ShoalError } from '../errors.js'
import { logger } from '../util/log.js'
import type { ShoalConfig } from '../config/index.js'
import type { Libp2p } from '@libp2p/interface'

const log = logger('node')
const announcerLog = logger('tracker-announcer')

// Public names that moved out with the units; the node's importers keep importing them from here.
export { PEERSTORE_DIR } from './host.js'
export { DISCOVERY_DIAL_MAX_CONNECTIONS, DISCOVERY_DIAL_TIMEOUT_MS, PEER_PING_TIMEOUT_MS, type PeerView } from './peer-directory.js'
export { MAX_FINISHED_JOBS, newJobId, type DownloadHandle, type GetOptions } from './download-manager.js'
export type { ShareOptions, ShareResult } from './share.js'
export type { DistributionSummary, StorageUsage } from './distribution.js'

/** How long a node started with trackers spends dialling the peers they list. */
export const TRACKER_BOOTSTRAP_TIMEOUT_MS = 30_000

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
export interface NodeEvents extends DownloadEvents, DistributionEvents {
  'file:added': [ShareResult]
  'file:removed': [{ id: string }]
  /** A copy changed, deleted or corrupt on disk was unshared (a warning for the user). */
  'file:changed': [FileChangedEvent]
}

/** One Shoal node: a libp2p host serving and fetching content-addressed files. */
export class ShoalNode extends EventEmitter<NodeEvents> {
  readonly dataDir: string
  readonly config: ShoalConfig
  #catalog: Catalog | undefined
  #library: Library | undefined
  #libp2p: Libp2p<ShoalServices> | undefined
  /** libp2p's peer store on disk, closed after libp2p stops. */
  #peerStore: PeerDatastore | undefined
  #announcer: TrackerAnnouncer | undefined
  /** The direct TLS data path (network.direct), while online. */
  #direct: DirectPath | undefined
  #distribution: Distribution | undefined
  #repair: RepairDriver | undefined
  /** Library and held chunks: what peers and HTTP are served. */
  #provider: FileProvider | undefined
  /** The networked half, loaded by `start()` unless offline. */
  #net: typeof import('./networking.js') | undefined
  readonly #peers = new PeerDirectory()
  readonly #downloads: DownloadManager
  /** Aborted by `stop()`: background work (provides, bootstrap, dials, lookups) ends with the node. */
  #lifetime = new AbortController()
  /** The start in progress or done: a second `start()` joins it instead of opening a second catalog and host. */
  #starting: Promise<void> | undefined

  constructor (init: { dataDir: string, config: ShoalConfig }) {
    super()
    this.dataDir = resolve(init.dataDir)
    this.config = init.config
    this.#downloads = new DownloadManager({
      config: this.config,
      store: () => ({ catalog: this.catalog, library: this.#need(this.#library) }),
      bound: (signal) => this.#bound(signal),
      emit: (event, snap) => { this.emit(event, snap) },
      onJobStarted: (fileId) => {
        this.#announcer?.added(fileId)
        this.#provide(fileId)
      },
      onDownloaded: (peer, bytes) => { this.#peers.downloaded(peer, bytes) }
    })
  }

  get libp2p (): Libp2p<ShoalServices> { return this.#need(this.#libp2p) }
  get catalog (): Catalog { return this.#need(this.#catalog) }
  get peerId (): string { return this.libp2p.peerId.toString() }

  /** The direct TLS data path while the node is online with `network.direct`; undefined otherwise. */
  get directPath (): DirectPath | undefined { return this.#direct }

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
      const distribution = this.#distribution = await Distribution.open({ dataDir: this.dataDir, config: this.config, catalog: this.#catalog })
      for (const event of DISTRIBUTION_EVENTS) (distribution as EventEmitter).on(event, (e: unknown) => { (this as EventEmitter).emit(event, e) })
      this.#provider = combineProviders(this.#library, distribution.provider)
      this.#library.useHeldChunks(distribution.provider)
      if (options.offline === true) return
      const n = this.#net = await import('./networking.js')
      const { libp2p, privateKey, datastore } = await createHost(this.dataDir, this.config, n)
      this.#peerStore = datastore
      this.#libp2p = libp2p
      const net = this.config.network
      const library = this.#library
      const t = this.config.transfer
      const limiter = new n.UploadLimiter({ maxPerPeer: t.maxUploadsPerPeer, maxTotal: t.maxUploadsTotal, rateBytesPerSecond: t.uploadRateLimit, peerRateBytesPerSecond: t.peerUploadRateLimit })
      const rates = new n.DownloadLimiter({ rateBytesPerSecond: t.downloadRateLimit, peerRateBytesPerSecond: t.peerDownloadRateLimit })
      const swarm = new n.SwarmDirectory(libp2p, (peer) => { this.#peers.found(peer, 'pex') })
      const spread = new n.UploadSpread({ connected: (peer) => libp2p.getConnections(n.peerIdFromString(peer)).length > 0 })
      const observer = { onUploaded: (peer: string, _id: string, bytes: number) => { this.#peers.uploaded(peer, bytes) } }
      const budgets = new n.PeerBudgets(t.peerUploadBufferBytes)
      const uploads = { gate: limiter, budgets, writeTimeoutMs: t.uploadStallTimeoutMs, observer, spread }
      const readChunk = async (fileId: string, index: number): Promise<Uint8Array> => await this.readChunk(fileId, index)
      const repair = this.#repair = await serveDistribution({
        distribution, libp2p, privateKey, readChunk, budgets, bandwidths: () => this.#peers.bandwidths(), writeTimeoutMs: t.uploadStallTimeoutMs,
        repairDelayMs: this.config.distribution.repairDelaySeconds * 1000,
        onHeld: (id) => { this.#announcer?.added(id); this.#provide(id) }
      })
      // One count of each peer's streams, whichever carries them: the direct path's sockets count as chunks streams.
      const streams = new n.PeerStreamLimits(n.MAX_INBOUND_STREAMS_PER_PEER)
      const provider = this.#need(this.#provider)
      await n.serveShoalProtocols(libp2p, { provider, swarm, uploads, streams })
      const directHost = net.direct ? n.directListenHost(net.listen) : undefined
      if (directHost != null) {
        this.#direct = new n.DirectPath({ libp2p, privateKey, host: directHost, port: net.directPort, provider, uploads, streams })
        await this.#direct.start()
      }
      const finder = new n.HintedSourceFinder(libp2p, (peer) => { this.#peers.found(peer, 'link') })
      const finders: SourceFinder[] = [finder, mapSourceFinder(libp2p, (id) => distribution.known(id)?.record.record.holders.flat() ?? [])]
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
      this.#downloads.attach({ libp2p, net: n, finder, sources: n.combineFinders(libp2p.peerId, finders), swarm, rates, direct: this.#direct })
      await libp2p.start()
      if (this.#announcer != null) {
        this.#announcer.start()
        n.bootstrapFromTrackers(libp2p, this.#announcer.clients, (peer) => { this.#peers.found(peer, 'tracker') }, this.#lifetimeSignal(TRACKER_BOOTSTRAP_TIMEOUT_MS))
          .catch((err: unknown) => { log.error('bootstrap from trackers failed: %s', err) })
      }
      library.startWatching()
      repair.start()
      resumeDistributions(distribution, this.catalog, this.#lifetime.signal)
      for (const id of this.#heldFiles()) this.#provide(id)
      if (this.config.chunking.autoResumeDownloads && options.resume !== false) {
        this.#downloads.resume().catch((err: unknown) => { log.error('resuming downloads failed: %s', err) })
      }
    } catch (err) {
      await this.#teardown()
      throw err
    }
  }

  /**
   * Stops everything; running downloads keep their verified chunks and resume
   * on next start. `exiting`: the process ends right after (a command's own
   * node), so connections are cut rather than closed stream by stream with
   * the peer — a goodbye nobody waits for, which cost a `shoal get` tens of ms.
   */
  async stop (options: { exiting?: boolean } = {}): Promise<void> {
    // A start still running finishes (or rolls back) before it is undone.
    await this.#starting?.catch(() => {}) // its error went to its own caller
    this.#starting = undefined
    await this.#teardown(options.exiting === true)
  }

  /** Stops whatever has started, in reverse order of start. */
  async #teardown (exiting = false): Promise<void> {
    await this.#downloads.pauseAll()
    this.#lifetime.abort()
    this.#repair?.stop()
    this.#repair = undefined
    this.#distribution?.detach()
    await this.#announcer?.stop()
    this.#announcer = undefined
    await this.#direct?.stop()
    this.#direct = undefined
    if (exiting) for (const conn of this.#libp2p?.getConnections() ?? []) conn.abort(new ShoalError('ERR_ABORTED', 'the process is exiting'))
    await this.#libp2p?.stop()
    await this.#peerStore?.close()
    this.#peerStore = undefined
    await this.#library?.close()
    this.#catalog?.close()
    this.#peers.detach()
    this.#downloads.detach()
    this.#libp2p = undefined
    this.#library = undefined
    this.#catalog = undefined
    this.#distribution = undefined
    this.#provider = undefined
  }

  /** Hashes and shares a local file, pushed out when asked or big enough (see share.ts `shareFile`); resolves once every chunk has its copies. */
  async share (path: string, options: ShareOptions = {}): Promise<ShareResult> {
    const ctx = { library: this.#need(this.#library), distribution: this.#need(this.#distribution), catalog: this.catalog, config: this.config, online: this.#libp2p != null, describe: (r: FileRecord) => this.#describe(r) }
    const result = await shareFile(ctx, path, { ...options, signal: this.#bound(options.signal) })
    this.#announcer?.added(result.id)
    this.#provide(result.id)
    this.emit('file:added', result)
    return result
  }

  /** The distribution map of a file this node distributed or holds chunks of. */
  distributionView (id: string): DistributionView {
    return this.#need(this.#distribution).view(id)
  }

  /** Keeps a chunk sent over HTTP (`POST /api/chunks/store`) for a file held here; see Distribution.storeChunk. */
  async storeChunk (fileId: string, index: number, hashHex: string, data: Uint8Array): Promise<{ stored: boolean }> {
    return await this.#need(this.#distribution).storeChunk(fileId, index, hashHex, data)
  }

  /** Pushed chunks held here against the quota. */
  storageUsage (): StorageUsage {
    return this.#need(this.#distribution).usage()
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
    for (const id of this.#distribution?.heldFileIds() ?? []) held.add(id)
    for (const id of this.#downloads.fileIds()) held.add(id)
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

  /**
   * Stops sharing a file and forgets it (files on disk are never deleted).
   * `everywhere` (the uploader only) first releases every pushed copy.
   */
  async remove (id: string, options: { everywhere?: boolean } = {}): Promise<{ holders: number, released: number, dropped: number } | undefined> {
    let released
    if (options.everywhere === true) {
      if (this.#libp2p == null) throw new ShoalError('ERR_NODE_NOT_RUNNING', 'releasing pushed copies needs a running node: run `shoal start`, then `shoal rm ID --everywhere`')
      released = await this.#need(this.#distribution).releaseEverywhere(id, this.#lifetime.signal)
      if (this.catalog.getFile(id) == null) return released
    }
    if (this.catalog.getFile(id) == null) throw new ShoalError('ERR_FILE_NOT_FOUND', `no file ${id} in this node`, { id })
    this.#downloads.cancelFile(id)
    await this.#need(this.#library).remove(id)
    this.emit('file:removed', { id })
    return released
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
    return await this.#downloads.start(input, options)
  }

  /** A running job by ID. */
  job (id: string): DownloadJob | undefined {
    return this.#downloads.job(id)
  }

  /** A job's latest view: running, recently finished, or persisted from an earlier run. */
  download (id: string): JobSnapshot | undefined {
    return this.#downloads.download(id)
  }

  /** Running jobs, recently finished ones, and unfinished ones persisted from earlier runs. */
  downloads (): JobSnapshot[] {
    return this.#downloads.list()
  }

  /** Peers we are connected to or have exchanged data with. */
  async peers (options: { signal?: AbortSignal } = {}): Promise<PeerView[]> {
    return await this.#peers.list(this.#bound(options.signal))
  }

  /** One chunk's bytes, as served to peers (seed 000's GET /api/chunks/:fileId/:chunkIndex). */
  async readChunk (fileId: string, index: number): Promise<Uint8Array> {
    return await readServedChunk(this.#need(this.#provider), fileId, index)
  }

  /** Cancels a job; its verified chunks stay on disk. */
  cancel (id: string): void {
    this.#downloads.cancel(id)
  }
}
