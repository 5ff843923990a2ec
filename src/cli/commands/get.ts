/**
 * `shoal get ID|LINK [-o PATH] [--peer MULTIADDR…] [--sequential]`: downloads
 * through the running node, or with a node of its own when none runs, and
 * follows the job until it completes, fails, or stays stalled too long.
 */
import { withBackend, type GlobalOptions } from '../backend.js'
import { printResult, formatBytes } from '../output.js'
import { ProgressBar } from '../progress.js'
import { ShoalError, ERROR_CODES, type ErrorCode } from '../../errors.js'
import type { DeepPartial, ShoalConfig } from '../../config/index.js'
import type { Backend } from '../backend.js'
import type { JobSnapshot } from '../../transfer/download-job.js'

/** How often the CLI looks at the job. */
export const FOLLOW_INTERVAL_MS = 100

/** Flags of `get`. */
export interface GetFlags extends GlobalOptions {
  output?: string
  peer: string[]
  sequential: boolean
  /** Discovery overrides from flags (used when get runs its own node). */
  network: NonNullable<DeepPartial<ShoalConfig>['network']>
  /** Rate-limit overrides from flags (likewise). */
  transfer: NonNullable<DeepPartial<ShoalConfig>['transfer']>
}

/** Runs `shoal get`. */
export async function getCommand (target: string, flags: GetFlags, signal: AbortSignal): Promise<void> {
  await withBackend(flags, { networked: true }, async (backend) => {
    const first = await backend.startDownload(target, { output: flags.output, cwd: process.cwd(), peers: flags.peer, sequential: flags.sequential, signal })
    const done = await follow(backend, first.id, signal)
    const peers = done.peers.filter(p => p.bytes > 0).map(p => ({ peerId: p.peerId, bytes: p.bytes }))
    printResult(flags.json, { id: done.fileId, path: done.dest, size: done.size, peers }, () =>
      `${done.dest}\n${formatBytes(done.size)} from ${peers.length} peer${peers.length === 1 ? '' : 's'}, verified`)
  }, { network: flags.network, transfer: flags.transfer })
}

async function follow (backend: Backend, id: string, signal: AbortSignal): Promise<JobSnapshot> {
  const bar = new ProgressBar()
  const stallLimitMs = backend.config.transfer.noProviderTimeoutMs
  let stalledSince: number | undefined
  try {
    while (true) {
      if (signal.aborted) {
        await backend.cancel(id).catch(() => {})
        throw new ShoalError('ERR_ABORTED', 'download interrupted; verified chunks are kept, run the same command to resume')
      }
      const s = await backend.download(id)
      bar.update(s)
      if (s.state === 'completed') return s
      if (s.state === 'failed' || s.state === 'cancelled' || s.state === 'paused') {
        const code: ErrorCode = s.errorCode != null && s.errorCode in ERROR_CODES ? s.errorCode as ErrorCode : 'ERR_INTERNAL'
        throw new ShoalError(code, s.error ?? `download ${s.state}`)
      }
      stalledSince = s.state === 'stalled' ? stalledSince ?? Date.now() : undefined
      if (stalledSince != null && Date.now() - stalledSince >= stallLimitMs) {
        const left = s.chunkCount - s.chunksDone
        const banned = s.bannedPeers ?? []
        const who = [
          ...(s.missingPeers.length > 0 ? [`gone: ${s.missingPeers.join(', ')}`] : []),
          ...(banned.length > 0 ? [`banned for sending corrupt data: ${banned.join(', ')}`] : [])
        ]
        const next = backend.ownNode
          ? 'run the same command again to resume'
          : `the node keeps looking every ${backend.config.chunking.resumeCheckInterval} s (shoal status ${id})`
        // A source that lied is named as such, never as gone: it is up, and sent bad bytes.
        const code = banned.length > 0 && s.missingPeers.length === 0 ? 'ERR_PEER_BANNED' : 'ERR_NO_SOURCES_LEFT'
        throw new ShoalError(code, `no peer left for ${left} of ${s.chunkCount} chunks of ${s.name}${who.length > 0 ? ` (${who.join('; ')})` : ''}; ${next}`, { job: id, bannedPeers: banned })
      }
      await new Promise(resolve => setTimeout(resolve, FOLLOW_INTERVAL_MS))
    }
  } finally {
    bar.done()
  }
}
