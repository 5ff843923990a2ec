/**
 * The file a download writes into: `<dest>.shoal-part`, sized up front and
 * filled at chunk offsets. Only verified chunks are ever written; `sync()`
 * makes them durable, and `commit()` renames the finished file onto `dest`
 * atomically, so `dest` never holds half a file.
 */
import { constants } from 'node:fs'
import { open, rename, rm, stat, type FileHandle } from 'node:fs/promises'
import { ShoalError, toShoalError } from '../errors.js'
import { logger } from '../util/log.js'

const log = logger('partial-file')

/** Suffix of in-progress downloads. */
export const PART_SUFFIX = '.shoal-part'

/** A download's partial file, open for positional writes and reads. */
export class PartialFile {
  readonly dest: string
  readonly path: string
  /** True when this open made the part file: nothing from an earlier run is in it. */
  readonly created: boolean
  readonly #fh: FileHandle
  #dirty = false
  #closed = false

  private constructor (dest: string, fh: FileHandle, created: boolean) {
    this.dest = dest
    this.path = dest + PART_SUFFIX
    this.created = created
    this.#fh = fh
  }

  /**
   * Opens (creating if needed, never truncating) the part file for `dest`,
   * sized to `size` bytes. Existing bytes are kept: that is what resume reads.
   */
  static async open (dest: string, size: number): Promise<PartialFile> {
    let fh: FileHandle
    let created = false
    try {
      try {
        fh = await open(dest + PART_SUFFIX, constants.O_RDWR | constants.O_CREAT | constants.O_EXCL, 0o644)
        created = true
      } catch (err) {
        if ((err as { code?: string }).code !== 'EEXIST') throw err
        fh = await open(dest + PART_SUFFIX, constants.O_RDWR, 0o644)
      }
    } catch (err) {
      throw destError(dest, err)
    }
    try {
      const st = await fh.stat()
      if (st.size !== size) await fh.truncate(size)
    } catch (err) {
      await fh.close()
      throw toShoalError(err)
    }
    return new PartialFile(dest, fh, created)
  }

  /** Writes a verified chunk at its offset. */
  async write (offset: number, data: Uint8Array): Promise<void> {
    try {
      let done = 0
      while (done < data.byteLength) {
        const { bytesWritten } = await this.#fh.write(data, done, data.byteLength - done, offset + done)
        done += bytesWritten
      }
      this.#dirty = true
    } catch (err) {
      throw toShoalError(err)
    }
  }

  /** Reads bytes back (to serve verified chunks onwards, or to re-check after a crash). */
  async read (offset: number, length: number): Promise<Buffer> {
    const buf = Buffer.allocUnsafe(length)
    let done = 0
    while (done < length) {
      const { bytesRead } = await this.#fh.read(buf, done, length - done, offset + done)
      if (bytesRead === 0) break
      done += bytesRead
    }
    return done === length ? buf : buf.subarray(0, done)
  }

  /** Flushes written chunks to stable storage; returns whether anything was flushed. */
  async sync (): Promise<boolean> {
    if (!this.#dirty) return false
    this.#dirty = false
    await this.#fh.datasync()
    return true
  }

  /** Syncs, closes and atomically renames the finished file onto `dest`. */
  async commit (): Promise<void> {
    try {
      await this.#fh.datasync()
    } catch (err) {
      await this.close() // the part file stays for a later resume; its handle must not leak
      throw err
    }
    this.#closed = true
    await this.#fh.close()
    try {
      await rename(this.path, this.dest)
    } catch (err) {
      throw destError(this.dest, err)
    }
  }

  /** Closes the handle; idempotent (commit closes it too). A failing close is logged: the bytes were synced or are re-checked on resume. */
  async close (): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await this.#fh.close().catch((err: unknown) => { log.error('closing %s failed: %s', this.path, toShoalError(err).message) })
  }

  /** Closes and deletes the part file (cancel with discard). */
  async discard (): Promise<void> {
    await this.close()
    await rm(this.path, { force: true })
  }
}

/** Maps filesystem failures on the destination to one clear error. */
export function destError (dest: string, err: unknown): ShoalError {
  const code = (err as { code?: string }).code
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS' || code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') {
    return new ShoalError('ERR_DEST_NOT_WRITABLE', `cannot write to ${dest}: ${code}`, { dest }, { cause: err })
  }
  return toShoalError(err)
}

/** True when something already exists at `path`. */
export async function exists (path: string): Promise<boolean> {
  try {
    await stat(path)
    return true
  } catch {
    return false
  }
}
