/**
 * Where one download's bytes live: the lock on its destination, the part
 * file `<dest>.shoal-part`, and the catalog's record of which chunks in it
 * are verified and which of those are durable. On open it restores what an
 * earlier run verified, re-hashing the chunks written since its last sync
 * (a crash may have lost them); while the job runs it writes chunks, records
 * and announces them, and syncs them in batches; on completion it renames the
 * part file onto the destination and catalogues the copy.
 */
import { Bitfield } from '../content/bitfield.js'
import { chunkRange } from '../content/chunk-size.js'
import { chunkHash, manifestChunkCount, type Manifest } from '../content/manifest.js'
import { equalBytes, sha256 } from '../content/hash.js'
import { PartialFile } from '../store/partial-file.js'
import { lockDestination, type DownloadLock } from '../store/download-lock.js'
import { logger } from '../util/log.js'
import type { Catalog } from '../store/catalog.js'
import type { JobLibrary, PartialRegistration } from './job-library.js'

const log = logger('download-job')

/** How often written chunks are fsync'd and marked durable. */
export const SYNC_INTERVAL_MS = 1000

/** What a job's storage is opened on. */
export interface JobStorageInit {
  jobId: string
  fileId: string
  manifest: Manifest
  dest: string
  catalog: Catalog
  library: JobLibrary
}

/** A download's part file with its lock and catalog records. */
export class JobStorage {
  /** Chunks verified and written (served onwards through the registration). */
  readonly have: Bitfield
  readonly #init: JobStorageInit
  #partial: PartialFile | undefined
  #lock: DownloadLock | undefined
  #registration: PartialRegistration | undefined
  #unsynced: number[] = []
  #lastSync = 0

  constructor (init: JobStorageInit) {
    this.#init = init
    this.have = new Bitfield(manifestChunkCount(init.manifest))
  }

  /**
   * Locks the destination, opens (or creates) the part file and restores the
   * chunks an earlier run verified, telling `onRestored` of each as it is
   * checked. From here on the verified chunks are served to other peers.
   */
  async open (onRestored: (index: number, length: number) => void): Promise<void> {
    const { catalog, jobId, fileId, manifest, dest, library } = this.#init
    this.#lock = await lockDestination(dest)
    this.#partial = await PartialFile.open(dest, manifest.size)
    if (this.#partial.created) {
      // Chunks recorded for a part file that is gone (a run that died between
      // its commit and its cleanup, or a part file removed by hand) are not here.
      for (const index of catalog.verifiedChunks(jobId)) catalog.forgetChunk(jobId, index)
    }
    const unsynced = new Set(catalog.unsyncedChunks(jobId))
    for (const index of catalog.verifiedChunks(jobId)) {
      const { offset, length } = chunkRange(manifest.size, manifest.chunkSize, index)
      if (unsynced.has(index) && !equalBytes(sha256(await this.#partial.read(offset, length)), chunkHash(manifest, index))) {
        catalog.forgetChunk(jobId, index)
        continue
      }
      this.have.set(index)
      onRestored(index, length)
    }
    if (unsynced.size > 0) catalog.markChunksSynced(jobId, [...unsynced])
    this.#registration = library.registerPartial(fileId, manifest, this.have, this.#partial)
  }

  /** Writes a verified chunk's bytes into the part file. */
  async write (index: number, data: Buffer): Promise<void> {
    const { manifest } = this.#init
    const { offset } = chunkRange(manifest.size, manifest.chunkSize, index)
    await (this.#partial as PartialFile).write(offset, data)
  }

  /** A written chunk: catalogued as verified (durable at the next sync), held, and announced to our have-subscribers. */
  record (index: number): void {
    this.#init.catalog.addVerifiedChunk(this.#init.jobId, index)
    this.#unsynced.push(index)
    this.have.set(index)
    this.#registration?.announce(index)
  }

  /** Whether a sync is due at `now` (every SYNC_INTERVAL_MS). */
  syncDue (now: number): boolean { return now - this.#lastSync >= SYNC_INTERVAL_MS }

  /** Makes written chunks durable, then records them as such. */
  async sync (now: number): Promise<void> {
    this.#lastSync = now
    const batch = this.#unsynced
    if (batch.length === 0 || this.#partial == null) return
    this.#unsynced = []
    await this.#partial.sync()
    this.#init.catalog.markChunksSynced(this.#init.jobId, batch)
  }

  /** Renames the complete part file onto the destination and catalogues it as a local copy. */
  async commit (): Promise<void> {
    // Taken out first: a sync from the tick must not start on a handle that commit closes.
    const partial = this.#partial as PartialFile
    this.#partial = undefined
    await partial.commit()
    await this.#init.library.addDownloaded(this.#init.fileId, this.#init.dest)
  }

  /** Stops serving the part file, syncs and closes it (unless committed), and releases the lock. */
  async close (now: number): Promise<void> {
    this.#registration?.unregister()
    if (this.#partial != null) {
      await this.sync(now).catch((err: unknown) => { log.error('syncing %s on stop failed (unsynced chunks are re-hashed on resume): %s', this.#init.dest, err) })
      await this.#partial.close()
    }
    await this.#lock?.release()
  }
}
