/**
 * The node's library: every file it can serve, as the protocols see it.
 * Complete copies (shared or downloaded) are read in place through a
 * FileSource; downloads in progress register their partial file and bitfield
 * so verified chunks are served onwards while the rest still arrives. A copy
 * found changed on disk is unshared on the spot, never served stale.
 */
import { basename, resolve } from 'node:path'
import { EventEmitter } from 'node:events'
import { Bitfield } from '../content/bitfield.js'
import { chunkRange } from '../content/chunk-size.js'
import { hashFile } from '../content/chunker.js'
import { createManifest, encodeManifest, fileIdFromManifestBytes, manifestChunkCount, type Manifest } from '../content/manifest.js'
import { assertSafeFileName } from '../content/file-name.js'
import { FileSource } from '../store/file-source.js'
import { ShoalError, hasCode } from '../errors.js'
import type { Catalog, FileRecord, LocalCopy } from '../store/catalog.js'
import type { FileProvider, ServedFile } from '../protocol/served-file.js'

/** Reads chunk bytes of a partial download (verified chunks only). */
export interface PartialReader {
  read: (offset: number, length: number) => Promise<Uint8Array>
}

/** Events of the library. */
export interface LibraryEvents {
  'file:changed': [{ id: string, path: string }]
}

/** Handle a download holds on its registration. */
export interface PartialRegistration {
  /** Announces a newly verified chunk to have-subscribers. */
  announce: (index: number) => void
  unregister: () => void
}

interface Entry {
  served: ServedFile
  close: () => Promise<void>
}

/** The set of files this node serves; implements the protocols' FileProvider. */
export class Library extends EventEmitter<LibraryEvents> implements FileProvider {
  readonly #catalog: Catalog
  readonly #entries = new Map<string, Entry>()
  readonly #listeners = new Map<string, Set<(index: number) => void>>()

  constructor (catalog: Catalog) {
    super()
    this.#catalog = catalog
  }

  /** Hashes `path` and records it as shared, served in place. Returns the file's record. */
  async share (path: string, options: { baseChunkSize?: number, signal?: AbortSignal, onProgress?: (done: number, total: number) => void } = {}): Promise<FileRecord> {
    const abs = resolve(path)
    // Refused before hashing: its manifest could not carry this name.
    assertSafeFileName(basename(abs), 'ERR_INVALID_ARGUMENT', 'the file name', { hint: 'rename the file to share it' })
    const hashed = await hashFile(abs, options)
    const manifest = createManifest({ name: basename(abs), size: hashed.size, chunkSize: hashed.chunkSize, hashes: hashed.hashes })
    const id = fileIdFromManifestBytes(encodeManifest(manifest))
    this.#catalog.putFile(id, manifest)
    this.#catalog.putLocalCopy({ fileId: id, path: abs, size: hashed.size, mtimeMs: hashed.mtimeMs, origin: 'shared' })
    void this.#dropEntry(id)
    return this.#catalog.getFile(id) as FileRecord
  }

  /** Records a finished download as a complete local copy. */
  addDownloaded (copy: Omit<LocalCopy, 'origin'>): void {
    this.#catalog.putLocalCopy({ ...copy, origin: 'downloaded' })
    void this.#dropEntry(copy.fileId)
  }

  /** Serves a download's verified chunks while it runs. */
  registerPartial (id: string, manifest: Manifest, have: Bitfield, reader: PartialReader): PartialRegistration {
    const served = this.#makeServed(id, manifest, have, async (index) => {
      const { offset, length } = chunkRange(manifest.size, manifest.chunkSize, index)
      if (!have.get(index)) throw new ShoalError('ERR_CHUNK_NOT_AVAILABLE', `chunk ${index} not downloaded yet`)
      return await reader.read(offset, length)
    })
    this.#entries.set(id, { served, close: async () => {} })
    return {
      announce: (index) => { for (const l of this.#listeners.get(id) ?? []) l(index) },
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
    const source = new FileSource(copy.path, copy.size, copy.mtimeMs)
    const { manifest } = record
    const served = this.#makeServed(id, manifest, Bitfield.full(manifestChunkCount(manifest)), async (index) => {
      const { offset, length } = chunkRange(manifest.size, manifest.chunkSize, index)
      try {
        return await source.read(offset, length)
      } catch (err) {
        if (hasCode(err, 'ERR_FILE_CHANGED')) this.#onChanged(id, copy.path)
        throw err
      }
    })
    this.#entries.set(id, { served, close: async () => { await source.close() } })
    return served
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

  #onChanged (id: string, path: string): void {
    this.#catalog.deleteLocalCopy(id, path)
    void this.#dropEntry(id)
    this.emit('file:changed', { id, path })
  }

  async #dropEntry (id: string): Promise<void> {
    const entry = this.#entries.get(id)
    this.#entries.delete(id)
    await entry?.close().catch(() => {})
  }

  async close (): Promise<void> {
    const entries = [...this.#entries.values()]
    this.#entries.clear()
    await Promise.all(entries.map(async e => { await e.close().catch(() => {}) }))
  }
}
