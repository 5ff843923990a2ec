/**
 * The scheduler's pool of unassigned missing chunks, grouped by availability
 * (how many partial sources hold each chunk) so the rarest are found first.
 * Buckets are arrays with swap-removal and a position index: O(1) insert,
 * remove and move. (A Set taken from the front keeps its deleted entries
 * until it rehashes, so iterating it grows O(n) per pick.)
 */
export class RarityBuckets {
  readonly #availability: Uint32Array
  readonly #position: Int32Array
  readonly #buckets = new Map<number, number[]>()

  constructor (chunkCount: number) {
    this.#availability = new Uint32Array(chunkCount)
    this.#position = new Int32Array(chunkCount).fill(-1)
  }

  /** Partial sources holding `index`. */
  availability (index: number): number { return this.#availability[index] ?? 0 }

  /** Whether `index` is in the pool. */
  contains (index: number): boolean { return (this.#position[index] ?? -1) !== -1 }

  /** Puts `index` in the pool at its availability. */
  insert (index: number): void {
    if (this.contains(index)) return
    const level = this.availability(index)
    let bucket = this.#buckets.get(level)
    if (bucket == null) this.#buckets.set(level, bucket = [])
    this.#position[index] = bucket.length
    bucket.push(index)
  }

  /** Takes `index` out of the pool (no-op if absent). */
  remove (index: number): void {
    const at = this.#position[index] ?? -1
    if (at === -1) return
    const level = this.availability(index)
    const bucket = this.#buckets.get(level) as number[]
    const last = bucket.pop() as number
    if (last !== index) {
      bucket[at] = last
      this.#position[last] = at
    }
    this.#position[index] = -1
    if (bucket.length === 0) this.#buckets.delete(level)
  }

  /** Changes `index`'s availability, moving it between buckets if it is in the pool. */
  adjust (index: number, delta: number): void {
    const pooled = this.contains(index)
    if (pooled) this.remove(index)
    this.#availability[index] = Math.max(0, this.availability(index) + delta)
    if (pooled) this.insert(index)
  }

  /** Non-empty buckets, rarest first. */
  * rarestFirst (): Generator<[level: number, chunks: readonly number[]]> {
    const levels = [...this.#buckets.keys()]
    if (levels.length > 1) levels.sort((a, b) => a - b)
    for (const level of levels) yield [level, this.#buckets.get(level) as number[]]
  }
}
