/**
 * A byte rate over a sliding window of wall time: bytes are counted in slots
 * of RATE_SLOT_MS, and the rate is the sum of the last RATE_WINDOW_MS / RATE_SLOT_MS
 * slots (the current one included) divided by the time they cover up to now
 * (from the meter's start while it is younger, but never less than
 * RATE_MIN_SPAN_MS, so the first block does not read as a huge rate). Bursty senders (a limited download asks
 * for one whole chunk at a time) still read at their average, and a sender
 * silent for a whole window reads exactly 0. Pure: time is passed in.
 */

/** The span a rate covers. Long enough to hold a few chunks at 1 MiB/s. */
export const RATE_WINDOW_MS = 3000
/** Granularity of the window. */
export const RATE_SLOT_MS = 250
/** A meter younger than this divides by this span, not by its age. */
export const RATE_MIN_SPAN_MS = 1000

const SLOTS = RATE_WINDOW_MS / RATE_SLOT_MS

/** Bytes per second over the last RATE_WINDOW_MS. */
export class RateMeter {
  readonly #start: number
  /** Bytes per slot, a ring indexed by slot number modulo SLOTS. */
  readonly #bytes = new Float64Array(SLOTS)
  /** The slot number each ring entry holds (stale entries are skipped). */
  readonly #slot = new Float64Array(SLOTS).fill(-Infinity)

  constructor (now: number) {
    this.#start = now
  }

  /** Counts `bytes` arrived at `now`. */
  add (bytes: number, now: number): void {
    const slot = Math.floor(now / RATE_SLOT_MS)
    const i = slot % SLOTS
    if (this.#slot[i] !== slot) {
      this.#slot[i] = slot
      this.#bytes[i] = 0
    }
    this.#bytes[i] = (this.#bytes[i] as number) + bytes
  }

  /** Bytes per second over the window ending at `now`. */
  rate (now: number): number {
    const current = Math.floor(now / RATE_SLOT_MS)
    let sum = 0
    for (let i = 0; i < SLOTS; i++) {
      const slot = this.#slot[i] as number
      if (slot > current - SLOTS && slot <= current) sum += this.#bytes[i] as number
    }
    if (sum === 0) return 0
    // From the start of the oldest slot counted (or the meter's start) to now.
    const from = Math.max(this.#start, (current - SLOTS + 1) * RATE_SLOT_MS)
    return sum * 1000 / Math.max(RATE_MIN_SPAN_MS, now - from)
  }
}
