/**
 * Spreading a file's first copies, after BitTorrent's super-seeding: while
 * peers fetch the same file from us, a chunk we started sending one of them
 * a moment ago is better fetched from that peer than sent again. Early in a
 * swarm every downloader wants the chunks only the seeder has, and without
 * this the seeder's uplink — the swarm's bottleneck then — carries many
 * chunks twice. A deferred request is answered BUSY; the requester asks for
 * another chunk and gets this one from the other peer, whose have-update
 * (and, through peer exchange, whose address) it soon has. After the window
 * the chunk is served again, so nobody waits on a peer that is slow; and
 * never deferred to a peer that has gone (a `shoal get` that finished and
 * exited), or the requester would wait out the window for nothing.
 */

/** How long after we start sending a chunk to one peer another is asked to get it elsewhere. */
export const SPREAD_WINDOW_MS = 5_000
/** Sweep expired records after this many uploads, so memory stays bounded by the window. */
const SWEEP_EVERY = 256

interface Upload { peer: string, at: number }

/** Which chunk went to which peer recently, per file. Pure logic; the clock is injected. */
export class UploadSpread {
  readonly #windowMs: number
  readonly #now: () => number
  readonly #connected: (peer: string) => boolean
  readonly #recent = new Map<string, Map<number, Upload>>()
  #sinceSweep = 0

  /** `connected` tells whether we are still connected to a peer. */
  constructor (opts: { connected: (peer: string) => boolean, windowMs?: number, now?: () => number }) {
    this.#windowMs = opts.windowMs ?? SPREAD_WINDOW_MS
    this.#now = opts.now ?? Date.now
    this.#connected = opts.connected
  }

  /** Whether `peer` should get chunk `index` of `fileId` from the peer we started sending it to. */
  shouldDefer (fileId: string, index: number, peer: string): boolean {
    const last = this.#recent.get(fileId)?.get(index)
    return last != null && last.peer !== peer && this.#now() - last.at < this.#windowMs && this.#connected(last.peer)
  }

  /** Records that we start sending chunk `index` of `fileId` to `peer`. */
  started (fileId: string, index: number, peer: string): void {
    let uploads = this.#recent.get(fileId)
    if (uploads == null) this.#recent.set(fileId, uploads = new Map())
    uploads.set(index, { peer, at: this.#now() })
    if (++this.#sinceSweep >= SWEEP_EVERY) this.#sweep()
  }

  #sweep (): void {
    this.#sinceSweep = 0
    const oldest = this.#now() - this.#windowMs
    for (const [fileId, uploads] of this.#recent) {
      for (const [index, upload] of uploads) if (upload.at < oldest) uploads.delete(index)
      if (uploads.size === 0) this.#recent.delete(fileId)
    }
  }
}
