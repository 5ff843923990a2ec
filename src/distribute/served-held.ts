/**
 * Held chunks as the serving protocols see files (`FileProvider`), so the
 * existing manifest, have and chunks handlers serve pushed copies to
 * downloaders like any other. Every chunk read from chunks/ is re-hashed
 * (ChunkStore.get) before it is served: data on disk is trusted only after
 * its hash; a rotten chunk is deleted there and reported not available.
 */
import { ShoalError } from '../errors.js'
import { chunkHash } from '../content/manifest.js'
import type { FileProvider, ServedFile } from '../protocol/served-file.js'
import type { ChunkStore } from '../store/chunk-store.js'
import type { HolderRegistry } from './holder-registry.js'

/** A `FileProvider` over the files this node holds chunks of. */
export class HeldFileProvider implements FileProvider {
  readonly #registry: HolderRegistry
  readonly #chunks: ChunkStore

  constructor (registry: HolderRegistry, chunks: ChunkStore) {
    this.#registry = registry
    this.#chunks = chunks
  }

  getServedFile (id: string): ServedFile | undefined {
    const held = this.#registry.get(id)
    if (held == null) return undefined
    const { manifest } = held
    return {
      id,
      manifest,
      manifestBytes: held.manifestBytes,
      have: held.have,
      readChunk: async (index: number) => {
        if (!held.have.get(index)) throw new ShoalError('ERR_CHUNK_NOT_AVAILABLE', `chunk ${index} of ${id} is not held here`, { id, index })
        const data = await this.#chunks.get(chunkHash(manifest, index))
        if (data == null) {
          // ChunkStore.get deleted a rotten copy; stop offering it (repair makes another).
          this.#registry.dropChunk(id, index)
          throw new ShoalError('ERR_CHUNK_NOT_AVAILABLE', `chunk ${index} of ${id} is missing or rotten in the chunk store`, { id, index })
        }
        return data
      },
      onHave: (listener) => this.#registry.onHave(id, listener)
    }
  }
}

/** One provider over several: the first that has a file serves it (e.g. the library, then held chunks). */
export function combineProviders (...providers: readonly FileProvider[]): FileProvider {
  return {
    getServedFile: (id) => {
      for (const provider of providers) {
        const file = provider.getServedFile(id)
        if (file != null) return file
      }
      return undefined
    }
  }
}

/** One chunk's bytes as `provider` serves them; ERR_FILE_NOT_FOUND or ERR_CHUNK_NOT_AVAILABLE when not held. */
export async function readServedChunk (provider: FileProvider, fileId: string, index: number): Promise<Uint8Array> {
  const file = provider.getServedFile(fileId)
  if (file == null) throw new ShoalError('ERR_FILE_NOT_FOUND', `no file ${fileId} in this node`, { id: fileId })
  if (!Number.isInteger(index) || index < 0 || index >= file.have.length || !file.have.get(index)) {
    throw new ShoalError('ERR_CHUNK_NOT_AVAILABLE', `chunk ${index} of ${fileId} is not held here`, { id: fileId, index })
  }
  return await file.readChunk(index)
}
