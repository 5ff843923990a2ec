/**
 * The node's catalog: which files it knows (manifests), where complete copies
 * live on disk, and the state of every download including its verified chunks.
 * SQLite in WAL mode; every multi-row change is one transaction. Opening
 * checks the file first (catalog-open.ts): a damaged catalog is refused,
 * never run on.
 */
import { openCatalogDatabase } from './catalog-open.js'
import { decodeManifest, encodeManifest, manifestChunkCount, type Manifest } from '../content/manifest.js'
import type { FileIdentity } from '../content/file-check.js'
import type { Database as DB, Statement } from 'better-sqlite3'

/** The catalog's file name in the data dir. */
export const CATALOG_FILE = 'shoal.db'

/** A file the catalog knows the manifest of. */
export interface FileRecord {
  readonly id: string
  readonly manifest: Manifest
  readonly addedAt: number
}

/**
 * A complete copy of a file on disk, as it was when recorded: its identity
 * (size, mtime, and since migration 2 ctime, inode and device) tells whether
 * the file is still the one that was hashed.
 */
export interface LocalCopy extends FileIdentity {
  readonly fileId: string
  readonly path: string
  readonly origin: 'shared' | 'downloaded'
}

interface CopyRow {
  file_id: string
  path: string
  size: number
  mtime_ms: number
  ctime_ms: number | null
  ino: number | null
  dev: number | null
  origin: 'shared' | 'downloaded'
}

/**
 * Download lifecycle states. `stalled`: waiting for sources to come back.
 * `paused`: the node stopped; it resumes on the next start. `cancelled`: the
 * user stopped it; the same `get` resumes it.
 */
export type DownloadState = 'running' | 'stalled' | 'paused' | 'completed' | 'failed' | 'cancelled'

/** A download as persisted; survives restarts. */
export interface DownloadRecord {
  readonly id: string
  readonly fileId: string
  readonly dest: string
  readonly state: DownloadState
  readonly error: string | null
  readonly hints: readonly string[]
  readonly createdAt: number
  readonly updatedAt: number
}

interface DownloadRow {
  id: string
  file_id: string
  dest: string
  state: DownloadState
  error: string | null
  hints: string
  created_at: number
  updated_at: number
}

/** The SQLite-backed catalog. Synchronous by design: better-sqlite3 calls take microseconds. */
export class Catalog {
  readonly #db: DB
  readonly #stmts: {
    putFile: Statement
    getFile: Statement
    listFiles: Statement
    deleteFile: Statement
    putCopy: Statement
    getCopies: Statement
    deleteCopy: Statement
    putDownload: Statement
    getDownload: Statement
    findDownload: Statement
    listDownloads: Statement
    setDownloadState: Statement
    deleteDownload: Statement
    addChunk: Statement
    getChunks: Statement
    getUnsynced: Statement
    markSynced: Statement
    deleteChunk: Statement
  }

  /**
   * Opens (or creates) the catalog at `path`. Throws ERR_CATALOG_CORRUPT
   * for a damaged file, ERR_DATA_DIR_NOT_WRITABLE or ERR_DISK_FULL when it
   * cannot be written; each names the file.
   */
  constructor (path: string) {
    this.#db = openCatalogDatabase(path)
    const db = this.#db
    this.#stmts = {
      putFile: db.prepare('INSERT OR IGNORE INTO files (id, name, size, chunk_size, chunk_count, manifest, added_at) VALUES (?, ?, ?, ?, ?, ?, ?)'),
      getFile: db.prepare('SELECT id, manifest, added_at FROM files WHERE id = ?'),
      listFiles: db.prepare('SELECT id, manifest, added_at FROM files ORDER BY added_at'),
      deleteFile: db.prepare('DELETE FROM files WHERE id = ?'),
      putCopy: db.prepare('INSERT OR REPLACE INTO local_copies (file_id, path, size, mtime_ms, ctime_ms, ino, dev, origin) VALUES (?, ?, ?, ?, ?, ?, ?, ?)'),
      getCopies: db.prepare('SELECT file_id, path, size, mtime_ms, ctime_ms, ino, dev, origin FROM local_copies WHERE file_id = ?'),
      deleteCopy: db.prepare('DELETE FROM local_copies WHERE file_id = ? AND path = ?'),
      putDownload: db.prepare('INSERT INTO downloads (id, file_id, dest, state, error, hints, created_at, updated_at) VALUES (?, ?, ?, ?, NULL, ?, ?, ?)'),
      getDownload: db.prepare('SELECT * FROM downloads WHERE id = ?'),
      findDownload: db.prepare("SELECT * FROM downloads WHERE file_id = ? AND dest = ? AND state != 'completed' ORDER BY created_at DESC LIMIT 1"),
      listDownloads: db.prepare('SELECT * FROM downloads ORDER BY created_at'),
      setDownloadState: db.prepare('UPDATE downloads SET state = ?, error = ?, updated_at = ? WHERE id = ?'),
      deleteDownload: db.prepare('DELETE FROM downloads WHERE id = ?'),
      addChunk: db.prepare('INSERT OR IGNORE INTO download_chunks (download_id, chunk_index, synced) VALUES (?, ?, 0)'),
      getChunks: db.prepare('SELECT chunk_index FROM download_chunks WHERE download_id = ?'),
      getUnsynced: db.prepare('SELECT chunk_index FROM download_chunks WHERE download_id = ? AND synced = 0'),
      markSynced: db.prepare('UPDATE download_chunks SET synced = 1 WHERE download_id = ? AND chunk_index = ?'),
      deleteChunk: db.prepare('DELETE FROM download_chunks WHERE download_id = ? AND chunk_index = ?')
    }
  }

  /** Records a manifest; a no-op when the file is already known. */
  putFile (id: string, manifest: Manifest, now = Date.now()): void {
    this.#stmts.putFile.run(id, manifest.name, manifest.size, manifest.chunkSize, manifestChunkCount(manifest), encodeManifest(manifest), now)
  }

  getFile (id: string): FileRecord | undefined {
    const row = this.#stmts.getFile.get(id) as { id: string, manifest: Buffer, added_at: number } | undefined
    return row == null ? undefined : toFileRecord(row)
  }

  listFiles (): FileRecord[] {
    return (this.#stmts.listFiles.all() as Array<{ id: string, manifest: Buffer, added_at: number }>).map(toFileRecord)
  }

  /** Forgets a file, its local copies and its downloads' bookkeeping (never the user's bytes). */
  deleteFile (id: string): void {
    this.#db.transaction(() => {
      for (const d of this.listDownloads().filter(d => d.fileId === id)) this.#stmts.deleteDownload.run(d.id)
      this.#stmts.deleteFile.run(id)
    })()
  }

  putLocalCopy (copy: LocalCopy): void {
    this.#stmts.putCopy.run(copy.fileId, copy.path, copy.size, copy.mtimeMs, copy.ctimeMs ?? null, copy.ino ?? null, copy.dev ?? null, copy.origin)
  }

  localCopies (fileId: string): LocalCopy[] {
    return (this.#stmts.getCopies.all(fileId) as CopyRow[]).map(toLocalCopy)
  }

  deleteLocalCopy (fileId: string, path: string): void {
    this.#stmts.deleteCopy.run(fileId, path)
  }

  createDownload (init: { id: string, fileId: string, dest: string, hints: readonly string[] }, now = Date.now()): DownloadRecord {
    this.#stmts.putDownload.run(init.id, init.fileId, init.dest, 'running', JSON.stringify(init.hints), now, now)
    return this.getDownload(init.id) as DownloadRecord
  }

  getDownload (id: string): DownloadRecord | undefined {
    const row = this.#stmts.getDownload.get(id) as DownloadRow | undefined
    return row == null ? undefined : toDownloadRecord(row)
  }

  /** The unfinished download of this file into this destination, if any: what `get` resumes. */
  findResumable (fileId: string, dest: string): DownloadRecord | undefined {
    const row = this.#stmts.findDownload.get(fileId, dest) as DownloadRow | undefined
    return row == null ? undefined : toDownloadRecord(row)
  }

  listDownloads (): DownloadRecord[] {
    return (this.#stmts.listDownloads.all() as DownloadRow[]).map(toDownloadRecord)
  }

  setDownloadState (id: string, state: DownloadState, error: string | null = null, now = Date.now()): void {
    this.#stmts.setDownloadState.run(state, error, now, id)
  }

  deleteDownload (id: string): void {
    this.#stmts.deleteDownload.run(id)
  }

  /** Marks a chunk verified and written (not yet synced to disk). */
  addVerifiedChunk (downloadId: string, index: number): void {
    this.#stmts.addChunk.run(downloadId, index)
  }

  verifiedChunks (downloadId: string): number[] {
    return (this.#stmts.getChunks.all(downloadId) as Array<{ chunk_index: number }>).map(r => r.chunk_index)
  }

  unsyncedChunks (downloadId: string): number[] {
    return (this.#stmts.getUnsynced.all(downloadId) as Array<{ chunk_index: number }>).map(r => r.chunk_index)
  }

  /** Call after the part file has been fdatasync'd: these chunks' bytes are now durable. */
  markChunksSynced (downloadId: string, indices: readonly number[]): void {
    this.#db.transaction(() => {
      for (const index of indices) this.#stmts.markSynced.run(downloadId, index)
    })()
  }

  forgetChunk (downloadId: string, index: number): void {
    this.#stmts.deleteChunk.run(downloadId, index)
  }

  /** The open database, for the tables other modules own (distribution's held_* tables). */
  get database (): DB { return this.#db }

  close (): void {
    if (this.#db.open) this.#db.close()
  }
}

function toFileRecord (row: { id: string, manifest: Buffer, added_at: number }): FileRecord {
  return { id: row.id, manifest: decodeManifest(new Uint8Array(row.manifest)), addedAt: row.added_at }
}

function toLocalCopy (r: CopyRow): LocalCopy {
  return {
    fileId: r.file_id,
    path: r.path,
    size: r.size,
    mtimeMs: r.mtime_ms,
    ...(r.ctime_ms == null ? {} : { ctimeMs: r.ctime_ms }),
    ...(r.ino == null ? {} : { ino: r.ino }),
    ...(r.dev == null ? {} : { dev: r.dev }),
    origin: r.origin
  }
}

function toDownloadRecord (row: DownloadRow): DownloadRecord {
  return {
    id: row.id,
    fileId: row.file_id,
    dest: row.dest,
    state: row.state,
    error: row.error,
    hints: JSON.parse(row.hints) as string[],
    createdAt: row.created_at,
    updatedAt: row.updated_at
  }
}
