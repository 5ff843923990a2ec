/**
 * The churn section's rows of the bench table (`bench/churn.ts` measures):
 * downloads finished and verified (all must), restarts survived with no exit
 * we did not cause, bytes received beyond the file sizes (a figure, no
 * target: it includes endgame duplicates, which a swarm has without churn
 * too), and the peak RSS of any node process against the test's bound.
 */
import { SOAK_RSS_BOUND_BYTES, type ChurnFigures } from '../../test/helpers/churn-soak.js'
import { info, judged, type Row } from './report.js'
import { MiB, round } from './stats.js'

const mib = (bytes: number): string => `${round(bytes / MiB, 1)} MiB`

/** The churn rows of the bench table. */
export function churnRows (f: ChurnFigures): Row[] {
  const row = (figure: string, measured: string, target: string, pass: boolean): Row => judged(`churn ${f.churnSeconds >= 60 ? `${round(f.churnSeconds / 60, 1)} min` : `${f.churnSeconds} s`}: ${figure}`, measured, target, pass)
  const kills = f.kills.seeder + f.kills.get + f.kills.node
  const clean = f.unexpected.length === 0 && f.crashes.length === 0
  const warnings = Object.entries(f.warnings).map(([w, n]) => `${n}× ${w}`).join('; ')
  return [
    row('downloads finished', `${f.downloadsFinished} finished, ${f.downloadsVerified} verified, ${f.unfinished.length} unfinished; ${f.interrupted} interrupted, ${f.interruptedFinished} of them finished (${f.resumedWithBytes} resumed from kept chunks; ${f.autoResumed} resumed by a restarted node by itself); last done ${f.finishSeconds.toFixed(0)} s after churn`,
      'all finish, all verify', f.unfinished.length === 0 && f.corrupt.length === 0 && f.downloadsVerified === f.downloadsFinished && f.interruptedFinished === f.interrupted),
    row('restarts survived', `${f.restartsSurvived} of ${kills} kills (${f.kills.seeder} seeders, ${f.kills.get} gets, ${f.kills.node} downloader nodes); ${f.unexpected.length} unexpected exits, ${f.crashes.length} crashes (seed ${f.seed})`,
      'all; no exit we did not cause', clean && f.restartsSurvived === kills),
    info('bytes re-fetched', `${mib(f.refetchedBytes)} received beyond ${mib(f.deliveredBytes)} delivered over the network (${round(100 * f.refetchedBytes / Math.max(1, f.deliveredBytes), 1)} %); ${mib(f.copiedLocallyBytes)} copied from copies the node already held`),
    row('peak RSS of any node', `${mib(f.peakRssBytes)} (${f.peakRssProcess}); seeders ${mib(f.peakRssByKind.seeder)}, gets ${mib(f.peakRssByKind.get)}, downloader nodes ${mib(f.peakRssByKind.node)}`,
      `≤ ${mib(SOAK_RSS_BOUND_BYTES)}`, f.peakRssBytes <= SOAK_RSS_BOUND_BYTES),
    ...(warnings === '' ? [] : [info('Node warnings on stderr', warnings)])
  ]
}
