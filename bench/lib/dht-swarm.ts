/**
 * The DHT benchmark's swarm: N libp2p nodes on 127.0.0.1, spread over
 * host processes (`dht-host.ts`) of at most `NODES_PER_HOST` nodes each, and
 * joined the way Kademlia joins, a few at a time.
 *
 * Why not N nodes in this process, all started at once (the first version):
 * at N = 100 on two cores the start is a storm (every node dials, identifies,
 * pings and self-queries in the same second), the event loop lags by seconds,
 * and kad-dht loses peers three ways:
 * - it adds a peer to its routing table only after pinging it, and drops it
 *   when the ping times out (5 s or more, adaptive);
 * - libp2p allows one outbound `/ipfs/ping/1.0.0` stream per connection, and
 *   its connection monitor pings every connection every 10 s: when that ping
 *   and kad-dht's overlap, kad-dht's fails (the peer is not added) or the
 *   monitor's does (and the monitor aborts the connection);
 * - kad-dht's first self-query gives up after 5 s with an empty table, and the
 *   next one runs 5 minutes later.
 * Routing tables ended at a median of 4 to 7 peers, and lookups failed.
 * Every node also pays for each of its connections (TLS handshake, the
 * monitor's pings), so one process of 100 nodes saturates two cores before
 * any lookup runs. Hosts of 25 nodes keep each event loop at the size that
 * worked at N = 25, whatever N, and use every core.
 *
 * Joining: nodes are added in batches of `JOIN_BATCH`, spread over the
 * hosts; each newcomer dials a few random members until one is in its routing
 * table, then looks up its own ID. Once all have joined, nodes whose table
 * holds fewer than k peers look themselves up again, as kad-dht's periodic
 * self-query would, for a few rounds. Whatever the tables hold then is what
 * the bench reports.
 */
import { fork, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { ShoalError } from '../../src/errors.js'

/** kad-dht's k: the most peers a lookup starts from, and the replication of a record. */
export const K_BUCKET_SIZE = 20

/** A node as the bench sees it: which host runs it, and how to reach it. */
export interface NodeInfo {
  /** Index within its host. */
  index: number
  peerId: string
  addrs: string[]
}

/** One node's state. */
export interface NodeStats { tableSize: number, connections: number }

/** What a find measured (see `bench/dht.ts`). */
export interface FindSample { findMs: number, queries: number, peersContacted: number, hops: number }

/** What a host does, by method name (each returns a promise over IPC). */
export interface DhtHostApi {
  add: (count: number) => NodeInfo[]
  join: (index: number, members: string[][]) => void
  selfLookup: (index: number) => void
  /** Closes idle connections beyond the few each node keeps (see `dht-host.ts`). */
  reap: () => void
  stats: () => NodeStats[]
  provide: (index: number, cid: string) => string[]
  find: (index: number, cid: string, provider: string) => FindSample
  fullLookup: (index: number, cid: string) => number
  stop: () => void
}

/** An IPC request to a host. */
export interface HostRequest { id: number, method: keyof DhtHostApi, args: unknown[] }
/** A host's reply: a result, or the error's name and message. */
export interface HostReply { id: number, result?: unknown, error?: { name: string, message: string } }

/** A swarm node: its host and its identity. */
export interface SwarmNode extends NodeInfo { host: number }

/** Options of {@link startDhtSwarm}. */
export interface DhtSwarmOptions {
  log?: (line: string) => void
  signal?: AbortSignal
}

/** Nodes per host process: the swarm size the single-process bench handled well. */
const NODES_PER_HOST = 25
/** Nodes joining at once: enough to keep every host busy, few enough that no event loop lags by seconds. */
const JOIN_BATCH = 10
const REFRESH_ROUNDS = 3
/** Concurrent self-lookups in a refresh round, over all hosts. */
const REFRESH_CONCURRENCY = 8
/** A host answers every request well within this (its lookups time out at 30 s). */
const CALL_TIMEOUT_MS = 120_000
const EXIT_TIMEOUT_MS = 10_000
const HOST_FILE = fileURLToPath(new URL('./dht-host.ts', import.meta.url))
const REPO = fileURLToPath(new URL('../..', import.meta.url))

type Pending = Map<number, { resolve: (value: unknown) => void, reject: (err: Error) => void }>

/** Host processes and the nodes they run. */
export class DhtSwarm {
  readonly nodes: SwarmNode[] = []
  readonly #hosts: ChildProcess[]
  readonly #pending: Pending = new Map()
  #nextId = 0

  constructor (hostCount: number) {
    this.#hosts = Array.from({ length: hostCount }, () => {
      const child = fork(HOST_FILE, ['--dht-host'], { cwd: REPO, execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
      child.on('message', (reply: HostReply) => { this.#settle(reply) })
      child.once('exit', code => { this.#failAll(new ShoalError('ERR_INTERNAL', `a DHT host exited (code ${code})`)) })
      child.on('error', err => { this.#failAll(err) })
      return child
    })
  }

  get hostCount (): number {
    return this.#hosts.length
  }

  /** Calls `method` on `host`. */
  async call<M extends keyof DhtHostApi>(host: number, method: M, ...args: Parameters<DhtHostApi[M]>): Promise<ReturnType<DhtHostApi[M]>> {
    const child = this.#hosts[host]
    if (child?.connected !== true) throw new ShoalError('ERR_INTERNAL', `DHT host ${host} is not running`)
    const id = this.#nextId++
    return await new Promise((resolve, reject) => {
      const timer = setTimeout(() => { this.#settle({ id, error: { name: 'TimeoutError', message: `host did not answer ${method} in ${CALL_TIMEOUT_MS} ms` } }) }, CALL_TIMEOUT_MS).unref()
      this.#pending.set(id, {
        resolve: value => { clearTimeout(timer); resolve(value as ReturnType<DhtHostApi[M]>) },
        reject: err => { clearTimeout(timer); reject(err) }
      })
      child.send({ id, method, args } satisfies HostRequest)
    })
  }

  /** Every node's state, in `nodes` order. */
  async stats (): Promise<NodeStats[]> {
    const perHost = await Promise.all(this.#hosts.map(async (_, host) => await this.call(host, 'stats')))
    return this.nodes.map(node => perHost[node.host]![node.index]!)
  }

  /** Has every node close its idle connections beyond the few it keeps (see `dht-host.ts`). */
  async reap (): Promise<void> {
    await Promise.all(this.#hosts.map(async (_, host) => { await this.call(host, 'reap') }))
  }

  /** Stops every node and host process; kills hosts that do not exit. */
  async stop (): Promise<void> {
    await Promise.all(this.#hosts.map(async (child, host) => {
      if (child.exitCode !== null || child.signalCode !== null) return
      const exited = new Promise(resolve => child.once('exit', resolve))
      await this.call(host, 'stop').catch(() => { /* killed below if it does not exit */ })
      const timer = setTimeout(() => child.kill('SIGKILL'), EXIT_TIMEOUT_MS).unref()
      await exited
      clearTimeout(timer)
    }))
  }

  #settle (reply: HostReply): void {
    const pending = this.#pending.get(reply.id)
    if (pending === undefined) return
    this.#pending.delete(reply.id)
    if (reply.error === undefined) return pending.resolve(reply.result)
    const err = new Error(reply.error.message)
    err.name = reply.error.name
    pending.reject(err)
  }

  #failAll (err: Error): void {
    for (const [id, pending] of this.#pending) {
      this.#pending.delete(id)
      pending.reject(err)
    }
  }
}

/** Runs `fn` over `items`, `limit` at a time. */
async function eachLimited<T> (items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items]
  await Promise.all(Array.from({ length: Math.min(limit, queue.length) }, async () => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) await fn(item)
  }))
}

async function addNodes (swarm: DhtSwarm, count: number): Promise<SwarmNode[]> {
  const hosts = new Map<number, number>()
  for (let i = swarm.nodes.length; i < swarm.nodes.length + count; i++) {
    // Round robin, so each batch of newcomers is spread over the hosts.
    const host = i % swarm.hostCount
    hosts.set(host, (hosts.get(host) ?? 0) + 1)
  }
  const added = await Promise.all([...hosts].map(async ([host, n]) => (await swarm.call(host, 'add', n)).map(info => ({ ...info, host }))))
  swarm.nodes.push(...added.flat())
  return added.flat()
}

/** Self-lookups from nodes whose table is short of `target`, until none is or the rounds run out; returns rounds run. */
async function refresh (swarm: DhtSwarm, target: number, signal?: AbortSignal): Promise<number> {
  for (let round = 0; round < REFRESH_ROUNDS; round++) {
    signal?.throwIfAborted()
    const stats = await swarm.stats()
    const short = swarm.nodes.filter((_, i) => stats[i]!.tableSize < target)
    if (short.length === 0) return round
    await eachLimited(short, REFRESH_CONCURRENCY, async node => { await swarm.call(node.host, 'selfLookup', node.index) })
    await swarm.reap()
  }
  return REFRESH_ROUNDS
}

/**
 * Starts `n` nodes and joins them into one swarm; returns it with how long
 * that took. The swarm is handed to `onSwarm` as soon as its hosts exist, so
 * the caller can stop it whether or not the join succeeds.
 */
export async function startDhtSwarm (n: number, onSwarm: (swarm: DhtSwarm) => void, opts: DhtSwarmOptions = {}):
Promise<{ swarm: DhtSwarm, joinMs: number, refreshRounds: number }> {
  const { signal, log } = opts
  const started = Date.now()
  const swarm = new DhtSwarm(Math.ceil(n / NODES_PER_HOST))
  onSwarm(swarm)
  await addNodes(swarm, 1)
  while (swarm.nodes.length < n) {
    signal?.throwIfAborted()
    const members = swarm.nodes.map(node => node.addrs)
    const batch = await addNodes(swarm, Math.min(JOIN_BATCH, n - members.length))
    await Promise.all(batch.map(async node => { await swarm.call(node.host, 'join', node.index, members) }))
    await swarm.reap()
    log?.(`dht: ${swarm.nodes.length}/${n} nodes joined (${((Date.now() - started) / 1000).toFixed(1)} s)`)
  }
  const refreshRounds = await refresh(swarm, Math.min(K_BUCKET_SIZE, n - 1), signal)
  return { swarm, joinMs: Date.now() - started, refreshRounds }
}
