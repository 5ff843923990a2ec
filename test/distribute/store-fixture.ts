/**
 * A file to distribute in tests, held in memory: random bytes, its manifest
 * and a chunk reader (optionally a lying one).
 */
import { randomBytes } from 'node:crypto'
import { chunkRange } from '../../src/content/chunk-size.js'
import { sha256 } from '../../src/content/hash.js'
import { chunkHash, createManifest, encodeManifest, fileIdFromManifestBytes, manifestChunkCount, type Manifest } from '../../src/content/manifest.js'
import type { Holder } from './store-hosts.js'

/** A test file. */
export interface Fixture {
  bytes: Uint8Array
  manifest: Manifest
  manifestBytes: Uint8Array
  fileId: string
  chunkCount: number
  chunk: (index: number) => Uint8Array
  readChunk: (index: number) => Promise<Uint8Array>
}

/** A random file of `size` bytes in chunks of `chunkSize`. */
export function makeFixture (size: number, chunkSize = 64 * 1024, name = 'pushed.bin'): Fixture {
  const bytes = randomBytes(size)
  const count = Math.ceil(size / chunkSize)
  const hashes = new Uint8Array(count * 32)
  const chunk = (index: number): Uint8Array => {
    const { offset, length } = chunkRange(size, chunkSize, index)
    return bytes.subarray(offset, offset + length)
  }
  for (let i = 0; i < count; i++) hashes.set(sha256(chunk(i)), i * 32)
  const manifest = createManifest({ name, size, chunkSize, hashes })
  const manifestBytes = encodeManifest(manifest)
  return { bytes, manifest, manifestBytes, fileId: fileIdFromManifestBytes(manifestBytes), chunkCount: count, chunk, readChunk: async (i) => chunk(i) }
}

/** Chunk indices of `fixture` that `holder` has on disk, verified, and in its registry. */
export async function chunksOnDisk (holder: Holder, fixture: Fixture): Promise<number[]> {
  const held: number[] = []
  for (let i = 0; i < manifestChunkCount(fixture.manifest); i++) {
    const data = await holder.chunks.get(chunkHash(fixture.manifest, i))
    const registered = holder.registry.get(fixture.fileId)?.have.get(i) === true
    if (data != null && registered && Buffer.from(data).equals(fixture.chunk(i))) held.push(i)
  }
  return held
}
