/**
 * The distribution map of a file: chunks × holders, replicas per chunk,
 * under-replicated chunks in red, chunks being repaired marked. From
 * `GET /api/files/:id/distribution`; where the node has no such route yet,
 * from what it knows itself: its own complete copy and the peers its
 * downloads of the file got chunks from.
 */
import { useEffect, useRef } from 'preact/hooks'
import { loadDistribution } from '../live'
import { STATUS_COMPLETED } from '../chunks'
import { css, FAILED_RGB, isDark, peerRgb, pendingRgb } from '../colours'
import { bytes } from '../format'
import { chunkMaps, peerName, state as store, useStore } from '../store'
import type { Distribution as Dist, FileRow } from '../types'

/** Copies wanted per chunk when the map does not say (distribution.replicas' default). */
const DEFAULT_REPLICAS = 2

export function Distribution ({ fileId }: { fileId?: string }) {
  const s = useStore()
  const file = s.files.find(f => f.id === fileId)
  const dist = fileId == null ? undefined : s.distributions.get(fileId)
  const hasMap = s.node?.features?.distribution === true && file?.distributed === true
  useEffect(() => {
    // No record of the file (or no such route): the copies it knows of (below), and no request that can only 404.
    // Read on opening (and again on each distribution or repair event, live.ts).
    if (fileId != null && hasMap) void loadDistribution(fileId)
  }, [fileId, hasMap])

  if (fileId == null || file == null) {
    return (
      <section aria-labelledby="dist-title">
        <h2 id="dist-title">Distribution map</h2>
        {s.files.length === 0 ? <p class="empty">No files.</p> : <ul class="plain">{s.files.map(f => <li key={f.id}><a href={`#/distribution/${f.id}`}>{f.name}</a> <span class="muted">{bytes(f.size)}</span></li>)}</ul>}
      </section>
    )
  }
  const known = dist ?? knownCopies(file, s.node?.peerId ?? 'this node')
  // While a repair runs, the departed holders' copies no longer count: their chunks are short, and marked as repaired.
  const departed = new Set(s.repairs.get(file.id) ?? [])
  const view = departed.size === 0 ? known : withoutDeparted(known, departed)
  const replicas = view.replicas
  const holders = Object.keys(known.holders)
  const under = view.chunks.filter(c => c.holders.length < replicas).length
  return (
    <section aria-labelledby="dist-title">
      <h2 id="dist-title">Distribution of {file.name}</h2>
      <p class="muted" data-testid="dist-source">
        {dist != null ? `From the file's distribution record: ${replicas} replicas wanted.` : 'This node has no distribution record for this file: showing the copies it knows of (its own, and the peers its downloads used).'}
      </p>
      <div class="row wrap stats">
        <span>{view.chunks.length} chunks</span>
        <span>{holders.length} holders</span>
        <span class={under > 0 ? 'warn' : ''} data-testid="under-replicated">{under} under-replicated</span>
        {(view.repairing?.length ?? 0) > 0 && <span class="badge running" data-testid="repairing">repairing {view.repairing?.length} chunks (gone: {[...departed].map(peerName).join(', ')})</span>}
      </div>
      <HolderGrid dist={view} holders={holders} />
      <p class="muted small-print">One row per holder, one column per chunk (or group of chunks); the last row is the replicas of each chunk, red where fewer than {replicas}, amber while repaired.</p>
      <div class="table-wrap">
        <table aria-label="Chunks per holder">
          <thead><tr><th scope="col">Holder</th><th scope="col">Chunks</th></tr></thead>
          <tbody>{holders.map((h, i) => <tr key={h} data-holder={h} class={departed.has(h) ? 'gone' : ''}><td><span class="swatch" style={{ background: css(peerRgb(i, isDark())) }} aria-hidden="true" /><code title={h}>{peerName(h)}</code>{h === s.node?.peerId ? ' (this node)' : ''}{departed.has(h) ? ' (gone)' : ''}</td><td>{known.holders[h]}</td></tr>)}</tbody>
        </table>
      </div>
    </section>
  )
}

/** The map with the departed holders taken out of every chunk; their chunks listed as repairing. */
function withoutDeparted (dist: Dist, departed: ReadonlySet<string>): Dist {
  const repairing: number[] = []
  const chunks = dist.chunks.map((c) => {
    const holders = c.holders.filter(h => !departed.has(h))
    if (holders.length < c.holders.length) repairing.push(c.index)
    return { index: c.index, holders }
  })
  return { ...dist, chunks, repairing }
}

/** What this node knows without a record: its whole copy, and each chunk's source in its downloads. */
function knownCopies (file: FileRow, self: string): Dist {
  const chunks = Array.from({ length: file.chunks }, (_, index) => ({ index, holders: [] as string[] }))
  if (file.paths.length > 0) for (const c of chunks) c.holders.push(self)
  for (const job of store.jobs.values()) {
    if (job.fileId !== file.id) continue
    const map = chunkMaps.get(job.id)
    if (map == null) continue
    for (let i = 0; i < Math.min(map.count, chunks.length); i++) {
      const peer = map.peers[map.peer[i] as number]
      const holders = chunks[i]?.holders
      if (map.status[i] === STATUS_COMPLETED && peer != null && peer !== 'local' && holders != null && !holders.includes(peer)) holders.push(peer)
    }
  }
  const holders: Record<string, number> = {}
  for (const c of chunks) for (const h of c.holders) holders[h] = (holders[h] ?? 0) + 1
  return { id: file.id, replicas: DEFAULT_REPLICAS, holders, chunks }
}

/** Rows: holders; columns: chunks (grouped when there are more than fit); red marks under-replicated columns. */
function HolderGrid ({ dist, holders }: { dist: Dist, holders: string[] }) {
  const ref = useRef<HTMLCanvasElement>(null)
  useEffect(() => {
    const el = ref.current
    const ctx = el?.getContext('2d')
    if (el == null || ctx == null) return
    const dark = isDark()
    const width = Math.max(200, el.parentElement?.clientWidth ?? 600)
    const n = Math.max(1, dist.chunks.length)
    const perCol = Math.ceil(n / width)
    const cols = Math.ceil(n / perCol)
    const rowH = 14
    el.width = cols
    el.height = (holders.length + 1) * rowH
    el.style.width = `${Math.min(width, cols * Math.max(1, Math.floor(width / cols)))}px`
    el.style.height = `${el.height}px`
    const rowOf = new Map(holders.map((h, i) => [h, i]))
    ctx.fillStyle = css(pendingRgb(dark))
    ctx.fillRect(0, 0, el.width, el.height)
    const repairing = new Set(dist.repairing ?? [])
    for (const c of dist.chunks) {
      const x = Math.floor(c.index / perCol)
      for (const h of c.holders) {
        const r = rowOf.get(h)
        if (r == null) continue
        ctx.fillStyle = css(peerRgb(r, dark))
        ctx.fillRect(x, r * rowH + 1, 1, rowH - 2)
      }
      // Bottom row: replicas per chunk, red when short of the target, amber while repaired.
      ctx.fillStyle = repairing.has(c.index) ? 'rgb(230 160 0)' : c.holders.length < dist.replicas ? css(FAILED_RGB) : css(peerRgb(-1, dark))
      const h = Math.round((rowH - 2) * Math.min(1, c.holders.length / Math.max(1, dist.replicas)))
      ctx.fillRect(x, holders.length * rowH + (rowH - 1 - Math.max(2, h)), 1, Math.max(2, h))
    }
  }, [dist, holders.join(',')])
  return <div class="grid-box"><canvas ref={ref} class="holder-grid" role="img" aria-label={`Chunks by holder: ${holders.length} holders; the last row shows replicas per chunk, red where short`} /></div>
}
