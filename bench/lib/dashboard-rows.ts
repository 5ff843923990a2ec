/**
 * The dashboard's rows, against issue 11's targets: JS ≤ 150 KiB gzipped; no
 * page update (nor slice of a full grid draw) over 16 ms of main-thread time
 * under a 32,000-chunk download's event stream; 100 files and 50 peers
 * rendered within a quarter second.
 */
import { describeSpread } from '../../test/web/measure.js'
import type { DashboardBenchResult } from '../dashboard.js'
import { info, judged, type Row } from './report.js'

export const DASHBOARD_TARGETS = { jsGzipBytes: 150 * 1024, updateMs: 16, listRenderMs: 250 } as const

export function dashboardRows (d: DashboardBenchResult): Row[] {
  const rows: Row[] = [
    judged('dashboard JS, gzipped', `${(d.bundle.gzipBytes / 1024).toFixed(1)} KiB (${(d.bundle.rawBytes / 1024).toFixed(1)} KiB raw)`, '≤ 150 KiB', d.bundle.gzipBytes <= DASHBOARD_TARGETS.jsGzipBytes)
  ]
  const g = d.grid32000
  if (g != null) {
    rows.push(judged('dashboard: page update, 32,000-chunk download', describeSpread(g.updates), `max ≤ ${DASHBOARD_TARGETS.updateMs} ms`, g.updates.max <= DASHBOARD_TARGETS.updateMs))
    rows.push(judged('dashboard: full grid draw slice, 32,000 chunks', describeSpread(g.slices), `max ≤ ${DASHBOARD_TARGETS.updateMs} ms`, g.slices.max <= DASHBOARD_TARGETS.updateMs))
    rows.push(info('dashboard: long tasks (> 50 ms) in that download', g.longTasks.length === 0 ? 'none' : `${g.longTasks.length}, longest ${Math.max(...g.longTasks).toFixed(0)} ms`))
  }
  const l = d.lists
  if (l != null) {
    rows.push(judged(`dashboard: ${l.files} files, ${l.peers} peers (${l.connected} connected) rendered`, `Files ${l.filesRenderMs.toFixed(1)} ms, Peers ${l.peersRenderMs.toFixed(1)} ms`, `≤ ${DASHBOARD_TARGETS.listRenderMs} ms`, Math.max(l.filesRenderMs, l.peersRenderMs) <= DASHBOARD_TARGETS.listRenderMs))
    rows.push(info('dashboard: page update with those lists', describeSpread(l.updates)))
  }
  return rows
}
