/**
 * What `get` prints when the file is in: the path, then one summary line
 * (`done: trip.mkv 1.5 GiB in 12.3 s (124 MiB/s) from 3 peers, verified`)
 * and, with --verbose, each peer's share. The time is the download's (from the
 * job's start, after the manifest was found); the speed is what peers sent
 * in this run over that time (a resume's chunks already on disk are named apart); the peer count is the bar's: peers that sent bytes.
 */
import { formatBytes, formatDuration } from './output.js'
import { plural, sendingPeers } from './progress-line.js'
import { printable } from './text-width.js'
import type { Palette } from './colour.js'
import type { JobSnapshot } from '../transfer/download-job.js'

/** The figures of one finished download. */
export interface GetOutcome {
  snapshot: JobSnapshot
  /** Milliseconds from the job's start to its completion. */
  elapsedMs: number
}

/** "12.3 s" under a minute, "1m05s" beyond. */
export function formatElapsed (ms: number): string {
  return ms < 60_000 ? `${(ms / 1000).toFixed(1)} s` : formatDuration(ms / 1000)
}

/** The one-line summary. */
export function summaryLine (o: GetOutcome, pal: Palette): string {
  const s = o.snapshot
  if (s.alreadyComplete === true) return `${pal.green(pal.bold('done:'))} ${pal.bold(printable(s.name))} ${formatBytes(s.size)} was already complete here, verified`
  // What peers sent in this run; the rest was verified on disk already (a resume).
  const fetched = Math.min(s.size, s.peers.reduce((n, p) => n + p.bytes, 0))
  const rate = o.elapsedMs > 0 ? fetched * 1000 / o.elapsedMs : 0
  const resumed = s.size - fetched > 0 ? `, ${formatBytes(s.size - fetched)} were already here` : ''
  return `${pal.green(pal.bold('done:'))} ${pal.bold(printable(s.name))} ${formatBytes(s.size)} in ${formatElapsed(o.elapsedMs)} ` +
    `(${formatBytes(rate)}/s) from ${plural(sendingPeers(s), 'peer')}${resumed}, verified`
}

/** --verbose: each peer that sent bytes, its bytes and share of the file. */
export function peerLines (s: JobSnapshot): string[] {
  return s.peers
    .filter(p => p.bytes > 0)
    .sort((a, b) => b.bytes - a.bytes)
    .map(p => `  ${p.peerId}  ${formatBytes(p.bytes).padStart(10)}  ${(s.size === 0 ? 0 : 100 * p.bytes / s.size).toFixed(1).padStart(5)}%`)
}

/** The human result of `get`: path, summary, and with `verbose` the peers. */
export function getReport (o: GetOutcome, options: { verbose: boolean, palette: Palette }): string {
  return [o.snapshot.dest, summaryLine(o, options.palette), ...(options.verbose ? peerLines(o.snapshot) : [])].join('\n')
}
