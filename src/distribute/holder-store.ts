/**
 * The holder's storage policy: whether it takes pushes, how much room is left
 * overall (`storage.chunkQuotaBytes`, enforced by the ChunkStore) and for one
 * uploader (`storage.chunkQuotaPerUploaderPercent` of it, counted over the
 * chunks of every file that uploader's records placed here, plus what is
 * being written for it now), and the checks a pushed chunk passes before it
 * is kept: this node is one of its holders in the offered record, and its
 * bytes hash to the manifest's hash. Kept chunks go to the ChunkStore (temp
 * file + rename) and then to the registry.
 */
import { sha256, equalBytes } from '../content/hash.js'
import { chunkHash, type Manifest } from '../content/manifest.js'
import { logger } from '../util/log.js'
import { ShoalError } from '../errors.js'
import { StoreRefusal } from './store-wire.js'
import type { ChunkStore } from '../store/chunk-store.js'
import type { HolderRegistry } from './holder-registry.js'
import type { SignedRecord } from './record.js'

const log = logger('holder-store')

/** What a holder accepts. */
export interface HolderPolicy {
  /** `distribution.acceptPushes`. */
  acceptPushes: boolean
  /** Most bytes the files of one uploader may hold here (see `perUploaderQuota`). */
  perUploaderBytes: number
}

/** The per-uploader share of a quota: `percent` % of `quotaBytes`, rounded down. */
export function perUploaderQuota (quotaBytes: number, percent: number): number {
  return Math.floor(quotaBytes * percent / 100)
}

/** Room left, as a QUERY answers it. */
export interface HolderCapacity {
  accepting: boolean
  freeBytes: number
  uploaderFreeBytes: number
}

/** A file as offered on a store stream: verified manifest and chain. */
export interface OfferedFile {
  fileId: string
  manifest: Manifest
  manifestBytes: Uint8Array
  chain: readonly Uint8Array[]
  record: SignedRecord
}

/** Decides on and keeps pushed chunks. */
export class HolderStore {
  readonly self: string
  readonly registry: HolderRegistry
  readonly #chunks: ChunkStore
  readonly #policy: HolderPolicy
  /** uploader → bytes being written for it now (not yet in the registry). */
  readonly #reserved = new Map<string, number>()
  /** fileId → store streams pushing it to us now. */
  readonly #pushes = new Map<string, number>()

  constructor (init: { self: string, registry: HolderRegistry, chunks: ChunkStore, policy: HolderPolicy }) {
    this.self = init.self
    this.registry = init.registry
    this.#chunks = init.chunks
    this.#policy = init.policy
  }

  /** Whether pushes are taken, and the room left overall and for `uploader`. */
  capacity (uploader: string): HolderCapacity {
    const freeBytes = Math.max(0, this.#chunks.quotaBytes - this.#chunks.usedBytes)
    const uploaderFree = Math.max(0, this.#policy.perUploaderBytes - this.registry.usedBy(uploader) - (this.#reserved.get(uploader) ?? 0))
    return { accepting: this.#policy.acceptPushes, freeBytes, uploaderFreeBytes: Math.min(freeBytes, uploaderFree) }
  }

  /** Why an offer for `file` is refused at once, or NONE. */
  judgeOffer (file: OfferedFile): { refusal: StoreRefusal, message: string } {
    if (!this.#policy.acceptPushes) return { refusal: StoreRefusal.NOT_ACCEPTING, message: 'this node does not take pushed chunks' }
    if (!file.record.record.holders.some((holders) => holders.includes(this.self))) {
      return { refusal: StoreRefusal.NOT_HOLDER, message: 'the record places no chunk here' }
    }
    const held = this.registry.get(file.fileId)
    const stillToStore = file.record.record.holders.some((holders, i) => holders.includes(this.self) && held?.have.get(i) !== true)
    if (stillToStore && this.capacity(file.record.record.uploader).uploaderFreeBytes === 0) {
      return { refusal: StoreRefusal.QUOTA, message: 'no chunk quota left for this uploader' }
    }
    return { refusal: StoreRefusal.NONE, message: '' }
  }

  /** Whether a push of `fileId` to this node is under way (a store stream open for it). */
  isBeingPushed (fileId: string): boolean { return (this.#pushes.get(fileId) ?? 0) > 0 }

  /** Counts a push of `fileId` under way until the returned function is called (once). */
  pushing (fileId: string): () => void {
    this.#pushes.set(fileId, (this.#pushes.get(fileId) ?? 0) + 1)
    let ended = false
    return () => {
      if (ended) return
      ended = true
      const left = (this.#pushes.get(fileId) ?? 1) - 1
      if (left <= 0) this.#pushes.delete(fileId)
      else this.#pushes.set(fileId, left)
    }
  }

  /** Chunk `index` of `file` as kept here, read back and checked against its hash (chunk-store.ts). */
  async read (file: OfferedFile, index: number): Promise<Uint8Array> {
    const data = await this.#chunks.get(chunkHash(file.manifest, index))
    if (data == null) throw new ShoalError('ERR_CHUNK_NOT_AVAILABLE', `chunk ${index} of ${file.fileId} is not kept here`, { fileId: file.fileId, index })
    return data
  }

  /** Checks `data` as chunk `index` of `file` and keeps it; NONE when kept (or already held). */
  async store (file: OfferedFile, index: number, data: Uint8Array): Promise<{ refusal: StoreRefusal, message: string }> {
    if (!this.#policy.acceptPushes) return { refusal: StoreRefusal.NOT_ACCEPTING, message: 'this node does not take pushed chunks' }
    const holders = file.record.record.holders[index]
    if (holders?.includes(this.self) !== true) return { refusal: StoreRefusal.NOT_HOLDER, message: `the record does not place chunk ${index} here` }
    const hash = chunkHash(file.manifest, index)
    if (!equalBytes(sha256(data), hash)) return { refusal: StoreRefusal.CORRUPT, message: `chunk ${index} does not match its hash` }
    if (this.registry.get(file.fileId)?.have.get(index) === true) return { refusal: StoreRefusal.NONE, message: 'already held' }
    const uploader = file.record.record.uploader
    if (this.capacity(uploader).uploaderFreeBytes < data.byteLength) {
      return { refusal: StoreRefusal.QUOTA, message: 'the chunk would pass this uploader\'s share of the quota' }
    }
    this.#reserved.set(uploader, (this.#reserved.get(uploader) ?? 0) + data.byteLength)
    try {
      await this.#chunks.put(hash, data)
      this.registry.addChunk(file.fileId, file.manifest, file.manifestBytes, file.chain, file.record, index, data.byteLength)
      return { refusal: StoreRefusal.NONE, message: '' }
    } catch (err) {
      if ((err as { code?: string }).code !== 'ERR_QUOTA_EXCEEDED') log.error('could not keep chunk %d of %s: %s', index, file.fileId, err)
      return { refusal: StoreRefusal.QUOTA, message: `could not keep the chunk: ${(err as Error).message}` }
    } finally {
      const left = (this.#reserved.get(uploader) ?? 0) - data.byteLength
      if (left <= 0) this.#reserved.delete(uploader)
      else this.#reserved.set(uploader, left)
    }
  }
}
