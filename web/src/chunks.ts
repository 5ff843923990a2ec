/**
 * Every chunk's state of one download, in typed arrays (32,000 chunks cost
 * 160 KB, and an update touches only what changed). Grids listen for the
 * indices that changed and redraw those cells only.
 */

export const STATUS_PENDING = 0
export const STATUS_DOWNLOADING = 1
export const STATUS_COMPLETED = 2
export const STATUS_FAILED = 3
/** Not known yet (before the first report): drawn as pending. */
export const STATUS_UNKNOWN = 255

const STATUS_OF: Record<string, number> = { pending: 0, downloading: 1, completed: 2, failed: 3 }

export type ChunkListener = (changed: readonly number[] | null) => void

export class ChunkMap {
  readonly status: Uint8Array
  /** Index into `peers`, -1 for none. */
  readonly peer: Int16Array
  /** Percent received while downloading. */
  readonly percent: Uint8Array
  /** Peers in the order they first appeared: their colour follows. */
  readonly peers: string[] = []
  readonly #peerIndex = new Map<string, number>()
  readonly #listeners = new Set<ChunkListener>()
  /** True once the full report has been merged in. */
  loaded = false

  constructor (readonly count: number) {
    this.status = new Uint8Array(count).fill(STATUS_UNKNOWN)
    this.peer = new Int16Array(count).fill(-1)
    this.percent = new Uint8Array(count)
  }

  peerIndex (peerId: string): number {
    let i = this.#peerIndex.get(peerId)
    if (i === undefined) {
      i = this.peers.length
      this.peers.push(peerId)
      this.#peerIndex.set(peerId, i)
    }
    return i
  }

  /** Applies a stream batch: four numbers per chunk (index, status, peer in `peers`, percent). */
  applyBatch (peers: readonly string[], flat: readonly number[]): number[] {
    const local = peers.map(p => this.peerIndex(p))
    const changed: number[] = []
    for (let k = 0; k + 3 < flat.length; k += 4) {
      const i = flat[k] as number
      if (i < 0 || i >= this.count) continue
      this.status[i] = flat[k + 1] as number
      const p = flat[k + 2] as number
      if (p >= 0) this.peer[i] = local[p] ?? -1
      const pct = flat[k + 3] as number
      this.percent[i] = pct < 0 ? 0 : Math.min(100, pct)
      changed.push(i)
    }
    return changed
  }

  /** Merges `GET /api/downloads/:id/chunks`: only chunks no event has told about yet. */
  applyReport (report: Record<string, { status: string, peerId?: string, progress?: number }>): void {
    for (const [key, c] of Object.entries(report)) {
      const i = Number(key)
      if (!(i >= 0 && i < this.count) || this.status[i] !== STATUS_UNKNOWN) continue
      this.status[i] = STATUS_OF[c.status] ?? STATUS_PENDING
      if (c.peerId != null) this.peer[i] = this.peerIndex(c.peerId)
      this.percent[i] = c.progress ?? 0
    }
    this.loaded = true
    this.notify(null)
  }

  /** Marks every chunk completed (a finished job with no report). */
  completeAll (): void {
    // Usually only the last few chunks are left: redraw those, not the grid.
    const changed: number[] = []
    for (let i = 0; i < this.count; i++) {
      if (this.status[i] !== STATUS_COMPLETED) { this.status[i] = STATUS_COMPLETED; changed.push(i) }
    }
    this.loaded = true
    this.notify(changed)
  }

  listen (fn: ChunkListener): () => void {
    this.#listeners.add(fn)
    return () => { this.#listeners.delete(fn) }
  }

  notify (changed: readonly number[] | null): void {
    for (const fn of this.#listeners) fn(changed)
  }

  counts (): { pending: number, downloading: number, completed: number, failed: number } {
    const n = { pending: 0, downloading: 0, completed: 0, failed: 0 }
    for (const s of this.status) {
      if (s === STATUS_DOWNLOADING) n.downloading++
      else if (s === STATUS_COMPLETED) n.completed++
      else if (s === STATUS_FAILED) n.failed++
      else n.pending++
    }
    return n
  }
}
