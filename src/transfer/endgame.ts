/**
 * Endgame: when nothing unassigned is left for a peer with room, it may race
 * chunks in flight elsewhere, so the last chunks do not wait on slow peers.
 * Pure logic over the scheduler's chunk table and peer stats; time is passed in.
 *
 * Who races. Only fast peers: within `ENDGAME_RACER_SPREAD` of the fastest
 * active peer, since the copies are few and slow peers must not take them.
 *
 * What. At most `ENDGAME_COPIES` copies of a chunk are in flight. Holders are
 * visited slowest first (a sort by rate, redone at most every RATE_SAMPLE_MS,
 * as rates move slowly), and a chunk is raced only where the racer should
 * deliver it first or the holder is overdue. The first copy to arrive wins;
 * the scheduler cancels the others.
 *
 * Cost. Near the end every assign call of every fast peer looks for work
 * here, so holders found with nothing left to race (every request done or
 * already copied) are dropped from the visit list until the next sort.
 */
import type { ChunkTable } from './chunk-table.js'
import { RATE_SAMPLE_MS, type PeerStats } from './peer-stats.js'
import { LOCAL_SOURCE } from './local-source.js'

/** Copies of one chunk that may be in flight at once (the first request included). */
export const ENDGAME_COPIES = 2
/** Only peers within this factor of the fastest one race in endgame, so slow ones do not take the copies. */
export const ENDGAME_RACER_SPREAD = 4

/** The racing state of one scheduler. */
export class Endgame {
  readonly #chunks: ChunkTable
  /** A chunk's size × 1000: divided by a rate in bytes/s, the ms one chunk takes. */
  readonly #chunkBytesMs: number
  readonly #peers: () => Iterable<PeerStats>
  /** Active peers, slowest first, as of #sortedAt; undefined: sort before use. */
  #byRate: PeerStats[] | undefined
  #sortedAt = 0
  /** #byRate without the holders found to have nothing left to race since the sort, from #from on. */
  #holders: PeerStats[] = []
  #from = 0

  /** `peers` lists the scheduler's peers (any state; only active ones race or are raced). */
  constructor (chunks: ChunkTable, chunkSize: number, peers: () => Iterable<PeerStats>) {
    this.#chunks = chunks
    this.#chunkBytesMs = chunkSize * 1000
    this.#peers = peers
  }

  /** Peers came or went (or changed state): sort again before the next race. */
  invalidate (): void {
    this.#byRate = undefined
  }

  /** Whether `racer` is fast enough to race: measured, and within ENDGAME_RACER_SPREAD of the fastest active peer. */
  admits (racer: PeerStats, now: number): boolean {
    const byRate = this.#sorted(now)
    const fastest = byRate[byRate.length - 1]?.rate ?? 0
    return racer.rate > 0 && racer.rate * ENDGAME_RACER_SPREAD >= fastest
  }

  /**
   * Appends to `picked`, until it holds `room`, chunks in flight at other
   * peers that `racer` should deliver first; `eligible` says whether racer
   * may be asked for a chunk at all. Call only for an admitted racer.
   */
  race (racer: PeerStats, room: number, now: number, picked: number[], eligible: (index: number) => boolean): void {
    this.#sorted(now)
    const chunks = this.#chunks
    const bytesMs = this.#chunkBytesMs
    let mine = now + racer.rttMs + (racer.inFlight.size + 1) * bytesMs / racer.rate
    const holders = this.#holders
    let kept = this.#from
    for (let h = kept; h < holders.length; h++) {
      const holder = holders[h] as PeerStats
      // A chunk read from a local copy is never worth a network copy.
      if (holder.id === LOCAL_SOURCE) continue
      // The holder should deliver its n-th request by lastDataAt + n × perChunk.
      const perChunk = holder.rate > 0 ? bytesMs / holder.rate : Infinity
      const overdue = holder.lastDataAt + perChunk < now
      let raceable = false
      let n = 0
      for (const index of holder.inFlight.keys()) {
        const theirs = holder.lastDataAt + ++n * perChunk
        if (chunks.isDone(index) || chunks.holderCount(index) >= ENDGAME_COPIES) continue
        raceable = true
        if (holder === racer || (!overdue && mine >= theirs) || !eligible(index)) continue
        picked.push(index)
        if (picked.length === room) break
        mine += bytesMs / racer.rate
      }
      if (raceable) holders[kept++] = holder
      if (picked.length === room) {
        this.#closeGap(kept, h + 1)
        return
      }
    }
    holders.length = kept
  }

  /** Active peers, slowest first; re-sorted at most every RATE_SAMPLE_MS. */
  #sorted (now: number): PeerStats[] {
    if (this.#byRate == null || now - this.#sortedAt >= RATE_SAMPLE_MS) {
      const byRate: PeerStats[] = []
      for (const stats of this.#peers()) if (stats.state === 'active') byRate.push(stats)
      this.#byRate = byRate.sort((a, b) => a.rate - b.rate)
      this.#sortedAt = now
      this.#holders = byRate.slice()
      this.#from = 0
    }
    return this.#byRate
  }

  /** Drops the holders in [kept, next) from the visit list, moving whichever side of the gap is shorter. */
  #closeGap (kept: number, next: number): void {
    const holders = this.#holders
    const gap = next - kept
    if (gap === 0) return
    if (kept - this.#from <= holders.length - next) {
      holders.copyWithin(this.#from + gap, this.#from, kept)
      this.#from += gap
    } else {
      holders.copyWithin(kept, next)
      holders.length -= gap
    }
  }
}
