/**
 * Reads chunk ranges from a complete file on disk that the user shared or
 * downloaded, in place. The file is fingerprinted by size and mtime when it is
 * catalogued; every read re-checks the open descriptor afterwards, so bytes
 * from a file modified since are never served as if they matched the manifest.
 */
import { open, type FileHandle } from 'node:fs/promises'
import { ShoalError } from '../errors.js'
import { fileError } from '../content/file-check.js'

/** A fingerprinted file opened for positional reads. */
export class FileSource {
  readonly path: string
  readonly #size: number
  readonly #mtimeMs: number
  #handle: Promise<FileHandle> | undefined
  #changed = false

  constructor (path: string, size: number, mtimeMs: number) {
    this.path = path
    this.#size = size
    this.#mtimeMs = mtimeMs
  }

  /** True once a read found the file no longer matching its fingerprint. */
  get changed (): boolean { return this.#changed }

  /** Reads `length` bytes at `offset` into a fresh buffer; throws ERR_FILE_CHANGED if the file changed. */
  async read (offset: number, length: number): Promise<Buffer> {
    if (this.#changed) throw this.#changedError()
    let fh: FileHandle
    try {
      fh = await (this.#handle ??= open(this.path, 'r'))
    } catch (err) {
      this.#handle = undefined
      const code = (err as { code?: string }).code
      // A file that is gone has changed as surely as one that was rewritten.
      if (code === 'ENOENT' || code === 'ENOTDIR') {
        this.#changed = true
        throw this.#changedError()
      }
      throw fileError(err, this.path)
    }
    const buf = Buffer.allocUnsafe(length)
    let done = 0
    while (done < length) {
      const { bytesRead } = await fh.read(buf, done, length - done, offset + done)
      if (bytesRead === 0) break
      done += bytesRead
    }
    const st = await fh.stat()
    if (done !== length || st.size !== this.#size || st.mtimeMs !== this.#mtimeMs) {
      this.#changed = true
      throw this.#changedError()
    }
    return buf
  }

  #changedError (): ShoalError {
    return new ShoalError('ERR_FILE_CHANGED', `${this.path} changed since it was shared`, { path: this.path })
  }

  async close (): Promise<void> {
    const handle = this.#handle
    this.#handle = undefined
    if (handle != null) await (await handle.catch(() => undefined))?.close()
  }
}
