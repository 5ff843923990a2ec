/**
 * `-o` into directories that do not exist yet, as aria2c and webtorrent do:
 * `-o dir/` (ending with a slash) is a directory, created with its parents;
 * `-o dir/name` whose `dir` is missing creates `dir` (with its parents) and
 * writes `name` in it. Directories created here are removed again, if still
 * empty, when the get fails before anything was written into them.
 */
import { mkdir, rmdir, stat } from 'node:fs/promises'
import { dirname, resolve, sep } from 'node:path'
import { ShoalError } from '../errors.js'
import { logger } from '../util/log.js'

const log = logger('cli:get')

/** Creates what `-o output` needs; returns the directories it created, deepest last. */
export async function prepareOutput (output: string | undefined, cwd: string): Promise<string[]> {
  if (output == null) return []
  const full = resolve(cwd, output)
  const dir = output.endsWith('/') || output.endsWith(sep) ? full : dirname(full)
  const missing: string[] = []
  for (let d = dir; !(await exists(d)); d = dirname(d)) {
    missing.unshift(d)
    if (dirname(d) === d) break
  }
  if (missing.length === 0) return []
  try {
    await mkdir(dir, { recursive: true })
  } catch (err) {
    throw new ShoalError('ERR_DEST_NOT_WRITABLE', `cannot create ${dir} for -o: ${(err as Error).message}`, { dest: dir }, { cause: err })
  }
  return missing
}

/** Removes directories `prepareOutput` created, deepest first, while they are empty. */
export async function removeCreated (dirs: readonly string[]): Promise<void> {
  for (const d of [...dirs].reverse()) {
    try {
      await rmdir(d)
    } catch (err) {
      // Not empty (a part file is kept for resume) or gone: either way it stays as it is.
      log('keeping %s: %s', d, (err as Error).message)
      return
    }
  }
}

async function exists (path: string): Promise<boolean> {
  try {
    await stat(path)
    return true
  } catch {
    return false // missing or unreadable: mkdir will say which
  }
}
