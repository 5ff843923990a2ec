/**
 * Reads chunk ranges from a complete file on disk that the user shared or
 * downloaded, in place. The file's identity (size, mtime, ctime, inode,
 * device) is recorded when it is catalogued; every read re-checks the file
 * afterwards *by its path*, not through the open descriptor: a descriptor
 * keeps a deleted or replaced file's old bytes readable, and `touch -r` can
 * put an mtime back, but not a ctime. Bytes from a file changed since are
 * never handed out as if they matched the manifest (and the library hashes
 * every chunk it serves besides, see library.ts).
 */
import { open, type FileHandle } from 'node:fs/promises'
import { ShoalError } from '../errors.js'
import { checkFile, fileError, type FileCheck, type FileIdentity } from '../content/file-check.js'

/** A file with a recorded identity, opened for positional reads. */
export class FileSource {
  readonly path: string
  readonly #identity: FileIdentity
  #handle: Promise<FileHandle> | undefined
  #changed: FileCheck = 'unchanged'
  #closed = false

  constructor (path: string, identity: FileIdentity) {
    this.path = path
    this.#identity = identity
  }

  /** True once a read found the file changed or deleted since it was recorded. */
  get changed (): boolean { return this.#changed !== 'unchanged' }

  /** Whether the file was found `changed` or `deleted`; `unchanged` until then. */
  get check (): FileCheck { return this.#changed }

  /**
   * Reads `length` bytes at `offset` into a fresh buffer; throws
   * ERR_FILE_CHANGED if the file changed or is gone, ERR_FILE_NOT_FOUND once
   * closed (the library swapped this source for another; ask again).
   */
  async read (offset: number, length: number): Promise<Buffer> {
    if (this.#changed !== 'unchanged') throw this.#changedError()
    if (this.#closed) throw new ShoalError('ERR_FILE_NOT_FOUND', `${this.path} is no longer served from this source`, { path: this.path })
    let fh: FileHandle
    try {
      fh = await (this.#handle ??= open(this.path, 'r'))
    } catch (err) {
      this.#handle = undefined
      const code = (err as { code?: string }).code
      // A file that is gone has changed as surely as one that was rewritten.
      if (code === 'ENOENT' || code === 'ENOTDIR') {
        this.#changed = 'deleted'
        throw this.#changedError()
      }
      throw fileError(err, this.path)
    }
    if (this.#closed) {
      // close() ran while open() was pending; it closed (or will close) this handle.
      throw new ShoalError('ERR_FILE_NOT_FOUND', `${this.path} is no longer served from this source`, { path: this.path })
    }
    const buf = Buffer.allocUnsafe(length)
    let done = 0
    while (done < length) {
      const { bytesRead } = await fh.read(buf, done, length - done, offset + done)
      if (bytesRead === 0) break
      done += bytesRead
    }
    const check = done !== length ? 'changed' : await checkFile(this.path, this.#identity)
    if (check !== 'unchanged') {
      this.#changed = check
      throw this.#changedError()
    }
    return buf
  }

  #changedError (): ShoalError {
    const what = this.#changed === 'deleted' ? 'was deleted' : 'changed'
    return new ShoalError('ERR_FILE_CHANGED', `${this.path} ${what} since it was shared`, { path: this.path, check: this.#changed })
  }

  /** Closes the descriptor; idempotent, and final: later reads are refused, never reopen it. */
  async close (): Promise<void> {
    this.#closed = true
    const handle = this.#handle
    this.#handle = undefined
    if (handle == null) return
    let fh: FileHandle
    try {
      fh = await handle
    } catch {
      return // the open failed: there is no descriptor to close (the read that awaited it reported why)
    }
    await fh.close()
  }
}
