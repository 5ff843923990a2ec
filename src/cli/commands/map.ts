/**
 * `shoal map ID [--json]`: the distribution map of a file this node
 * distributed or holds chunks of — `GET /api/files/:id/distribution`'s
 * shape with --json; on a terminal a table of holders (chunks each) and the
 * chunks with fewer than N distinct holders flagged. Works through the
 * running node or, when none runs, on the data dir's records.
 */
import { withBackend, type GlobalOptions } from '../backend.js'
import { printResult } from '../output.js'
import { formatTable } from '../table.js'
import type { DistributionView } from '../../distribute/record.js'

/** Most under-replicated chunk indices listed before "…". */
const MAX_LISTED_CHUNKS = 20

/** `shoal map ID`. */
export async function mapCommand (id: string, flags: GlobalOptions): Promise<void> {
  await withBackend(flags, { networked: false }, async (backend) => {
    const view = await backend.distribution(id)
    printResult(flags.json, view, () => mapText(view))
  })
}

/** Chunks with fewer than `replicas` distinct holders. */
export function underReplicated (view: DistributionView): number[] {
  return view.chunks.filter((c) => new Set(c.holders).size < view.replicas).map((c) => c.index)
}

/** The human view: a summary line, a table of holders, and the under-replicated chunks. */
export function mapText (view: DistributionView): string {
  const holders = Object.entries(view.holders).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
  const under = underReplicated(view)
  const lines = [
    `${view.id}: ${view.chunks.length} chunks, ${view.replicas} copies each, on ${holders.length} peers`,
    formatTable([{ header: 'HOLDER' }, { header: 'CHUNKS', right: true }], holders.map(([peer, count]) => [peer, String(count)]))
  ]
  lines.push(under.length === 0
    ? 'every chunk has its copies'
    : `UNDER-REPLICATED: ${under.length} chunks (${under.slice(0, MAX_LISTED_CHUNKS).join(', ')}${under.length > MAX_LISTED_CHUNKS ? ', …' : ''})`)
  return lines.join('\n')
}
