/**
 * Holder watch: for every distributed file this node holds, the other holders
 * of its latest record, and when each was last reachable. A holder
 * unreachable continuously for longer than the repair delay
 * (`distribution.repairDelaySeconds`, default 600) is declared departed —
 * the trigger for repair (repairer.ts), and the check a node makes before it
 * acts on someone else's repair update (record.ts's trust model).
 *
 * Reachability comes from two inputs:
 * - connection events: a peer with an open connection is reachable for as
 *   long as it stays connected (libp2p's connection monitor pings open
 *   connections and closes dead ones, so an open connection is evidence);
 *   its clock starts when its last connection closes;
 * - a cheap periodic probe of every watched holder that is not connected (a
 *   libp2p ping, which dials): jittered per peer so a swarm does not probe
 *   in step, a bounded number in flight, each with a timeout and the watch's
 *   AbortSignal. A success counts as reachable; a departed holder that
 *   answers again is declared returned.
 *
 * A holder first seen is given the whole delay from that moment: a node that
 * just started (or just received a record) has no evidence either way.
 * Clock, timers, randomness and the probe are injected, so the rules run
 * under a fake clock in tests and the real thing runs over libp2p
 * (holder-watch-libp2p.ts).
 */
import { EventEmitter } from 'node:events'
import { logger } from '../util/log.js'
import { holderCounts, type DistributionRecord } from './record.js'

const log = logger('holder-watch')

/** Default repair delay (`distribution.repairDelaySeconds`). */
export const DEFAULT_REPAIR_DELAY_MS = 600_000

/** Longest wait between two probes of one unconnected holder. */
const MAX_PROBE_INTERVAL_MS = 60_000
/** Shortest wait between two probes of one unconnected holder. */
const MIN_PROBE_INTERVAL_MS = 500
/** Longest a probe may take before it counts as a failure. */
const MAX_PROBE_TIMEOUT_MS = 10_000
/** Probes in flight at once, by default. */
const DEFAULT_PROBE_CONCURRENCY = 4
/** Longest wait between two departure checks: departures are declared at most this late. */
const MAX_CHECK_INTERVAL_MS = 5_000
/** Departed holders remembered after no record names them any more. */
const MAX_REMEMBERED_GONE = 1024
/** Shortest wait between two departure checks. */
const MIN_CHECK_INTERVAL_MS = 50

/** A cancellable timer. */
export interface WatchTimer { clear: () => void }

/** Time and timers, injectable for tests. */
export interface WatchClock {
  now: () => number
  setTimeout: (fn: () => void, ms: number) => WatchTimer
}

/** The real clock; its timers never keep the process alive. */
export const systemClock: WatchClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const timer = setTimeout(fn, ms)
    timer.unref()
    return { clear: () => { clearTimeout(timer) } }
  }
}

/** Resolves when `peerId` answered, rejects when it did not (or `signal` aborted). */
export type HolderProbe = (peerId: string, signal: AbortSignal) => Promise<void>

/** What a HolderWatch needs. */
export interface HolderWatchInit {
  /** This node's peer ID: never watched. */
  readonly self: string
  /** How long a holder must be unreachable, without a break, to be declared departed. */
  readonly repairDelayMs: number
  readonly probe: HolderProbe
  readonly clock?: WatchClock
  /** Mean time between probes of one unconnected holder (jittered ±50 %); default delay / 6, within 0.5–60 s. */
  readonly probeIntervalMs?: number
  /** Timeout of one probe; default half the delay, within 0.5–10 s. */
  readonly probeTimeoutMs?: number
  /** Probes in flight at once (default 4). */
  readonly probeConcurrency?: number
  /** Time between departure checks; default delay / 8, within 50 ms–5 s. */
  readonly checkIntervalMs?: number
  /** Uniform in [0, 1), for the jitter. */
  readonly random?: () => number
}

/** Events of a HolderWatch; each carries the peer and the files it holds. */
export interface HolderWatchEvents {
  'holder:departed': [peerId: string, fileIds: string[]]
  'holder:returned': [peerId: string, fileIds: string[]]
}

interface HolderState {
  lastReachable: number
  departed: boolean
  nextProbeAt: number
  probing: boolean
  readonly files: Set<string>
}

/** A holder's standing, as `status` reports it. */
export interface HolderStatus {
  readonly peerId: string
  readonly connected: boolean
  readonly departed: boolean
  /** When it was last known reachable (the watch's clock, ms). */
  readonly lastReachable: number
  readonly files: readonly string[]
}

/** Watches the other holders of the files this node holds; see the module comment. */
export class HolderWatch extends EventEmitter<HolderWatchEvents> {
  readonly #self: string
  readonly #delayMs: number
  readonly #probe: HolderProbe
  readonly #clock: WatchClock
  readonly #probeIntervalMs: number
  readonly #probeTimeoutMs: number
  readonly #probeConcurrency: number
  readonly #checkIntervalMs: number
  readonly #random: () => number
  readonly #holders = new Map<string, HolderState>()
  readonly #files = new Map<string, Set<string>>()
  readonly #connected = new Set<string>()
  /** Departed holders no longer watched, oldest first (see #rememberGone). */
  readonly #gone = new Set<string>()
  #inFlight = 0
  #timer: WatchTimer | null = null
  #lifetime: AbortController | null = null

  constructor (init: HolderWatchInit) {
    super()
    if (!(Number.isFinite(init.repairDelayMs) && init.repairDelayMs > 0)) throw new RangeError(`repairDelayMs must be > 0, got ${init.repairDelayMs}`)
    this.#self = init.self
    this.#delayMs = init.repairDelayMs
    this.#probe = init.probe
    this.#clock = init.clock ?? systemClock
    this.#probeIntervalMs = init.probeIntervalMs ?? clamp(init.repairDelayMs / 6, MIN_PROBE_INTERVAL_MS, MAX_PROBE_INTERVAL_MS)
    this.#probeTimeoutMs = init.probeTimeoutMs ?? clamp(init.repairDelayMs / 2, MIN_PROBE_INTERVAL_MS, MAX_PROBE_TIMEOUT_MS)
    this.#probeConcurrency = init.probeConcurrency ?? DEFAULT_PROBE_CONCURRENCY
    this.#checkIntervalMs = init.checkIntervalMs ?? clamp(init.repairDelayMs / 8, MIN_CHECK_INTERVAL_MS, MAX_CHECK_INTERVAL_MS)
    this.#random = init.random ?? Math.random
  }

  /** Starts the periodic checks and probes (idempotent). */
  start (): void {
    if (this.#lifetime !== null) return
    this.#lifetime = new AbortController()
    this.#arm()
  }

  /** Stops checking and aborts probes in flight (idempotent). */
  stop (): void {
    this.#timer?.clear()
    this.#timer = null
    this.#lifetime?.abort()
    this.#lifetime = null
  }

  /**
   * Watches the other holders of `record` (the latest version this node keeps
   * of its file), replacing what was watched for that file. Returns those of
   * them already declared departed (no event fires again for them): the
   * caller repairs the file now.
   */
  watch (record: DistributionRecord): string[] {
    const now = this.#clock.now()
    const peers = new Set([...holderCounts(record).keys()].filter((p) => p !== this.#self))
    // Peers the new version dropped are let go; those it keeps keep their clocks and verdicts.
    for (const peer of this.#files.get(record.fileId) ?? []) if (!peers.has(peer)) this.#release(peer, record.fileId)
    this.#files.set(record.fileId, peers)
    for (const peer of peers) {
      let state = this.#holders.get(peer)
      if (state === undefined) {
        // One declared departed before, and not connected since, stays departed.
        state = { lastReachable: now, departed: this.#gone.delete(peer), nextProbeAt: now + this.#jitter(), probing: false, files: new Set() }
        this.#holders.set(peer, state)
      }
      state.files.add(record.fileId)
    }
    return [...peers].filter((p) => this.isDeparted(p))
  }

  /** Stops watching a file's holders (released, or no longer held); holders of no other file are forgotten. */
  unwatch (fileId: string): void {
    const peers = this.#files.get(fileId)
    if (peers === undefined) return
    this.#files.delete(fileId)
    for (const peer of peers) this.#release(peer, fileId)
  }

  /** `peer` no longer holds `fileId` as far as the watch is concerned; forgotten when it holds nothing watched. */
  #release (peer: string, fileId: string): void {
    const state = this.#holders.get(peer)
    state?.files.delete(fileId)
    if (state?.files.size === 0) {
      this.#holders.delete(peer)
      if (state.departed) this.#rememberGone(peer)
    }
  }

  /**
   * A departed holder no record names any more (a repair replaced it) keeps
   * its verdict: another survivor's rival signature of that repair replaces
   * it too, and must be judged by it. Forgotten when it connects again, and
   * the oldest first past MAX_REMEMBERED_GONE.
   */
  #rememberGone (peer: string): void {
    this.#gone.delete(peer)
    this.#gone.add(peer)
    if (this.#gone.size > MAX_REMEMBERED_GONE) this.#gone.delete(this.#gone.values().next().value as string)
  }

  /** Feeds a connection opening to `peerId` (libp2p `peer:connect`). */
  connected (peerId: string): void {
    this.#connected.add(peerId)
    this.#gone.delete(peerId)
    this.#reachable(peerId)
  }

  /** Feeds the last connection to `peerId` closing (libp2p `peer:disconnect`): its clock starts now. */
  disconnected (peerId: string): void {
    this.#connected.delete(peerId)
    const state = this.#holders.get(peerId)
    if (state !== undefined) {
      if (!state.departed) state.lastReachable = this.#clock.now()
      state.nextProbeAt = this.#clock.now() + this.#jitter()
    }
  }

  /**
   * True when `peerId` is a holder departed: declared so (also one no record
   * watched names any more), or unreachable for longer than the delay as of
   * now (declared on the spot).
   * Asked when another holder's repair arrives: judged by the clock, not by
   * when our periodic check last ran, so survivors that saw the holder go at
   * the same moment agree at the same moment.
   */
  isDeparted (peerId: string): boolean {
    const state = this.#holders.get(peerId)
    if (state === undefined) return this.#gone.has(peerId)
    if (!this.#connected.has(peerId)) this.#maybeDepart(peerId, state, this.#clock.now())
    return state.departed
  }

  /** Every watched holder declared departed. */
  departed (): Set<string> {
    return new Set([...this.#holders].filter(([, s]) => s.departed).map(([p]) => p))
  }

  /** Every watched holder's standing. */
  status (): HolderStatus[] {
    return [...this.#holders].map(([peerId, s]) => ({
      peerId, connected: this.#connected.has(peerId), departed: s.departed, lastReachable: s.lastReachable, files: [...s.files]
    }))
  }

  /** One round: declares departures, then starts the probes that are due. Run by the timer; public so a caller can force one. */
  check (): void {
    const now = this.#clock.now()
    for (const [peer, state] of this.#holders) {
      if (this.#connected.has(peer)) state.lastReachable = now
      else this.#maybeDepart(peer, state, now)
    }
    const signal = this.#lifetime?.signal
    if (signal === undefined) return
    for (const [peer, state] of this.#holders) {
      if (this.#inFlight >= this.#probeConcurrency) break
      if (this.#connected.has(peer) || state.probing || state.nextProbeAt > now) continue
      this.#runProbe(peer, state, signal)
    }
  }

  /** Declares an unconnected holder departed once it has been unreachable for longer than the delay. */
  #maybeDepart (peer: string, state: HolderState, now: number): void {
    if (state.departed || now - state.lastReachable <= this.#delayMs) return
    state.departed = true
    log('holder %s departed: unreachable for %d ms', peer, now - state.lastReachable)
    this.#emit('holder:departed', peer, [...state.files])
  }

  #runProbe (peer: string, state: HolderState, lifetime: AbortSignal): void {
    state.probing = true
    this.#inFlight++
    const signal = AbortSignal.any([lifetime, AbortSignal.timeout(this.#probeTimeoutMs)])
    this.#probe(peer, signal).then(() => {
      if (!lifetime.aborted) this.#reachable(peer)
    }, (err: unknown) => {
      log('probe of %s failed: %s', peer, (err as Error)?.message ?? err)
    }).finally(() => {
      state.probing = false
      state.nextProbeAt = this.#clock.now() + this.#jitter()
      this.#inFlight--
    })
  }

  #reachable (peerId: string): void {
    const state = this.#holders.get(peerId)
    if (state === undefined) return
    state.lastReachable = this.#clock.now()
    if (state.departed) {
      state.departed = false
      log('holder %s returned', peerId)
      this.#emit('holder:returned', peerId, [...state.files])
    }
  }

  /**
   * The next check: after the check interval, or sooner when a holder's delay
   * runs out first — then at that very moment, so that survivors which saw a
   * holder go together declare it departed together (and start their repairs
   * together), not up to a check interval apart.
   */
  #arm (): void {
    const now = this.#clock.now()
    let wait = this.#checkIntervalMs
    for (const [peer, state] of this.#holders) {
      if (state.departed || this.#connected.has(peer)) continue
      wait = Math.min(wait, Math.max(0, state.lastReachable + this.#delayMs + 1 - now))
    }
    this.#timer = this.#clock.setTimeout(() => {
      if (this.#lifetime === null) return
      this.check()
      this.#arm()
    }, wait)
  }

  #jitter (): number {
    return this.#probeIntervalMs * (0.5 + this.#random())
  }

  /** Emits without letting a throwing listener break the watch. */
  #emit (event: keyof HolderWatchEvents, peerId: string, fileIds: string[]): void {
    try {
      this.emit(event, peerId, fileIds)
    } catch (err) {
      log.error('a %s listener threw: %o', event, err)
    }
  }
}

function clamp (value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value))
}
