/**
 * Catalogue commands: `share`, `ls`, `rm`, `verify`. They work through the
 * running node, or on the data dir directly when no node runs.
 */
import { withBackend, type GlobalOptions } from '../backend.js'
import { printResult, formatBytes } from '../output.js'
import { formatTable, stdoutIsTerminal } from '../table.js'
import { percentDone } from './downloads.js'
import type { FileListing } from '../../node/node.js'
import type { JobSnapshot } from '../../transfer/download-job.js'
import { ShoalError } from '../../errors.js'
import { parseReplicas } from '../../distribute/replicas.js'
import { isPlacementStrategy, type PlacementStrategy } from '../../distribute/placement.js'
import { shortPeer } from '../progress-line.js'
import { followDistribution } from '../share-progress.js'
import type { ShareOptions, StorageUsage } from '../../node/node.js'

/** Flags of `share` (issue 10's distribution). */
export interface ShareFlags {
  distribute?: boolean
  replicas?: string
  strategy?: string
}

/**
 * `shoal share PATH [--distribute] [--replicas N] [--strategy S]`. A file
 * distributed (asked, or at least `chunking.minFileSizeForDistribution`)
 * prints once every chunk has N verified copies; meanwhile a progress bar on
 * a terminal. Distribution needs a running node (`shoal start`).
 */
export async function shareCommand (path: string, flags: GlobalOptions & ShareFlags, signal?: AbortSignal): Promise<void> {
  const options = shareOptions(flags)
  await withBackend(flags, { networked: false }, async (backend) => {
    const progress = options.distribute === true ? await followDistribution(backend, signal) : undefined
    let r
    try {
      r = await backend.share(path, { ...options, signal })
    } finally {
      progress?.stop()
    }
    const json: Record<string, unknown> = { id: r.id, link: r.link, size: r.size, chunks: r.chunks }
    if (r.distribution != null) json.distribution = r.distribution
    printResult(flags.json, json, () => {
      const lines = [r.id, r.link, `${r.name}: ${formatBytes(r.size)} in ${r.chunks} chunk${r.chunks === 1 ? '' : 's'}`]
      const d = r.distribution
      if (d != null) lines.push(`distributed: ${d.replicas} copies of every chunk (${d.strategy}) on ${Object.keys(d.holders).length} peers: ${Object.entries(d.holders).map(([p, n]) => `${shortPeer(p)} ${n}`).join(', ')}`)
      if (backend.ownNode) lines.push('No node is running in this data dir: run `shoal start` to serve it.')
      return lines.join('\n')
    })
  })
}

/** The share options from the flags; bad ones are usage errors before anything is hashed. */
function shareOptions (flags: ShareFlags): ShareOptions {
  const replicas = flags.replicas === undefined ? undefined : parseReplicas(flags.replicas, '--replicas')
  if (flags.strategy !== undefined && !isPlacementStrategy(flags.strategy)) {
    throw new ShoalError('ERR_INVALID_ARGUMENT', `--strategy must be round-robin or weighted, got ${JSON.stringify(flags.strategy.slice(0, 32))}`)
  }
  const asked = flags.distribute === true || replicas !== undefined || flags.strategy !== undefined
  return { distribute: asked ? true : undefined, replicas, strategy: flags.strategy as PlacementStrategy | undefined }
}

/** `shoal ls`: each file, complete or partial (a download not finished), and where; then, on a terminal, the chunk quota's use (piped, the rows alone). */
export async function lsCommand (flags: GlobalOptions): Promise<void> {
  await withBackend(flags, { networked: false }, async (backend) => {
    const files = await backend.list()
    const storage = await backend.storage()
    // --json stays the catalogue as it was (plus the quota); the partial view needs the downloads.
    const downloads = flags.json ? [] : await backend.downloads()
    printResult(flags.json, { files, storage }, () => [
      files.length === 0
        ? 'No files.'
        : formatTable(
          [{ header: 'ID' }, { header: 'SIZE', right: true }, { header: 'STATE' }, { header: 'NAME' }, { header: 'WHERE' }],
          files.map(f => fileRow(f, downloads.filter(d => d.fileId === f.id && d.state !== 'completed')))
        ),
      ...(stdoutIsTerminal() ? [storageLine(storage)] : [])
    ].join('\n'))
  })
}

/** The quota's use in words: `chunks held for others: 12.0 MiB of 10.0 GiB quota (2 files)`. */
export function storageLine (s: StorageUsage): string {
  return `chunks held for others: ${formatBytes(s.usedBytes)} of ${formatBytes(s.quotaBytes)} quota (${s.heldFiles} file${s.heldFiles === 1 ? '' : 's'})`
}

/** A row of `ls`: complete where a verified copy is, else partial with the download's progress. */
function fileRow (f: FileListing, partial: readonly JobSnapshot[]): string[] {
  const first = partial[0]
  const state = f.paths.length > 0
    ? 'complete'
    : first != null
      ? `partial ${percentDone(first)}%${first.state === 'running' ? '' : ` (${first.state})`}`
      : 'no copy'
  const where = [...f.paths, ...partial.map(d => f.paths.length > 0 ? `${d.dest} (partial)` : d.dest)]
  return [f.id, formatBytes(f.size), state, f.name, where.join(', ') || '-']
}

/** `shoal rm ID [--everywhere]`: with --everywhere (the uploader, through its running node) every pushed copy is released too. */
export async function rmCommand (id: string, flags: GlobalOptions & { everywhere?: boolean }): Promise<void> {
  await withBackend(flags, { networked: false }, async (backend) => {
    const released = await backend.remove(id, { everywhere: flags.everywhere === true })
    printResult(flags.json, { id, removed: true, ...(released == null ? {} : { released }) }, () => released == null
      ? `Removed ${id} (files on disk are left alone).`
      : `Released ${id} everywhere: ${released.released} of ${released.holders} holders dropped ${released.dropped} chunks; removed here (files on disk are left alone).`)
  })
}

/** `shoal verify ID`: fails (non-zero exit) when any copy does not match. */
export async function verifyCommand (id: string, flags: GlobalOptions): Promise<void> {
  await withBackend(flags, { networked: false }, async (backend) => {
    const copies = await backend.verify(id)
    const ok = copies.length > 0 && copies.every(c => c.ok)
    printResult(flags.json, { id, ok, copies }, () => copies.length === 0
      ? `${id}: no complete local copy to verify`
      : copies.map(c => c.ok ? `ok      ${c.path}` : `BAD     ${c.path}: ${c.error ?? `chunks ${c.badChunks.join(', ')} do not match`}`).join('\n'))
    if (!ok) throw new ShoalError('ERR_CHUNK_CORRUPT', copies.length === 0 ? `no local copy of ${id}` : `${id} does not match its manifest`, { quiet: true })
  })
}
