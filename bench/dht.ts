/**
 * DHT benchmark: how long it takes to find a provider, and how many DHT
 * queries that costs, in swarms of N = 25, 50 and 100 nodes. Kademlia
 * promises O(log N) lookups; the figure to check is how the query count grows
 * from the smallest swarm to the largest (log2(100)/log2(25) ≈ 1.43 for log N,
 * 4 for linear).
 *
 * Model: for each N, N libp2p nodes built by Shoal's own factory, talking
 * over real TCP on 127.0.0.1, in host processes of at most 25 nodes, joined a
 * few at a time and refreshed until their routing tables hold k = 20 peers or
 * the refresh rounds run out (`lib/dht-swarm.ts` says why). Between
 * operations each node closes its idle connections beyond 32 (its 20 closest
 * peers kept; `lib/dht-host.ts` says why), so from N = 50 on, lookups dial
 * some of the peers they query, as they would in a real swarm, and find
 * times include those handshakes. The routing tables' sizes when lookups
 * begin are reported with the lookups.
 *
 * Each lookup: a random node provides a fresh CID; the searcher is a random
 * node that was not sent the provider record (otherwise it answers from its
 * own store with zero queries, which measures nothing; a searcher that does
 * answer from its own store counts as a failed lookup). In the searcher's
 * process we time `findProviders` until the event naming the provider,
 * counting:
 * - queries: SEND_QUERY events, i.e. requests sent (kad-dht sends one once
 *   the stream is open, so queries still dialing are not counted; answered
 *   or not, in flight ones are);
 * - peers contacted: distinct peers queried;
 * - hops: the depth of the peer that answered, where peers from the
 *   searcher's routing table are depth 1 and a peer first learnt from a
 *   depth-d peer's "closer peers" is depth d + 1.
 * Then, from the same searcher, a full `getClosestPeers(cid)` counts the
 * queries of a complete lookup (which record replication cannot cut short).
 * A lookup that fails is counted, with its reason, never dropped.
 *
 * Sizes must be at least k + 2 = 22: in smaller swarms every node is sent
 * the record and no searcher is left that lacks it.
 *
 * Run: `npx tsx bench/dht.ts [--sizes 25,50,100] [--lookups 10]`.
 */
import { randomBytes } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'
import { ShoalError } from '../src/errors.js'
import { K_BUCKET_SIZE, startDhtSwarm, type DhtSwarm, type FindSample, type SwarmNode } from './lib/dht-swarm.js'
import { median, round } from './lib/stats.js'

/** Options of {@link runDhtBench}. */
export interface DhtBenchOptions {
  /** Swarm sizes, ascending, each at least {@link MIN_DHT_SIZE}; default [25, 50, 100]. */
  sizes?: number[]
  /** Lookups per size; default 10. */
  lookups?: number
  /** Progress lines (joining takes a while). */
  log?: (line: string) => void
  signal?: AbortSignal
}

/** Medians of one swarm size; lookup figures are NaN when every lookup failed. */
export interface DhtSizeResult {
  n: number
  medianFindMs: number
  /** DHT queries sent by the searcher until the provider was found. */
  medianQueries: number
  medianPeersContacted: number
  /** Depth of the peer that returned the provider (see the module header). */
  medianHops: number
  /** Queries of a complete `getClosestPeers` lookup for the same key. */
  medianFullLookupQueries: number
  /** Nodes the provider record was sent to (k = 20 at most). */
  medianRecordHolders: number
  /** Routing-table sizes when lookups began. */
  routingTable: { min: number, median: number, max: number }
  /** Starting and joining the swarm, refresh rounds included. */
  joinMs: number
  refreshRounds: number
  lookups: number
  failures: number
  /** Why lookups failed: phase, error name and message, with counts. */
  failureReasons: Record<string, number>
}

/** What the benchmark measured. */
export interface DhtBenchResult {
  sizes: DhtSizeResult[]
  lookupsPerSize: number
  growth: {
    /** medianQueries at the largest size over the smallest. */
    queries: number
    /** The same ratio for complete lookups. */
    fullLookup: number
    /** log2(largest)/log2(smallest): what log N growth predicts. */
    log2Ratio: number
    /** largest/smallest: what linear growth predicts. */
    linearRatio: number
  }
  /** The whole run, swarms included. */
  totalMs: number
}

interface LookupSample extends FindSample { fullLookupQueries: number, holders: number }

/** Smallest swarm with a node left that is not sent the record: the provider, its k record holders, a searcher. */
export const MIN_DHT_SIZE = K_BUCKET_SIZE + 2
const DEFAULT_SIZES = [25, 50, 100]
const DEFAULT_LOOKUPS = 10
/** dag-cbor: the codec of Shoal's manifest CIDs. */
const DAG_CBOR = 0x71

function pick<T> (items: readonly T[]): T {
  return items[Math.floor(Math.random() * items.length)]!
}

/** Names the lookup phase a failure came from, for the report. */
async function inPhase<T> (phase: string, work: Promise<T>): Promise<T> {
  try {
    return await work
  } catch (err) {
    const e = err as { name?: string, message?: string }
    throw new ShoalError('ERR_INTERNAL', `${phase}: ${e.name ?? 'Error'}: ${e.message ?? String(err)}`, { phase }, { cause: err })
  }
}

/** One provide, then find and full lookup from a node that was not sent the record. */
async function lookupOnce (swarm: DhtSwarm): Promise<LookupSample> {
  const cid = CID.create(1, DAG_CBOR, await sha256.digest(randomBytes(32))).toString()
  const provider = pick(swarm.nodes)
  await swarm.reap()
  const holders = await inPhase('provide', swarm.call(provider.host, 'provide', provider.index, cid))
  const far = swarm.nodes.filter(node => node !== provider && !holders.includes(node.peerId))
  const searcher: SwarmNode = pick(far)
  await swarm.reap()
  const found = await inPhase('find', swarm.call(searcher.host, 'find', searcher.index, cid, provider.peerId))
  const full = await inPhase('full lookup', swarm.call(searcher.host, 'fullLookup', searcher.index, cid))
  return { ...found, fullLookupQueries: full, holders: holders.length }
}

async function benchSize (n: number, lookups: number, opts: DhtBenchOptions): Promise<DhtSizeResult> {
  const { signal, log } = opts
  let swarm: DhtSwarm | undefined
  try {
    const joined = await startDhtSwarm(n, s => { swarm = s }, { signal, log })
    const tables = (await joined.swarm.stats()).map(s => s.tableSize)
    log?.(`dht: N=${n} joined in ${(joined.joinMs / 1000).toFixed(1)} s, routing tables ${Math.min(...tables)}–${Math.max(...tables)} peers`)
    const samples: LookupSample[] = []
    const failureReasons: Record<string, number> = {}
    for (let i = 0; i < lookups; i++) {
      signal?.throwIfAborted()
      try {
        samples.push(await lookupOnce(joined.swarm))
      } catch (err) {
        if (signal?.aborted === true) throw err
        const reason = (err as Error).message
        failureReasons[reason] = (failureReasons[reason] ?? 0) + 1
      }
    }
    const med = (f: (s: LookupSample) => number): number => samples.length === 0 ? NaN : round(median(samples.map(f)), 1)
    return {
      n,
      medianFindMs: med(s => s.findMs),
      medianQueries: med(s => s.queries),
      medianPeersContacted: med(s => s.peersContacted),
      medianHops: med(s => s.hops),
      medianFullLookupQueries: med(s => s.fullLookupQueries),
      medianRecordHolders: med(s => s.holders),
      routingTable: { min: Math.min(...tables), median: median(tables), max: Math.max(...tables) },
      joinMs: joined.joinMs,
      refreshRounds: joined.refreshRounds,
      lookups: samples.length,
      failures: lookups - samples.length,
      failureReasons
    }
  } finally {
    await swarm?.stop()
  }
}

/** Measures provider lookups in swarms of each size; each swarm is stopped before the next starts. */
export async function runDhtBench (opts: DhtBenchOptions = {}): Promise<DhtBenchResult> {
  const sizes = opts.sizes ?? DEFAULT_SIZES
  const lookups = opts.lookups ?? DEFAULT_LOOKUPS
  if (sizes.length === 0 || sizes.some(n => !Number.isInteger(n) || n < MIN_DHT_SIZE)) {
    throw new ShoalError('ERR_INVALID_ARGUMENT', `sizes must be integers of at least ${MIN_DHT_SIZE}`, { sizes })
  }
  if (!Number.isInteger(lookups) || lookups < 1) throw new ShoalError('ERR_INVALID_ARGUMENT', 'lookups must be a positive integer', { lookups })
  const started = performance.now()
  const results: DhtSizeResult[] = []
  for (const n of sizes) results.push(await benchSize(n, lookups, opts))
  const first = results[0]!
  const last = results[results.length - 1]!
  return {
    sizes: results,
    lookupsPerSize: lookups,
    growth: {
      queries: round(last.medianQueries / first.medianQueries, 3),
      fullLookup: round(last.medianFullLookupQueries / first.medianFullLookupQueries, 3),
      log2Ratio: round(Math.log2(last.n) / Math.log2(first.n), 3),
      linearRatio: round(last.n / first.n, 3)
    },
    totalMs: Math.round(performance.now() - started)
  }
}

function printTable (result: DhtBenchResult): void {
  const header = ['N', 'find ms', 'queries', 'peers', 'hops', 'full lookup q', 'holders', 'rt min/med/max', 'join s', 'ok', 'failed']
  const rows = result.sizes.map(s => [s.n, s.medianFindMs, s.medianQueries, s.medianPeersContacted, s.medianHops,
    s.medianFullLookupQueries, s.medianRecordHolders, `${s.routingTable.min}/${s.routingTable.median}/${s.routingTable.max}`,
    (s.joinMs / 1000).toFixed(1), s.lookups, s.failures].map(String))
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map(r => r[i]!.length)))
  for (const r of [header, ...rows]) console.log(r.map((c, i) => c.padStart(widths[i]!)).join('  '))
  const g = result.growth
  console.log(`growth largest/smallest: queries ×${g.queries}, full lookup ×${g.fullLookup}; ` +
    `log N predicts ×${g.log2Ratio}, linear ×${g.linearRatio}; total ${(result.totalMs / 1000).toFixed(1)} s`)
  for (const s of result.sizes) {
    for (const [reason, count] of Object.entries(s.failureReasons)) console.log(`N=${s.n}: ${count} failed: ${reason}`)
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({ options: { sizes: { type: 'string' }, lookups: { type: 'string' } } })
  const result = await runDhtBench({
    ...(values.sizes !== undefined ? { sizes: values.sizes.split(',').map(Number) } : {}),
    ...(values.lookups !== undefined ? { lookups: Number(values.lookups) } : {}),
    log: line => { process.stderr.write(`${line}\n`) }
  })
  printTable(result)
  console.log(JSON.stringify(result, null, 2))
}
