/**
 * Opening the catalog database without ever running on a damaged one.
 *
 * A node that started on an emptied or corrupt `shoal.db` would run with an
 * empty catalog: shared files silently unshared, downloads forgotten. So:
 *
 * - A new catalog is built under a temporary name and renamed into place
 *   once its schema is complete, so Shoal never leaves an empty or
 *   schema-less `shoal.db` behind, even if killed while creating it. A
 *   missing file is therefore a first start (or a catalog the user moved
 *   aside): a fresh one is made.
 * - An existing file must be a Shoal catalog: not zero bytes, SQLite's
 *   header readable, our `application_id` (or 0 with a schema: made before
 *   the id existed, and stamped now), a `user_version` this Shoal knows,
 *   SQLite's `quick_check` clean, and every table the code uses present.
 *
 * Anything else is ERR_CATALOG_CORRUPT naming the file and how to recover. A
 * read-only file or full disk is reported as such, naming the file too.
 */
import Database from 'better-sqlite3'
import { existsSync, renameSync, rmSync, statSync } from 'node:fs'
import { CATALOG_APPLICATION_ID, MIGRATIONS, REQUIRED_TABLES } from './migrations.js'
import { dataDirError, diskFullError, notWritableError } from './data-dir.js'
import { ShoalError } from '../errors.js'
import type { Database as DB } from 'better-sqlite3'

/** Suffix of the catalog being created, renamed into place when complete. */
const NEW_SUFFIX = '.new'

/** SQLite's companion files of a database in WAL mode. */
const SIDE_FILES = ['-wal', '-shm'] as const

/** How errors name the file. */
const CATALOG = 'the catalog'

/** Most quick_check findings quoted in the error. */
const MAX_FINDINGS = 3

/**
 * Opens (creating it when absent) the catalog at `path`, checked and
 * migrated. Throws ERR_CATALOG_CORRUPT, ERR_DATA_DIR_NOT_WRITABLE or
 * ERR_DISK_FULL naming `path`.
 */
export function openCatalogDatabase (path: string): DB {
  let db: DB | undefined
  try {
    if (!existsSync(path)) createCatalog(path)
    else if (statSync(path).size === 0) throw corrupt(path, 'it is empty (0 bytes)')
    db = new Database(path, { fileMustExist: true })
    checkIdentity(db, path)
    checkIntegrity(db, path)
    configure(db)
    migrate(db)
    checkTables(db, path)
    if (db.pragma('application_id', { simple: true }) === 0) db.pragma(`application_id = ${CATALOG_APPLICATION_ID}`)
    return db
  } catch (err) {
    db?.close()
    throw openError(err, path)
  }
}

/** Builds a complete, empty catalog beside `path`, then renames it into place. */
function createCatalog (path: string): void {
  const tmp = path + NEW_SUFFIX
  // Left over from a start killed while creating it: never used, start again.
  for (const f of [tmp, ...SIDE_FILES.map(s => tmp + s)]) rmSync(f, { force: true })
  const db = new Database(tmp)
  try {
    configure(db)
    migrate(db)
    db.pragma(`application_id = ${CATALOG_APPLICATION_ID}`)
  } finally {
    // Closing checkpoints the WAL into the file and removes it.
    db.close()
  }
  renameSync(tmp, path)
}

/** Connection settings; journal_mode persists in the file, the others are per connection. */
function configure (db: DB): void {
  db.pragma('journal_mode = WAL')
  // NORMAL in WAL mode never corrupts; durability of verified-chunk marks is
  // handled by the part file's own sync watermark (see download_chunks.synced).
  db.pragma('synchronous = NORMAL')
  db.pragma('foreign_keys = ON')
  db.pragma('busy_timeout = 5000')
}

/** Applies the migrations not yet applied, each in its own transaction. */
function migrate (db: DB): void {
  const version = db.pragma('user_version', { simple: true }) as number
  for (let i = version; i < MIGRATIONS.length; i++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[i] as string)
      db.pragma(`user_version = ${i + 1}`)
    })()
  }
}

/** The header says this is a Shoal catalog of a version we know. Reading it also fails on a file that is not SQLite. */
function checkIdentity (db: DB, path: string): void {
  const appId = db.pragma('application_id', { simple: true }) as number
  const version = db.pragma('user_version', { simple: true }) as number
  if (appId !== 0 && appId !== CATALOG_APPLICATION_ID) throw corrupt(path, `it is an SQLite database of another application (application_id ${appId})`)
  // Shoal always creates catalogs with their schema (createCatalog), so version 0 means the schema was lost.
  if (version === 0) throw corrupt(path, 'it has no schema')
  if (version > MIGRATIONS.length) {
    throw corrupt(path, `its schema version ${version} is newer than this Shoal knows (${MIGRATIONS.length}): it was written by a newer Shoal; run that one`)
  }
}

/** SQLite's own structural check of every page and index (quick: no index-content cross-check). */
function checkIntegrity (db: DB, path: string): void {
  const findings = (db.pragma('quick_check') as Array<{ quick_check: string }>).map(r => r.quick_check)
  if (findings.length === 1 && findings[0] === 'ok') return
  throw corrupt(path, `SQLite's quick_check failed: ${findings.slice(0, MAX_FINDINGS).join('; ')}`)
}

/** Every table the catalog's statements use exists. */
function checkTables (db: DB, path: string): void {
  const present = new Set((db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table'").all() as Array<{ name: string }>).map(r => r.name))
  const missing = REQUIRED_TABLES.filter(t => !present.has(t))
  if (missing.length > 0) throw corrupt(path, `tables are missing: ${missing.join(', ')}`)
}

/** ERR_CATALOG_CORRUPT naming the file, why, and how to recover, on one line. */
function corrupt (path: string, why: string, cause?: unknown): ShoalError {
  return new ShoalError('ERR_CATALOG_CORRUPT',
    `the catalog ${path} is damaged: ${why}. Shoal will not run on it, so as not to forget your files. ` +
    `To recover, move it aside (mv ${path} ${path}.broken): the next start makes a fresh catalog; then share your files again and re-run unfinished gets`,
    { path, why }, { cause })
}

/** Maps an SQLite or fs failure while opening `path` to an error naming it. */
function openError (err: unknown, path: string): unknown {
  if (err instanceof ShoalError) return err
  const code = (err as { code?: unknown } | null)?.code
  if (typeof code !== 'string') return err
  if (code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_IOERR_SHORT_READ') {
    return corrupt(path, `SQLite says: ${(err as Error).message} (${code})`, err)
  }
  if (code === 'SQLITE_FULL') return diskFullError(path, CATALOG, err)
  if (code.startsWith('SQLITE_READONLY') || code.startsWith('SQLITE_CANTOPEN')) return notWritableError(path, CATALOG, code, err)
  return dataDirError(err, path, CATALOG)
}
