/**
 * The node's library: every file it can serve, as the protocols see it.
 * Complete copies (shared or downloaded) are read in place through a
 * FileSource; downloads in progress register their partial file and bitfield
 * so verified chunks are served onwards while the rest still arrives.
 *
 * Bytes read from disk are trusted only after their hash: every chunk served
 * (to peers and over HTTP) is checked against the manifest first. A copy
 * found changed, deleted or corrupt — by a read, by the periodic identity
 * check (size, mtime, ctime, inode), or by `verify` — is unshared on the spot
 * with a `file:changed` event, never served stale.
 */
import { basename, resolve } from 'node:path'
import { EventEmitter } from 'node:events'
import { stat } from 'node:fs/promises'
import { webcrypto } from 'node:crypto'
import { Bitfield } from '../content/bitfield.js'
import { chunkRange } from '../content/chunk-size.js'
import { hashFile } from '../content/chunker.js'
import { assertUnchanged, checkFile, fileIdentity, statRegularFile } from '../content/file-check.js'
import { equalBytes } from '../content/hash.js'
import { chunkHash, createManifest, encodeManifest, fileIdFromManifestBytes, manifestChunkCount, type Manifest } from '../content/manifest.js'
import { assertSafeFileName } from '../content/file-name.js'
import { FileSource } from '../store/file-source.js'
import { ShoalError, hasCode, toShoalError } from '../errors.js'
import { logger } from '../util/log.js'
import { verifyLocalCopy, type VerifyReport } from './verify.js'
import type { Catalog, FileRecord } from '../store/catalog.js'
import type { FileProvider, ServedFile } from '../protocol/served-file.js'
import type { JobLibrary, LocalCopy, PartialReader, PartialRegistration, UnshareReason } from '../transfer/job-library.js'

export type { LocalCopy, PartialReader, PartialRegistration, UnshareReason }

const log = logger('library')

/** How often the identity of every complete copy is re-checked on disk (a deleted file leaves no read to notice it). */
export const FILE_CHECK_INTERVAL_MS = 10_000

/** A copy unshared because it no longer matches its manifest: a warning for the user. */
export interface FileChangedEvent {
  id: string
  path: string
  reason: UnshareReason
  message: string
}

/** Events of the library. */
export interface LibraryEvents {
  'file:changed': [FileChangedEvent]
}

interface Entry {
  served: ServedFile
  close: () => Promise<void>
}

/** The set of files this node serves; implements the protocols' FileProvider. */
export class Library extends EventEmitter<LibraryEvents> implements FileProvider, JobLibrary {
  readonly #catalog: Catalog
  readonly #entries = new Map<string, Entry>()
  readonly #listeners = new Map<string, Set<(index: number) => void>>()
  #watch: NodeJS.Timeout | undefined
  #checking = false
  /** Chunks held here for others (distribution): a download of such a file copies them instead of fetching them. */
  #held: FileProvider | undefined

  constructor (catalog: Catalog) {
    super()
    this.#catalog = catalog
  }

  /** Hashes `path` and records it as shared, served in place. Returns the file's record. */
  async share (path: string, options: { baseChunkSize?: number, signal?: AbortSignal, onProgress?: (done: number, total: number) => void } = {}): Promise<FileRecord> {
    const abs = resolve(path)
    // Refused before hashing: its manifest could not carry this name.
    assertSafeFileName(basename(abs), 'ERR_INVALID_ARGUMENT', 'the file name', { hint: 'rename the file to share it' })
    // The identity recorded is the one from before hashing; hashFile's own
    // check and this one refuse a file that changed in between.
    const before = await statRegularFile(abs)
    const hashed = await hashFile(abs, options)
    await assertUnchanged(abs, before)
    const manifest = createManifest({ name: basename(abs), size: hashed.size, chunkSize: hashed.chunkSize, hashes: hashed.hashes })
    const id = fileIdFromManifestBytes(encodeManifest(manifest))
    this.#catalog.putFile(id, manifest)
    this.#catalog.putLocalCopy({ fileId: id, path: abs, ...fileIdentity(before), origin: 'shared' })
    await this.#dropEntry(id)
    return this.#catalog.getFile(id) as FileRecord
  }

  /** Records a finished download as a complete local copy, with the identity it has on disk now. */
  async addDownloaded (fileId: string, path: string): Promise<void> {
    this.#catalog.putLocalCopy({ fileId, path, ...fileIdentity(await stat(path)), origin: 'downloaded' })
    await this.#dropEntry(fileId)
  }

  /**
   * Opens a complete copy of `id` (other than `exclude`) whose identity on
   * disk still matches the catalogue, for a download to copy from; copies
   * found changed or deleted on the way are unshared. Undefined if none.
   */
  async openCopy (id: string, exclude?: string): Promise<LocalCopy | undefined> {
    for (const copy of this.#catalog.localCopies(id)) {
      if (copy.path === exclude) continue
      let check
      try {
        check = await checkFile(copy.path, copy)
      } catch (err) {
        log.error('cannot check %s: %s', copy.path, toShoalError(err).message)
        continue
      }
      if (check !== 'unchanged') { this.unshare(id, copy.path, check); continue }
      const source = new FileSource(copy.path, copy)
      return {
        path: copy.path,
        read: async (offset, length) => await source.read(offset, length),
        unshare: (reason, detail) => { this.unshare(id, copy.path, reason, detail) },
        close: async () => { await source.close() }
      }
    }
    return this.#heldCopy(id)
  }

  /** Serves `openCopy` the chunks held here for others (the node's distribution unit). */
  useHeldChunks (held: FileProvider): void {
    this.#held = held
  }

  #heldCopy (id: string): LocalCopy | undefined {
    const file = this.#held?.getServedFile(id)
    if (file == null || file.have.count === 0) return undefined
    const { chunkSize } = file.manifest
    return {
      path: `held chunks of ${id}`,
      have: new Bitfield(file.have.length, file.have.toBytes().slice()),
      // Reads are whole chunks (local-source.ts); the held chunk is checked again on its way into the job.
      read: async (offset) => Buffer.from(await file.readChunk(Math.floor(offset / chunkSize))),
      unshare: (reason, detail) => { log.error('a held chunk of %s did not match: %s %s', id, reason, detail ?? '') },
      close: async () => {}
    }
  }

  /**
   * Serves a download's verified chunks while it runs — unless a complete
   * copy is served already: it has every chunk the download will have.
   */
  registerPartial (id: string, manifest: Manifest, have: Bitfield, reader: PartialReader): PartialRegistration {
    const announce = (index: number): void => { for (const l of this.#listeners.get(id) ?? []) l(index) }
    if (this.#catalog.localCopies(id).length > 0) return { announce, unregister: () => {} }
    const served = this.#makeServed(id, manifest, have, async (index) => {
      const { offset, length } = chunkRange(manifest.size, manifest.chunkSize, index)
      if (!have.get(index)) throw new ShoalError('ERR_CHUNK_NOT_AVAILABLE', `chunk ${index} not downloaded yet`)
      const data = await reader.read(offset, length)
      if (!await matches(manifest, index, data)) {
        throw new ShoalError('ERR_CHUNK_CORRUPT', `chunk ${index} of the download of ${id} no longer matches on disk`, { id, index })
      }
      return data
    })
    void this.#dropEntry(id) // a complete copy's source, if one was open: its descriptor is closed, not left to the GC
    this.#entries.set(id, { served, close: async () => {} })
    return {
      announce,
      unregister: () => {
        if (this.#entries.get(id)?.served === served) this.#entries.delete(id)
      }
    }
  }

  /** Forgets a file: unserved, uncatalogued. Files on disk are left alone. */
  async remove (id: string): Promise<void> {
    await this.#dropEntry(id)
    this.#catalog.deleteFile(id)
  }

  getServedFile (id: string): ServedFile | undefined {
    const cached = this.#entries.get(id)
    if (cached != null) return cached.served
    const record = this.#catalog.getFile(id)
    const copy = record == null ? undefined : this.#catalog.localCopies(id)[0]
    if (record == null || copy == null) return undefined
    const source = new FileSource(copy.path, copy)
    const { manifest } = record
    const served = this.#makeServed(id, manifest, Bitfield.full(manifestChunkCount(manifest)), async (index) => {
      const { offset, length } = chunkRange(manifest.size, manifest.chunkSize, index)
      let data: Buffer
      try {
        data = await source.read(offset, length)
      } catch (err) {
        if (!hasCode(err, 'ERR_FILE_CHANGED')) throw err
        this.unshare(id, copy.path, source.check === 'deleted' ? 'deleted' : 'changed')
        throw changedError(id, index) // the path is for the user's warning event, not for whoever asked
      }
      if (!await matches(manifest, index, data)) {
        // Same identity, other bytes: bit rot, or a change the clock hid. Either way not the file we shared.
        this.unshare(id, copy.path, 'corrupt', `chunk ${index} does not match the manifest`)
        throw changedError(id, index)
      }
      return data
    })
    this.#entries.set(id, { served, close: async () => { await source.close() } })
    return served
  }

  /**
   * Stops sharing one copy that no longer matches its manifest: out of the
   * catalog (not listed, not announced), its source closed, and a
   * `file:changed` warning for the user. The file on disk is left alone.
   */
  unshare (id: string, path: string, reason: UnshareReason, detail?: string): void {
    const copy = this.#catalog.localCopies(id).find(c => c.path === path)
    if (copy == null) return // already unshared (two reads found it at once)
    this.#catalog.deleteLocalCopy(id, path)
    void this.#dropEntry(id)
    const what = reason === 'deleted' ? 'was deleted' : reason === 'changed' ? 'changed on disk' : 'is corrupt'
    const message = `${path} ${what}${detail == null ? '' : ` (${detail})`}: no longer shared; share it again to serve its new content`
    log('unshared %s: %s', id, message)
    this.emit('file:changed', { id, path, reason, message })
  }

  /**
   * Re-checks every complete copy's identity on disk and unshares those
   * changed or deleted; with `deletedOnly`, only those gone (an offline
   * `verify` still gets to say which chunks of a changed copy differ).
   */
  async checkCopies (options: { deletedOnly?: boolean } = {}): Promise<void> {
    for (const record of this.#catalog.listFiles()) {
      for (const copy of this.#catalog.localCopies(record.id)) {
        try {
          const check = await checkFile(copy.path, copy)
          if (check === 'deleted' || (check === 'changed' && options.deletedOnly !== true)) this.unshare(record.id, copy.path, check)
        } catch (err) {
          // Unreadable for now (permissions, I/O): reads will fail on their own; keep it until we know.
          log.error('cannot check %s: %s', copy.path, toShoalError(err).message)
        }
      }
    }
  }

  /** Checks every copy now and then every FILE_CHECK_INTERVAL_MS, until close(). */
  startWatching (intervalMs = FILE_CHECK_INTERVAL_MS): void {
    if (this.#watch != null) return
    this.#watch = setInterval(() => {
      if (this.#checking) return
      this.#checking = true
      this.checkCopies()
        .catch((err: unknown) => { log.error('file check failed: %s', toShoalError(err).message) })
        .finally(() => { this.#checking = false })
    }, intervalMs).unref()
  }

  /** Re-hashes every local copy of a file against its manifest; copies that fail are unshared. */
  async verify (id: string, options: { signal?: AbortSignal } = {}): Promise<VerifyReport[]> {
    const record = this.#catalog.getFile(id)
    if (record == null) throw new ShoalError('ERR_FILE_NOT_FOUND', `no file ${id} in this node`, { id })
    const reports: VerifyReport[] = []
    for (const copy of this.#catalog.localCopies(id)) {
      const report = await verifyLocalCopy(record.manifest, copy.path, options)
      reports.push(report)
      if (report.ok) continue
      // An error (gone, unreadable, another size) means another file; bad chunks, the same file rotten.
      this.unshare(id, copy.path, report.error == null ? 'corrupt' : 'changed', report.error ?? `chunks ${report.badChunks.join(', ')} do not match`)
    }
    return reports
  }

  #makeServed (id: string, manifest: Manifest, have: Bitfield, readChunk: (index: number) => Promise<Uint8Array>): ServedFile {
    return {
      id,
      manifest,
      manifestBytes: encodeManifest(manifest),
      have,
      readChunk,
      onHave: (listener) => {
        let set = this.#listeners.get(id)
        if (set == null) this.#listeners.set(id, set = new Set())
        set.add(listener)
        return () => { set?.delete(listener) }
      }
    }
  }

  async #dropEntry (id: string): Promise<void> {
    const entry = this.#entries.get(id)
    this.#entries.delete(id)
    await entry?.close().catch((err: unknown) => { log.error('closing %s failed: %s', id, toShoalError(err).message) })
  }

  async close (): Promise<void> {
    if (this.#watch != null) clearInterval(this.#watch)
    this.#watch = undefined
    const ids = [...this.#entries.keys()]
    await Promise.all(ids.map(async id => { await this.#dropEntry(id) }))
  }
}

function changedError (id: string, index: number): ShoalError {
  return new ShoalError('ERR_FILE_CHANGED', `chunk ${index} of ${id}: the shared file no longer matches its manifest on disk, and is no longer shared`, { id, index })
}

/**
 * True when `data` is chunk `index` of `manifest`. Hashed with WebCrypto,
 * which runs in libuv's thread pool: ~1 ms per MiB measured here, off the
 * event loop that serves peers.
 */
async function matches (manifest: Manifest, index: number, data: Uint8Array): Promise<boolean> {
  const digest = new Uint8Array(await webcrypto.subtle.digest('SHA-256', data))
  return equalBytes(digest, chunkHash(manifest, index))
}
