/**
 * The DHT section's rows of the bench table (`bench/dht.ts` measures): one
 * row per swarm size, then two judged rows: the lookup cost grows clearly
 * sublinearly with N (the issue: "roughly with log N, not N"), and every
 * lookup found its provider.
 */
import type { DhtBenchResult, DhtSizeResult } from '../dht.js'
import { info, judged, type Row } from './report.js'
import { round } from './stats.js'

/**
 * The most a lookup's cost may grow from the smallest swarm to the largest:
 * the square root of the size ratio, i.e. cost growing no faster than √N.
 * For 25 → 100 that is 2× (log N predicts 1.43×, linear 4×); for the quick
 * run's 25 → 50, 1.41× (log N 1.22×, linear 2×), so a linear cost fails at
 * any sizes. Both counts are judged: queries until the provider was found
 * (cut short by the record's 20 replicas) and queries of a complete lookup
 * for the same key (which nothing cuts short, so the stricter figure).
 */
export function dhtGrowthLimit (r: DhtBenchResult): number {
  return round(Math.sqrt(r.growth.linearRatio), 2)
}

function sizeRow (s: DhtSizeResult): Row {
  const table = `routing tables median ${s.routingTable.median} (${s.routingTable.min}–${s.routingTable.max})`
  const lookups = s.lookups === 0
    ? 'no lookup succeeded'
    : `median of ${s.lookups}: find ${s.medianFindMs} ms, ${s.medianQueries} queries to ${s.medianPeersContacted} peers, ${s.medianHops} hop${s.medianHops === 1 ? '' : 's'}; full lookup ${s.medianFullLookupQueries} queries`
  return info(`DHT N=${s.n}: find a provider`, `${lookups}; ${table}; joined in ${Math.round(s.joinMs / 1000)} s`)
}

/** The DHT rows, in table order. */
export function dhtRows (r: DhtBenchResult): Row[] {
  const first = r.sizes[0]!
  const last = r.sizes[r.sizes.length - 1]!
  const g = r.growth
  const limit = dhtGrowthLimit(r)
  const failures = r.sizes.flatMap(s => Object.entries(s.failureReasons).map(([reason, count]) => `N=${s.n}: ${count}× ${reason}`))
  const total = r.sizes.length * r.lookupsPerSize
  const ok = r.sizes.reduce((sum, s) => sum + s.lookups, 0)
  return [
    ...r.sizes.map(sizeRow),
    // NaN (every lookup at a size failed) fails the comparison, as it should.
    judged(`DHT lookup cost growth, N=${first.n} → ${last.n}`,
      `queries ×${g.queries}, full lookup ×${g.fullLookup} (log N predicts ×${g.log2Ratio}, linear ×${g.linearRatio})`,
      `≤ ${limit}× (sublinear)`, g.queries <= limit && g.fullLookup <= limit),
    judged('DHT lookups that found the provider', `${ok}/${total}${failures.length > 0 ? ` (${failures.join('; ')})` : ''}`, 'all', ok === total)
  ]
}
