/**
 * Catalogue commands: `share`, `ls`, `rm`, `verify`. They work through the
 * running node, or on the data dir directly when no node runs.
 */
import { withBackend, type GlobalOptions } from '../backend.js'
import { printResult, formatBytes } from '../output.js'
import { formatTable } from '../table.js'
import { percentDone } from './downloads.js'
import type { FileListing } from '../../node/node.js'
import type { JobSnapshot } from '../../transfer/download-job.js'
import { ShoalError } from '../../errors.js'

/** `shoal share PATH`. */
export async function shareCommand (path: string, flags: GlobalOptions): Promise<void> {
  await withBackend(flags, { networked: false }, async (backend) => {
    const r = await backend.share(path)
    printResult(flags.json, { id: r.id, link: r.link, size: r.size, chunks: r.chunks }, () => {
      const lines = [r.id, r.link, `${r.name}: ${formatBytes(r.size)} in ${r.chunks} chunk${r.chunks === 1 ? '' : 's'}`]
      if (backend.ownNode) lines.push('No node is running in this data dir: run `shoal start` to serve it.')
      return lines.join('\n')
    })
  })
}

/** `shoal ls`: each file, complete or partial (a download not finished), and where. */
export async function lsCommand (flags: GlobalOptions): Promise<void> {
  await withBackend(flags, { networked: false }, async (backend) => {
    const files = await backend.list()
    // --json stays the catalogue as it was; the partial view needs the downloads.
    const downloads = flags.json ? [] : await backend.downloads()
    printResult(flags.json, { files }, () => files.length === 0
      ? 'No files.'
      : formatTable(
        [{ header: 'ID' }, { header: 'SIZE', right: true }, { header: 'STATE' }, { header: 'NAME' }, { header: 'WHERE' }],
        files.map(f => fileRow(f, downloads.filter(d => d.fileId === f.id && d.state !== 'completed')))
      ))
  })
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

/** `shoal rm ID`. */
export async function rmCommand (id: string, flags: GlobalOptions): Promise<void> {
  await withBackend(flags, { networked: false }, async (backend) => {
    await backend.remove(id)
    printResult(flags.json, { id, removed: true }, () => `Removed ${id} (files on disk are left alone).`)
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
