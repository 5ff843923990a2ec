/**
 * The node's distribution unit (issue 10): everything that makes a file stay
 * downloadable without its uploader, composed from src/distribute/.
 *
 * - Holder side: the content-addressed ChunkStore (`<dataDir>/chunks`, bounded
 *   by `storage.chunkQuotaBytes`), the HolderRegistry (held_* tables of the
 *   catalog), the HolderStore policy (`distribution.acceptPushes`, the
 *   per-uploader share) behind the store protocol, the release protocol
 *   (`rm --everywhere`), and a FileProvider serving held chunks to
 *   downloaders like any other copy.
 * - Uploader side: `distribute()` pushes a shared file out (pusher.ts); every
 *   record version is persisted first (own-records.ts) so a restart resumes
 *   an unfinished push with `previous`, copying only what is missing. Two
 *   shares of one file at once join one push.
 * - Both: the record of a file (held or own) for the map, download hints,
 *   and repair (repair-driver.ts).
 */
import { EventEmitter } from 'node:events'
import { join } from 'node:path'
import { ChunkStore } from '../store/chunk-store.js'
import { HolderRegistry } from '../distribute/holder-registry.js'
import { HolderStore, perUploaderQuota, type OfferedFile } from '../distribute/holder-store.js'
import { HeldFileProvider } from '../distribute/served-held.js'
import { pushFile, type PushProgress } from '../distribute/pusher.js'
import { distributionView, holderCounts, nextRecord, signRecord, type DistributionView, type SignedRecord } from '../distribute/record.js'
import { preferRecord, RESIGN_CHAIN_LENGTH } from '../distribute/record-chain.js'
import { sendRecordUpdate } from '../distribute/store-client.js'
import { applyRelease, decodeRelease, signRelease } from '../distribute/release.js'
import { chunkHash, encodeManifest, type Manifest } from '../content/manifest.js'
import { StoreRefusal } from '../distribute/store-wire.js'
import { ShoalError, hasCode } from '../errors.js'
import { logger } from '../util/log.js'
import { OwnRecords } from './own-records.js'
import type { PlacementStrategy } from '../distribute/placement.js'
import type { Catalog } from '../store/catalog.js'
import type { FileProvider } from '../protocol/served-file.js'
import { sendRelease, type ReleaseAnswer } from '../distribute/release-protocol.js'
import type { ShoalConfig } from '../config/index.js'
import type { Libp2p, PrivateKey } from '@libp2p/interface'

const log = logger('distribution')

/** Folder of the data dir holding pushed chunks. */
export const CHUNKS_DIR = 'chunks'

/** Least time between two `distribution:progress` events of one push. */
export const PROGRESS_EVENT_INTERVAL_MS = 250

/** A distribution as `share --json` and the API report it. */
export interface DistributionSummary {
  replicas: number
  strategy: PlacementStrategy
  /** Chunks per holder. */
  holders: Record<string, number>
}

/** Quota usage of pushed chunks held here (`shoal ls`, the API). */
export interface StorageUsage {
  usedBytes: number
  quotaBytes: number
  /** Distributed files this node holds chunks of for others. */
  heldFiles: number
}

/** A file's record as this node knows it, with what is needed to act on it. */
export interface KnownRecord {
  chain: readonly Uint8Array[]
  record: SignedRecord
  manifest: Manifest
  manifestBytes: Uint8Array
  /** This node is the file's uploader (else: a holder). */
  own: boolean
}

/** Events of the unit (the node re-emits them). */
export interface DistributionEvents {
  'distribution:progress': [{ id: string, confirmed: number, total: number, bytesSent: number }]
  'distribution:done': [{ id: string } & DistributionSummary]
  'distribution:refused': [{ id: string, message: string, availablePeers: number, fileSizeGb: number }]
  'repair:started': [{ id: string, departed: string[] }]
  'repair:done': [{ id: string, version: number | null, copies: number, failed: number }]
}

/** Options of one distribution. */
export interface DistributeOptions {
  replicas?: number
  strategy?: PlacementStrategy
  signal?: AbortSignal
  onProgress?: (progress: PushProgress) => void
}

/** What the unit needs from the node once it is online. */
export interface DistributionOnline {
  libp2p: Libp2p
  privateKey: PrivateKey
  /** Reads chunk `index` of a file this node serves (library or held), verified. */
  readChunk: (fileId: string, index: number) => Promise<Uint8Array>
  /**
   * Measured upload bandwidths of peers (bytes/s), for weighted placement of
   * a push. Not for repair: every survivor must plan over the same inputs,
   * and what each measures differs.
   */
  bandwidths?: () => ReadonlyMap<string, number>
}

/** See the module comment. */
export class Distribution extends EventEmitter<DistributionEvents> {
  readonly config: ShoalConfig
  readonly chunks: ChunkStore
  readonly registry: HolderRegistry
  /** Held chunks as the serving protocols see files. */
  readonly provider: FileProvider
  readonly #catalog: Catalog
  readonly #own: OwnRecords
  readonly #pushes = new Map<string, Promise<SignedRecord>>()
  readonly #resigning = new Set<string>()
  #online: (DistributionOnline & { self: string, holder: HolderStore }) | undefined

  private constructor (init: { config: ShoalConfig, catalog: Catalog, chunks: ChunkStore, registry: HolderRegistry, own: OwnRecords }) {
    super()
    this.config = init.config
    this.chunks = init.chunks
    this.registry = init.registry
    this.#catalog = init.catalog
    this.#own = init.own
    this.provider = new HeldFileProvider(init.registry, init.chunks)
  }

  /** Opens the chunk store, the held files (re-verified) and this node's own records. */
  static async open (init: { dataDir: string, config: ShoalConfig, catalog: Catalog }): Promise<Distribution> {
    const chunks = new ChunkStore(join(init.dataDir, CHUNKS_DIR), init.config.storage.chunkQuotaBytes)
    const registry = await HolderRegistry.open(init.catalog.database, chunks)
    const own = await OwnRecords.open(init.dataDir)
    return new Distribution({ ...init, chunks, registry, own })
  }

  /** Gives the unit the started host; `detach()` on stop. Returns the holder policy for the store protocol. */
  attach (online: DistributionOnline): HolderStore {
    const self = online.libp2p.peerId.toString()
    const quota = this.config.storage.chunkQuotaBytes
    const holder = new HolderStore({
      self,
      registry: this.registry,
      chunks: this.chunks,
      policy: { acceptPushes: this.config.distribution.acceptPushes, perUploaderBytes: perUploaderQuota(quota, this.config.storage.chunkQuotaPerUploaderPercent) }
    })
    this.#online = { ...online, self, holder }
    return holder
  }

  detach (): void { this.#online = undefined }

  get #self (): string { return this.#need().self }

  /** What the store server needs to let the uploader's map follow repairs. */
  get otherRecords (): { manifestBytes: (fileId: string) => Uint8Array | undefined, update: (file: OfferedFile) => void } {
    return {
      manifestBytes: (fileId) => {
        const manifest = this.#own.get(fileId) == null ? undefined : this.#catalog.getFile(fileId)?.manifest
        return manifest == null ? undefined : encodeManifest(manifest)
      },
      update: (file) => {
        const own = this.#own.get(file.fileId)
        if (own == null || file.record.record.uploader !== this.#online?.self) return
        if (preferRecord(own.record, file.record) !== file.record || own.record.bytes === file.record.bytes) return
        log('%s: version %d of our record from a repair', file.fileId, file.record.record.version)
        this.#own.put(file.chain, file.record, own.done)
        if (file.chain.length > RESIGN_CHAIN_LENGTH) this.resign(file.fileId).catch((err: unknown) => { log.error('re-signing the map of %s failed: %o', file.fileId, err) })
      }
    }
  }

  /**
   * Re-signs the current map of a file this node distributed as a new
   * version of its own and sends it to the holders: their chains restart
   * there (rootChain), so repairs never grow a chain past what the store
   * protocol carries. One re-sign of a file at a time.
   */
  async resign (fileId: string, signal?: AbortSignal): Promise<SignedRecord | undefined> {
    const online = this.#need()
    const own = this.#own.get(fileId)
    const manifest = this.#catalog.getFile(fileId)?.manifest
    if (own == null || manifest == null || this.#resigning.has(fileId)) return undefined
    this.#resigning.add(fileId)
    try {
      const signed = await signRecord(nextRecord(own.record, own.record.record.holders, online.self), online.privateKey)
      this.#own.put([signed.bytes], signed, own.done)
      log('%s: map re-signed as version %d after a chain of %d', fileId, signed.record.version, own.chain.length)
      const offer = { fileId, chunkCount: signed.record.holders.length, chunkSize: manifest.chunkSize, chain: [signed.bytes] }
      await Promise.all([...holderCounts(signed.record).keys()].filter((p) => p !== online.self).map(async (peer) => {
        try {
          const answer = await sendRecordUpdate(online.libp2p, peer, offer, { signal })
          if (!answer.accepted) log('%s refused the re-signed map of %s: %s', peer, fileId, answer.message)
        } catch (err) {
          log('could not send the re-signed map of %s to %s: %s', fileId, peer, err)
        }
      }))
      return signed
    } finally {
      this.#resigning.delete(fileId)
    }
  }

  /** IDs of the distributed files this node holds chunks of. */
  heldFileIds (): string[] {
    return this.registry.files().filter((f) => f.have.count > 0).map((f) => f.fileId)
  }

  /** Whether a push of `fileId` to this node is under way: the chunks its map names us for are still coming. */
  isBeingPushed (fileId: string): boolean { return this.#online?.holder.isBeingPushed(fileId) ?? false }

  /** The record this node keeps for `fileId` (as holder or uploader), if any. */
  known (fileId: string): KnownRecord | undefined {
    const held = this.registry.get(fileId)
    if (held != null) return { chain: held.chain, record: held.record, manifest: held.manifest, manifestBytes: held.manifestBytes, own: false }
    const own = this.#own.get(fileId)
    const manifest = own == null ? undefined : this.#catalog.getFile(fileId)?.manifest
    if (own == null || manifest == null) return undefined
    return { chain: own.chain, record: own.record, manifest, manifestBytes: encodeManifest(manifest), own: true }
  }

  /** Every record this node keeps, without manifests (cheap: the repair driver reads them every second). */
  records (): Array<{ record: SignedRecord, own: boolean }> {
    const held = this.registry.files().map((f) => ({ record: f.record, own: false }))
    const ids = new Set(held.map((h) => h.record.record.fileId))
    return [...held, ...this.#own.list().filter((o) => !ids.has(o.fileId)).map((o) => ({ record: o.record, own: true }))]
  }

  /** Keeps a newer version of a file's record (a repair this node signed). */
  adopt (fileId: string, chain: readonly Uint8Array[], record: SignedRecord): void {
    if (this.registry.get(fileId) != null) this.registry.setChain(fileId, chain, record)
    const own = this.#own.get(fileId)
    if (own != null) this.#own.put(chain, record, own.done)
  }

  /** The map of `fileId` (`GET /api/files/:id/distribution`, `shoal map`). */
  view (fileId: string): DistributionView {
    const known = this.known(fileId)
    if (known == null) throw new ShoalError('ERR_FILE_NOT_FOUND', `this node has no distribution record of ${fileId}`, { id: fileId })
    return distributionView(known.record.record)
  }

  /** Deletes one held chunk (a surplus copy): its row, and its bytes unless another held file uses them. */
  async dropHeldChunk (fileId: string, index: number): Promise<void> {
    const held = this.registry.get(fileId)
    if (held == null || !held.have.get(index)) return
    const hash = chunkHash(held.manifest, index)
    this.registry.dropChunk(fileId, index)
    const shared = this.#catalog.database.prepare('SELECT 1 FROM held_chunks WHERE hash = ? LIMIT 1').get(hash)
    if (shared === undefined) await this.chunks.delete(hash)
  }

  /** Room left here for `uploader`'s files, as a QUERY would answer it (not accepting while offline). */
  capacity (uploader: string): { accepting: boolean, uploaderFreeBytes: number } {
    return this.#online?.holder.capacity(uploader) ?? { accepting: false, uploaderFreeBytes: 0 }
  }

  usage (): StorageUsage {
    return { usedBytes: this.chunks.usedBytes, quotaBytes: this.chunks.quotaBytes, heldFiles: this.heldFileIds().length }
  }

  /**
   * Pushes a shared file out until every chunk has its copies; a push of the
   * same file already running is joined. An own record left unfinished by an
   * earlier run is resumed. Throws ERR_DISTRIBUTION_REQUIRED before anything
   * is pushed when too few peers can take chunks.
   */
  async distribute (fileId: string, manifest: Manifest, options: DistributeOptions = {}): Promise<DistributionSummary> {
    let push = this.#pushes.get(fileId)
    if (push == null) {
      push = this.#push(fileId, manifest, options).finally(() => { this.#pushes.delete(fileId) })
      this.#pushes.set(fileId, push)
    }
    const record = (await push).record
    return { replicas: record.replicas, strategy: record.strategy, holders: Object.fromEntries(holderCounts(record)) }
  }

  async #push (fileId: string, manifest: Manifest, options: DistributeOptions): Promise<SignedRecord> {
    const online = this.#need()
    const previous = this.#own.get(fileId)
    // A finished distribution is not pushed again: its holders have it, and repair keeps it so.
    if (previous?.done === true) return previous.record
    const d = this.config.distribution
    const replicas = previous?.record.record.replicas ?? options.replicas ?? d.replicas
    const strategy = previous?.record.record.strategy ?? options.strategy ?? this.config.chunking.distributionStrategy
    // Connected peers, and a resumed push's holders (dialled from the peer store: a node just restarted may not be connected yet).
    const candidates = [...new Set([...online.libp2p.getPeers().map(String), ...(previous?.record.record.holders.flat() ?? [])])].filter((p) => p !== online.self)
    let lastEvent = 0
    try {
      const result = await pushFile({
        libp2p: online.libp2p,
        privateKey: online.privateKey,
        manifest,
        manifestBytes: encodeManifest(manifest),
        readChunk: async (index) => await online.readChunk(fileId, index),
        candidates,
        bandwidths: online.bandwidths?.(),
        replicas,
        strategy,
        minPeers: this.config.chunking.minPeersForDistribution,
        // Only an uploader-signed version can be resumed under (it roots its own chain).
        previous: previous != null && previous.chain.length === 1 ? previous.record : undefined,
        onRecord: (record) => { this.#own.put([record.bytes], record, false) },
        onProgress: (p) => {
          options.onProgress?.(p)
          // One event per ack would flood the event stream on a big file: a few a second, and the last.
          const now = Date.now()
          if (now - lastEvent < PROGRESS_EVENT_INTERVAL_MS && p.confirmed < p.total) return
          lastEvent = now
          this.emit('distribution:progress', { id: fileId, ...p })
        },
        signal: options.signal
      })
      this.#own.put([result.record.bytes], result.record, true)
      log('%s distributed: %d chunks sent, %d rounds, %d copies re-placed', fileId, result.chunksSent, result.rounds, result.refused)
      this.emit('distribution:done', { id: fileId, replicas, strategy, holders: Object.fromEntries(holderCounts(result.record.record)) })
      return result.record
    } catch (err) {
      if (hasCode(err, 'ERR_DISTRIBUTION_REQUIRED')) {
        const details = (err as ShoalError).details ?? {}
        this.emit('distribution:refused', { id: fileId, message: (err as Error).message, availablePeers: Number(details.availablePeers ?? 0), fileSizeGb: Number(details.fileSizeGb ?? 0) })
      }
      throw err
    }
  }

  /**
   * Seed 000's `POST /api/chunks/store`: keeps one chunk of a file this node
   * holds under a known record that places it as holder of `index`. The
   * hash given must be the manifest's, and the bytes must hash to it, before
   * anything is stored; the quotas apply as for a pushed chunk.
   */
  async storeChunk (fileId: string, index: number, hashHex: string, data: Uint8Array): Promise<{ stored: boolean }> {
    const { holder, self } = this.#need()
    const held = this.registry.get(fileId)
    if (held == null) throw new ShoalError('ERR_FILE_NOT_FOUND', `this node has no distribution record of ${fileId}`, { id: fileId })
    if (!Number.isSafeInteger(index) || index < 0 || index >= held.record.record.holders.length) {
      throw new ShoalError('ERR_INVALID_ARGUMENT', `chunk_index ${index} is not a chunk of ${fileId}`, { id: fileId, index })
    }
    if (held.record.record.holders[index]?.includes(self) !== true) {
      throw new ShoalError('ERR_UNAUTHORIZED', `the record of ${fileId} does not place chunk ${index} on this node`, { id: fileId, index })
    }
    if (Buffer.from(chunkHash(held.manifest, index)).toString('hex') !== hashHex.toLowerCase()) {
      throw new ShoalError('ERR_INVALID_ARGUMENT', `chunk_hash is not the hash of chunk ${index} in the manifest`, { id: fileId, index })
    }
    const verdict = await holder.store({ fileId, manifest: held.manifest, manifestBytes: held.manifestBytes, chain: held.chain, record: held.record }, index, data)
    if (verdict.refusal === StoreRefusal.CORRUPT) throw new ShoalError('ERR_INVALID_ARGUMENT', `chunk_data does not match chunk_hash: ${verdict.message}`, { id: fileId, index })
    if (verdict.refusal === StoreRefusal.QUOTA) throw new ShoalError('ERR_QUOTA_EXCEEDED', verdict.message, { id: fileId, index })
    if (verdict.refusal !== StoreRefusal.NONE) throw new ShoalError('ERR_UNAUTHORIZED', verdict.message, { id: fileId, index })
    return { stored: true }
  }

  /** Own records whose push did not finish (a restart resumes them). */
  unfinished (): string[] {
    return this.#own.list().filter((o) => !o.done).map((o) => o.fileId)
  }

  /** True when this node distributed `fileId` (its uploader). */
  isOwn (fileId: string): boolean {
    return this.#own.get(fileId) != null
  }

  /**
   * `rm --everywhere`: signs a release and sends it to every holder of the
   * file's record, then forgets the record. Only the uploader can.
   */
  async releaseEverywhere (fileId: string, signal?: AbortSignal): Promise<{ holders: number, released: number, dropped: number }> {
    const own = this.#own.get(fileId)
    if (own == null) {
      const held = this.registry.get(fileId) != null
      throw new ShoalError(held ? 'ERR_UNAUTHORIZED' : 'ERR_FILE_NOT_FOUND', held
        ? `only the uploader of ${fileId} can release it everywhere; this node holds copies for another uploader`
        : `this node did not distribute ${fileId}`, { id: fileId })
    }
    const online = this.#need()
    const release = await signRelease({ fileId, uploader: this.#self, issuedAt: Date.now() }, online.privateKey)
    const peers = [...holderCounts(own.record.record).keys()].filter((p) => p !== this.#self)
    let released = 0
    let dropped = 0
    await Promise.all(peers.map(async (peer) => {
      try {
        const answer = await sendRelease(online.libp2p, peer, release, { signal })
        if (answer.released) { released++; dropped += answer.dropped } else log.error('%s did not release %s: %s', peer, fileId, answer.message)
      } catch (err) {
        log.error('could not send the release of %s to %s: %s', fileId, peer, err)
      }
    }))
    this.#own.remove(fileId)
    return { holders: peers.length, released, dropped }
  }

  /** A holder's side of a release: verified against the record kept, then every chunk of the file dropped. */
  async onRelease (bytes: Uint8Array, signal: AbortSignal): Promise<ReleaseAnswer> {
    const { fileId } = await decodeRelease(bytes)
    const held = this.registry.get(fileId)
    if (held == null) return { released: false, message: `no held file ${fileId}`, dropped: 0 }
    const row = this.#catalog.database.prepare('SELECT added_at FROM held_files WHERE file_id = ?').get(fileId) as { added_at: number } | undefined
    const chunks = Array.from({ length: held.have.length }, (_, i) => i).filter((i) => held.have.get(i))
    const dropped = await applyRelease(bytes, { record: held.record.record, acceptedAtMs: row?.added_at ?? 0 }, {
      held: chunks,
      // registry.remove (forget) deletes the bytes with the rows, keeping those another held file shares.
      deleteChunk: async () => {},
      forget: async (id) => { await this.registry.remove(id) }
    }, signal)
    return { released: true, message: '', dropped: dropped.length }
  }

  #need (): DistributionOnline & { self: string, holder: HolderStore } {
    if (this.#online == null) throw new ShoalError('ERR_NODE_NOT_RUNNING', 'distribution needs a running node (start one with `shoal start`)')
    return this.#online
  }
}

