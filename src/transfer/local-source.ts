/**
 * A complete copy of the file on this node's own disk, as a download source.
 * A node asked to get a file it already holds copies it — through the same
 * job as any download, so it shows progress and its source (LOCAL_SOURCE),
 * and every chunk is hashed and checked against the manifest on its way, as a
 * peer's would be. It answers the job like a ChunkChannel does: requests are
 * reads, a chunk comes back whole with its digest. A copy that changed on
 * disk or does not match is unshared (`file:changed`) and the source closes;
 * the job carries on with its peers, or with another copy on its next look.
 */
import { webcrypto } from 'node:crypto'
import { chunkRange } from '../content/chunk-size.js'
import { chunkHash, type Manifest } from '../content/manifest.js'
import { equalBytes } from '../content/hash.js'
import { hasCode, toShoalError } from '../errors.js'
import { logger } from '../util/log.js'
import type { JobLibrary, LocalCopy } from './job-library.js'
import type { Bitfield } from '../content/bitfield.js'

const log = logger('local-source')

/** How a local copy is named among a job's peers (no peer ID looks like it). */
export const LOCAL_SOURCE = 'local'

/** What the job hears from the source (the ChunkChannel handlers it uses). */
export interface LocalSourceHandlers {
  onChunk: (index: number, data: Buffer, digest: Uint8Array) => void
  onProgress: (index: number, received: number, blockBytes: number) => void
  /** `replaced`: the copy was unshared (changed or corrupt), so another copy may take over at once. */
  onClose: (replaced: boolean) => void
}

/** Reads chunks from a local copy as requests come, each hashed before it is handed over. */
export class LocalSource {
  readonly path: string
  readonly #copy: LocalCopy
  readonly #manifest: Manifest
  readonly #handlers: LocalSourceHandlers
  #closed = false

  constructor (copy: LocalCopy, manifest: Manifest, handlers: LocalSourceHandlers) {
    this.path = copy.path
    this.#copy = copy
    this.#manifest = manifest
    this.#handlers = handlers
  }

  get closed (): boolean { return this.#closed }

  /** The chunks this source has; every chunk when undefined. */
  get have (): Bitfield | undefined { return this.#copy.have }

  /** Reads chunk `index`; the chunk, or the end of this source, follows. */
  request (index: number): void {
    if (this.#closed) return
    this.#read(index).catch((err: unknown) => {
      const e = toShoalError(err)
      const changed = hasCode(e, 'ERR_FILE_CHANGED')
      if (changed) this.#copy.unshare(e.details.check === 'deleted' ? 'deleted' : 'changed')
      else log.error('reading chunk %d of %s failed: %s', index, this.path, e.message)
      this.#end(changed)
    })
  }

  /** A read already started finishes; the job drops a chunk it no longer needs. */
  cancel (_index: number): void {}

  /** Stops the source: reads still running are dropped, and the job hears it closed. */
  close (): void {
    this.#end(false)
  }

  #end (replaced: boolean): void {
    if (this.#closed) return
    this.#closed = true
    this.#copy.close().catch((err: unknown) => { log.error('closing %s failed: %s', this.path, toShoalError(err).message) })
    this.#handlers.onClose(replaced)
  }

  async #read (index: number): Promise<void> {
    const { offset, length } = chunkRange(this.#manifest.size, this.#manifest.chunkSize, index)
    const data = await this.#copy.read(offset, length)
    // WebCrypto hashes in libuv's thread pool, off the event loop that serves peers.
    const digest = new Uint8Array(await webcrypto.subtle.digest('SHA-256', data))
    if (this.#closed) return
    if (!equalBytes(digest, chunkHash(this.#manifest, index))) {
      this.#copy.unshare('corrupt', `chunk ${index} does not match the manifest`)
      this.#end(true)
      return
    }
    this.#handlers.onProgress(index, length, length)
    this.#handlers.onChunk(index, data, digest)
  }
}

/** A source on a complete copy of `fileId` other than `dest`, or undefined when the node holds none. */
export async function openLocalSource (
  library: Pick<JobLibrary, 'openCopy'>,
  fileId: string, manifest: Manifest, dest: string, handlers: LocalSourceHandlers
): Promise<LocalSource | undefined> {
  const copy = await library.openCopy(fileId, dest)
  return copy == null ? undefined : new LocalSource(copy, manifest, handlers)
}
