/**
 * Chunk geometry. Chunks are fixed-size (the last one may be short). The size
 * grows with the file so that a manifest never lists more than
 * MAX_CHUNKS_PER_MANIFEST hashes: SPEC §1 forbids a 32 MB manifest for a 1 TiB
 * file, and every peer of a swarm keeps the manifest in memory.
 */
import { ShoalError } from '../errors.js'

/** One mebibyte. */
export const MIB = 1024 * 1024

/** Chunk size for files small enough not to need bigger chunks. */
export const DEFAULT_CHUNK_SIZE_BYTES = MIB

/** 32,000 SHA-256 digests = 1,024,000 bytes: a manifest stays ≤ 1 MiB up to 1 TiB. */
export const MAX_CHUNKS_PER_MANIFEST = 32_000

/** Smallest chunk size a manifest may declare (bounds the chunk count of small files). */
export const MIN_CHUNK_SIZE_BYTES = 16 * 1024

/** Largest chunk size a manifest may declare (bounds the memory one chunk needs). */
export const MAX_CHUNK_SIZE_BYTES = 256 * MIB

/** A chunk's place in its file. */
export interface ChunkRange {
  readonly offset: number
  readonly length: number
}

/**
 * The chunk size to use for a file of `fileSize` bytes: `baseChunkSize` while
 * that gives at most MAX_CHUNKS_PER_MANIFEST chunks, else the smallest whole
 * number of MiB that does. A 1 TiB file gets 33 MiB chunks (31,776 of them).
 * Throws ERR_INVALID_ARGUMENT for a file too big to share (over ~7.8 TiB,
 * where chunks would pass MAX_CHUNK_SIZE_BYTES).
 */
export function chunkSizeFor (fileSize: number, baseChunkSize: number = DEFAULT_CHUNK_SIZE_BYTES): number {
  assertSize(fileSize)
  assertChunkSize(baseChunkSize, 'ERR_INVALID_ARGUMENT')
  if (Math.ceil(fileSize / baseChunkSize) <= MAX_CHUNKS_PER_MANIFEST) return baseChunkSize
  const chunkSize = Math.max(baseChunkSize, Math.ceil(fileSize / MAX_CHUNKS_PER_MANIFEST / MIB) * MIB)
  if (chunkSize > MAX_CHUNK_SIZE_BYTES) {
    throw new ShoalError('ERR_INVALID_ARGUMENT', `a file of ${fileSize} bytes is too large to share`, { fileSize })
  }
  return chunkSize
}

/** How many chunks a file of `size` bytes has (0 for an empty file). */
export function chunkCount (size: number, chunkSize: number): number {
  assertSize(size)
  if (!Number.isSafeInteger(chunkSize) || chunkSize <= 0) {
    throw new ShoalError('ERR_INVALID_ARGUMENT', `invalid chunk size: ${String(chunkSize)}`)
  }
  return Math.ceil(size / chunkSize)
}

/** Offset and length of chunk `index`; throws ERR_INVALID_ARGUMENT when there is no such chunk. */
export function chunkRange (size: number, chunkSize: number, index: number): ChunkRange {
  const count = chunkCount(size, chunkSize)
  if (!Number.isInteger(index) || index < 0 || index >= count) {
    throw new ShoalError('ERR_INVALID_ARGUMENT', `chunk index ${String(index)} is out of range (0..${count - 1})`, { index, count })
  }
  const offset = index * chunkSize
  return { offset, length: Math.min(chunkSize, size - offset) }
}

/**
 * Throws `code` unless `chunkSize` is an integer within
 * [MIN_CHUNK_SIZE_BYTES, MAX_CHUNK_SIZE_BYTES]. Shared with manifest
 * validation, which reports ERR_INVALID_MANIFEST instead.
 */
export function assertChunkSize (chunkSize: unknown, code: 'ERR_INVALID_ARGUMENT' | 'ERR_INVALID_MANIFEST'): asserts chunkSize is number {
  if (!Number.isInteger(chunkSize) || (chunkSize as number) < MIN_CHUNK_SIZE_BYTES || (chunkSize as number) > MAX_CHUNK_SIZE_BYTES) {
    throw new ShoalError(code, `chunk size must be an integer from ${MIN_CHUNK_SIZE_BYTES} to ${MAX_CHUNK_SIZE_BYTES} bytes, got ${String(chunkSize)}`)
  }
}

function assertSize (size: number): void {
  if (!Number.isSafeInteger(size) || size < 0) {
    throw new ShoalError('ERR_INVALID_ARGUMENT', `invalid file size: ${String(size)}`)
  }
}
