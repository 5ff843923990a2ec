/**
 * Checks on local files that are about to be hashed or served in place: map
 * file system errors to Shoal's codes, refuse anything but a regular file (a
 * FIFO would block a reader forever, a device never ends), and detect a file
 * that changed under us by comparing its identity: device and inode (not
 * replaced), size, mtime and ctime. The ctime matters: `touch -r` or
 * utimes() can put an mtime back, but any write, chmod or timestamp change
 * moves the ctime to "now", and nothing short of changing the clock forges it.
 */
import { stat } from 'node:fs/promises'
import type { Stats } from 'node:fs'
import { ShoalError, toShoalError, type ErrorCode } from '../errors.js'

const ERRNO_CODES: Readonly<Record<string, ErrorCode>> = {
  ENOENT: 'ERR_PATH_NOT_FOUND',
  // A path through a regular file ("file.txt/x") cannot exist either.
  ENOTDIR: 'ERR_PATH_NOT_FOUND',
  EISDIR: 'ERR_PATH_IS_DIRECTORY',
  EACCES: 'ERR_PATH_NOT_READABLE',
  EPERM: 'ERR_PATH_NOT_READABLE',
  ELOOP: 'ERR_PATH_NOT_READABLE'
}

/** Turns an error from reading `path` into a ShoalError with a path-specific code when there is one. */
export function fileError (err: unknown, path: string): ShoalError {
  const errno = (err as { code?: unknown } | undefined)?.code
  const code = typeof errno === 'string' ? ERRNO_CODES[errno] : undefined
  if (code === undefined) return toShoalError(err)
  return new ShoalError(code, `${path}: ${(err as Error).message}`, { path }, { cause: err })
}

/**
 * Stats `path` and checks that it is a regular file. Throws
 * ERR_PATH_NOT_FOUND, ERR_PATH_IS_DIRECTORY or ERR_PATH_NOT_READABLE.
 */
export async function statRegularFile (path: string): Promise<Stats> {
  let stats: Stats
  try {
    stats = await stat(path)
  } catch (err) {
    throw fileError(err, path)
  }
  if (stats.isDirectory()) throw new ShoalError('ERR_PATH_IS_DIRECTORY', `${path} is a directory`, { path })
  if (!stats.isFile()) throw new ShoalError('ERR_PATH_NOT_READABLE', `${path} is not a regular file`, { path })
  return stats
}

/**
 * What identifies one version of a file on disk. `ctimeMs`, `ino` and `dev`
 * are absent for copies catalogued before they were recorded: only what is
 * known is compared (the served chunks are hash-checked anyway).
 */
export interface FileIdentity {
  readonly size: number
  readonly mtimeMs: number
  readonly ctimeMs?: number
  readonly ino?: number
  readonly dev?: number
}

/** The identity of a file from its stats. */
export function fileIdentity (stats: Stats): Required<FileIdentity> {
  return { size: stats.size, mtimeMs: stats.mtimeMs, ctimeMs: stats.ctimeMs, ino: stats.ino, dev: stats.dev }
}

/** True when `now` is the file `recorded` describes (fields `recorded` lacks are not compared). */
export function sameIdentity (recorded: FileIdentity, now: FileIdentity): boolean {
  return recorded.size === now.size && recorded.mtimeMs === now.mtimeMs &&
    (recorded.ctimeMs === undefined || recorded.ctimeMs === now.ctimeMs) &&
    (recorded.ino === undefined || recorded.ino === now.ino) &&
    (recorded.dev === undefined || recorded.dev === now.dev)
}

/** How a file on disk compares with its recorded identity. */
export type FileCheck = 'unchanged' | 'changed' | 'deleted'

/**
 * Stats `path` by name (not through an open descriptor, which keeps a deleted
 * or replaced file's old bytes readable) and compares it with `recorded`.
 * Errors other than "not there" are thrown, mapped by fileError.
 */
export async function checkFile (path: string, recorded: FileIdentity): Promise<FileCheck> {
  let now: Stats
  try {
    now = await stat(path)
  } catch (err) {
    const code = (err as { code?: unknown }).code
    if (code === 'ENOENT' || code === 'ENOTDIR') return 'deleted'
    throw fileError(err, path)
  }
  return now.isFile() && sameIdentity(recorded, fileIdentity(now)) ? 'unchanged' : 'changed'
}

/**
 * Throws ERR_FILE_CHANGED unless `path` is still the file described by
 * `before`: same device and inode (not replaced), same size, mtime and ctime.
 */
export async function assertUnchanged (path: string, before: Stats): Promise<void> {
  let after: Stats
  try {
    after = await stat(path)
  } catch (err) {
    throw new ShoalError('ERR_FILE_CHANGED', `${path} disappeared while it was being read`, { path }, { cause: err })
  }
  if (!sameIdentity(fileIdentity(before), fileIdentity(after))) {
    throw new ShoalError('ERR_FILE_CHANGED', `${path} changed while it was being read`, {
      path,
      size: { before: before.size, after: after.size },
      mtimeMs: { before: before.mtimeMs, after: after.mtimeMs }
    })
  }
}
