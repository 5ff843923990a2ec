/**
 * The text of `get`'s progress, pure: one terminal line cut to a width (the
 * bar), and one aria2c-style line for logs (when stderr is not a terminal).
 * Both show the same figures; "peers" is the same number everywhere in the
 * CLI: peers that have sent bytes of this file (see sendingPeers).
 */
import { formatBytes, formatDuration } from './output.js'
import { displayWidth, printable, truncate } from './text-width.js'
import { palette as makePalette, type Palette } from './colour.js'
import type { JobSnapshot } from '../transfer/download-job.js'

/** What the display shows: the search for peers before a job exists, then the job. */
export type ProgressView =
  | { kind: 'lookup', label: string, asked: number | undefined, elapsedMs: number }
  | { kind: 'job', snapshot: JobSnapshot }

/** The bar never grows past this many columns, however wide the terminal. */
export const BAR_MAX_COLUMNS = 40
/** The bar gets this many columns before a long name gets more. */
const BAR_PREFERRED_COLUMNS = 15
/** Below this the bar is left out: a percentage says as much. */
const BAR_MIN_COLUMNS = 10
/** A file name keeps at least this many columns before statistics are dropped. */
const NAME_MIN_COLUMNS = 12
/** A state or stall note keeps at least this many columns. */
const TAIL_MIN_COLUMNS = 16

const PLAIN = makePalette(false)

/** Peers that have sent bytes of the file: what the bar, the log lines and the summary count. */
export function sendingPeers (s: JobSnapshot): number {
  return s.peersUsed
}

/** `12D3KooW…c9xQ2a`: a peer ID short enough for a line (the full ID is in --verbose and --json). */
export function shortPeer (id: string): string {
  return id.length > 16 ? `${id.slice(0, 8)}…${id.slice(-6)}` : id
}

/** "1 peer", "3 peers". */
export function plural (n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`
}

/** What a stalled job waits for, in words. */
export function stalledText (s: JobSnapshot): string {
  const missing = s.missingPeers.map(shortPeer)
  return `stalled — waiting for peers${missing.length > 0 ? ` (missing: ${missing.join(', ')})` : ''}`
}

/** The lookup in words: what `get` is doing before any peer answers. */
export function lookupText (asked: number | undefined, elapsedMs: number): string {
  const seconds = `${Math.floor(elapsedMs / 1000)}s`
  return asked == null ? `looking for peers… ${seconds}` : `looking for peers: asked ${asked}, found 0 · ${seconds}`
}

function percent (s: JobSnapshot): number {
  return s.size === 0 ? (s.state === 'completed' ? 100 : 0) : 100 * s.bytesDone / s.size
}

/**
 * The bar line, at most `width` columns (the caller passes the terminal's
 * width minus one, so the cursor never reaches the last column and the line
 * cannot wrap). Statistics are dropped, least useful first, before the name
 * is cut below NAME_MIN_COLUMNS; the name is cut with an ellipsis.
 */
export function barLine (view: ProgressView, width: number, pal: Palette = PLAIN): string {
  if (view.kind === 'lookup') {
    const label = printable(view.label)
    const text = lookupText(view.asked, view.elapsedMs)
    const labelWidth = Math.min(displayWidth(label), Math.max(0, width - displayWidth(text) - 1))
    const name = labelWidth >= 4 ? truncate(label, labelWidth) : ''
    return name === '' ? pal.dim(truncate(text, width)) : `${pal.bold(name)} ${pal.dim(truncate(text, width - displayWidth(name) - 1))}`
  }
  const s = view.snapshot
  const pct = percent(s)
  const name = printable(s.name)
  const stats: Array<{ text: string, rank: number }> = [{ text: `${pct.toFixed(1)}%`, rank: 0 }]
  let tail: string | undefined
  if (s.state === 'stalled') {
    tail = stalledText(s)
  } else if (s.state === 'running') {
    stats.push(
      { text: `${formatBytes(s.bytesDone)}/${formatBytes(s.size)}`, rank: 3 },
      { text: `${formatBytes(s.speed)}/s`, rank: 1 },
      { text: `ETA ${formatDuration(s.etaSeconds)}`, rank: 2 },
      { text: plural(sendingPeers(s), 'peer'), rank: 4 }
    )
  } else {
    tail = s.state
  }
  const tailMin = tail == null ? 0 : 1 + Math.min(displayWidth(tail), TAIL_MIN_COLUMNS)
  const statsWidth = (): number => stats.reduce((n, x) => n + 1 + displayWidth(x.text), 0) + tailMin
  const nameWidth = displayWidth(name)
  const nameMin = Math.min(nameWidth, NAME_MIN_COLUMNS)
  const barMin = BAR_MIN_COLUMNS + 2
  // Drop statistics, least useful first, until the name, a minimal bar and the rest fit.
  while (stats.length > 1 && nameMin + 1 + barMin + statsWidth() > width) {
    const worst = stats.reduce((a, b) => b.rank > a.rank ? b : a)
    stats.splice(stats.indexOf(worst), 1)
  }
  const free = width - statsWidth()
  const withBar = free >= nameMin + 1 + barMin
  // The name takes what is left once the bar has BAR_PREFERRED_COLUMNS; the bar then takes the rest.
  const nameCols = withBar ? Math.min(nameWidth, Math.max(nameMin, free - 1 - BAR_PREFERRED_COLUMNS - 2)) : Math.min(nameWidth, free)
  const parts: string[] = [pal.bold(truncate(name, nameCols))]
  if (withBar) {
    const cells = Math.max(BAR_MIN_COLUMNS, Math.min(BAR_MAX_COLUMNS, free - displayWidth(truncate(name, nameCols)) - 1 - 2))
    const filled = Math.min(cells, Math.round(pct / 100 * cells))
    parts.push(`[${pal.green('#'.repeat(filled))}${'-'.repeat(cells - filled)}]`)
  }
  parts.push(...stats.map(x => x.text))
  if (tail != null) {
    const left = width - displayWidth(stripSgr(parts.join(' '))) - 1
    const cut = truncate(tail, left)
    if (cut !== '') parts.push(s.state === 'stalled' ? pal.yellow(cut) : cut)
  }
  const line = parts.filter(p => p !== '').join(' ')
  // Whatever the arithmetic above, a line wider than the terminal would wrap: never.
  return displayWidth(stripSgr(line)) <= width ? line : truncate(stripSgr(line), width)
}

/**
 * A log line, aria2c-style, for when stderr is not a terminal:
 * `[#Jb3x9kQ trip.mkv 12MiB/100MiB(12%) CN:3 DL:8.0MiB ETA:11s]`.
 */
export function logLine (view: ProgressView): string {
  if (view.kind === 'lookup') return `[${printable(view.label)} ${lookupText(view.asked, view.elapsedMs)}]`
  const s = view.snapshot
  const compact = (n: number): string => formatBytes(n).replace(' ', '')
  const head = `#${s.id} ${printable(s.name)} ${compact(s.bytesDone)}/${compact(s.size)}(${Math.floor(percent(s))}%)`
  if (s.state === 'stalled') return `[${head} ${stalledText(s)}]`
  if (s.state !== 'running') return `[${head} ${s.state}]`
  return `[${head} CN:${sendingPeers(s)} DL:${compact(s.speed)} ETA:${formatDuration(s.etaSeconds)}]`
}

/** Text without SGR colour codes. */
export function stripSgr (text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\x1b\[[0-9;]*m/g, '')
}
