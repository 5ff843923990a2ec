/**
 * The uploader's own distribution records (SQLite, `uploaded_records`): the
 * latest version it signed for each file it distributes, saved before any
 * chunk is pushed under it (pushFile's `onRecord`), so that a restarted
 * uploader hands it back as `previous` and the push resumes where it stopped,
 * and so that the map stays available to `shoal map` and the API. Records are
 * re-verified when read: a row that no longer verifies is reported absent.
 */
import { logger } from '../util/log.js'
import { verifyChain } from './record-chain.js'
import type { SignedRecord } from './record.js'
import type { Database } from 'better-sqlite3'

const log = logger('upload-records')

/** The records this node signed as an uploader, by file ID. */
export class UploadRecords {
  readonly #sql

  /** `db`: a catalog opened by `openCatalogDatabase` (so migrated). */
  constructor (db: Database) {
    this.#sql = {
      put: db.prepare('INSERT INTO uploaded_records (file_id, bytes, updated_at) VALUES (?, ?, ?) ON CONFLICT (file_id) DO UPDATE SET bytes = excluded.bytes, updated_at = excluded.updated_at'),
      get: db.prepare('SELECT bytes FROM uploaded_records WHERE file_id = ?'),
      list: db.prepare('SELECT file_id FROM uploaded_records ORDER BY updated_at'),
      delete: db.prepare('DELETE FROM uploaded_records WHERE file_id = ?')
    }
  }

  /** Saves `record` as the file's latest version (synchronously: done before the caller pushes under it). */
  save (record: SignedRecord): void {
    this.#sql.put.run(record.record.fileId, record.bytes, Date.now())
  }

  /** The file's latest record, verified as signed by `uploader`; undefined when none (or it no longer verifies). */
  async get (fileId: string, uploader: string): Promise<SignedRecord | undefined> {
    const row = this.#sql.get.get(fileId) as { bytes: Uint8Array } | undefined
    if (row == null) return undefined
    try {
      return await verifyChain([new Uint8Array(row.bytes)], { fileId, uploader })
    } catch (err) {
      log.error('the saved record of %s no longer verifies: %s', fileId, err)
      return undefined
    }
  }

  /** File IDs with a saved record, oldest first. */
  fileIds (): string[] {
    return (this.#sql.list.all() as Array<{ file_id: string }>).map((r) => r.file_id)
  }

  /** Forgets the file's record (e.g. after `rm --everywhere`). */
  delete (fileId: string): void {
    this.#sql.delete.run(fileId)
  }
}
