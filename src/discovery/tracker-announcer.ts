/**
 * Keeps every configured tracker told which files this node holds: a full
 * announce (`started`) first and whenever a tracker lists fewer files than we
 * hold (it restarted and lost us), then an `update` every interval the
 * tracker asks for, an immediate one when a file is added, and `stopped`
 * when the node stops. Every announce is signed with the node's key. A
 * tracker that is down is retried at the next interval, one that rate limits
 * us when it says (`Retry-After`); it never holds the node up.
 */
import { hasCode, type ShoalError } from '../errors.js'
import { TrackerClient } from './tracker-client.js'
import type { PrivateKey } from '@libp2p/interface'

/** Retry interval when a tracker does not answer, and the default before it tells us one. */
export const DEFAULT_ANNOUNCE_INTERVAL_MS = 60_000
/** Floor on the interval a tracker may ask for (a hostile tracker must not make us spin). */
export const MIN_ANNOUNCE_INTERVAL_MS = 1_000

/** What the announcer needs from the node. */
export interface AnnouncerInit {
  trackers: readonly string[]
  /** The node's libp2p key: announces are signed with it. */
  privateKey: PrivateKey
  /** Current full multiaddrs (with /p2p/). */
  addrs: () => string[]
  /** IDs of the files held now, whole or in part. */
  heldFiles: () => string[]
  /** Notified of each tracker's outcome (for logs and `peers`). */
  onError?: (tracker: string, err: unknown) => void
}

interface TrackerState {
  url: string
  client: TrackerClient
  timer: NodeJS.Timeout | undefined
  started: boolean
  /** The interval the tracker last asked for; failures retry on it too. */
  intervalMs: number
}

/** Announces to every tracker on a schedule. */
export class TrackerAnnouncer {
  readonly #init: AnnouncerInit
  readonly #trackers: TrackerState[]
  readonly #abort = new AbortController()

  constructor (init: AnnouncerInit) {
    this.#init = init
    this.#trackers = init.trackers.map(url => ({ url, client: new TrackerClient(url, { privateKey: init.privateKey }), timer: undefined, started: false, intervalMs: DEFAULT_ANNOUNCE_INTERVAL_MS }))
  }

  /** The clients, for finding peers through the same trackers. */
  get clients (): TrackerClient[] { return this.#trackers.map(t => t.client) }

  start (): void {
    for (const t of this.#trackers) void this.#announce(t)
  }

  /** Announces a newly held file at once. */
  added (fileId: string): void {
    for (const t of this.#trackers) {
      if (t.started) void this.#announce(t, [fileId])
    }
  }

  async #announce (t: TrackerState, files?: string[]): Promise<void> {
    if (this.#abort.signal.aborted) return
    clearTimeout(t.timer)
    // A failed announce (the tracker restarting, a stale keep-alive socket)
    // is retried at the tracker's own interval, so it recovers within one.
    let next = t.intervalMs
    try {
      const held = this.#init.heldFiles()
      const full = !t.started
      const reply = await t.client.announce({
        addrs: this.#init.addrs(),
        files: full ? held : files ?? [],
        event: full ? 'started' : 'update'
      }, { signal: this.#abort.signal })
      next = t.intervalMs = Math.max(MIN_ANNOUNCE_INTERVAL_MS, reply.interval * 1000)
      // After an update the tracker lists fewer files than we hold: it
      // restarted and lost us, so send the full set right away (once).
      t.started = full || reply.held >= held.length
      if (!t.started) next = 0
    } catch (err) {
      t.started = false
      // Rate limited (a busy neighbour behind our address, say): retry when told, within the interval.
      if (hasCode(err, 'ERR_RATE_LIMITED')) next = Math.min(next, retryAfterMs(err as ShoalError))
      if (!this.#abort.signal.aborted) this.#init.onError?.(t.url, err)
    }
    if (this.#abort.signal.aborted) return
    t.timer = setTimeout(() => { void this.#announce(t) }, next).unref()
  }

  /** Tells the trackers we are gone (best effort, bounded) and stops. */
  async stop (): Promise<void> {
    this.#abort.abort()
    for (const t of this.#trackers) clearTimeout(t.timer)
    await Promise.all(this.#trackers.map(async t => {
      try {
        await t.client.announce({ addrs: [], event: 'stopped' }, { signal: AbortSignal.timeout(STOP_ANNOUNCE_TIMEOUT_MS) })
      } catch (err) {
        // Best effort: the tracker expires us after its TTL anyway.
        this.#init.onError?.(t.url, err)
      }
    }))
  }
}

/** How long `stop()` waits for trackers to take our `stopped`. */
const STOP_ANNOUNCE_TIMEOUT_MS = 2_000

/** A rate-limited announce's wait, with up to 50% jitter so neighbours do not retry in step. */
function retryAfterMs (err: ShoalError): number {
  const seconds = err.details?.retryAfterSeconds
  const base = typeof seconds === 'number' && seconds > 0 ? seconds * 1000 : MIN_ANNOUNCE_INTERVAL_MS
  return Math.max(MIN_ANNOUNCE_INTERVAL_MS, base * (1 + Math.random() / 2))
}
