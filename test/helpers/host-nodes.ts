/**
 * Shoal nodes on the hosts of the multi-host harness (netns.ts): start a
 * node inside a host, run CLI commands there, and follow a download from
 * inside the host through the node's API event stream, with timestamps.
 * The API listens on the host's own loopback, which only processes inside
 * that host can reach; hence the small driver script run there.
 */
import { createWriteStream } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { type ChildProcess } from 'node:child_process'
import type { Host } from './netns.js'
import { REPO, SHOAL_BIN, TEST_ENV, collect, nodeControls, nodeStarted, type RunResult } from './cli.js'
import type { JobSnapshot } from '../../src/transfer/download-job.js'

/** A `shoal start` process inside a host. */
export interface HostNode {
  host: Host
  dataDir: string
  peerId: string
  /** The node's full multiaddr on the host's LAN address. */
  addr: string
  api: string
  child: ChildProcess
  /** SIGINT, then SIGKILL if it has not exited within 10 s. */
  stop: () => Promise<void>
  kill: () => Promise<void>
}

/** Spawns `shoal …args` inside `host` (`ip netns exec` execs, so the child's pid is shoal's own). */
export function spawnShoalOn (host: Host, args: string[], env: Record<string, string> = {}): ChildProcess {
  return host.exec([process.execPath, SHOAL_BIN, ...args], {
    cwd: REPO, env: { ...process.env, ...TEST_ENV, ...env }, stdio: ['ignore', 'pipe', 'pipe']
  })
}

/** Runs `shoal …args` inside `host` to completion. */
export async function shoalOn (host: Host, args: string[], env: Record<string, string> = {}, timeoutMs = 120_000): Promise<RunResult> {
  return await collect(spawnShoalOn(host, args, env), timeoutMs)
}

/**
 * With SHOAL_TEST_NODE_LOGS set to a directory, each node's stderr (with
 * DEBUG=shoal:*, its debug log) is also written there, one file per node:
 * what a failed multi-host run leaves to read.
 */
function keepLog (child: ChildProcess, name: string): void {
  const dir = process.env.SHOAL_TEST_NODE_LOGS
  if (dir == null || dir === '') return
  child.stderr?.pipe(createWriteStream(join(dir, `${name}-${Date.now()}-${child.pid ?? 0}.log`)))
}

/**
 * Starts a node inside `host` listening on all its interfaces (`port` 0
 * picks one; a fixed port lets a restarted node be found at its old address).
 */
export async function startNodeOn (host: Host, dataDir: string, opts: { env?: Record<string, string>, port?: number } = {}): Promise<HostNode> {
  const child = host.exec([process.execPath, SHOAL_BIN, 'start', '--data-dir', dataDir, '--listen', `/ip4/0.0.0.0/tcp/${opts.port ?? 0}`, '--api', '127.0.0.1:0', '--json'], {
    cwd: REPO, env: { ...process.env, ...TEST_ENV, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe']
  })
  keepLog(child, host.name)
  const controls = nodeControls(child)
  const info = await nodeStarted(child, `node on ${host.name}`)
  const addr = info.addrs.find(a => a.startsWith(`/ip4/${host.ip}/`))
  if (addr == null) {
    await controls.kill()
    throw new Error(`node on ${host.name} has no address on ${host.ip}: ${info.addrs.join(' ')}`)
  }
  return { host, dataDir, peerId: info.peerId, addr, api: info.api, child, ...controls }
}

/** Shares `path` on `node`; resolves with the file ID. */
export async function shareOn (node: HostNode, path: string): Promise<string> {
  const r = await shoalOn(node.host, ['share', path, '--data-dir', node.dataDir, '--json'])
  if (r.code !== 0) throw new Error(`share on ${node.host.name} failed: ${r.stderr}`)
  return (JSON.parse(r.stdout) as { id: string }).id
}

/** One observation of a download: the job's snapshot at local time `t` (ms since the epoch). */
export interface TracePoint { t: number, snapshot: JobSnapshot }

/** A download followed from start to end. */
export interface DownloadTrace {
  /** When the API accepted the download. */
  startedAt: number
  /** When it reached a final state. */
  endedAt: number
  final: JobSnapshot
  points: TracePoint[]
}

/** A download under way: its trace so far, and the end of it. */
export interface FollowedDownload {
  points: TracePoint[]
  done: Promise<DownloadTrace>
  /** Starts the download (held with `hold`; otherwise already called). */
  go: () => void
}

/**
 * Inside the host: opens the node's event stream, says it is ready, starts
 * the download when told to (a line on stdin), prints one JSON line per
 * event of that job and exits at its final state.
 */
const DRIVER = `
const [api, token, body] = process.argv.slice(1)
const auth = { authorization: 'Bearer ' + token }
const print = (o) => process.stdout.write(JSON.stringify({ t: Date.now(), ...o }) + '\\n')
const events = await fetch(api + '/api/events', { headers: auth })
const reader = events.body.pipeThrough(new TextDecoderStream()).getReader()
print({ ready: true })
await new Promise((resolve) => process.stdin.once('data', resolve))
process.stdin.pause()
const post = await fetch(api + '/api/downloads', { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body })
const job = await post.json()
if (!post.ok) { print({ error: job }); process.exit(1) }
print({ snapshot: job })
let buf = ''
for (;;) {
  const { value, done } = await reader.read()
  if (done) process.exit(2)
  buf += value
  for (let i; (i = buf.indexOf('\\n\\n')) >= 0;) {
    const block = buf.slice(0, i)
    buf = buf.slice(i + 2)
    const data = block.split('\\n').find(l => l.startsWith('data: '))
    if (data == null) continue
    const snapshot = JSON.parse(data.slice(6))
    if (snapshot.id !== job.id) continue
    print({ snapshot })
    if (['completed', 'failed', 'cancelled'].includes(snapshot.state)) process.exit(0)
  }
}
`

/**
 * Starts a download of `id` on `node` from `peers` (full multiaddrs) and
 * follows it. With `hold`, it resolves once the follower is ready and the
 * download starts at `go()`: several hosts can then start at one instant,
 * however long their followers took to start.
 */
export async function followDownload (node: HostNode, id: string, out: string, peers: string[], opts: { hold?: boolean } = {}): Promise<FollowedDownload> {
  const token = (await readFile(join(node.dataDir, 'api.token'), 'utf8')).trim()
  const child = node.host.exec([process.execPath, '--input-type=module', '-e', DRIVER, node.api, token, JSON.stringify({ target: id, output: out, peers })], {
    stdio: ['pipe', 'pipe', 'pipe']
  })
  const points: TracePoint[] = []
  let pending = ''
  let onReady: () => void = () => {}
  const ready = new Promise<void>((resolve) => { onReady = resolve })
  child.stdout?.on('data', (d: Buffer) => {
    pending += d.toString()
    for (let nl; (nl = pending.indexOf('\n')) >= 0;) {
      const line = JSON.parse(pending.slice(0, nl)) as { t: number, ready?: boolean, snapshot?: JobSnapshot, error?: unknown }
      pending = pending.slice(nl + 1)
      if (line.ready === true) onReady()
      if (line.snapshot != null) points.push({ t: line.t, snapshot: line.snapshot })
    }
  })
  const done = collect(child, 600_000).then((r): DownloadTrace => {
    const first = points[0]
    const last = points[points.length - 1]
    if (r.code !== 0 || first == null || last == null) throw new Error(`download on ${node.host.name} did not finish (exit ${r.code}): ${r.stdout} ${r.stderr}`)
    return { startedAt: first.t, endedAt: last.t, final: last.snapshot, points }
  })
  done.catch(() => {})
  await Promise.race([ready, done])
  const go = (): void => { child.stdin?.end('go\n') }
  if (opts.hold !== true) go()
  return { points, done, go }
}

/** The first point of `download` that matches, waiting for it; rejects if the download ends or `timeoutMs` passes first. */
export async function until (download: FollowedDownload, match: (p: TracePoint) => boolean, timeoutMs = 120_000): Promise<TracePoint> {
  const deadline = Date.now() + timeoutMs
  let ended = false
  download.done.then(() => { ended = true }, () => { ended = true })
  for (;;) {
    const hit = download.points.find(match)
    if (hit != null) return hit
    const last = JSON.stringify(download.points[download.points.length - 1]?.snapshot)
    if (ended) throw new Error(`the download ended without such a point; last: ${last}`)
    if (Date.now() > deadline) throw new Error(`no such point within ${timeoutMs} ms; last: ${last}`)
    await new Promise(resolve => setTimeout(resolve, 50))
  }
}

/** A point's share of the file's bytes done is at least `fraction`. */
export const atLeast = (fraction: number) => (p: TracePoint): boolean => p.snapshot.bytesDone >= fraction * p.snapshot.size
