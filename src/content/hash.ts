/**
 * SHA-256 and byte helpers. node:crypto is OpenSSL with SHA-NI here, the
 * fastest SHA-256 available to Node (see DESIGN.md, "hashing").
 */
import { createHash, timingSafeEqual } from 'node:crypto'

/** Length of a SHA-256 digest in bytes. */
export const SHA256_BYTES = 32

/** SHA-256 of `data`, or of the concatenation of its parts (hashed without copying them together). */
export function sha256 (data: Uint8Array | readonly Uint8Array[]): Uint8Array {
  const hash = createHash('sha256')
  if (data instanceof Uint8Array) {
    hash.update(data)
  } else {
    for (const part of data) hash.update(part)
  }
  return new Uint8Array(hash.digest())
}

/**
 * True when `a` and `b` hold the same bytes. Equal-length inputs are compared
 * in time independent of where they differ, so digests can be checked
 * without leaking how much of a guess was right.
 */
export function equalBytes (a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && timingSafeEqual(a, b)
}

/** Lower-case hexadecimal form of `bytes`. */
export function toHex (bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')
}
