/**
 * Turns the benchmark's results into table rows, against the issue's targets:
 * transfer ≤ 1.6× the raw TLS copy; three seeders no slower than one; import
 * ≤ 1.3× `openssl dgst -sha256`; downloader peak RSS ≤ 200 MiB and flat in
 * file size (here: the bigger file's peak within 10 % of the smaller's).
 */
import { churnRows } from './churn-rows.js'
import { latencyRows } from './latency-rows.js'
import { distributeRows } from './distribute-rows.js'
import type { DistributeBenchResult } from '../distribute.js'
import { placementRows } from './placement-rows.js'
import type { PlacementSimBenchResult } from '../placement-sim.js'
import type { ChurnFigures } from '../../test/helpers/churn-soak.js'
import type { DhtBenchResult } from '../dht.js'
import type { MultiHostResult } from '../multi-host.js'
import type { LatencyResult } from '../latency.js'
import { dhtRows } from './dht-rows.js'
import { dashboardRows } from './dashboard-rows.js'
import type { DashboardBenchResult } from '../dashboard.js'
import type { SchedulerSimResult } from '../scheduler-sim.js'
import type { TrackerBenchResult, PhaseResult } from '../tracker.js'
import { SMALL_FILE_BYTES, type LargeDownloadResult, type TransferBenchResult } from '../transfer.js'
import type { ImportBenchResult } from './import.js'
import { info, judged, type Row } from './report.js'
import { MiB, formatSize, round, type Series } from './stats.js'

/** The issue's targets. */
export const TARGETS = {
  transferVsTls: 1.6,
  threeVsOne: 1.0,
  importVsOpenssl: 1.3,
  peakRssBytes: 200 * MiB,
  /** "Flat": the bigger download's peak RSS at most this many times the smaller's. */
  rssGrowth: 1.1,
  /** Multi-host: three capped seeders' aggregate ÷ the sum of their caps. */
  aggregateVsLinks: 0.85,
  /** Multi-host: each seeder's byte share within this of its bandwidth share. */
  shareTolerance: 0.10,
  /** Multi-host: eight downloaders' time ÷ one downloader's, 48 MiB (issue 13). */
  swarmVsSingle: 1.3,
  /** Likewise with 24 MiB, where a fixed lag weighs twice as much (issue 13). */
  swarmVsSingleSmall: 1.4
} as const

/** Everything one bench run produced; a section is absent when skipped or failed. */
export interface BenchResults {
  transfer?: TransferBenchResult
  import?: ImportBenchResult
  memory?: { base: LargeDownloadResult, large?: LargeDownloadResult }
  scheduler?: SchedulerSimResult
  placement?: PlacementSimBenchResult
  multiHost?: MultiHostResult
  latency?: LatencyResult
  churn?: ChurnFigures
  distribute?: DistributeBenchResult
  tracker?: TrackerBenchResult
  dht?: DhtBenchResult
  dashboard?: DashboardBenchResult
  /** Sections that failed, with their error. */
  errors: Record<string, string>
}

const secs = (s: Series): string => `${(s.medianMs / 1000).toFixed(2)} s (${Math.round(s.mibPerSecond)} MiB/s)`
const times = (x: number): string => `${x.toFixed(2)}×`
const pct = (x: number): string => `${round(100 * x, 1)} %`
const mib = (bytes: number): string => `${Math.round(bytes / MiB)} MiB`

/** All rows, in table order. */
export function tableRows (r: BenchResults): Row[] {
  return [
    ...(r.transfer === undefined ? [] : transferRows(r.transfer)),
    ...(r.import === undefined ? [] : importRows(r.import)),
    ...(r.memory === undefined ? [] : memoryRows(r.memory, r.transfer)),
    ...(r.scheduler === undefined ? [] : schedulerRows(r.scheduler)),
    ...(r.placement === undefined ? [] : placementRows(r.placement)),
    ...(r.multiHost === undefined ? [] : multiHostRows(r.multiHost)),
    ...(r.latency === undefined ? [] : latencyRows(r.latency)),
    ...(r.churn === undefined ? [] : churnRows(r.churn)),
    ...(r.distribute === undefined ? [] : distributeRows(r.distribute)),
    ...(r.tracker === undefined ? [] : trackerRows(r.tracker)),
    ...(r.dht === undefined ? [] : dhtRows(r.dht)),
    ...(r.dashboard === undefined ? [] : dashboardRows(r.dashboard)),
    ...Object.entries(r.errors).map(([section, message]): Row => ({ figure: section, measured: `ERROR: ${message}`, target: '', verdict: 'ERROR' }))
  ]
}

function transferRows (t: TransferBenchResult): Row[] {
  const size = formatSize(t.sizeBytes)
  return [
    info(`raw Node TLS copy, ${size}`, secs(t.tls)),
    info(`raw libp2p stream copy, ${size}`, `${secs(t.libp2p)} = ${times(t.ratios.libp2pVsTls)} TLS`),
    judged(`Shoal 1 seeder → 1, ${size}`, `${secs(t.oneSeeder)} = ${times(t.ratios.oneSeederVsTls)} TLS, ${times(t.ratios.oneSeederVsLibp2p)} libp2p`,
      `≤ ${times(TARGETS.transferVsTls)} TLS`, t.ratios.oneSeederVsTls <= TARGETS.transferVsTls),
    judged(`Shoal 3 seeders → 1, ${size}`, `${secs(t.threeSeeders)} = ${times(t.ratios.threeVsOne)} 1 seeder`,
      `≤ ${times(TARGETS.threeVsOne)} 1 seeder`, t.ratios.threeVsOne <= TARGETS.threeVsOne),
    info(`shoal get fixed cost (${formatSize(SMALL_FILE_BYTES)} file)`, `${(t.smallFile.medianMs / 1000).toFixed(2)} s, spawn to exit`),
    info(`Shoal 1 seeder less fixed cost, ${size}`, `${((t.oneSeeder.medianMs - t.smallFile.medianMs) / 1000).toFixed(2)} s = ${times(t.ratios.oneSeederNetVsTls)} TLS`)
  ]
}

function importRows (i: ImportBenchResult): Row[] {
  return [judged(`import: shoal share, ${formatSize(i.sizeBytes)}`,
    `${(i.share.medianMs / 1000).toFixed(2)} s vs openssl ${(i.openssl.medianMs / 1000).toFixed(2)} s = ${times(i.ratio)}`,
    `≤ ${times(TARGETS.importVsOpenssl)} openssl dgst -sha256`, i.ratio <= TARGETS.importVsOpenssl)]
}

function memoryRows (m: NonNullable<BenchResults['memory']>, t: TransferBenchResult | undefined): Row[] {
  const limit = `≤ ${mib(TARGETS.peakRssBytes)}`
  const three = t === undefined ? [] : t.threeSeeders.peakRssBytes
  const basePeak = Math.max(m.base.peakRssBytes, ...three)
  const runs = t === undefined || t.runs === 1 ? '1 run' : `max of ${t.runs} runs`
  const rows = [judged(`downloader peak RSS, ${formatSize(m.base.sizeBytes)}`,
    `${mib(m.base.peakRssBytes)} (1 seeder)${three.length > 0 ? `, ${mib(Math.max(...three))} (3 seeders)` : ''}, ${runs}`,
    limit, basePeak <= TARGETS.peakRssBytes)]
  if (m.large === undefined) return [...rows, info('downloader peak RSS, bigger file', 'skipped (--quick)')]
  const growth = round(m.large.peakRssBytes / m.base.peakRssBytes, 3)
  return [
    ...rows,
    judged(`downloader peak RSS, ${formatSize(m.large.sizeBytes)}`, `${mib(m.large.peakRssBytes)} (1 seeder, 1 run, ${(m.large.ms / 1000).toFixed(1)} s)`,
      limit, m.large.peakRssBytes <= TARGETS.peakRssBytes),
    judged(`peak RSS flat: ${formatSize(m.large.sizeBytes)} vs ${formatSize(m.base.sizeBytes)}`, times(growth), `≤ ${times(TARGETS.rssGrowth)}`, growth <= TARGETS.rssGrowth)
  ]
}

function schedulerRows (s: SchedulerSimResult): Row[] {
  const shares = s.threeSeeders.shares.map(x => `${pct(x.byteShare)} vs ${pct(x.bandwidthShare)}`).join(', ')
  const row = (figure: string, measured: string, target: string, pass: boolean): Row => judged(`scheduler sim: ${figure}`, measured, target, pass)
  return [
    row(s.threeSeeders.name, `aggregate ${pct(s.threeSeeders.aggregateRatio)}; bytes vs bandwidth ${shares}`, '≥ 85 % of sum; shares ± 10 pts', s.threeSeeders.pass),
    row(s.slowPeer.name, `${s.slowPeer.simMs} ms (last 1 %: ${s.slowPeer.tailMs} ms) vs ${s.slowPeer.fastOnlyMs} ms without (${s.slowPeer.fastOnlyTailMs} ms)`,
      'slow peer does not delay the end', s.slowPeer.pass),
    row(s.manyPeers.name, `aggregate ${pct(s.manyPeers.aggregateRatio)}; scheduler CPU ${round(100 * s.manyPeers.cpuRatio, 2)} % (${s.manyPeers.cpuMs} ms)`,
      '≥ 90 % of sum; CPU ≤ 1 %', s.manyPeers.pass)
  ]
}

function multiHostRows (m: MultiHostResult): Row[] {
  const row = (figure: string, measured: string, target: string, pass: boolean): Row => judged(`hosts: ${figure}`, measured, target, pass)
  const t = m.threeSeeders
  const sharesOk = t.shares.every(x => Math.abs(x.byteShare - x.bandwidthShare) <= TARGETS.shareTolerance)
  const shares = t.shares.map(x => `${pct(x.byteShare)} vs ${pct(x.bandwidthShare)}`).join(', ')
  const s = m.swarm
  const k = m.killedFrozen
  const g = m.allGone
  const e = m.endgame
  const runs = `median of ${m.runs}`
  return [
    row(`3 seeders at 10/30/60 Mbit/s (${runs})`, `aggregate ${t.aggregateMbit.toFixed(1)} Mbit/s = ${pct(t.ratio)} of sum; bytes vs bandwidth ${shares}`,
      `≥ ${pct(TARGETS.aggregateVsLinks)} of sum; shares ± ${TARGETS.shareTolerance * 100} pts`, t.ratio >= TARGETS.aggregateVsLinks && sharesOk),
    swarmRow(`1 seeder → 8 downloaders, 20 Mbit/s each, 48 MiB (${runs})`, s, TARGETS.swarmVsSingle),
    swarmRow(`1 seeder → 8 downloaders, 20 Mbit/s each, 24 MiB (${runs})`, m.swarmSmall, TARGETS.swarmVsSingleSmall),
    row('seeder killed + seeder frozen at 30 %', `done ${k.afterFaultSeconds.toFixed(1)} s after; survivor alone + one ${k.stallTimeoutMs / 1000} s deadline: ${k.boundSeconds.toFixed(1)} s`,
      '≤ survivor + one deadline', k.afterFaultSeconds <= k.boundSeconds),
    row('corrupt seeder', `file verified; bad peer ${m.corrupt.badPeerState}, credited ${m.corrupt.badPeerBytes} bytes`, 'banned', m.corrupt.badPeerState === 'banned'),
    row('all seeders gone at 50 %', `stalled after ${g.stalledAfterSeconds.toFixed(1)} s naming ${g.missingPeers}; resumed ${g.resumedAfterSeconds.toFixed(1)} s after a seeder returned, next chunk in at ${g.dataAfterSeconds.toFixed(1)} s`,
      `resumes within the ${g.resumeIntervalSeconds} s interval`, g.resumedAfterSeconds <= g.resumeIntervalSeconds),
    row('endgame: 1 Mbit/s peer among 3 × 30 Mbit/s', `${e.withSlowSeconds.toFixed(2)} s vs ${e.fastOnlySeconds.toFixed(2)} s without it`,
      'no later than without + last 1 %', e.withSlowSeconds <= e.fastOnlySeconds + e.fastLastPercentSeconds)
  ]
}

function swarmRow (figure: string, s: MultiHostResult['swarm'], target: number): Row {
  return judged(`hosts: ${figure}`, `${s.swarmSeconds.toFixed(1)} s vs ${s.singleSeconds.toFixed(1)} s alone = ${times(s.ratio)}; first done at ${(s.finishSeconds[0] ?? 0).toFixed(1)} s; ${pct(s.fromPeersShare)} of bytes from peers; seeder sent ${s.seederCopies.toFixed(2)} copies`,
    `≤ ${times(target)} one alone`, s.ratio <= target)
}

function trackerRows (t: TrackerBenchResult): Row[] {
  const phase = (p: PhaseResult): string => `${p.announcesPerSecond} announces/s, p50 ${p.p50Ms} ms, p99 ${p.p99Ms} ms, ${p.errors} errors`
  const state = t.persist ? 'SQLite' : 'memory'
  return [
    info(`tracker (${state}): register ${t.peers} peers`, phase(t.register)),
    info(`tracker (${state}): re-announce, ${t.reannounce.seconds} s`, phase(t.reannounce)),
    info(`tracker (${state}): memory per 10,000 peers`, `heap ${t.memoryPer10kPeers.heapMiB} MiB, RSS ${t.memoryPer10kPeers.rssMiB} MiB (${t.filesPerPeer} files each)`)
  ]
}
