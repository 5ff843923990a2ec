/**
 * The scheduler's choice among unassigned chunks: which missing chunks,
 * requested from nobody, a peer should be asked for. Pure logic over the
 * chunk table and a pool of the unassigned chunks by rarity.
 *
 * Rarest-first: a chunk's availability is the number of usable sources
 * holding it; sources that held every chunk when added are counted once for
 * all chunks (`#completeSources`) instead of chunk by chunk, so a swarm of
 * seeders costs O(1) per seeder. A peer takes from the rarest bucket it can
 * serve. Sequential: the lowest missing index a peer can serve.
 */
import type { ChunkTable } from './chunk-table.js'
import { RarityBuckets } from './rarity-buckets.js'

/** The minimal view of a bitfield the scheduler needs. */
export interface HaveView {
  readonly length: number
  /** Chunks held, when known (a `Bitfield` has it): a complete source is then added in O(1). */
  readonly count?: number
  get: (index: number) => boolean
}

/** A source as the picker sees it. */
export interface PickerSource {
  /** Stands for the source in the chunk table. */
  readonly handle: number
  readonly have: HaveView
  /** It held every chunk when added, so it is not asked chunk by chunk. */
  readonly complete: boolean
}

/** Tunables of a picker (the scheduler's). */
export interface PickerOptions {
  sequential: boolean
  /** Failures of one chunk from one source before that source is not asked for it again. */
  maxRetries: number
  /** Shuffles the order equally rare chunks are handed out in (not in sequential mode). */
  random: () => number
}

/** The pool of unassigned missing chunks and the rules for taking from it. */
export class Picker {
  readonly #chunks: ChunkTable
  readonly #opts: PickerOptions
  /** Unassigned missing chunks by partial availability (total availability = that + #completeSources). */
  readonly #pool: RarityBuckets
  /** Usable sources that held every chunk when added: they add one to every chunk's availability. */
  #completeSources = 0
  /** Sequential mode: no chunk below this is missing. */
  #cursor = 0

  constructor (chunks: ChunkTable, opts: PickerOptions) {
    this.#chunks = chunks
    this.#opts = opts
    this.#pool = new RarityBuckets(chunks.length, opts.sequential ? undefined : opts.random)
  }

  /** A source came (`delta` 1) or stopped counting (-1: gone, banned). */
  changeAvailability ({ have, complete }: PickerSource, delta: number): void {
    if (complete) this.#completeSources += delta
    else this.#pool.adjustAll(have, delta)
  }

  /** A source announced `index` (have-update). */
  announce (index: number): void {
    this.#pool.adjust(index, 1)
  }

  /** `index` is no longer unassigned: requested or done. */
  take (index: number): void {
    this.#pool.remove(index)
  }

  /** `index` is unassigned again (its last request failed or was released). */
  putBack (index: number): void {
    this.#pool.insert(index)
  }

  /** Whether `source` may be asked for `index` now: missing, held, not backed off, not asked already, not failed too often. */
  eligible (index: number, source: PickerSource, now: number): boolean {
    const chunks = this.#chunks
    return !chunks.isDone(index) && (source.complete || source.have.get(index)) && chunks.notBefore(index) <= now &&
      !chunks.isHeldBy(index, source.handle) && chunks.failures(index, source.handle) < this.#opts.maxRetries
  }

  /** Appends up to `room` chunks for `source` to `picked` and takes them from the pool. */
  pick (source: PickerSource, room: number, now: number, picked: number[]): void {
    if (this.#opts.sequential) this.#pickSequential(source, room, now, picked)
    else this.#pickRarest(source, room, now, picked)
    for (const index of picked) this.#pool.remove(index)
  }

  /**
   * Whether every missing chunk some source holds is requested somewhere:
   * the end of the download. Short of it, a peer with nothing left to take
   * is simply idle for now (in a swarm, its sources will soon hold more).
   */
  allAssigned (): boolean {
    const pool = this.#pool
    for (const level of pool.levels()) if (level + this.#completeSources > 0 && pool.bucket(level).length > 0) return false
    return true
  }

  #pickRarest (source: PickerSource, room: number, now: number, picked: number[]): void {
    const pool = this.#pool
    for (const level of pool.levels()) {
      if (level + this.#completeSources === 0) continue
      for (const index of pool.bucket(level)) {
        if (!this.eligible(index, source, now)) continue
        picked.push(index)
        if (picked.length === room) return
      }
    }
  }

  /** From the lowest missing index on. */
  #pickSequential (source: PickerSource, room: number, now: number, picked: number[]): void {
    const chunks = this.#chunks
    while (this.#cursor < chunks.length && chunks.isDone(this.#cursor)) this.#cursor++
    for (let i = this.#cursor; i < chunks.length && picked.length < room; i++) {
      if (chunks.holderCount(i) === 0 && this.eligible(i, source, now)) picked.push(i)
    }
  }
}
