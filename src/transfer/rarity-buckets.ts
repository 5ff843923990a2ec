/**
 * The scheduler's pool of unassigned missing chunks, grouped by availability
 * (how many partial sources hold each chunk) so the rarest are found first.
 * Buckets are arrays with swap-removal and a position index: O(1) insert,
 * remove and move. (A Set taken from the front keeps its deleted entries
 * until it rehashes, so iterating it grows O(n) per pick.) Chunks enter the
 * pool, and move when a source comes or goes, in one random order, so that
 * equally rare chunks are spread across peers rather than taken by index.
 */
export class RarityBuckets {
  readonly #availability: Uint32Array
  readonly #position: Int32Array
  readonly #buckets = new Map<number, number[]>()
  /** Levels of the non-empty buckets, ascending; rebuilt only when a bucket appears or empties. */
  #levels: number[] | undefined
  /** Every chunk, in the order they enter and move. */
  readonly #order: Uint32Array

  /** A pool holding every chunk, in random order when given `random`, else in index order. */
  constructor (chunkCount: number, random?: () => number) {
    this.#availability = new Uint32Array(chunkCount)
    this.#position = new Int32Array(chunkCount).fill(-1)
    const order = new Uint32Array(chunkCount)
    for (let i = 0; i < chunkCount; i++) order[i] = i
    if (random != null) shuffle(order, random)
    this.#order = order
    // Every chunk starts unheld, at level 0: one bucket in `order`, as inserting them one by one would leave it.
    if (chunkCount === 0) return
    this.#buckets.set(0, Array.from(order))
    for (let at = 0; at < chunkCount; at++) this.#position[order[at] as number] = at
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
    if (bucket == null) {
      this.#buckets.set(level, bucket = [])
      this.#levels = undefined
    }
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
    if (bucket.length === 0) {
      this.#buckets.delete(level)
      this.#levels = undefined
    }
  }

  /** Changes `index`'s availability, moving it between buckets if it is in the pool. */
  adjust (index: number, delta: number): void {
    const pooled = this.contains(index)
    if (pooled) this.remove(index)
    this.#availability[index] = Math.max(0, this.availability(index) + delta)
    if (pooled) this.insert(index)
  }

  /** Changes the availability of every chunk `source` holds (a source came or went), in the pool's order. */
  adjustAll (source: { get: (index: number) => boolean }, delta: number): void {
    for (const index of this.#order) if (source.get(index)) this.adjust(index, delta)
  }

  /** Levels of the non-empty buckets, rarest first (read-only, valid until the pool changes). */
  levels (): readonly number[] {
    return this.#levels ??= [...this.#buckets.keys()].sort((a, b) => a - b)
  }

  /** The chunks at `level` (read-only, valid until the pool changes). */
  bucket (level: number): readonly number[] {
    return this.#buckets.get(level) ?? []
  }
}

/** Fisher–Yates, in place. */
function shuffle (a: Uint32Array, random: () => number): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    const t = a[i] as number
    a[i] = a[j] as number
    a[j] = t
  }
}
