/**
 * How `shoal get` follows a job to its end, on either backend: woken by the
 * node's download events (Backend.watch) rather than sleeping between looks,
 * so a download that ends is reported at once.
 */
import { ShoalError, ERROR_CODES, type ErrorCode } from '../errors.js'
import type { Backend } from './backend.js'
import type { ProgressDisplay } from './progress.js'
import type { JobSnapshot } from '../transfer/download-job.js'

/**
 * How often the CLI looks at the job when nothing told it the job changed:
 * it wakes at once on a change (Backend.watch), so this only paces the
 * progress line of a job that is quiet.
 */
export const FOLLOW_INTERVAL_MS = 100

/** The error of a get interrupted by Ctrl-C. */
export function interrupted (): ShoalError {
  return new ShoalError('ERR_ABORTED', 'download interrupted; verified chunks are kept, run the same command to resume')
}

/**
 * Follows job `id` until it ends: resolves with its snapshot once completed,
 * throws the error of any other end. It looks at the job whenever the
 * backend says a download changed, and at least every FOLLOW_INTERVAL_MS for
 * the progress line; no timer stands between a job's end and the return.
 */
export async function follow (backend: Backend, id: string, signal: AbortSignal, display: Pick<ProgressDisplay, 'update' | 'note'>, verbose: boolean): Promise<JobSnapshot> {
  const changes = new Changes()
  const unwatch = await backend.watch(() => { changes.mark() })
  try {
    return await followChanges(backend, id, signal, display, verbose, changes)
  } finally {
    unwatch()
  }
}

async function followChanges (backend: Backend, id: string, signal: AbortSignal, display: Pick<ProgressDisplay, 'update' | 'note'>, verbose: boolean, changes: Changes): Promise<JobSnapshot> {
  // Only a node of our own gives up: a running node keeps looking, and get keeps following it.
  const stallLimitMs = backend.ownNode ? backend.config.transfer.noProviderTimeoutMs : Infinity
  const seen = new Set<string>()
  let stalledSince: number | undefined
  while (true) {
    changes.clear()
    if (signal.aborted) {
      await backend.cancel(id).catch((err: unknown) => {
        // Already over (completed, or the node stopped): nothing left to cancel.
        if (verbose) display.note(`cancelling ${id}: ${(err as Error).message}`)
      })
      throw interrupted()
    }
    const s = await backend.download(id)
    if (verbose) {
      for (const p of s.peers) {
        if (seen.has(p.peerId)) continue
        seen.add(p.peerId)
        display.note(`peer found: ${p.peerId}`)
      }
    }
    display.update({ kind: 'job', snapshot: s })
    if (s.state === 'completed') return s
    if (s.state === 'cancelled') {
      throw new ShoalError('ERR_CANCELLED', `download ${id} was cancelled (shoal cancel, the API or the dashboard); verified chunks are kept, run the same command to resume`, { job: id })
    }
    if (s.state === 'paused') {
      throw new ShoalError('ERR_NODE_NOT_RUNNING', `the node stopped; download ${id} resumes when it starts again (verified chunks are kept)`, { job: id })
    }
    if (s.state === 'failed') {
      const code: ErrorCode = s.errorCode != null && s.errorCode in ERROR_CODES ? s.errorCode as ErrorCode : 'ERR_INTERNAL'
      throw new ShoalError(code, s.error ?? 'download failed', { job: id })
    }
    stalledSince = s.state === 'stalled' ? stalledSince ?? Date.now() : undefined
    if (stalledSince != null && Date.now() - stalledSince >= stallLimitMs) {
      // The job is left as it is: our node pauses it as it stops, and the same command resumes it.
      throw noSourcesLeft(s)
    }
    await changes.next(FOLLOW_INTERVAL_MS, signal)
  }
}

/**
 * Whether the job changed since the follower last looked: `next` resolves at
 * the first change (or at once if one came meanwhile), at the latest after
 * `ms`, or when `signal` aborts.
 */
class Changes {
  #changed = false
  #wake: (() => void) | undefined

  mark (): void {
    this.#changed = true
    this.#wake?.()
  }

  clear (): void { this.#changed = false }

  async next (ms: number, signal: AbortSignal): Promise<void> {
    if (this.#changed || signal.aborted) return
    await new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer)
        signal.removeEventListener('abort', done)
        this.#wake = undefined
        resolve()
      }
      // Not unref()ed: while get follows a job, this timer may be all that keeps the process running.
      const timer = setTimeout(done, ms)
      this.#wake = done
      signal.addEventListener('abort', done, { once: true })
    })
  }
}

/** Why a stalled job of our own node is given up, naming the peers gone and banned. */
function noSourcesLeft (s: JobSnapshot): ShoalError {
  const left = s.chunkCount - s.chunksDone
  const banned = s.bannedPeers ?? []
  const who = [
    ...(s.missingPeers.length > 0 ? [`gone: ${s.missingPeers.join(', ')}`] : []),
    ...(banned.length > 0 ? [`banned for sending corrupt data: ${banned.join(', ')}`] : [])
  ]
  // A source that lied is named as such, never as gone: it is up, and sent bad bytes.
  const code = banned.length > 0 && s.missingPeers.length === 0 ? 'ERR_PEER_BANNED' : 'ERR_NO_SOURCES_LEFT'
  return new ShoalError(code, `no peer left for ${left} of ${s.chunkCount} chunks of ${s.name}${who.length > 0 ? ` (${who.join('; ')})` : ''}; verified chunks are kept, run the same command again to resume`, { job: s.id, bannedPeers: banned })
}
