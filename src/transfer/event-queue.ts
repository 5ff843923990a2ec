/**
 * The simulator's agenda: a binary min-heap of timed events. Ties keep
 * insertion order, so a simulation that pushes the same events in the same
 * order always runs them in the same order.
 */

/** Events by time, earliest first; equal times in the order pushed. */
export class EventQueue<T> {
  readonly #heap: Array<{ at: number, seq: number, value: T }> = []
  #seq = 0

  /** Schedules `value` at time `at`. */
  push (at: number, value: T): void {
    const h = this.#heap
    let i = h.length
    h.push({ at, seq: this.#seq++, value })
    while (i > 0 && this.#less(i, (i - 1) >> 1)) {
      this.#swap(i, (i - 1) >> 1)
      i = (i - 1) >> 1
    }
  }

  /** Takes the earliest event, or undefined when none is left. */
  pop (): { at: number, value: T } | undefined {
    const h = this.#heap
    const top = h[0]
    const last = h.pop()
    if (h.length === 0 || last == null) return top
    h[0] = last
    for (let i = 0; ;) {
      const l = 2 * i + 1
      let m = i
      if (l < h.length && this.#less(l, m)) m = l
      if (l + 1 < h.length && this.#less(l + 1, m)) m = l + 1
      if (m === i) return top
      this.#swap(i, m)
      i = m
    }
  }

  #less (a: number, b: number): boolean {
    const x = this.#heap[a] as { at: number, seq: number }
    const y = this.#heap[b] as { at: number, seq: number }
    return x.at < y.at || (x.at === y.at && x.seq < y.seq)
  }

  #swap (a: number, b: number): void {
    const h = this.#heap
    const t = h[a] as typeof h[number]
    h[a] = h[b] as typeof h[number]
    h[b] = t
  }
}
