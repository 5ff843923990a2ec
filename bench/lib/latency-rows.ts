/**
 * The latency section's rows of the bench table (`bench/latency.ts`
 * measures), against issue 13's targets: `shoal get` of 4 KiB with a node of
 * its own ≤ 0.3 s; `ls` (and `status`, `share`) through a running node
 * ≤ 1.2× the same command with no node; 1 MiB through a running node on
 * three LAN hosts ≤ 0.3 s uncapped, ≤ 0.5 s with uploads capped at
 * 10/30/60 Mbit/s. All spawn to exit, medians; the CPU is named in each
 * row since these figures are mostly CPU time.
 */
import type { LatencyResult } from '../latency.js'
import { LAN_CAPS_MBIT } from './lan-get.js'
import { info, judged, type Row } from './report.js'

/** Issue 13's latency targets. */
export const LATENCY_TARGETS = {
  smallGetMs: 300,
  throughNodeVsOffline: 1.2,
  lanUncappedMs: 300,
  lanCappedMs: 500
} as const

const s = (ms: number): string => `${(ms / 1000).toFixed(3)} s`

/** The latency rows of the bench table. */
export function latencyRows (l: LatencyResult): Row[] {
  const runs = `median of ${l.runs}, ${l.cpu}`
  const t = LATENCY_TARGETS
  const rows: Row[] = [
    judged(`latency: shoal get 4 KiB, node of its own (${runs})`, `${s(l.smallGet.medianMs)} spawn to exit`, `≤ ${s(t.smallGetMs)}`, l.smallGet.medianMs <= t.smallGetMs),
    ...l.commands.map(c => judged(`latency: shoal ${c.command} through a running node (${runs})`,
      `${s(c.medianThroughNodeMs)} vs ${s(c.medianOfflineMs)} with no node = ${c.ratio.toFixed(2)}×`,
      `≤ ${t.throughNodeVsOffline.toFixed(2)}× no node`, c.ratio <= t.throughNodeVsOffline))
  ]
  if (l.lan != null) {
    rows.push(
      judged(`latency: 3 LAN hosts, get 1 MiB through a running node, uncapped (${runs})`, `${s(l.lan.uncapped.medianMs)} spawn to exit`, `≤ ${s(t.lanUncappedMs)}`, l.lan.uncapped.medianMs <= t.lanUncappedMs),
      judged(`latency: 3 LAN hosts, get 1 MiB through a running node, uploads ${LAN_CAPS_MBIT.join('/')} Mbit/s (${runs})`, `${s(l.lan.capped.medianMs)} spawn to exit`, `≤ ${s(t.lanCappedMs)}`, l.lan.capped.medianMs <= t.lanCappedMs)
    )
  } else if (l.lanError != null) {
    rows.push({ figure: 'latency: 3 LAN hosts', measured: `ERROR: ${l.lanError}`, target: '', verdict: 'ERROR' })
  } else {
    rows.push(info('latency: 3 LAN hosts', 'skipped'))
  }
  return rows
}
