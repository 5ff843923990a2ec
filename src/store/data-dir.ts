/**
 * The data dir must be writable before anything is opened in it: the
 * catalog, the identity key, the peer store and node.json all write there.
 * A read-only or full file system otherwise surfaces later as a bare SQLite
 * or fs error (ERR_INTERNAL) that does not say which path is at fault; here
 * it is one clear error naming the directory.
 */
import { mkdir, rm, stat, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { ShoalError } from '../errors.js'
import { logger } from '../util/log.js'

const log = logger('data-dir')

/** errno codes meaning "you may not write here". */
const NOT_WRITABLE_CODES = new Set(['EACCES', 'EPERM', 'EROFS', 'ENOTDIR'])

/** errno codes meaning "no room left". */
const FULL_CODES = new Set(['ENOSPC', 'EDQUOT'])

/**
 * Creates `dir` if needed and proves it writable by writing and removing a
 * small probe file. Throws ERR_DATA_DIR_NOT_WRITABLE or ERR_DISK_FULL naming
 * `dir`; other failures are rethrown as they are.
 */
export async function prepareDataDir (dir: string): Promise<void> {
  const probe = join(dir, `.shoal-probe-${process.pid}-${randomBytes(4).toString('hex')}`)
  try {
    await makeDirectory(dir)
    // One byte is enough: tmpfs and most file systems refuse it when full.
    await writeFile(probe, 'x')
  } catch (err) {
    // A write that failed for want of space may have left an empty probe behind.
    await rm(probe, { force: true }).catch((e: unknown) => { log.error('could not remove the probe %s: %o', probe, e) })
    throw dataDirError(err, dir)
  }
  await rm(probe, { force: true })
}

/**
 * `mkdir -p` that reports the real failure: Node's recursive mkdir says
 * ENOENT for any failure under an existing ancestor (EROFS, EACCES…), which
 * would hide a read-only file system. One level at a time instead.
 */
async function makeDirectory (dir: string): Promise<void> {
  try {
    await mkdir(dir)
  } catch (err) {
    const code = (err as { code?: unknown }).code
    if (code === 'EEXIST') {
      if (!(await stat(dir)).isDirectory()) throw Object.assign(new Error(`${dir} exists and is not a directory`), { code: 'ENOTDIR' })
      return
    }
    if (code !== 'ENOENT' || dirname(dir) === dir) throw err
    await makeDirectory(dirname(dir))
    await makeDirectory(dir)
  }
}

/**
 * Maps a write failure at `path` (the data dir unless `what` says otherwise)
 * to ERR_DATA_DIR_NOT_WRITABLE or ERR_DISK_FULL naming it; returns any other
 * error unchanged.
 */
export function dataDirError (err: unknown, path: string, what = 'the data dir'): unknown {
  const code = (err as { code?: unknown } | null)?.code
  if (typeof code !== 'string') return err
  if (FULL_CODES.has(code)) return diskFullError(path, what, err)
  if (NOT_WRITABLE_CODES.has(code)) return notWritableError(path, what, code, err)
  return err
}

/** ERR_DISK_FULL naming `path`. */
export function diskFullError (path: string, what: string, cause?: unknown): ShoalError {
  return new ShoalError('ERR_DISK_FULL', `no space left for ${what} ${path}: free some space there, or choose another data dir with --data-dir`, { path }, { cause })
}

/** ERR_DATA_DIR_NOT_WRITABLE naming `path`; `reason` is the system's code (EROFS, SQLITE_READONLY…). */
export function notWritableError (path: string, what: string, reason: string, cause?: unknown): ShoalError {
  return new ShoalError('ERR_DATA_DIR_NOT_WRITABLE',
    `${what} ${path} is not writable (${reason}): Shoal keeps its catalog and identity in the data dir; make it writable or choose another with --data-dir`,
    { path }, { cause })
}
