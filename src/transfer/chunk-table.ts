/**
 * The scheduler's per-chunk state as parallel arrays indexed by chunk: done,
 * back-off, the peers (number handles) a chunk is requested from, and
 * failures per peer. Tens of thousands of chunks each with their own Set and
 * Map cost allocation and GC on every call; here the first holder is a
 * number in a typed array, only endgame copies need a (tiny) array, and
 * failure maps exist only for chunks that failed, which most never do.
 *
 * Chunks are visited in random order, so each array touched per chunk is a
 * likely cache miss: the common path (pick, request, done) reads only the
 * one-byte flags and the first holder; the copies, back-off times and
 * failures are read only when a flag says there are any.
 */

/** Flag bits per chunk. */
const DONE = 1
/** It has endgame copies in #more. */
const COPIES = 2

/** Per-chunk state, indexed by chunk; peers are number handles. */
export class ChunkTable {
  readonly length: number
  readonly #flags: Uint8Array
  /** Do not request before this time (back-off). */
  readonly #notBefore: Float64Array
  /** Whether any chunk was ever backed off: until then #notBefore is all zero. */
  #anyBackoff = false
  /** The first peer it is requested from now (-1: none); almost always the only one. */
  readonly #first: Int32Array
  /** Further peers it is requested from (endgame copies), in the order they were asked; non-empty where flagged COPIES. */
  readonly #more: Array<number[] | undefined>
  /** peer → failures of this chunk from that peer; created on the first failure. */
  readonly #failures: Array<Map<number, number> | undefined>
  /** Whether any chunk has failed since the last reset: until then lookups need not touch #failures. */
  #anyFailures = false

  constructor (chunkCount: number) {
    this.length = chunkCount
    this.#flags = new Uint8Array(chunkCount)
    this.#notBefore = new Float64Array(chunkCount)
    this.#first = new Int32Array(chunkCount).fill(-1)
    this.#more = new Array<undefined>(chunkCount).fill(undefined)
    this.#failures = new Array<undefined>(chunkCount).fill(undefined)
  }

  /** Whether `index` names a chunk (callers may pass anything a peer sent). */
  has (index: number): boolean { return Number.isInteger(index) && index >= 0 && index < this.length }

  /** Whether the chunk is done: verified, or held already (resume). */
  isDone (index: number): boolean { return ((this.#flags[index] as number) & DONE) !== 0 }
  setDone (index: number): void { this.#flags[index] = (this.#flags[index] as number) | DONE }

  /** Time before which the chunk is not to be requested (its back-off); 0 when it has none. */
  notBefore (index: number): number { return this.#anyBackoff ? this.#notBefore[index] as number : 0 }
  setNotBefore (index: number, at: number): void {
    this.#notBefore[index] = at
    this.#anyBackoff = true
  }

  /** Peers the chunk is requested from now. */
  holderCount (index: number): number {
    if (this.#first[index] === -1) return 0
    return this.#hasCopies(index) ? 1 + (this.#more[index] as number[]).length : 1
  }

  /** The `n`-th peer (in the order asked) `index` is requested from; `n` < holderCount. */
  holder (index: number, n: number): number {
    return n === 0 ? this.#first[index] as number : this.#more[index]?.[n - 1] as number
  }

  /** Whether the chunk is requested from `peer` now. */
  isHeldBy (index: number, peer: number): boolean {
    const first = this.#first[index]
    return first === peer || (first !== -1 && this.#hasCopies(index) && (this.#more[index] as number[]).includes(peer))
  }

  /** The chunk was requested from `peer` (no-op if it already is). */
  addHolder (index: number, peer: number): void {
    if (this.#first[index] === -1) {
      this.#first[index] = peer
      return
    }
    if (this.isHeldBy(index, peer)) return
    const more = this.#more[index]
    if (more == null) this.#more[index] = [peer]
    else more.push(peer)
    this.#flags[index] = (this.#flags[index] as number) | COPIES
  }

  /** The request to `peer` for the chunk ended; a copy, if any, becomes the first holder. */
  removeHolder (index: number, peer: number): void {
    const first = this.#first[index]
    if (first === -1) return
    if (!this.#hasCopies(index)) {
      if (first === peer) this.#first[index] = -1
      return
    }
    const more = this.#more[index] as number[]
    if (first === peer) this.#first[index] = more.shift() as number
    else {
      const at = more.indexOf(peer)
      if (at === -1) return
      more.splice(at, 1)
    }
    if (more.length === 0) this.#clearCopies(index)
  }

  /** No peer holds a request for the chunk any more. */
  clearHolders (index: number): void {
    this.#first[index] = -1
    if (this.#hasCopies(index)) this.#clearCopies(index)
  }

  #hasCopies (index: number): boolean { return ((this.#flags[index] as number) & COPIES) !== 0 }

  #clearCopies (index: number): void {
    this.#more[index] = undefined
    this.#flags[index] = (this.#flags[index] as number) & ~COPIES
  }

  /** Failures of the chunk from `peer` since the last reset. */
  failures (index: number, peer: number): number {
    if (!this.#anyFailures) return 0
    return this.#failures[index]?.get(peer) ?? 0
  }

  /** Counts `weight` failures of `index` from `peer`; returns the chunk's failures from all peers. */
  addFailure (index: number, peer: number, weight: number): number {
    let failures = this.#failures[index]
    if (failures == null) this.#failures[index] = failures = new Map()
    this.#anyFailures = true
    failures.set(peer, (failures.get(peer) ?? 0) + weight)
    let total = 0
    for (const n of failures.values()) total += n
    return total
  }

  /** Forgets the chunk's failures from `peer` (it announced the chunk again). */
  forgetFailures (index: number, peer: number): void {
    this.#failures[index]?.delete(peer)
  }

  /** Forgets every failure (back-off times stay). */
  resetFailures (): void {
    this.#failures.fill(undefined)
    this.#anyFailures = false
  }
}
