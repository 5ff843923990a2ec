/**
 * Reuses chunk-sized buffers. A download allocates one buffer per chunk in
 * flight; recycling them keeps megabytes of external memory from churning
 * through the garbage collector, which on a 1 GiB download cost more CPU than
 * hashing it. Each buffer owns its whole ArrayBuffer, so it can be
 * transferred to a worker and back.
 */

/** Buffers of one size per pool; a bounded free list. */
export class BufferPool {
  readonly #free = new Map<number, Buffer[]>()
  readonly #maxFree: number

  constructor (maxFree = 16) {
    this.#maxFree = maxFree
  }

  /** A buffer of exactly `length` bytes, contents undefined. */
  acquire (length: number): Buffer {
    return this.#free.get(length)?.pop() ?? Buffer.allocUnsafeSlow(length)
  }

  /** Returns a buffer for reuse; the caller must not use it afterwards. */
  release (buffer: Buffer): void {
    if (buffer.byteOffset !== 0 || buffer.buffer.byteLength !== buffer.byteLength) return
    let list = this.#free.get(buffer.byteLength)
    if (list == null) this.#free.set(buffer.byteLength, list = [])
    if (list.length < this.#maxFree) list.push(buffer)
  }
}
