/**
 * The files this node holds chunks of for other peers (distribution), kept in
 * SQLite next to the catalog (migration 3): per file its manifest, its
 * distribution record chain and the chunks held, each charged to the file's
 * uploader. The chunk bytes live in the content-addressed ChunkStore. On open
 * every chain is re-verified (a file whose chain no longer verifies is
 * dropped with its chunks) and the held indices rebuilt, so the map survives
 * the uploader and restarts; `served-held.ts` serves the chunks to
 * downloaders.
 */
import { Bitfield } from '../content/bitfield.js'
import { chunkHash, manifestChunkCount, verifyManifestBytes, type Manifest } from '../content/manifest.js'
import { ShoalError } from '../errors.js'
import { logger } from '../util/log.js'
import { verifyChain } from './record-chain.js'
import type { SignedRecord } from './record.js'
import type { ChunkStore } from '../store/chunk-store.js'
import type { Database } from 'better-sqlite3'

const log = logger('holder-registry')

/** One held file, as kept in memory. */
export interface HeldFile {
  readonly fileId: string
  readonly manifest: Manifest
  readonly manifestBytes: Uint8Array
  /** The record chain as stored: an uploader-signed version, then repair updates. */
  readonly chain: readonly Uint8Array[]
  /** The chain's last version, verified. */
  readonly record: SignedRecord
  /** Chunk indices held here (stored and verified on the way in). Do not mutate. */
  readonly have: Bitfield
}

interface Entry {
  fileId: string
  manifest: Manifest
  manifestBytes: Uint8Array
  chain: Uint8Array[]
  record: SignedRecord
  have: Bitfield
  listeners: Set<(index: number) => void>
}

/** The holder side's persistent state: held files, their records and chunks. */
export class HolderRegistry {
  readonly #db: Database
  readonly #chunks: ChunkStore
  readonly #files = new Map<string, Entry>()
  readonly #sql

  private constructor (db: Database, chunks: ChunkStore) {
    this.#db = db
    this.#chunks = chunks
    this.#sql = {
      files: db.prepare('SELECT file_id, manifest FROM held_files'),
      records: db.prepare('SELECT bytes FROM held_records WHERE file_id = ? ORDER BY seq'),
      chunks: db.prepare('SELECT chunk_index FROM held_chunks WHERE file_id = ?'),
      putFile: db.prepare('INSERT OR IGNORE INTO held_files (file_id, manifest, uploader, added_at) VALUES (?, ?, ?, ?)'),
      deleteRecords: db.prepare('DELETE FROM held_records WHERE file_id = ?'),
      putRecord: db.prepare('INSERT INTO held_records (file_id, seq, bytes) VALUES (?, ?, ?)'),
      putChunk: db.prepare('INSERT OR IGNORE INTO held_chunks (file_id, chunk_index, hash, size, uploader) VALUES (?, ?, ?, ?, ?)'),
      usedBy: db.prepare('SELECT COALESCE(SUM(size), 0) AS used FROM held_chunks WHERE uploader = ?'),
      hashHeld: db.prepare('SELECT 1 FROM held_chunks WHERE hash = ? LIMIT 1'),
      fileHashes: db.prepare('SELECT hash FROM held_chunks WHERE file_id = ?'),
      deleteFile: db.prepare('DELETE FROM held_files WHERE file_id = ?'),
      deleteChunk: db.prepare('DELETE FROM held_chunks WHERE file_id = ? AND chunk_index = ?')
    }
  }

  /**
   * Loads every held file from `db` (a catalog opened by
   * `openCatalogDatabase`, so migrated), re-verifying manifests and chains.
   */
  static async open (db: Database, chunks: ChunkStore): Promise<HolderRegistry> {
    await chunks.open()
    const registry = new HolderRegistry(db, chunks)
    await registry.#load()
    return registry
  }

  async #load (): Promise<void> {
    for (const row of this.#sql.files.all() as Array<{ file_id: string, manifest: Uint8Array }>) {
      const fileId = row.file_id
      try {
        const manifest = verifyManifestBytes(fileId, row.manifest)
        const chain = (this.#sql.records.all(fileId) as Array<{ bytes: Uint8Array }>).map((r) => new Uint8Array(r.bytes))
        const record = await verifyChain(chain, { fileId })
        const have = new Bitfield(manifestChunkCount(manifest))
        for (const r of this.#sql.chunks.all(fileId) as Array<{ chunk_index: number }>) {
          if (r.chunk_index < have.length) have.set(r.chunk_index)
        }
        this.#files.set(fileId, { fileId, manifest, manifestBytes: new Uint8Array(row.manifest), chain, record, have, listeners: new Set() })
      } catch (err) {
        log.error('dropping held file %s: its manifest or record no longer verifies: %s', fileId, err)
        await this.remove(fileId)
      }
    }
  }

  /** The held file `fileId`, if any. */
  get (fileId: string): HeldFile | undefined {
    return this.#files.get(fileId)
  }

  /** Every held file. */
  files (): HeldFile[] {
    return [...this.#files.values()]
  }

  /** Bytes of held chunks charged to `uploader`. */
  usedBy (uploader: string): number {
    return (this.#sql.usedBy.get(uploader) as { used: number }).used
  }

  /**
   * Records chunk `index` of a file as held, after its bytes are in the
   * ChunkStore (verified): creates the file's row with `manifestBytes` and
   * `chain` on its first chunk, so a push that stores nothing leaves nothing.
   */
  addChunk (fileId: string, manifest: Manifest, manifestBytes: Uint8Array, chain: readonly Uint8Array[], record: SignedRecord, index: number, size: number): void {
    let entry = this.#files.get(fileId)
    this.#db.transaction(() => {
      if (entry == null) {
        this.#sql.putFile.run(fileId, manifestBytes, record.record.uploader, Date.now())
        this.#writeChain(fileId, chain)
      }
      this.#sql.putChunk.run(fileId, index, chunkHash(manifest, index), size, record.record.uploader)
    })()
    if (entry == null) {
      entry = { fileId, manifest, manifestBytes, chain: [...chain], record, have: new Bitfield(manifestChunkCount(manifest)), listeners: new Set() }
      this.#files.set(fileId, entry)
    }
    if (!entry.have.set(index)) return
    for (const listener of entry.listeners) {
      try {
        listener(index)
      } catch (err) {
        log.error('a have listener of %s threw: %s', fileId, err)
      }
    }
  }

  /** Forgets one held chunk (found missing or rotten in the store), so it is no longer offered. */
  dropChunk (fileId: string, index: number): void {
    this.#sql.deleteChunk.run(fileId, index)
    this.#files.get(fileId)?.have.clear(index)
  }

  /** Replaces the stored chain of a held file by a newer one (verified by the caller). */
  setChain (fileId: string, chain: readonly Uint8Array[], record: SignedRecord): void {
    const entry = this.#files.get(fileId)
    if (entry == null) throw new ShoalError('ERR_FILE_NOT_FOUND', `no held file ${fileId}`, { fileId })
    this.#db.transaction(() => { this.#writeChain(fileId, chain) })()
    entry.chain = [...chain]
    entry.record = record
  }

  #writeChain (fileId: string, chain: readonly Uint8Array[]): void {
    this.#sql.deleteRecords.run(fileId)
    chain.forEach((bytes, seq) => this.#sql.putRecord.run(fileId, seq, bytes))
  }

  /** Subscribes to chunks of `fileId` newly held; returns the unsubscribe function. */
  onHave (fileId: string, listener: (index: number) => void): () => void {
    const entry = this.#files.get(fileId)
    if (entry == null) return () => {}
    entry.listeners.add(listener)
    return () => { entry.listeners.delete(listener) }
  }

  /** Forgets a held file and deletes its chunks from the store unless another held file uses them too. */
  async remove (fileId: string): Promise<void> {
    const hashes = (this.#sql.fileHashes.all(fileId) as Array<{ hash: Uint8Array }>).map((r) => new Uint8Array(r.hash))
    this.#sql.deleteFile.run(fileId)
    this.#files.delete(fileId)
    for (const hash of hashes) {
      if (this.#sql.hashHeld.get(hash) === undefined) await this.#chunks.delete(hash)
    }
  }
}
