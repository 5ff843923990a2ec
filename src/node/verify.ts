/**
 * `shoal verify`: re-hashes a local copy of a file chunk by chunk against its
 * manifest, and says which chunks (if any) no longer match. The library
 * unshares a copy that fails (library.ts).
 */
import { hashFile } from '../content/chunker.js'
import { chunkHash, manifestChunkCount, type Manifest } from '../content/manifest.js'
import { equalBytes, SHA256_BYTES } from '../content/hash.js'
import { toShoalError } from '../errors.js'

/** The outcome for one copy. */
export interface VerifyReport {
  path: string
  ok: boolean
  badChunks: number[]
  error?: string
}

/** Verifies the file at `path` against `manifest`. Rejects only with ERR_ABORTED; every other failure is in the report. */
export async function verifyLocalCopy (manifest: Manifest, path: string, options: { signal?: AbortSignal } = {}): Promise<VerifyReport> {
  let hashes: Uint8Array
  try {
    const hashed = await hashFile(path, { chunkSize: manifest.chunkSize, signal: options.signal })
    if (hashed.size !== manifest.size) return { path, ok: false, badChunks: [], error: `size is ${hashed.size}, expected ${manifest.size}` }
    hashes = hashed.hashes
  } catch (err) {
    const e = toShoalError(err)
    if (e.code === 'ERR_ABORTED') throw e // an interrupted check says nothing about the copy
    return { path, ok: false, badChunks: [], error: e.message }
  }
  const badChunks: number[] = []
  for (let i = 0; i < manifestChunkCount(manifest); i++) {
    if (!equalBytes(hashes.subarray(i * SHA256_BYTES, (i + 1) * SHA256_BYTES), chunkHash(manifest, i))) badChunks.push(i)
  }
  return { path, ok: badChunks.length === 0, badChunks }
}
