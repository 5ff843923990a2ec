/**
 * `shoal get ID|LINK [-o PATH] [--peer MULTIADDR…] [--sequential] [-q|-v]`:
 * downloads through the running node, or with a node of its own when none
 * runs, and follows the job until it really ends.
 *
 * How it ends (exit codes in ../output.ts):
 * - completed: the path and a summary, exit 0;
 * - cancelled from elsewhere (`shoal cancel JOB`): ERR_CANCELLED, exit 4;
 * - Ctrl-C: the job is cancelled (verified chunks kept), exit 130;
 * - failed: the job's error (ERR_NO_SOURCES_LEFT and ERR_PEER_BANNED exit 3);
 * - stalled, with a node of get's own: that node ends with the command, so
 *   after `transfer.noProviderTimeoutMs` stalled get gives up (the job is
 *   paused with the node, chunks kept, the same command resumes) with
 *   ERR_NO_SOURCES_LEFT, exit 3;
 * - stalled, through a running node: the node keeps looking for peers and
 *   finishes the file when one comes back, so get keeps following and shows
 *   `stalled — waiting for peers (missing: …)`; it never claims a failure
 *   the node does not have. Ctrl-C or `shoal cancel` end it.
 */
import { withBackend, type GlobalOptions } from '../backend.js'
import { printResult } from '../output.js'
import { progressDisplay, type ProgressDisplay } from '../progress.js'
import { paletteFor } from '../colour.js'
import { getReport, type GetOutcome } from '../get-report.js'
import { prepareOutput, removeCreated } from '../get-output-dir.js'
import { parseTarget } from '../../content/link.js'
import { ShoalError, ERROR_CODES, type ErrorCode } from '../../errors.js'
import type { DeepPartial, ShoalConfig } from '../../config/index.js'
import type { Backend } from '../backend.js'
import type { JobSnapshot } from '../../transfer/download-job.js'

/**
 * How often the CLI looks at the job when nothing told it the job changed:
 * it wakes at once on a change (Backend.watch), so this only paces the
 * progress line of a job that is quiet.
 */
export const FOLLOW_INTERVAL_MS = 100

/** Flags of `get`. */
export interface GetFlags extends GlobalOptions {
  output?: string
  peer: string[]
  sequential: boolean
  /** Print nothing but errors (and the result with --json). */
  quiet: boolean
  /** Print peers as they are found and each peer's share at the end. */
  verbose: boolean
  /** Discovery overrides from flags (used when get runs its own node). */
  network: NonNullable<DeepPartial<ShoalConfig>['network']>
  /** Rate-limit overrides from flags (likewise). */
  transfer: NonNullable<DeepPartial<ShoalConfig>['transfer']>
}

/** Runs `shoal get`. */
export async function getCommand (target: string, flags: GetFlags, signal: AbortSignal): Promise<void> {
  // A malformed or truncated link is bad usage (exit 2), said before any node starts.
  const parsed = parseTarget(target)
  const label = parsed.name ?? `${parsed.id.slice(0, 16)}…`
  const since = Date.now()
  const created = await prepareOutput(flags.output, process.cwd())
  const display = progressDisplay({ quiet: flags.quiet })
  try {
    await withBackend(flags, { networked: true }, async (backend) => {
      const first = await lookUp(backend, target, flags, { label, since }, display, signal)
      const startedAt = Date.now()
      const done = await follow(backend, first.id, signal, display, flags.verbose)
      display.done()
      const outcome: GetOutcome = { snapshot: done, elapsedMs: Date.now() - startedAt }
      const peers = done.peers.filter(p => p.bytes > 0).map(p => ({ peerId: p.peerId, bytes: p.bytes }))
      if (flags.json || !flags.quiet) {
        printResult(flags.json, { id: done.fileId, path: done.dest, size: done.size, peers, ...(done.alreadyComplete === true ? { alreadyComplete: true } : {}) }, () =>
          getReport(outcome, { verbose: flags.verbose, palette: paletteFor(process.stdout) }))
      }
    }, { network: flags.network, transfer: flags.transfer })
  } catch (err) {
    await removeCreated(created)
    throw err
  } finally {
    display.done()
  }
}

/** Starts the download, showing the search for peers (time since the command began) while the manifest is looked for. */
async function lookUp (backend: Backend, target: string, flags: GetFlags, shown: { label: string, since: number }, display: ProgressDisplay, signal: AbortSignal): Promise<JobSnapshot> {
  const { label, since } = shown
  // A node of our own reports how many peers it asked; through the API only the time is known.
  let asked: number | undefined = backend.ownNode ? 0 : undefined
  const show = (): void => { display.update({ kind: 'lookup', label, asked, elapsedMs: Date.now() - since }) }
  const ticker = setInterval(show, FOLLOW_INTERVAL_MS * 5)
  ticker.unref()
  try {
    return await backend.startDownload(target, {
      output: flags.output,
      cwd: process.cwd(),
      peers: flags.peer,
      sequential: flags.sequential,
      signal,
      onLookup: (p) => { asked = p.asked }
    })
  } catch (err) {
    // An aborted request to the API reads as "cannot reach the node": it was Ctrl-C.
    if (signal.aborted) throw interrupted()
    throw err
  } finally {
    clearInterval(ticker)
  }
}

function interrupted (): ShoalError {
  return new ShoalError('ERR_ABORTED', 'download interrupted; verified chunks are kept, run the same command to resume')
}

async function follow (backend: Backend, id: string, signal: AbortSignal, display: ProgressDisplay, verbose: boolean): Promise<JobSnapshot> {
  const changes = new Changes()
  const unwatch = await backend.watch(() => { changes.mark() })
  try {
    return await followChanges(backend, id, signal, display, verbose, changes)
  } finally {
    unwatch()
  }
}

async function followChanges (backend: Backend, id: string, signal: AbortSignal, display: ProgressDisplay, verbose: boolean, changes: Changes): Promise<JobSnapshot> {
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
