/**
 * Reuses chunk-sized buffers. A download allocates one buffer per chunk in
 * flight; recycling them keeps megabytes of external memory from churning
 * through the garbage collector, which on a 1 GiB download cost more CPU than
 * hashing it. A buffer dropped from the pool lingers until a GC and leaves a
 * hole in the malloc heap, so the pool keeps as many as a download can use.
 */

/** Buffers of one size per pool; a bounded free list. */
export class BufferPool {
  readonly #free = new Map<number, Buffer[]>()
  readonly #maxFree: (length: number) => number

  /** `maxFree(length)`: how many idle buffers of `length` bytes to keep. */
  constructor (maxFree: (length: number) => number) {
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
    if (list.length < this.#maxFree(buffer.byteLength)) list.push(buffer)
  }
}
