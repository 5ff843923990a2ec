/**
 * A lock file beside the destination, `<dest>.shoal-lock`, holding the owner's
 * pid. It keeps two downloads (in one process or in two) from writing the same
 * part file at once; a lock left by a dead process is taken over.
 */
import { randomBytes } from 'node:crypto'
import { link, readFile, rm, writeFile } from 'node:fs/promises'
import { ShoalError } from '../errors.js'
import { destError } from './partial-file.js'
import { isProcessAlive } from '../util/pid.js'

export const LOCK_SUFFIX = '.shoal-lock'

/** A held lock; release it when the download ends, however it ends. */
export interface DownloadLock {
  release: () => Promise<void>
}

/** Takes the lock for `dest` or throws ERR_DOWNLOAD_IN_PROGRESS. */
export async function lockDestination (dest: string): Promise<DownloadLock> {
  const path = dest + LOCK_SUFFIX
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      // Write the pid to a private file, then link it into place: the lock
      // appears whole or not at all, so nobody reads an empty one as stale.
      const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}`
      await writeFile(tmp, String(process.pid))
      try {
        await link(tmp, path)
      } finally {
        await rm(tmp, { force: true })
      }
      let released = false
      return {
        release: async () => {
          if (released) return
          released = true
          await rm(path, { force: true })
        }
      }
    } catch (err) {
      if ((err as { code?: string }).code !== 'EEXIST') throw destError(dest, err)
    }
    const owner = Number.parseInt(await readFile(path, 'utf8').catch(() => ''), 10)
    if (Number.isInteger(owner) && owner > 0 && isProcessAlive(owner)) {
      throw new ShoalError('ERR_DOWNLOAD_IN_PROGRESS', `${dest} is already being downloaded (pid ${owner})`, { dest, pid: owner })
    }
    await rm(path, { force: true })
  }
  throw new ShoalError('ERR_DOWNLOAD_IN_PROGRESS', `${dest} is already being downloaded`, { dest })
}
