/**
 * A manual clock for components that take a `WatchClock`: time moves only
 * when a test advances it, firing due timers in order and letting the
 * promises they start settle between steps.
 */
import { setImmediate as tick } from 'node:timers/promises'
import type { WatchClock, WatchTimer } from '../../src/distribute/holder-watch.js'

interface Pending { at: number, seq: number, fn: () => void, cleared: boolean }

/** A clock whose time is set by the test. */
export class FakeClock implements WatchClock {
  #now: number
  #seq = 0
  readonly #timers: Pending[] = []

  constructor (start = 1_000_000) {
    this.#now = start
  }

  now = (): number => this.#now

  setTimeout = (fn: () => void, ms: number): WatchTimer => {
    const pending: Pending = { at: this.#now + ms, seq: this.#seq++, fn, cleared: false }
    this.#timers.push(pending)
    return { clear: () => { pending.cleared = true } }
  }

  /** Timers not yet fired nor cleared. */
  get pending (): number {
    return this.#timers.filter((t) => !t.cleared).length
  }

  /** Moves time forward by `ms`, firing every timer that falls due on the way, in order. */
  async advance (ms: number): Promise<void> {
    const end = this.#now + ms
    for (;;) {
      await settle()
      const live = this.#timers.filter((t) => !t.cleared && t.at <= end).sort((a, b) => a.at - b.at || a.seq - b.seq)
      const next = live[0]
      if (next === undefined) break
      this.#now = Math.max(this.#now, next.at)
      next.cleared = true
      next.fn()
    }
    this.#now = end
    await settle()
  }
}

/** Lets queued promise callbacks (a fake probe's answer) run. */
async function settle (): Promise<void> {
  for (let i = 0; i < 5; i++) await tick()
}
