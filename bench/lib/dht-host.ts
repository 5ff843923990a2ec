/**
 * One process of the DHT benchmark's swarm (forked by `dht-swarm.ts` with
 * `--dht-host`): it hosts a share of the swarm's libp2p nodes, built by
 * Shoal's own factory (`createShoalLibp2p`: TCP on 127.0.0.1, TLS/Noise,
 * yamux, kad-dht with the passthrough mapper), and does what the bench
 * process asks over the IPC channel: start nodes, join them, look up,
 * provide, find, report routing tables. See `dht-swarm.ts` for why.
 *
 * Lookups are timed here, next to the node, so the IPC hop is not counted.
 */
import '../../src/polyfill.js'
import { performance } from 'node:perf_hooks'
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { KadDHT, QueryEvent, SingleKadDHT } from '@libp2p/kad-dht'
import { multiaddr } from '@multiformats/multiaddr'
import { CID } from 'multiformats/cid'
import { ShoalError } from '../../src/errors.js'
import { createShoalLibp2p } from '../../src/net/create-libp2p.js'
import type { DhtHostApi, FindSample, HostReply, HostRequest } from './dht-swarm.js'

type DhtNode = Awaited<ReturnType<typeof createShoalLibp2p>>

const DHT_PROTOCOL = '/shoal/kad/1.0.0'
/** Shoal's default (config `network.maxConnections`): above N, so no node refuses a connection. */
const MAX_CONNECTIONS = 300
/**
 * Connections a node keeps open between uses. Every connection costs CPU on
 * this one machine (a handshake of 50-100 ms, then the connection monitor's
 * ping every 10 s), and lookups leave each node connected to nearly every
 * other: 100 nodes would keep ~5,000 connections and saturate two cores
 * doing nothing. Real nodes, each on its own machine, would not notice.
 * Capping `maxConnections` instead does not work: a node at its limit refuses
 * every inbound connection, so full nodes drop out of other nodes' lookups.
 * So between operations (join batches, refresh rounds, provide, find) every
 * node closes its idle connections (no open stream) beyond this many, sparing
 * the 20 closest peers kad-dht keeps connected (`kad-close` tag): the idle
 * timeout a big swarm would need. Kademlia needs no standing connection to
 * the peers in its table (kad-dht keeps them when they disconnect; lookups
 * dial on demand), so a find starts from at most this many connections and
 * its time includes dials, as it would in a real swarm.
 */
const CONNECTIONS_KEPT = 32
/** kad-dht's tag on the peers closest to a node (`KAD_CLOSE_TAG_NAME`, not exported). */
const KAD_CLOSE_TAG = 'kad-close'
/** Swarm nodes a newcomer dials at once. */
const CONTACTS = 3
/** Tries (with other contacts) to get a first peer into a newcomer's table. */
const CONTACT_ATTEMPTS = 5
/** How long a newcomer waits for a contact to pass kad-dht's ping (its timeout is 5 s at least). */
const CONTACT_WAIT_MS = 8_000
const SELF_LOOKUP_TIMEOUT_MS = 30_000
const PROVIDE_TIMEOUT_MS = 30_000
const FIND_TIMEOUT_MS = 30_000
const POLL_MS = 50
const STOP_TIMEOUT_MS = 5_000

const nodes: DhtNode[] = []

function nodeAt (index: number): DhtNode {
  const node = nodes[index]
  if (node === undefined) throw new ShoalError('ERR_INVALID_ARGUMENT', `no node ${index} in this host`, { index })
  return node
}

function dhtOf (node: DhtNode): KadDHT {
  const dht = node.services.dht
  if (dht === undefined) throw new ShoalError('ERR_INTERNAL', 'node built without a DHT')
  return dht
}

function routingTableSize (node: DhtNode): number {
  // The runtime service is a single (non-dual) DHT, which exposes its table.
  return (dhtOf(node) as SingleKadDHT).routingTable.size
}

async function sleep (ms: number): Promise<void> {
  await new Promise<void>(resolve => { setTimeout(resolve, ms).unref() })
}

function sample<T> (items: readonly T[], count: number): T[] {
  return [...items].sort(() => Math.random() - 0.5).slice(0, count)
}

/** Runs a query to its end (kad-dht queries run as they are consumed). */
async function drain (events: AsyncIterable<QueryEvent>): Promise<void> {
  for await (const _ of events) { /* consumed for its side effects */ }
}

async function selfLookup (node: DhtNode): Promise<void> {
  await drain(dhtOf(node).getClosestPeers(node.peerId.toMultihash().bytes, { signal: AbortSignal.timeout(SELF_LOOKUP_TIMEOUT_MS) }))
    .catch(err => {
      // A lookup cut short still filled the table with the peers that answered.
      if ((err as Error).name !== 'AbortError' && (err as Error).name !== 'TimeoutError') throw err
    })
}

/**
 * Gets a first peer into a newcomer's routing table by dialing some of
 * `members` (each a node's addresses), then looks up its own ID: Kademlia's
 * join. kad-dht pings a peer once, when it connects, and drops it if the ping
 * fails (it times out under load, or loses to the connection monitor's ping:
 * one outbound ping stream per connection); only a new connection makes it
 * try again, hence the hang-up and retry.
 */
async function join (index: number, members: string[][]): Promise<void> {
  const node = nodeAt(index)
  for (let attempt = 1; attempt <= CONTACT_ATTEMPTS; attempt++) {
    const contacts = sample(members, CONTACTS).map(addrs => addrs.map(a => multiaddr(a)))
    await Promise.allSettled(contacts.map(async addrs => await node.dial(addrs)))
    const deadline = Date.now() + CONTACT_WAIT_MS
    while (routingTableSize(node) === 0 && Date.now() < deadline) await sleep(POLL_MS)
    if (routingTableSize(node) > 0) {
      await selfLookup(node)
      return
    }
    await Promise.allSettled(contacts.map(async addrs => { await node.hangUp(addrs[0]!) }))
  }
  throw new ShoalError('ERR_INTERNAL', `a node could not get a peer into its routing table in ${CONTACT_ATTEMPTS} tries`)
}

/** Closes `node`'s idle connections beyond `CONNECTIONS_KEPT`, oldest first, sparing its closest peers. */
async function reap (node: DhtNode): Promise<void> {
  const connections = node.getConnections()
  if (connections.length <= CONNECTIONS_KEPT) return
  const close = await Promise.all(connections.map(async c => {
    const peer = await node.peerStore.get(c.remotePeer).catch(() => undefined)
    return peer?.tags.has(KAD_CLOSE_TAG) !== true && c.streams.length === 0
  }))
  const idle = connections.filter((_, i) => close[i]).sort((a, b) => a.timeline.open - b.timeline.open)
  await Promise.allSettled(idle.slice(0, connections.length - CONNECTIONS_KEPT).map(async c => { await c.close() }))
}

async function provide (index: number, cid: string): Promise<string[]> {
  const holders: string[] = []
  for await (const event of dhtOf(nodeAt(index)).provide(CID.parse(cid), { signal: AbortSignal.timeout(PROVIDE_TIMEOUT_MS) })) {
    if (event.name === 'PEER_RESPONSE' && event.messageName === 'ADD_PROVIDER') holders.push(event.from.toString())
  }
  return holders
}

/** Times `findProviders` until `provider` is named; see `bench/dht.ts` for what is counted. */
async function find (index: number, cid: string, provider: string): Promise<FindSample> {
  const searcher = nodeAt(index)
  const depth = new Map<string, number>()
  const contacted = new Set<string>()
  let queries = 0
  const started = performance.now()
  for await (const event of dhtOf(searcher).findProviders(CID.parse(cid), { signal: AbortSignal.timeout(FIND_TIMEOUT_MS) })) {
    if (event.name === 'SEND_QUERY') {
      queries++
      const to = event.to.toString()
      contacted.add(to)
      if (!depth.has(to)) depth.set(to, 1)
    } else if (event.name === 'PEER_RESPONSE') {
      const next = (depth.get(event.from.toString()) ?? 0) + 1
      for (const peer of event.closer) if (!depth.has(peer.id.toString())) depth.set(peer.id.toString(), next)
    } else if (event.name === 'PROVIDER' && event.providers.some(p => p.id.toString() === provider)) {
      const findMs = performance.now() - started
      if (event.from.equals(searcher.peerId)) throw new ShoalError('ERR_INTERNAL', 'the searcher held the record itself', { cid })
      // Returning ends the loop, which aborts the rest of the query.
      return { findMs, queries, peersContacted: contacted.size, hops: depth.get(event.from.toString()) ?? 0 }
    }
  }
  throw new ShoalError('ERR_NO_PROVIDERS', 'lookup ended without finding the provider', { cid })
}

/** Counts the queries of a complete closest-peers lookup for `cid`. */
async function fullLookup (index: number, cid: string): Promise<number> {
  let queries = 0
  for await (const event of dhtOf(nodeAt(index)).getClosestPeers(CID.parse(cid).multihash.bytes, { signal: AbortSignal.timeout(FIND_TIMEOUT_MS) })) {
    if (event.name === 'SEND_QUERY') queries++
  }
  return queries
}

const api: { [M in keyof DhtHostApi]: (...args: Parameters<DhtHostApi[M]>) => Promise<ReturnType<DhtHostApi[M]>> } = {
  async add (count) {
    const added = []
    for (let i = 0; i < count; i++) {
      const node = await createShoalLibp2p({
        privateKey: await generateKeyPair('Ed25519'),
        listen: ['/ip4/127.0.0.1/tcp/0'],
        maxConnections: MAX_CONNECTIONS,
        dhtProtocol: DHT_PROTOCOL,
        mdns: false,
        // Contacts are dialed by `join`: the bootstrap module waits 1 s and never retries.
        bootstrap: []
      })
      nodes.push(node)
      await node.start()
      added.push({ index: nodes.length - 1, peerId: node.peerId.toString(), addrs: node.getMultiaddrs().map(String) })
    }
    return added
  },
  join,
  async selfLookup (index) { await selfLookup(nodeAt(index)) },
  async reap () { await Promise.all(nodes.map(reap)) },
  async stats () { return nodes.map(node => ({ tableSize: routingTableSize(node), connections: node.getConnections().length })) },
  provide,
  find,
  fullLookup,
  async stop () {
    await Promise.all(nodes.map(async node => {
      const stopped = (async () => { await node.stop() })().catch(() => { /* the process exits next */ })
      await Promise.race([stopped, sleep(STOP_TIMEOUT_MS)])
    }))
  }
}

async function serve (request: HostRequest): Promise<HostReply> {
  try {
    const method = api[request.method] as (...args: unknown[]) => Promise<unknown>
    return { id: request.id, result: await method(...request.args) }
  } catch (err) {
    const e = err as { name?: string, message?: string }
    return { id: request.id, error: { name: e.name ?? 'Error', message: e.message ?? String(err) } }
  }
}

if (process.argv[2] === '--dht-host') {
  process.on('message', (request: HostRequest) => {
    void serve(request).then(reply => {
      process.send?.(reply)
      if (request.method === 'stop') process.disconnect()
    })
  })
  // The bench process is gone: so are we (sockets and all).
  process.on('disconnect', () => { process.exit(0) })
}
