/**
 * Content-addressed chunk store: `chunks/<first two hex>/<sha256 hex>`.
 * Holds chunks pushed to this node for storage (distribution). Writes go to a
 * temp file and are renamed into place, so a chunk is either whole or absent;
 * every chunk is verified on the way in and a quota bounds the total.
 */
import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { sha256, equalBytes, toHex } from '../content/hash.js'
import { ShoalError } from '../errors.js'
import { logger } from '../util/log.js'

const log = logger('chunk-store')

/** A quota-bounded, verified content-addressed store of chunks on disk. */
export class ChunkStore {
  readonly #dir: string
  readonly #quotaBytes: number
  #usedBytes = 0
  #ready: Promise<void> | undefined
  readonly #inflight = new Map<string, Promise<void>>()

  constructor (dir: string, quotaBytes: number) {
    this.#dir = dir
    this.#quotaBytes = quotaBytes
  }

  /** Bytes held; exact after `open()`. */
  get usedBytes (): number { return this.#usedBytes }
  get quotaBytes (): number { return this.#quotaBytes }

  /** Creates the directory and measures what is already stored. */
  async open (): Promise<void> {
    this.#ready ??= this.#scan()
    await this.#ready
  }

  async #scan (): Promise<void> {
    await mkdir(this.#dir, { recursive: true })
    let used = 0
    for (const shard of await readdir(this.#dir)) {
      if (shard.length !== 2) continue
      for (const name of await readdir(join(this.#dir, shard))) {
        if (name.endsWith('.tmp')) {
          await rm(join(this.#dir, shard, name), { force: true })
          continue
        }
        used += (await stat(join(this.#dir, shard, name))).size
      }
    }
    this.#usedBytes = used
  }

  #path (hash: Uint8Array): string {
    const hex = toHex(hash)
    return join(this.#dir, hex.slice(0, 2), hex)
  }

  /** Stores `data` under `hash` after checking they match; refuses past the quota. */
  async put (hash: Uint8Array, data: Uint8Array): Promise<void> {
    await this.open()
    if (!equalBytes(sha256(data), hash)) {
      throw new ShoalError('ERR_CHUNK_CORRUPT', 'chunk does not match its hash', { hash: toHex(hash) })
    }
    // A second put of a chunk still being written waits for the first instead of writing it twice.
    const key = toHex(hash)
    const pending = this.#inflight.get(key)
    if (pending != null) return await pending
    const write = this.#write(hash, data).finally(() => { this.#inflight.delete(key) })
    this.#inflight.set(key, write)
    await write
  }

  async #write (hash: Uint8Array, data: Uint8Array): Promise<void> {
    if (await this.has(hash)) return
    if (this.#usedBytes + data.byteLength > this.#quotaBytes) {
      throw new ShoalError('ERR_QUOTA_EXCEEDED', `chunk store quota of ${this.#quotaBytes} bytes exceeded`, { usedBytes: this.#usedBytes })
    }
    // Reserve before the first await, so concurrent puts see these bytes as used.
    this.#usedBytes += data.byteLength
    const path = this.#path(hash)
    const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`
    try {
      await mkdir(join(path, '..'), { recursive: true })
      const fh = await open(tmp, 'wx')
      try {
        await fh.writeFile(data)
        await fh.datasync()
      } finally {
        await fh.close()
      }
      await rename(tmp, path)
    } catch (err) {
      this.#usedBytes -= data.byteLength
      await rm(tmp, { force: true })
      throw err
    }
  }

  async has (hash: Uint8Array): Promise<boolean> {
    try {
      await stat(this.#path(hash))
      return true
    } catch {
      return false
    }
  }

  /** Reads a chunk back and re-verifies it; a chunk rotten on disk is deleted and reported absent. */
  async get (hash: Uint8Array): Promise<Uint8Array | undefined> {
    let data: Uint8Array
    try {
      data = await readFile(this.#path(hash))
    } catch {
      return undefined
    }
    if (!equalBytes(sha256(data), hash)) {
      await this.delete(hash)
      return undefined
    }
    return data
  }

  async delete (hash: Uint8Array): Promise<void> {
    const path = this.#path(hash)
    try {
      const { size } = await stat(path)
      await rm(path)
      this.#usedBytes -= size
    } catch (err) {
      // Already gone is what we wanted; anything else leaves a chunk behind that `get` re-verifies.
      if ((err as { code?: string }).code !== 'ENOENT') log.error('could not delete chunk %s: %s', path, err)
    }
  }
}
