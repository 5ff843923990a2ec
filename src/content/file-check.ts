/**
 * Checks on local files that are about to be hashed or served in place: map
 * file system errors to Shoal's codes, refuse anything but a regular file (a
 * FIFO would block a reader forever, a device never ends), and detect a file
 * that changed under us by comparing identity, size and mtime.
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
 * Throws ERR_FILE_CHANGED unless `path` is still the file described by
 * `before`: same device and inode (not replaced), same size, same mtime.
 */
export async function assertUnchanged (path: string, before: Stats): Promise<void> {
  let after: Stats
  try {
    after = await stat(path)
  } catch (err) {
    throw new ShoalError('ERR_FILE_CHANGED', `${path} disappeared while it was being read`, { path }, { cause: err })
  }
  if (after.dev !== before.dev || after.ino !== before.ino || after.size !== before.size || after.mtimeMs !== before.mtimeMs) {
    throw new ShoalError('ERR_FILE_CHANGED', `${path} changed while it was being read`, {
      path,
      size: { before: before.size, after: after.size },
      mtimeMs: { before: before.mtimeMs, after: after.mtimeMs }
    })
  }
}
