/**
 * Chunk state changes of running downloads, batched for the event stream.
 * A batch is compact, because a 32,000-chunk download changes every chunk
 * several times:
 *
 *   { id, peers: ["12D3KooW…", "local"], chunks: [index, status, peer, percent, …] }
 *
 * `chunks` is a flat list of four numbers per changed chunk: its index, its
 * status (CHUNK_STATUS_CODES: 0 pending, 1 downloading, 2 completed,
 * 3 failed), the index of its peer in `peers` (-1: none) and, while
 * downloading, the percent received (-1 otherwise). Only each chunk's latest
 * state in the interval is sent.
 */
import type { ShoalNode } from '../node/node.js'
import type { ChunkProgress } from '../transfer/job-progress.js'

/** Status → number in a batch. */
export const CHUNK_STATUS_CODES: Readonly<Record<ChunkProgress['status'], number>> = { pending: 0, downloading: 1, completed: 2, failed: 3 }

/** One batch of one job. */
export interface ChunkBatch { id: string, peers: string[], chunks: number[] }

/** Job states after which a job sends no more chunk changes. */
const OVER = new Set(['completed', 'failed', 'cancelled'])

type ChunkChange = { index: number } & ChunkProgress

/** Follows running jobs' chunk events and hands out one batch per job on `flush()`. */
export class ChunkBatcher {
  readonly #node: ShoalNode
  readonly #send: (batch: ChunkBatch) => void
  /** Per followed job: its latest change per chunk, and how to stop following. */
  readonly #jobs = new Map<string, { pending: Map<number, ChunkChange>, stop: () => void }>()

  constructor (node: ShoalNode, send: (batch: ChunkBatch) => void) {
    this.#node = node
    this.#send = send
  }

  /** Starts following a job's chunks; nothing when it does not run or is followed already. */
  follow (id: string): void {
    const job = this.#node.job(id)
    if (job == null || this.#jobs.has(id)) return
    const pending = new Map<number, ChunkChange>()
    const onChunk = (c: ChunkChange): void => { pending.set(c.index, c) }
    const onState = ({ state }: { state: string }): void => {
      if (!OVER.has(state)) return
      this.#flushJob(id)
      this.#unfollow(id)
    }
    job.on('chunk', onChunk)
    job.on('state', onState)
    this.#jobs.set(id, { pending, stop: () => { job.off('chunk', onChunk); job.off('state', onState) } })
  }

  /** Sends one batch per job with changes. */
  flush (): void {
    for (const id of this.#jobs.keys()) this.#flushJob(id)
  }

  /** Stops following every job (the client went away). */
  close (): void {
    for (const id of [...this.#jobs.keys()]) this.#unfollow(id)
  }

  #flushJob (id: string): void {
    const entry = this.#jobs.get(id)
    if (entry == null || entry.pending.size === 0) return
    const peers: string[] = []
    const peerIndex = new Map<string, number>()
    const chunks: number[] = []
    for (const c of entry.pending.values()) {
      let p = -1
      if (c.peer != null) {
        p = peerIndex.get(c.peer) ?? peers.length
        if (p === peers.length) { peers.push(c.peer); peerIndex.set(c.peer, p) }
      }
      const percent = c.status === 'downloading' && c.total != null && c.total > 0 ? Math.floor(100 * (c.received ?? 0) / c.total) : -1
      chunks.push(c.index, CHUNK_STATUS_CODES[c.status], p, percent)
    }
    entry.pending.clear()
    this.#send({ id, peers, chunks })
  }

  #unfollow (id: string): void {
    this.#jobs.get(id)?.stop()
    this.#jobs.delete(id)
  }
}
