/**
 * Surplus copies: chunks a node holds that the latest record no longer lists
 * it for — a holder that came back after it was replaced, or a survivor whose
 * concurrent repair lost to `preferRecord`. Such a node keeps serving them
 * (a copy more does no harm) and drops them only after a grace period, and
 * only if the record *then* still does not list it: the uploader may have
 * re-signed the map meanwhile, and a download may be reading them.
 *
 * The reverse, `missingChunks`, is what a node is listed for but does not
 * hold (a repair order whose copy failed while another survivor signed the
 * map): the store side fetches those from the chunk's other holders.
 */
import { logger } from '../util/log.js'
import type { DistributionRecord } from './record.js'
import { systemClock, type WatchClock, type WatchTimer } from './holder-watch.js'

const log = logger('surplus')

/** Default wait before a surplus copy is dropped: long enough for downloads under way and for a re-signed map to arrive. */
export const DEFAULT_SURPLUS_GRACE_MS = 3_600_000

/** Chunks of `held` that `record` does not list `self` for, ascending. */
export function surplus (record: DistributionRecord, self: string, held: Iterable<number>): number[] {
  return [...new Set(held)].filter((c) => !(record.holders[c]?.includes(self) ?? false)).sort((a, b) => a - b)
}

/** Chunks `record` lists `self` for that are not in `held`, ascending. */
export function missingChunks (record: DistributionRecord, self: string, held: Iterable<number>): number[] {
  const have = new Set(held)
  const out: number[] = []
  record.holders.forEach((holders, c) => { if (holders.includes(self) && !have.has(c)) out.push(c) })
  return out
}

/** What a SurplusDropper needs; everything touching storage is injected. */
export interface SurplusDropperInit {
  readonly self: string
  readonly graceMs?: number
  readonly clock?: WatchClock
  /** The latest record this node keeps for a file, or undefined once it is gone (released). */
  readonly latest: (fileId: string) => DistributionRecord | undefined
  /** Indices of the file's chunks this node holds now. */
  readonly held: (fileId: string) => Iterable<number>
  /** Deletes one held chunk of the file (the store decides whether the bytes are still needed by another file). */
  readonly deleteChunk: (fileId: string, chunk: number, signal: AbortSignal) => Promise<void>
}

/**
 * Drops a file's surplus copies once they have been surplus for the grace
 * period. `schedule(fileId)` after every record change; the surplus is
 * computed again when the timer fires, so a copy listed again is kept.
 */
export class SurplusDropper {
  readonly #init: SurplusDropperInit
  readonly #graceMs: number
  readonly #clock: WatchClock
  readonly #timers = new Map<string, WatchTimer>()
  readonly #lifetime = new AbortController()

  constructor (init: SurplusDropperInit) {
    this.#init = init
    this.#graceMs = init.graceMs ?? DEFAULT_SURPLUS_GRACE_MS
    this.#clock = init.clock ?? systemClock
  }

  /** Arms (or re-arms) the file's grace timer when it has surplus copies now; returns them. */
  schedule (fileId: string): number[] {
    this.#timers.get(fileId)?.clear()
    this.#timers.delete(fileId)
    const extra = this.#surplusOf(fileId)
    if (extra.length === 0 || this.#lifetime.signal.aborted) return extra
    this.#timers.set(fileId, this.#clock.setTimeout(() => {
      this.#timers.delete(fileId)
      this.drop(fileId, this.#lifetime.signal).catch((err: unknown) => { log.error('dropping surplus of %s failed: %o', fileId, err) })
    }, this.#graceMs))
    return extra
  }

  /** Deletes the file's surplus copies now (what the timer runs); returns the chunks deleted. */
  async drop (fileId: string, signal: AbortSignal): Promise<number[]> {
    const dropped: number[] = []
    for (const chunk of this.#surplusOf(fileId)) {
      signal.throwIfAborted()
      await this.#init.deleteChunk(fileId, chunk, signal)
      dropped.push(chunk)
    }
    if (dropped.length > 0) log('dropped %d surplus copies of %s', dropped.length, fileId)
    return dropped
  }

  /** Cancels every pending drop and aborts one under way. */
  stop (): void {
    for (const timer of this.#timers.values()) timer.clear()
    this.#timers.clear()
    this.#lifetime.abort()
  }

  #surplusOf (fileId: string): number[] {
    const record = this.#init.latest(fileId)
    // No record: the file was released or forgotten, and that path deletes its chunks itself.
    return record === undefined ? [] : surplus(record, this.#init.self, this.#init.held(fileId))
  }
}
