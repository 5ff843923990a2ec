/** The placement simulation's rows (distribution issue: weighted shares, churn, repair plan). */
import { judged, info, type Row } from './report.js'
import { round } from './stats.js'
import type { PlacementSimBenchResult } from '../placement-sim.js'

const pct = (x: number): string => `${round(100 * x, 1)} %`

/** Shares within ±5 % of capacity, a leave or join moving ≤ 1.1 × the peer's own copies, and the repair plan's spread. */
export function placementRows (p: PlacementSimBenchResult): Row[] {
  const scale = `${p.peers} peers, ${p.chunks} chunks × ${p.replicas}`
  return [
    judged(`placement sim: weighted shares, ${scale}`, `largest bin error ${pct(p.shares.binErrorMax)} (median ${pct(p.shares.binErrorMedian)}); worst peer ${round(p.shares.peerZMax, 2)} σ`,
      'bins within ± 5 % of capacity share', p.shares.ok),
    judged('placement sim: one peer leaves', `${p.leave.moved} copies moved for ${p.leave.own} held = ${round(p.leave.movedRatio, 3)}×; ${p.leave.movedElsewhere} elsewhere`,
      '≤ 1.1 × its own, nothing else', p.leave.ok),
    judged('placement sim: one peer joins', `${p.join.moved} copies moved for ${p.join.own} gained = ${round(p.join.movedRatio, 3)}×; ${p.join.movedElsewhere} elsewhere`,
      '≤ 1.1 × what it gains, nothing else', p.join.ok),
    info('placement sim: repair plan, 5 hosts, one lost', `${p.repair.orders} copy orders over ${p.repair.senders} senders; planned time ${round(p.repair.plannedOverIdeal, 2)}× the ideal (bytes ÷ survivors' uplink)`)
  ]
}
