/**
 * Distribution on the hosts of the multi-host harness (netns.ts, host-nodes.ts):
 * a mesh of `shoal start` nodes, a tracker on one host, `share --distribute`
 * and `shoal map --json` through the CLI, the node's events followed from
 * inside its host, and the two checks every scenario needs — does the map
 * give every chunk N distinct live holders, and does each holder really keep
 * the chunks the map gives it (its content-addressed `<dataDir>/chunks/`).
 */
import { createHash } from 'node:crypto'
import { open, readdir, readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import type { ChildProcess } from 'node:child_process'
import type { Host } from './netns.js'
import { collect, nodeStarted, type RunResult } from './cli.js'
import { shoalOn, spawnShoalOn, startNodeOn, type HostNode } from './host-nodes.js'

/** `shoal map ID --json` and `GET /api/files/:id/distribution`. */
export interface DistributionMap {
  id: string
  replicas: number
  holders: Record<string, number>
  chunks: Array<{ index: number, holders: string[] }>
}

/** `shoal share PATH --distribute --json`, printed once every chunk has N verified copies. */
export interface DistributedShare {
  id: string
  link: string
  size: number
  chunks: number
  distribution: { replicas: number, strategy: string, holders: Record<string, number> }
}

/** A timed CLI run; `ms` is spawn to exit, seen from the test process. */
export interface TimedResult extends RunResult { ms: number }

/** How often `waitForMap` asks for the map, and `waitForPeers` for the peers. */
const MAP_POLL_MS = 500
/** Budget of one `shoal map` run: it only asks the node. */
const MAP_TIMEOUT_MS = 30_000

/** Starts `shoal tracker` on `host`, listening on its LAN address; teardown of the network kills it. */
export async function startTrackerOn (host: Host, port: number): Promise<{ url: string, child: ChildProcess }> {
  const child = spawnShoalOn(host, ['tracker', '--listen', `${host.ip}:${port}`, '--announce-interval', '1', '--json'])
  // nodeStarted only waits for the first JSON line; a tracker prints { url, dataDir }.
  const info = await nodeStarted(child, `tracker on ${host.name}`) as unknown as { url: string }
  return { url: info.url, child }
}

/**
 * Starts a node on each of `hosts`, one after the other, each bootstrapped
 * to every node started before it (`already` included), so every node is
 * connected to every other — the peers an uploader pushes to — with mDNS and
 * the DHT off. Started nodes are appended to `nodes` (for teardown).
 */
export async function startMesh (hosts: readonly Host[], dir: string, nodes: HostNode[], opts: { already?: readonly HostNode[], env?: Record<string, string> } = {}): Promise<HostNode[]> {
  const mesh = [...(opts.already ?? [])]
  const started: HostNode[] = []
  for (const host of hosts) {
    const bootstrap = mesh.map(n => `${n.addr}${n.addr.includes('/p2p/') ? '' : `/p2p/${n.peerId}`}`)
    const env = { ...opts.env, ...(bootstrap.length > 0 ? { SHOAL_NETWORK_BOOTSTRAP: bootstrap.join(',') } : {}) }
    const node = await startNodeOn(host, join(dir, `${host.name}.node`), { env })
    keepStderrTail(node)
    nodes.push(node)
    mesh.push(node)
    started.push(node)
  }
  // Bootstrap dials after start: wait until every node sees the whole mesh, or an uploader could push to fewer.
  for (const node of mesh) await waitForPeers(node, mesh.length - 1)
  return started
}

/** Characters of a mesh node's stderr kept for `health`. */
const STDERR_TAIL_CHARS = 1500
const stderrTails = new WeakMap<HostNode, string>()

function keepStderrTail (node: HostNode): void {
  stderrTails.set(node, '')
  node.child.stderr?.on('data', (d: Buffer) => { stderrTails.set(node, ((stderrTails.get(node) ?? '') + d.toString()).slice(-STDERR_TAIL_CHARS)) })
}

/** For a failure's message: which of `nodes` have exited, with the end of their stderr (mesh nodes keep it). */
export function health (nodes: readonly HostNode[]): string {
  const dead = nodes.filter(n => n.child.exitCode !== null || n.child.signalCode !== null)
  if (dead.length === 0) return `all ${nodes.length} nodes running`
  return dead.map(n => `${n.host.name} exited (${String(n.child.exitCode ?? n.child.signalCode)}): ${(stderrTails.get(n) ?? '').trim().split('\n').slice(-3).join(' | ')}`).join('; ')
}

/** Waits until `node` is connected to at least `count` peers (`shoal peers --json`). */
export async function waitForPeers (node: HostNode, count: number, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const peers = jsonOf<{ peers: Array<{ connected: boolean }> }>(await timedShoal(node, ['peers', '--json']), `shoal peers on ${node.host.name}`).peers
    const connected = peers.filter(p => p.connected).length
    if (connected >= count) return
    if (Date.now() > deadline) throw new Error(`${node.host.name} is connected to ${connected} peers, not ${count}, after ${timeoutMs} ms`)
    await new Promise(resolve => setTimeout(resolve, MAP_POLL_MS))
  }
}

/** Runs `shoal …args` on `node`'s host against its data dir, timed. */
export async function timedShoal (node: HostNode, args: string[], opts: { env?: Record<string, string>, timeoutMs?: number } = {}): Promise<TimedResult> {
  const started = performance.now()
  const r = await shoalOn(node.host, [...args, '--data-dir', node.dataDir], opts.env, opts.timeoutMs)
  return { ...r, ms: performance.now() - started }
}

/** Parses the last JSON line of a run's stdout, or throws with its output. */
export function jsonOf<T> (r: RunResult, what: string): T {
  const line = r.stdout.trim().split('\n').filter(l => l.startsWith('{')).pop()
  if (r.code !== 0 || line === undefined) throw new Error(`${what} failed (exit ${String(r.code)}): ${r.stderr.trim() || r.stdout.trim()}`)
  return JSON.parse(line) as T
}

/** `shoal share PATH --distribute [--replicas N] [--strategy S] --json` on `node`; the run, whatever its outcome. */
export async function shareDistributed (node: HostNode, path: string, opts: { replicas?: number, strategy?: string, timeoutMs?: number } = {}): Promise<TimedResult> {
  const args = ['share', path, '--distribute', '--json']
  if (opts.replicas !== undefined) args.push('--replicas', String(opts.replicas))
  if (opts.strategy !== undefined) args.push('--strategy', opts.strategy)
  return await timedShoal(node, args, { timeoutMs: opts.timeoutMs ?? 600_000 })
}

/** `shoal map ID --json` on `node`. */
export async function mapOn (node: HostNode, id: string): Promise<DistributionMap> {
  return jsonOf<DistributionMap>(await timedShoal(node, ['map', id, '--json'], { timeoutMs: MAP_TIMEOUT_MS }), `shoal map on ${node.host.name}`)
}

/** `shoal ls --json` on `node`: the IDs in its catalog. */
export async function catalogOn (node: HostNode): Promise<string[]> {
  return jsonOf<{ files: Array<{ id: string }> }>(await timedShoal(node, ['ls', '--json']), `shoal ls on ${node.host.name}`).files.map(f => f.id)
}

/**
 * What is wrong with `map` against `replicas` copies on the `live` peers:
 * chunks with fewer distinct live holders, and holders named that are not
 * live. Empty when the map is whole.
 */
export function mapProblems (map: DistributionMap, replicas: number, live: ReadonlySet<string>, chunkCount: number): string[] {
  const problems: string[] = []
  if (map.chunks.length !== chunkCount) problems.push(`${map.chunks.length} chunks in the map, ${chunkCount} in the file`)
  for (const chunk of map.chunks) {
    const distinct = new Set(chunk.holders)
    const dead = [...distinct].filter(h => !live.has(h))
    const alive = distinct.size - dead.length
    if (alive < replicas) problems.push(`chunk ${chunk.index}: ${alive} live holders`)
    if (dead.length > 0) problems.push(`chunk ${chunk.index}: names ${dead.join(', ')}, not live`)
    if (distinct.size !== chunk.holders.length) problems.push(`chunk ${chunk.index}: a holder named twice`)
  }
  return problems
}

/** The node of `among` the map gives the most copies. */
export function busiest (map: DistributionMap, among: readonly HostNode[]): HostNode {
  return among.reduce((best, n) => (map.holders[n.peerId] ?? 0) > (map.holders[best.peerId] ?? 0) ? n : best)
}

/** The first map `node` gives with no `mapProblems`, and when (ms since the epoch); throws with the last problems after `timeoutMs`. */
export async function waitForMap (node: HostNode, id: string, replicas: number, live: ReadonlySet<string>, chunkCount: number, timeoutMs: number): Promise<{ map: DistributionMap, at: number }> {
  const deadline = Date.now() + timeoutMs
  let problems: string[] = []
  for (;;) {
    const map = await mapOn(node, id)
    const at = Date.now()
    problems = mapProblems(map, replicas, live, chunkCount)
    if (problems.length === 0) return { map, at }
    if (at > deadline) throw new Error(`the map on ${node.host.name} was not whole within ${timeoutMs} ms: ${problems.slice(0, 8).join('; ')}${problems.length > 8 ? ` (${problems.length} in all)` : ''}`)
    await new Promise(resolve => setTimeout(resolve, MAP_POLL_MS))
  }
}

/** Hex SHA-256 of every chunk of `path` cut at `chunkSize`, in order (read one chunk at a time). */
export async function chunkHashes (path: string, chunkSize: number): Promise<string[]> {
  const fh = await open(path, 'r')
  try {
    const size = (await fh.stat()).size
    const buf = Buffer.alloc(chunkSize)
    const hashes: string[] = []
    for (let offset = 0; offset < size; offset += chunkSize) {
      const { bytesRead } = await fh.read(buf, 0, Math.min(chunkSize, size - offset), offset)
      hashes.push(createHash('sha256').update(buf.subarray(0, bytesRead)).digest('hex'))
    }
    return hashes
  } finally {
    await fh.close()
  }
}

/** Chunks the map gives `node` that are absent from its chunk store (`chunks/<2 hex>/<sha256 hex>`, chunk-store.ts). */
export async function missingOnDisk (node: HostNode, map: DistributionMap, hashes: readonly string[]): Promise<number[]> {
  const missing: number[] = []
  for (const chunk of map.chunks) {
    if (!chunk.holders.includes(node.peerId)) continue
    const hex = hashes[chunk.index] ?? ''
    const present = await stat(join(node.dataDir, 'chunks', hex.slice(0, 2), hex)).then(() => true, () => false)
    if (!present) missing.push(chunk.index)
  }
  return missing
}

/**
 * Waits until every chunk `map` gives `node` is in its chunk store; resolves
 * with when (ms since the epoch). A repaired map can name a new holder a
 * little before its copy lands: the survivor that signs first signs the
 * whole plan, the other survivors' copies included (repairer.ts).
 */
export async function waitOnDisk (node: HostNode, map: DistributionMap, hashes: readonly string[], timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const missing = await missingOnDisk(node, map, hashes)
    if (missing.length === 0) return Date.now()
    if (Date.now() > deadline) throw new Error(`${node.host.name} lacks chunks ${missing.join(', ')} of its map ${timeoutMs} ms on`)
    await new Promise(resolve => setTimeout(resolve, MAP_POLL_MS))
  }
}

/** Every file under `dir`, recursively (none when `dir` does not exist). */
export async function filesUnder (dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return []
    throw err
  })
  return entries.filter(e => e.isFile()).map(e => join(e.parentPath, e.name))
}

/** One event of a node's stream, stamped (ms since the epoch) when it reached the follower. */
export interface StampedEvent { t: number, event: string, data: unknown }

/** A follower of a node's events; see `followEvents`. */
export interface EventFollower {
  readonly events: StampedEvent[]
  /** Ends the follower (it also ends when its node dies). */
  stop: () => Promise<void>
}

/**
 * Inside the host: opens the node's event stream, says it is ready, and
 * prints one stamped JSON line per event whose name matches the pattern.
 */
const FOLLOWER = `
const [api, token, pattern] = process.argv.slice(1)
const match = new RegExp(pattern)
const res = await fetch(api + '/api/events', { headers: { authorization: 'Bearer ' + token } })
process.stdout.write(JSON.stringify({ t: Date.now(), ready: true }) + '\\n')
const reader = res.body.pipeThrough(new TextDecoderStream()).getReader()
let buf = ''
for (;;) {
  const { value, done } = await reader.read()
  if (done) process.exit(0)
  buf += value
  for (let i; (i = buf.indexOf('\\n\\n')) >= 0;) {
    const lines = buf.slice(0, i).split('\\n')
    buf = buf.slice(i + 2)
    const event = lines.find(l => l.startsWith('event: '))?.slice(7)
    const data = lines.find(l => l.startsWith('data: '))?.slice(6)
    if (event === undefined || data === undefined || !match.test(event)) continue
    process.stdout.write(JSON.stringify({ t: Date.now(), event, data: JSON.parse(data) }) + '\\n')
  }
}
`

/** Follows `node`'s events whose names match `pattern` (`/api/events`), from inside its host; resolves once subscribed. */
export async function followEvents (node: HostNode, pattern: RegExp): Promise<EventFollower> {
  const token = (await readFile(join(node.dataDir, 'api.token'), 'utf8')).trim()
  const child = node.host.exec([process.execPath, '--input-type=module', '-e', FOLLOWER, node.api, token, pattern.source], { stdio: ['ignore', 'pipe', 'pipe'] })
  const events: StampedEvent[] = []
  const done = collect(child, 24 * 3600_000)
  let pending = ''
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      pending += d.toString()
      for (let nl; (nl = pending.indexOf('\n')) >= 0;) {
        const line = JSON.parse(pending.slice(0, nl)) as StampedEvent & { ready?: boolean }
        pending = pending.slice(nl + 1)
        if (line.ready === true) resolve()
        else events.push(line)
      }
    })
    void done.then(r => { reject(new Error(`event follower on ${node.host.name} ended (exit ${String(r.code)}): ${r.stderr}`)) })
  })
  await ready
  return {
    events,
    stop: async () => {
      child.kill('SIGKILL')
      await done
    }
  }
}
