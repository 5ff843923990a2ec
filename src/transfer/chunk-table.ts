/**
 * The scheduler's per-chunk state as parallel arrays indexed by chunk: done,
 * back-off, the peers (number handles) a chunk is requested from, and
 * failures per peer. Tens of thousands of chunks each with their own Set and
 * Map cost allocation and GC on every call; here the first holder is a
 * number in a typed array, only endgame copies need a (tiny) array, and
 * failure maps exist only for chunks that failed, which most never do.
 */

/** Per-chunk state, indexed by chunk; peers are number handles. */
export class ChunkTable {
  readonly length: number
  readonly #done: Uint8Array
  /** Do not request before this time (back-off). */
  readonly #notBefore: Float64Array
  /** The first peer it is requested from now (-1: none); almost always the only one. */
  readonly #first: Int32Array
  /** Further peers it is requested from (endgame copies), in the order they were asked. */
  readonly #more: Array<number[] | undefined>
  /** peer → failures of this chunk from that peer; created on the first failure. */
  readonly #failures: Array<Map<number, number> | undefined>
  /** Whether any chunk has failed since the last reset: until then lookups need not touch #failures. */
  #anyFailures = false

  constructor (chunkCount: number) {
    this.length = chunkCount
    this.#done = new Uint8Array(chunkCount)
    this.#notBefore = new Float64Array(chunkCount)
    this.#first = new Int32Array(chunkCount).fill(-1)
    this.#more = new Array<undefined>(chunkCount).fill(undefined)
    this.#failures = new Array<undefined>(chunkCount).fill(undefined)
  }

  /** Whether `index` names a chunk (callers may pass anything a peer sent). */
  has (index: number): boolean { return Number.isInteger(index) && index >= 0 && index < this.length }

  isDone (index: number): boolean { return this.#done[index] === 1 }
  setDone (index: number): void { this.#done[index] = 1 }

  notBefore (index: number): number { return this.#notBefore[index] as number }
  setNotBefore (index: number, at: number): void { this.#notBefore[index] = at }

  holderCount (index: number): number {
    const first = this.#first[index] ?? -1
    return first === -1 ? 0 : 1 + (this.#more[index]?.length ?? 0)
  }

  /** The `n`-th peer (in the order asked) `index` is requested from; `n` < holderCount. */
  holder (index: number, n: number): number {
    return n === 0 ? this.#first[index] as number : this.#more[index]?.[n - 1] as number
  }

  isHeldBy (index: number, peer: number): boolean {
    const first = this.#first[index]
    // Without a first holder there are no others: skip the second lookup on the common path.
    return first === peer || (first !== -1 && this.#more[index]?.includes(peer) === true)
  }

  addHolder (index: number, peer: number): void {
    if (this.#first[index] === -1) {
      this.#first[index] = peer
      return
    }
    if (this.isHeldBy(index, peer)) return
    const more = this.#more[index]
    if (more == null) this.#more[index] = [peer]
    else more.push(peer)
  }

  removeHolder (index: number, peer: number): void {
    const more = this.#more[index]
    if (this.#first[index] === peer) {
      this.#first[index] = more != null && more.length > 0 ? more.shift() as number : -1
      return
    }
    const at = more?.indexOf(peer) ?? -1
    if (at !== -1) more?.splice(at, 1)
  }

  clearHolders (index: number): void {
    this.#first[index] = -1
    this.#more[index] = undefined
  }

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

  forgetFailures (index: number, peer: number): void {
    this.#failures[index]?.delete(peer)
  }

  resetFailures (): void {
    this.#failures.fill(undefined)
    this.#anyFailures = false
  }
}
