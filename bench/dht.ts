/**
 * DHT benchmark: how long it takes to find a provider, and how many DHT
 * queries that costs, in swarms of N = 25, 50 and 100 nodes. Kademlia
 * promises O(log N) lookups; the figure to check is how the query count grows
 * from the smallest swarm to the largest (log2(100)/log2(25) ≈ 1.43 for log N,
 * 4 for linear).
 *
 * Model: for each N, N in-process libp2p nodes built by Shoal's own factory
 * (`createShoalLibp2p`: TCP on 127.0.0.1, TLS/Noise, yamux, kad-dht under
 * `/shoal/kad/1.0.0` with the passthrough mapper). Node i bootstraps to up to
 * three random earlier nodes, so the swarm is connected but not a clique.
 * Every node then does a self-lookup (Kademlia's join step) and we wait,
 * bounded, until every routing table holds min(k = 20, N - 1) peers.
 *
 * Each lookup: a random node provides a fresh CID; the searcher is a random
 * node that did NOT receive the provider record (otherwise it answers from
 * its own store with zero queries, which measures nothing). From the searcher
 * we time `findProviders` until the event naming the provider, counting:
 * - queries: SEND_QUERY events (including ones still in flight);
 * - peers contacted: distinct peers queried;
 * - hops: the depth of the peer that answered, where peers from the
 *   searcher's routing table are depth 1 and a peer first learnt from a
 *   depth-d peer's "closer peers" is depth d + 1.
 * Then, from the same searcher, a full `getClosestPeers(cid)` counts the
 * queries of a complete lookup (which record replication cannot cut short).
 *
 * Run: `npx tsx bench/dht.ts [--sizes 25,50,100] [--lookups 10]`.
 */
import '../src/polyfill.js'
import { randomBytes } from 'node:crypto'
import { setMaxListeners } from 'node:events'
import { performance } from 'node:perf_hooks'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { KadDHT, QueryEvent, SingleKadDHT } from '@libp2p/kad-dht'
import type { PeerId } from '@libp2p/interface'
import { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'
import { ShoalError } from '../src/errors.js'
import { createShoalLibp2p } from '../src/net/create-libp2p.js'
import { median, round } from './lib/stats.js'

/** Options of {@link runDhtBench}. */
export interface DhtBenchOptions {
  /** Swarm sizes, ascending; default [25, 50, 100]. */
  sizes?: number[]
  /** Lookups per size; default 10. */
  lookups?: number
  signal?: AbortSignal
}

/** Medians of one swarm size. */
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
  /** Nodes that acknowledged the provider record (k = 20 at most). */
  medianRecordHolders: number
  /** Median routing-table size when lookups began. */
  medianRoutingTable: number
  lookups: number
  failures: number
  /** Why lookups failed: error code (or name) and message, with counts. */
  failureReasons: Record<string, number>
}

/** What the benchmark measured. */
export interface DhtBenchResult {
  sizes: DhtSizeResult[]
  growth: {
    /** medianQueries at the largest size over the smallest (100 over 25 by default). */
    queries100over25: number
    /** The same ratio for complete lookups. */
    fullLookup100over25: number
    /** log2(largest)/log2(smallest): what log N growth predicts. */
    log2Ratio: number
    /** largest/smallest: what linear growth predicts. */
    linearRatio: number
  }
}

type DhtNode = Awaited<ReturnType<typeof createShoalLibp2p>>

interface LookupSample { findMs: number, queries: number, peersContacted: number, hops: number, fullLookupQueries: number, holders: number }

const DEFAULT_SIZES = [25, 50, 100]
const DEFAULT_LOOKUPS = 10
const DHT_PROTOCOL = '/shoal/kad/1.0.0'
const BOOTSTRAP_PEERS = 3
/** kad-dht's k: a full routing table for our swarm sizes. */
const K_BUCKET_SIZE = 20
const SETTLE_TIMEOUT_MS = 30_000
const SETTLE_POLL_MS = 200
const PROVIDE_TIMEOUT_MS = 10_000
const FIND_TIMEOUT_MS = 10_000
const STOP_TIMEOUT_MS = 5_000
/** dag-cbor: the codec of Shoal's manifest CIDs. */
const DAG_CBOR = 0x71

function dhtOf (node: DhtNode): KadDHT {
  const dht = node.services.dht
  if (dht === undefined) throw new ShoalError('ERR_INTERNAL', 'node built without a DHT')
  return dht
}

function routingTableSize (node: DhtNode): number {
  // The runtime service is a single (non-dual) DHT, which exposes its table.
  return (dhtOf(node) as SingleKadDHT).routingTable.size
}

function pick<T> (items: readonly T[]): T {
  return items[Math.floor(Math.random() * items.length)]!
}

function withTimeout (signal: AbortSignal | undefined, ms: number): AbortSignal {
  const timeout = AbortSignal.timeout(ms)
  return signal === undefined ? timeout : AbortSignal.any([signal, timeout])
}

async function sleep (ms: number): Promise<void> {
  await new Promise<void>(resolve => { setTimeout(resolve, ms).unref() })
}

/** Starts `n` nodes, each bootstrapped to a few random earlier ones. */
async function startSwarm (n: number, nodes: DhtNode[]): Promise<void> {
  for (let i = 0; i < n; i++) {
    const earlier = [...nodes].sort(() => Math.random() - 0.5).slice(0, BOOTSTRAP_PEERS)
    const node = await createShoalLibp2p({
      privateKey: await generateKeyPair('Ed25519'),
      listen: ['/ip4/127.0.0.1/tcp/0'],
      maxConnections: 300,
      dhtProtocol: DHT_PROTOCOL,
      mdns: false,
      bootstrap: earlier.map(peer => peer.getMultiaddrs()[0]!.toString())
    })
    // Pushed before start so a failed start is still stopped by the caller.
    nodes.push(node)
    await node.start()
  }
}

async function drain (events: AsyncIterable<QueryEvent>): Promise<void> {
  for await (const _ of events) { /* the query runs as it is consumed */ }
}

/** Kademlia join (a lookup of one's own ID) on every node, then a wait for full tables; bounded as a whole. */
async function settle (nodes: DhtNode[], signal?: AbortSignal): Promise<void> {
  const target = Math.min(K_BUCKET_SIZE, nodes.length - 1)
  const deadline = Date.now() + SETTLE_TIMEOUT_MS
  const bounded = withTimeout(signal, SETTLE_TIMEOUT_MS)
  // One listener per node's self-lookup, by design.
  setMaxListeners(nodes.length + 10, bounded)
  // Bootstrap dials after its own 1 s delay; a self-lookup with an empty table finds nothing.
  while (nodes.some(node => routingTableSize(node) === 0) && Date.now() < deadline) await sleep(SETTLE_POLL_MS)
  await Promise.all(nodes.map(async node => {
    await drain(dhtOf(node).getClosestPeers(node.peerId.toMultihash().bytes, { signal: bounded }))
      .catch(() => { /* a slow join is tolerated: the tables are what counts */ })
  }))
  while (nodes.some(node => routingTableSize(node) < target) && Date.now() < deadline) await sleep(SETTLE_POLL_MS)
  signal?.throwIfAborted()
}

/** Provides `cid` from `provider`; returns the peers that acknowledged the record. */
async function provide (provider: DhtNode, cid: CID, signal?: AbortSignal): Promise<PeerId[]> {
  const holders: PeerId[] = []
  for await (const event of dhtOf(provider).provide(cid, { signal: withTimeout(signal, PROVIDE_TIMEOUT_MS) })) {
    if (event.name === 'PEER_RESPONSE' && event.messageName === 'ADD_PROVIDER') holders.push(event.from)
  }
  return holders
}

/** Times `findProviders` from `searcher` until `providerId` is named. */
async function findProvider (searcher: DhtNode, cid: CID, providerId: PeerId, signal?: AbortSignal):
Promise<Omit<LookupSample, 'fullLookupQueries' | 'holders'>> {
  const depth = new Map<string, number>()
  const contacted = new Set<string>()
  let queries = 0
  const started = performance.now()
  for await (const event of dhtOf(searcher).findProviders(cid, { signal: withTimeout(signal, FIND_TIMEOUT_MS) })) {
    if (event.name === 'SEND_QUERY') {
      queries++
      const to = event.to.toString()
      contacted.add(to)
      if (!depth.has(to)) depth.set(to, 1)
    } else if (event.name === 'PEER_RESPONSE') {
      const next = (depth.get(event.from.toString()) ?? 0) + 1
      for (const peer of event.closer) if (!depth.has(peer.id.toString())) depth.set(peer.id.toString(), next)
    } else if (event.name === 'PROVIDER' && event.providers.some(p => p.id.equals(providerId))) {
      const findMs = performance.now() - started
      // Breaking out of the loop aborts the rest of the query.
      return { findMs, queries, peersContacted: contacted.size, hops: depth.get(event.from.toString()) ?? 0 }
    }
  }
  throw new ShoalError('ERR_NO_PROVIDERS', 'lookup ended without finding the provider', { cid: cid.toString() })
}

/** Counts the queries of a complete closest-peers lookup for `cid`. */
async function fullLookupQueries (searcher: DhtNode, cid: CID, signal?: AbortSignal): Promise<number> {
  let queries = 0
  for await (const event of dhtOf(searcher).getClosestPeers(cid.multihash.bytes, { signal: withTimeout(signal, FIND_TIMEOUT_MS) })) {
    if (event.name === 'SEND_QUERY') queries++
  }
  return queries
}

/** Names the lookup phase a failure came from, for the report. */
async function inPhase<T> (phase: string, work: Promise<T>): Promise<T> {
  try {
    return await work
  } catch (err) {
    throw new ShoalError('ERR_INTERNAL', `${phase}: ${describeError(err)}`, { phase }, { cause: err })
  }
}

async function lookupOnce (nodes: DhtNode[], signal?: AbortSignal): Promise<LookupSample> {
  const cid = CID.create(1, DAG_CBOR, await sha256.digest(randomBytes(32)))
  const provider = pick(nodes)
  const holders = await inPhase('provide', provide(provider, cid, signal))
  const others = nodes.filter(node => node !== provider)
  const far = others.filter(node => !holders.some(h => h.equals(node.peerId)))
  const searcher = pick(far.length > 0 ? far : others)
  const found = await inPhase('find', findProvider(searcher, cid, provider.peerId, signal))
  const full = await inPhase('full lookup', fullLookupQueries(searcher, cid, signal))
  return { ...found, fullLookupQueries: full, holders: holders.length }
}

function describeError (err: unknown): string {
  const e = err as { name?: string, message?: string }
  return `${e.name ?? 'Error'}: ${e.message ?? String(err)}`
}

async function stopAll (nodes: DhtNode[]): Promise<void> {
  await Promise.all(nodes.map(async node => {
    await Promise.race([node.stop().catch(() => {}), sleep(STOP_TIMEOUT_MS)])
  }))
}

async function benchSize (n: number, lookups: number, signal?: AbortSignal): Promise<DhtSizeResult> {
  const nodes: DhtNode[] = []
  try {
    await startSwarm(n, nodes)
    await settle(nodes, signal)
    const tables = nodes.map(routingTableSize)
    const samples: LookupSample[] = []
    const failureReasons: Record<string, number> = {}
    for (let i = 0; i < lookups; i++) {
      signal?.throwIfAborted()
      try {
        samples.push(await lookupOnce(nodes, signal))
      } catch (err) {
        if (signal?.aborted === true) throw err
        const reason = describeError(err)
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
      medianRoutingTable: median(tables),
      lookups: samples.length,
      failures: lookups - samples.length,
      failureReasons
    }
  } finally {
    await stopAll(nodes)
  }
}

/** Measures provider lookups in swarms of each size; nodes are stopped after each size. */
export async function runDhtBench (opts: DhtBenchOptions = {}): Promise<DhtBenchResult> {
  const sizes = opts.sizes ?? DEFAULT_SIZES
  const lookups = opts.lookups ?? DEFAULT_LOOKUPS
  if (sizes.length === 0 || sizes.some(n => !Number.isInteger(n) || n < 2)) {
    throw new ShoalError('ERR_INVALID_ARGUMENT', 'sizes must be integers of at least 2', { sizes })
  }
  if (!Number.isInteger(lookups) || lookups < 1) throw new ShoalError('ERR_INVALID_ARGUMENT', 'lookups must be a positive integer', { lookups })
  const results: DhtSizeResult[] = []
  for (const n of sizes) results.push(await benchSize(n, lookups, opts.signal))
  const first = results[0]!
  const last = results[results.length - 1]!
  return {
    sizes: results,
    growth: {
      queries100over25: round(last.medianQueries / first.medianQueries, 3),
      fullLookup100over25: round(last.medianFullLookupQueries / first.medianFullLookupQueries, 3),
      log2Ratio: round(Math.log2(last.n) / Math.log2(first.n), 3),
      linearRatio: round(last.n / first.n, 3)
    }
  }
}

function printTable (result: DhtBenchResult): void {
  const header = ['N', 'find ms', 'queries', 'peers', 'hops', 'full lookup q', 'holders', 'rt size', 'ok', 'failed']
  const rows = result.sizes.map(s => [s.n, s.medianFindMs, s.medianQueries, s.medianPeersContacted, s.medianHops,
    s.medianFullLookupQueries, s.medianRecordHolders, s.medianRoutingTable, s.lookups, s.failures].map(String))
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map(r => r[i]!.length)))
  for (const r of [header, ...rows]) console.log(r.map((c, i) => c.padStart(widths[i]!)).join('  '))
  const g = result.growth
  console.log(`growth largest/smallest: queries ×${g.queries100over25}, full lookup ×${g.fullLookup100over25}; ` +
    `log N predicts ×${g.log2Ratio}, linear ×${g.linearRatio}`)
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({ options: { sizes: { type: 'string' }, lookups: { type: 'string' } } })
  const result = await runDhtBench({
    ...(values.sizes !== undefined ? { sizes: values.sizes.split(',').map(Number) } : {}),
    ...(values.lookups !== undefined ? { lookups: Number(values.lookups) } : {})
  })
  printTable(result)
  console.log(JSON.stringify(result, null, 2))
  // A node whose stop() lost the race above may still hold sockets.
  process.exit(0)
}
