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
import { readNodeInfo } from '../../node/node-info.js'
import { FOLLOW_INTERVAL_MS, follow, interrupted } from '../follow-job.js'
import type { DeepPartial, ShoalConfig } from '../../config/index.js'
import type { Backend } from '../backend.js'
import type { JobSnapshot } from '../../transfer/download-job.js'

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
  const label = await checkTarget(target, flags.dataDir)
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

/**
 * Checks the ID or link and returns what to call the file meanwhile. A
 * malformed or truncated link is bad usage (exit 2), said before any node
 * starts. A running node checks it itself (the same check, the same error),
 * so a get through it does not load the link's parsers (peer IDs, CIDs: a
 * quarter of a megabyte of code to compile) only to say so first.
 */
async function checkTarget (target: string, dataDir: string): Promise<string> {
  if (await readNodeInfo(dataDir) != null) return roughLabel(target)
  const { parseTarget } = await import('../../content/link.js')
  const parsed = parseTarget(target)
  return parsed.name ?? `${parsed.id.slice(0, 16)}…`
}

/** A link's `name` if it is plainly a file name, else the start of the ID: only shown while the node looks the file up. */
function roughLabel (target: string): string {
  const name = /[?&]name=([\w.-]{1,64})(?:&|$)/.exec(target)?.[1]
  return name ?? `${target.replace(/^shoal:\/\//, '').slice(0, 16)}…`
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
