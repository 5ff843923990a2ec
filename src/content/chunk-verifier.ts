/**
 * SHA-256 of downloaded chunks off the main thread, so verifying a gigabyte
 * (~0.7 s of CPU) never stalls the event loop that drives the network.
 * WebCrypto's digest runs on libuv's thread pool, which the disk writes use
 * already, over a copy of the bytes it takes at the call: no worker thread,
 * whose V8 isolate cost ~10 MiB of RSS, and no buffers to hand back. Small
 * chunks are hashed inline, where a thread-pool round trip costs more.
 */
import { webcrypto } from 'node:crypto'
import { sha256 } from './hash.js'

/** Below this, a round trip to the thread pool costs more than hashing inline. */
export const INLINE_VERIFY_MAX_BYTES = 64 * 1024

/** The SHA-256 of a chunk; `buffer` may be reused as soon as this returns. */
export async function digestChunk (buffer: Uint8Array): Promise<Uint8Array> {
  if (buffer.byteLength <= INLINE_VERIFY_MAX_BYTES) return sha256(buffer)
  return new Uint8Array(await webcrypto.subtle.digest('SHA-256', buffer))
}
