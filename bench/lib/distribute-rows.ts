/**
 * The distribute section's rows of the bench table (`bench/distribute.ts`
 * measures), against the issue's targets: pushing 3 replicas takes ≤ 1.2 ×
 * the time of one copy when the uploader's uplink is the bottleneck, and a
 * repair takes ≤ 1.3 × the bytes to re-copy ÷ the survivors' aggregate
 * uplink. The placement simulation's figures are the `placement` section's
 * rows (placement-rows.ts); a row here points at them.
 */
import type { DistributeBenchResult } from '../distribute.js'
import { info, judged, type Row } from './report.js'
import { MiB, formatSize, round } from './stats.js'

/** The issue's targets for distribution. */
export const DISTRIBUTE_TARGETS = {
  /** Push time for 3 replicas ÷ push time for one copy. */
  threeReplicasVsOne: 1.2,
  /** Repair time ÷ (bytes to re-copy ÷ survivors' aggregate uplink). */
  repairVsIdeal: 1.3
} as const

const s = (seconds: number): string => `${seconds.toFixed(1)} s`
const times = (x: number): string => `${x.toFixed(2)}×`

/** The distribute rows of the bench table. */
export function distributeRows (d: DistributeBenchResult): Row[] {
  const p = d.push
  const r = d.repair
  const size = formatSize(d.fileBytes)
  const setting = `uploader ${d.uploaderMbit} Mbit/s, others ${d.othersMbit}`
  const fixed = p.plainShareMs.length === 0 ? 0 : [...p.plainShareMs].sort((a, b) => a - b)[p.plainShareMs.length >> 1]! / 1000
  const sources = r.sources.map(x => `${x.host} ${round(x.bytes / MiB, 0)} MiB`).join(', ')
  const failed = p.failures.map(f => `--replicas ${f.replicas} failed in round ${f.round + 1}: ${f.error}`)
  const pushed = (n: number): string => `${(p.distributeMs[n] ?? []).length} of ${d.runs}`
  return [
    judged(`distribute: push 3 replicas vs 1, ${size}, ${setting} (median of ${d.runs})`,
      `${s(p.pushSeconds[3] ?? NaN)} vs ${s(p.pushSeconds[1] ?? NaN)} = ${times(p.ratio)} (${p.strategy}; each less a plain share, ${s(fixed)}; pushed ${pushed(3)} and ${pushed(1)})${failed.length === 0 ? '' : `; ${failed.join('; ')}`}`,
      `≤ ${times(DISTRIBUTE_TARGETS.threeReplicasVsOne)} one copy`, failed.length === 0 && p.ratio <= DISTRIBUTE_TARGETS.threeReplicasVsOne),
    info('distribute: one copy through the uploader', `${round(p.oneCopyMbit, 1)} Mbit/s of payload on its ${d.uploaderMbit} Mbit/s cap (${round(100 * p.oneCopyMbit / d.uploaderMbit, 1)} %)`),
    judged(`distribute: repair, one holder of ${r.replicas}-replica ${size} lost (median of ${d.repairRuns})`,
      `${r.lostCopies} copies (${formatSize(r.bytesToCopy)}) in ${s(r.decisionToDoneSeconds)} from decision to done vs ${s(r.idealSeconds)} at the ${r.sources.length} survivors' ${round(r.aggregateMbit, 0)} Mbit/s = ${times(r.ratio)}`,
      `≤ ${times(DISTRIBUTE_TARGETS.repairVsIdeal)} bytes ÷ survivors' uplink`, d.repairFailures.length === 0 && r.ratio <= DISTRIBUTE_TARGETS.repairVsIdeal),
    ...d.repairFailures.map(e => info('distribute: repair run failed', e)),
    info('distribute: repair, around it', `kill → whole map ${s(r.killToMapSeconds)} (delay ${r.repairDelaySeconds} s); ${r.deciders} survivors decided, ${r.finishers} finished; sources ${sources}: busiest alone needs ${s(r.sourceFloorSeconds)} = ${times(r.sourceFloorSeconds / r.idealSeconds)} ideal`),
    info('distribute: placement (weighted shares, churn, repair plan)', 'see the "placement sim" rows (section placement)')
  ]
}
