/**
 * `shoal status [JOB]`, `shoal cancel JOB` and `shoal peers`.
 */
import { withBackend, type GlobalOptions } from '../backend.js'
import { printResult, formatBytes, formatDuration } from '../output.js'
import type { JobSnapshot } from '../../transfer/download-job.js'

/** `shoal status [JOB]`. */
export async function statusCommand (job: string | undefined, flags: GlobalOptions): Promise<void> {
  await withBackend(flags, { networked: false }, async (backend) => {
    const jobs = job == null ? await backend.downloads() : [await backend.download(job)]
    printResult(flags.json, job == null ? { downloads: jobs } : jobs[0], () => jobs.length === 0 ? 'No downloads.' : jobs.map(describe).join('\n'))
  })
}

function describe (s: JobSnapshot): string {
  const pct = s.size === 0 ? 100 : 100 * s.bytesDone / s.size
  const lines = [`${s.id}  ${s.state.padEnd(9)} ${pct.toFixed(1).padStart(5)}%  ${formatBytes(s.bytesDone)}/${formatBytes(s.size)}  ${formatBytes(s.speed)}/s  ETA ${formatDuration(s.etaSeconds)}  ${s.name} -> ${s.dest}`]
  for (const p of s.peers) lines.push(`    ${p.peerId}  ${p.state.padEnd(8)} ${formatBytes(p.bytes).padStart(10)}  ${formatBytes(p.rate)}/s  ${p.inFlight} in flight`)
  if (s.missingPeers.length > 0) lines.push(`    waiting for: ${s.missingPeers.join(', ')}`)
  if (s.error != null && s.state !== 'running') lines.push(`    ${s.error}`)
  return lines.join('\n')
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
      : peers.map(p => `${p.peerId}  ${p.connected ? 'connected' : 'known    '}  via ${p.via.join(',') || '-'}  ${p.latencyMs == null ? '--' : `${Math.round(p.latencyMs)} ms`}  up ${formatBytes(p.bytesUp)} down ${formatBytes(p.bytesDown)}  ${p.addrs.join(' ')}`).join('\n'))
  })
}
