/**
 * `shoal status [JOB] [--watch]`, `shoal cancel JOB` and `shoal peers`.
 */
import { withBackend, type Backend, type GlobalOptions } from '../backend.js'
import { printResult, formatBytes, formatDuration, EXIT_INTERRUPTED } from '../output.js'
import { formatTable, stdoutIsTerminal, type Column } from '../table.js'
import type { JobSnapshot } from '../../transfer/download-job.js'

/** How often `status --watch` redraws (a terminal) or prints (a pipe). */
export const WATCH_INTERVAL_MS = 1000

/** Clears a terminal and homes the cursor: each redraw replaces the last. */
const CLEAR_SCREEN = '\x1b[H\x1b[2J'

/** Flags of `status`. */
export interface StatusFlags extends GlobalOptions {
  watch: boolean
}

/** `shoal status [JOB]`, once or (`--watch`) until `signal` aborts. */
export async function statusCommand (job: string | undefined, flags: StatusFlags, signal: AbortSignal): Promise<void> {
  await withBackend(flags, { networked: false }, async (backend) => {
    if (!flags.watch) {
      const jobs = await snapshots(backend, job)
      printResult(flags.json, job == null ? { downloads: jobs } : jobs[0], () => describe(jobs, job != null))
      return
    }
    const terminal = stdoutIsTerminal() && !flags.json
    while (!signal.aborted) {
      const jobs = await snapshots(backend, job)
      if (flags.json) printResult(true, job == null ? { downloads: jobs } : jobs[0], () => '')
      else if (terminal) process.stdout.write(`${CLEAR_SCREEN}${new Date().toTimeString().slice(0, 8)}  shoal status${job == null ? '' : ` ${job}`} (Ctrl-C to stop)\n\n${describe(jobs, job != null)}\n`)
      else process.stdout.write(watchLines(jobs) + '\n')
      await sleep(WATCH_INTERVAL_MS, signal)
    }
    // Ctrl-C is how a watch ends: the interrupt code, and no error line.
    process.exitCode = EXIT_INTERRUPTED
  })
}

async function snapshots (backend: Backend, job: string | undefined): Promise<JobSnapshot[]> {
  return job == null ? await backend.downloads() : [await backend.download(job)]
}

/** Percent done of a job, one decimal. */
export function percentDone (s: JobSnapshot): string {
  return (s.size === 0 ? 100 : 100 * s.bytesDone / s.size).toFixed(1)
}

const JOB_COLUMNS: Column[] = [{ header: 'JOB' }, { header: 'STATE' }, { header: 'DONE', right: true }, { header: 'BYTES', right: true }, { header: 'SPEED', right: true }, { header: 'ETA', right: true }, { header: 'NAME' }, { header: 'DEST' }]
const PEER_COLUMNS: Column[] = [{ header: 'PEER' }, { header: 'STATE' }, { header: 'BYTES', right: true }, { header: 'RATE', right: true }, { header: 'IN FLIGHT', right: true }]

function jobRow (s: JobSnapshot): string[] {
  const moving = s.state === 'running' || s.state === 'stalled'
  return [s.id, s.state, `${percentDone(s)}%`, `${formatBytes(s.bytesDone)}/${formatBytes(s.size)}`, moving ? `${formatBytes(s.speed)}/s` : '-', moving ? formatDuration(s.etaSeconds) : '-', s.name, s.dest]
}

/** The jobs as a table; one job (`status JOB`) also lists its peers and why it waits or failed. */
function describe (jobs: readonly JobSnapshot[], one: boolean): string {
  if (jobs.length === 0) return 'No downloads.'
  const lines = [formatTable(JOB_COLUMNS, jobs.map(jobRow))]
  for (const s of one ? jobs : []) {
    if (s.peers.length > 0) lines.push('', formatTable(PEER_COLUMNS, s.peers.map(p => [p.peerId, p.state, formatBytes(p.bytes), `${formatBytes(p.rate)}/s`, String(p.inFlight)])))
    if (s.missingPeers.length > 0) lines.push(`waiting for: ${s.missingPeers.join(', ')}`)
  }
  for (const s of jobs) if (s.error != null && s.state !== 'running') lines.push(`${s.id}: ${s.error}`)
  return lines.join('\n')
}

/** One line per job per interval when piped, with the time first (`no downloads` when there is none). */
function watchLines (jobs: readonly JobSnapshot[]): string {
  const time = new Date().toISOString()
  return jobs.length === 0 ? `${time}\tno downloads` : jobs.map(s => [time, ...jobRow(s)].join('\t')).join('\n')
}

/** Waits `ms`, or less when `signal` aborts. */
async function sleep (ms: number, signal: AbortSignal): Promise<void> {
  await new Promise<void>(resolve => {
    const done = (): void => { clearTimeout(timer); resolve() }
    // Not unref()ed: between two redraws this timer is all the watch waits on.
    const timer = setTimeout(() => { signal.removeEventListener('abort', done); resolve() }, ms)
    signal.addEventListener('abort', done, { once: true })
  })
}

/** `shoal cancel JOB`. */
export async function cancelCommand (job: string, flags: GlobalOptions): Promise<void> {
  await withBackend(flags, { networked: false }, async (backend) => {
    await backend.cancel(job)
    printResult(flags.json, { id: job, cancelled: true }, () => `Cancelled ${job}; verified chunks are kept (the same get resumes).`)
  })
}

/** `shoal peers`. */
export async function peersCommand (flags: GlobalOptions): Promise<void> {
  await withBackend(flags, { networked: true }, async (backend) => {
    const peers = await backend.peers()
    printResult(flags.json, { peers }, () => peers.length === 0
      ? 'No peers.'
      : formatTable(
        [{ header: 'PEER' }, { header: 'STATE' }, { header: 'VIA' }, { header: 'LATENCY', right: true }, { header: 'UP', right: true }, { header: 'DOWN', right: true }, { header: 'ADDRESSES' }],
        peers.map(p => [p.peerId, p.connected ? 'connected' : 'known', p.via.join(',') || '-', p.latencyMs == null ? '--' : `${Math.round(p.latencyMs)} ms`, formatBytes(p.bytesUp), formatBytes(p.bytesDown), p.addrs.join(' ') || '-'])
      ))
  })
}
