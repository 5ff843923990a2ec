/**
 * A recording of every call a simulated download made to its `Scheduler`,
 * and a replay of it into a fresh one. It lets a benchmark time the scheduler
 * alone: timing each call as it happens adds the clock's own cost to every
 * one of hundreds of thousands of calls, while a replay runs the same calls,
 * with the same arguments and the same random draws, back to back and can be
 * timed once as a whole, less the cost of the replay loop itself (a replay
 * into a stub that does nothing).
 *
 * A replay is only meaningful if the fresh scheduler decides exactly as the
 * recorded one did; `replay` checks that (a digest of every answer) and
 * throws otherwise.
 */
import type { Cancellation, HaveView, Scheduler, SchedulerOptions } from './scheduler.js'
import { ShoalError } from '../errors.js'

/** The scheduler calls a simulation makes, in the order of their op codes. */
const CALLS = ['addPeer', 'onRtt', 'onData', 'assign', 'onChunkDone', 'onChunkCorrupt', 'tick', 'unavailableChunks'] as const

/** A scheduler call a trace can hold. */
export type TracedCall = typeof CALLS[number]

/** What a replay drives: a real `Scheduler`, or a stub of the same shape. */
export type ReplayTarget = Pick<Scheduler, TracedCall>

const OP = Object.fromEntries(CALLS.map((name, i) => [name, i])) as Record<TracedCall, number>

/** A stub that answers every call with nothing: replaying into it costs what the replay loop costs. */
export const NOOP_TARGET: ReplayTarget = {
  addPeer () {},
  onRtt () {},
  onData () {},
  assign: () => [],
  onChunkDone: () => [],
  onChunkCorrupt () {},
  tick: () => [],
  unavailableChunks: () => []
}

/** The recorded calls of one scheduler, in order, as parallel columns. */
export class SchedulerTrace {
  /** The recorded scheduler's options, but its randomness (replayed from the recorded draws). */
  readonly options: Readonly<Omit<SchedulerOptions, 'random'>>
  readonly #op: number[] = []
  /** Index into #ids, -1 for calls without a peer. */
  readonly #peer: number[] = []
  /** The call's number argument besides `now` (RTT ms, bytes, chunk index, assign's limit), or 0. */
  readonly #arg: number[] = []
  readonly #now: number[] = []
  readonly #ids: string[] = []
  readonly #handles = new Map<string, number>()
  readonly #haves: HaveView[] = []
  /** Every random number the scheduler drew, in order. */
  readonly #draws: number[] = []
  #digest = 0

  constructor (options: Omit<SchedulerOptions, 'random'>) {
    this.options = { ...options }
  }

  /** Calls recorded. */
  get length (): number { return this.#op.length }

  /** `random`, with every draw kept: give it to the recorded scheduler. */
  recordRandom (random: () => number): () => number {
    return () => {
      const x = random()
      this.#draws.push(x)
      return x
    }
  }

  /** Records one call `name(...args)` that returned `out`. */
  record<K extends TracedCall> (name: K, args: Parameters<Scheduler[K]>, out: ReturnType<Scheduler[K]>): void {
    const a = args as unknown[]
    const peer = typeof a[0] === 'string' ? this.#handle(a[0]) : -1
    // Every call is (peer?, number?, now?): keep the number argument besides the time, and the time.
    let arg = 0
    let now = 0
    switch (name) {
      case 'addPeer': this.#haves[peer] = a[1] as HaveView; now = a[2] as number; break
      case 'onRtt': arg = a[1] as number; break
      case 'assign': now = a[1] as number; arg = a[2] as number | undefined ?? Infinity; break
      case 'tick': now = a[0] as number; break
      case 'unavailableChunks': break
      default: arg = a[1] as number; now = a[2] as number
    }
    this.#op.push(OP[name])
    this.#peer.push(peer)
    this.#arg.push(arg)
    this.#now.push(now)
    this.#digest = digest(this.#digest, out)
  }

  #handle (id: string): number {
    let handle = this.#handles.get(id)
    if (handle == null) {
      this.#handles.set(id, handle = this.#ids.length)
      this.#ids.push(id)
    }
    return handle
  }

  /** A scheduler like the recorded one before its first call, drawing the recorded random numbers. */
  newScheduler (SchedulerClass: new (opts: SchedulerOptions) => Scheduler): Scheduler {
    const draws = this.#draws
    let next = 0
    return new SchedulerClass({
      ...this.options,
      random: () => {
        if (next >= draws.length) throw new ShoalError('ERR_INTERNAL', 'the replayed scheduler drew more random numbers than the recorded one')
        return draws[next++] as number
      }
    })
  }

  /**
   * Makes every recorded call on `target`, in order. Returns the digest of
   * the answers; throws ERR_INTERNAL if `verify` and they differ from
   * the recorded ones.
   */
  replay (target: ReplayTarget, verify = true): number {
    const op = this.#op
    const peer = this.#peer
    const arg = this.#arg
    const now = this.#now
    const ids = this.#ids
    const haves = this.#haves
    let d = 0
    for (let i = 0; i < op.length; i++) {
      const id = ids[peer[i] as number] as string
      const t = now[i] as number
      const x = arg[i] as number
      switch (op[i]) {
        case OP.addPeer: target.addPeer(id, haves[peer[i] as number] as HaveView, t); break
        case OP.onRtt: target.onRtt(id, x); break
        case OP.onData: target.onData(id, x, t); break
        case OP.assign: d = digest(d, target.assign(id, t, x)); break
        case OP.onChunkDone: d = digest(d, target.onChunkDone(id, x, t)); break
        case OP.onChunkCorrupt: target.onChunkCorrupt(id, x, t); break
        case OP.tick: d = digest(d, target.tick(t)); break
        default: d = digest(d, target.unavailableChunks())
      }
    }
    if (verify && d !== this.#digest) throw new ShoalError('ERR_INTERNAL', 'the replay decided differently from the recorded run')
    return d
  }
}

/** Folds an answer (chunk indices or cancellations) into a running digest: order and content both count. */
function digest (d: number, out: readonly number[] | readonly Cancellation[] | void): number {
  if (out == null) return d
  d = Math.imul(d ^ out.length, 0x01000193) >>> 0
  for (const x of out) d = Math.imul(d ^ (typeof x === 'number' ? x : x.index), 0x01000193) >>> 0
  return d
}
