/**
 * Multi-host test harness: several real hosts on this machine, built from Linux network
 * namespaces, each able to run a Shoal node.
 *
 * Model. One network is one "switch" namespace holding a bridge (`br0`) plus one namespace
 * per host. A host has a veth pair: `eth0`, with the host's address in 10.231.0.0/24, inside
 * the host's namespace, and its peer `h<i>` enslaved to the bridge in the switch namespace.
 * Every interface is born inside its namespace (`ip -n <ns> link add … peer … netns <sw>`),
 * so the root namespace — the machine's own interfaces, routes and firewall — is never
 * touched, and interface names (≤ 15 chars) only have to be unique within one network.
 * Parallel networks may reuse the same subnet: each lives on its own isolated bridge.
 *
 * Hosts have no gateway, hence no default route; only the subnet route and
 * `224.0.0.0/4 dev eth0`, without which multicast sends fail with ENETUNREACH and mDNS
 * (which swallows that error) silently finds nobody.
 *
 * Rate caps are tbf qdiscs: upload on the host's `eth0` egress, download on the bridge
 * port's egress toward the host. The kernel has no netem, so there is no added delay.
 *
 * Teardown. Namespace names are `<prefix>-<pid>-<random>` (switch) and `…-<host>`: the pid
 * of the owning process lets `cleanupStale` sweep runs whose owner is dead without touching
 * live parallel runs. Tearing down SIGKILLs every process inside the namespaces (`ip netns
 * pids`), then deletes them. It runs on `destroy()`, synchronously on process exit and on
 * SIGINT/SIGTERM/SIGHUP, and a SIGKILLed run is swept by the next `createNetwork`.
 */
import { execFile, execFileSync, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { ShoalError, hasCode, toShoalError } from '../../src/errors.js'

/** Namespace-name prefix of every run of this harness; `cleanupStale` sweeps it. */
export const DEFAULT_PREFIX = 'shoalt'
/** First three octets of the hosts' /24; private, and only ever configured inside our namespaces. */
export const SUBNET = '10.231.0'

const HOST_IF = 'eth0'
const BRIDGE_IF = 'br0'
const MAX_HOSTS = 250
const HOST_NAME = /^[a-z][a-z0-9-]{0,31}$/
const PREFIX_NAME = /^[a-z][a-z0-9]{0,15}$/
/** tbf only reaches its rate if the bucket holds at least rate/HZ bytes; 10 ms covers HZ ≥ 100. */
const BURST_WINDOW_S = 0.01
/** Floor on the bucket: many MTU frames, yet only 0.6% of a 5 MB test transfer. */
const MIN_BURST_BYTES = 32 * 1024
/** Queue length of the tbf as time: short, so TCP feels the cap at once rather than filling a deep queue. */
const TBF_LATENCY_MS = 50
/** How long teardown waits for SIGKILLed processes to leave a namespace. */
const KILL_WAIT_MS = 2000
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const

/** What to build: a host's name (lower-case, it ends its namespace name) and optional rate caps. */
export interface HostSpec { name: string, uploadMbit?: number, downloadMbit?: number }

/** The outcome of a finished command; `code` is null when a signal ended it. */
export interface RunResult { stdout: string, stderr: string, code: number | null }

/** Options of async harness calls. */
export interface AbortOptions { signal?: AbortSignal }

/** One host: a network namespace with one interface on the shared bridge. */
export interface Host {
  readonly name: string
  /** The host's network namespace, usable with `ip netns exec`. */
  readonly ns: string
  /** The host's IPv4 address on the shared /24. */
  readonly ip: string
  /** Spawns `cmd` inside the namespace (`ip netns exec`); teardown kills it if still running. */
  exec: (cmd: string[], opts?: SpawnOptions) => ChildProcess
  /** Runs `cmd` inside the namespace to completion; a non-zero exit is a result, not a rejection. */
  run: (cmd: string[], opts?: AbortOptions) => Promise<RunResult>
  /** Caps (or, with undefined, uncaps) what this host sends, live. */
  setUploadMbit: (mbit: number | undefined, opts?: AbortOptions) => Promise<void>
  /** Caps (or, with undefined, uncaps) what this host receives, live. */
  setDownloadMbit: (mbit: number | undefined, opts?: AbortOptions) => Promise<void>
}

/** A set of hosts on one bridge. */
export interface Network {
  /** The run id, also the switch namespace's name. */
  readonly id: string
  readonly hosts: readonly Host[]
  /** Every namespace this network created: the switch's, then the hosts'. */
  readonly namespaces: readonly string[]
  /** The host called `name`; throws ERR_INVALID_ARGUMENT if there is none. */
  host: (name: string) => Host
  /** Kills everything running in the hosts and deletes every namespace. Idempotent. */
  destroy: () => Promise<void>
}

/** Options of `createNetwork`. */
export interface NetworkOptions extends AbortOptions {
  /** Namespace-name prefix, `[a-z][a-z0-9]{0,15}`; default `shoalt`. */
  prefix?: string
}

/** Runs a command to completion; rejects only when it cannot be started or is aborted. */
async function execRaw (file: string, args: string[], signal?: AbortSignal): Promise<RunResult> {
  return await new Promise((resolve, reject) => {
    execFile(file, args, { signal, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err == null) resolve({ stdout, stderr, code: 0 })
      else if (typeof err.code === 'number') resolve({ stdout, stderr, code: err.code })
      else if (err.name !== 'AbortError' && err.signal != null) resolve({ stdout, stderr, code: null })
      else reject(err)
    })
  })
}

/** Runs `ip`/`tc` and returns stdout; any failure is an error naming the command and its stderr. */
async function admin (file: 'ip' | 'tc', args: string[], signal?: AbortSignal): Promise<string> {
  const result = await execRaw(file, args, signal).catch((err) => { throw toShoalError(err) }) // ENOENT: no iproute2
  if (result.code !== 0) {
    const reason = result.stderr.trim()
    throw new ShoalError('ERR_INTERNAL', `netns harness: \`${file} ${args.join(' ')}\` failed: ${reason}`, { file, args, reason })
  }
  return result.stdout
}

function invalid (message: string, details: Record<string, unknown> = {}): ShoalError {
  return new ShoalError('ERR_INVALID_ARGUMENT', `netns harness: ${message}`, details)
}

function checkMbit (mbit: number | undefined): void {
  if (mbit !== undefined && !(Number.isFinite(mbit) && mbit > 0)) throw invalid(`a rate cap must be a positive number of Mbit/s, got ${mbit}`, { mbit })
}

/** Puts a tbf cap on `dev`'s egress in `ns`, or removes it; the burst choice is explained at BURST_WINDOW_S. */
async function setCap (ns: string, dev: string, mbit: number | undefined, signal?: AbortSignal): Promise<void> {
  checkMbit(mbit)
  if (mbit === undefined) {
    const current = await admin('tc', ['-n', ns, 'qdisc', 'show', 'dev', dev, 'root'], signal)
    if (current.includes('tbf')) await admin('tc', ['-n', ns, 'qdisc', 'del', 'dev', dev, 'root'], signal)
    return
  }
  const burstBytes = Math.max(MIN_BURST_BYTES, Math.ceil(mbit * 1e6 / 8 * BURST_WINDOW_S))
  await admin('tc', ['-n', ns, 'qdisc', 'replace', 'dev', dev, 'root', 'tbf', 'rate', `${Math.max(1, Math.round(mbit * 1000))}kbit`,
    'burst', String(burstBytes), 'latency', `${TBF_LATENCY_MS}ms`], signal)
}

function parsePids (stdout: string): number[] {
  return stdout.split('\n').filter((line) => /^\d+$/.test(line.trim())).map(Number)
}

function kill (pids: number[]): void {
  for (const pid of pids) try { process.kill(pid, 'SIGKILL') } catch {} // already gone
}

/** SIGKILLs everything in `ns` and waits until it has left (a vanished namespace counts as empty). */
async function emptyNamespace (ns: string): Promise<void> {
  const deadline = Date.now() + KILL_WAIT_MS
  for (;;) {
    const listed = await execRaw('ip', ['netns', 'pids', ns])
    const pids = listed.code === 0 ? parsePids(listed.stdout) : []
    if (pids.length === 0 || Date.now() > deadline) return
    kill(pids)
    await sleep(20)
  }
}

/** The names of all network namespaces on this machine. */
async function listNamespaces (signal?: AbortSignal): Promise<string[]> {
  const out = await admin('ip', ['netns', 'list'], signal)
  return out.split('\n').map((line) => line.trim().split(' ')[0] ?? '').filter((name) => name !== '')
}

function isAlive (pid: number): boolean {
  try { return process.kill(pid, 0) } catch (err) { return (err as NodeJS.ErrnoException).code === 'EPERM' }
}

/**
 * Deletes namespaces of this harness (with `prefix`) whose owning process is dead — leftovers
 * of crashed runs — after killing what still runs in them. Returns the names removed.
 */
export async function cleanupStale (prefix: string = DEFAULT_PREFIX, opts: AbortOptions = {}): Promise<string[]> {
  if (!PREFIX_NAME.test(prefix)) throw invalid(`prefix must match ${String(PREFIX_NAME)}, got ${JSON.stringify(prefix)}`)
  const owner = new RegExp(`^${prefix}-(\\d+)-[0-9a-f]{6}(?:-|$)`)
  const stale = (await listNamespaces(opts.signal)).filter((ns) => {
    const match = owner.exec(ns)
    return match != null && !isAlive(Number(match[1]))
  })
  for (const ns of stale) {
    await emptyNamespace(ns)
    await execRaw('ip', ['netns', 'del', ns]) // a parallel sweep may have won the race
  }
  return stale
}

/** A host's handle; everything it does goes through `ip netns exec` or `tc -n`. */
function makeHost (name: string, ns: string, ip: string, switchNs: string, port: string): Host {
  return {
    name,
    ns,
    ip,
    exec: (cmd, opts = {}) => spawn('ip', ['netns', 'exec', ns, ...cmd], opts),
    run: async (cmd, opts = {}) => await execRaw('ip', ['netns', 'exec', ns, ...cmd], opts.signal),
    setUploadMbit: async (mbit, opts = {}) => { await setCap(ns, HOST_IF, mbit, opts.signal) },
    setDownloadMbit: async (mbit, opts = {}) => { await setCap(switchNs, port, mbit, opts.signal) }
  }
}

class NetnsNetwork implements Network {
  readonly id: string
  readonly hosts: readonly Host[]
  readonly namespaces: readonly string[]
  readonly #specs: HostSpec[]
  #teardown: Promise<void> | undefined

  constructor (id: string, specs: HostSpec[]) {
    this.id = id
    this.#specs = specs
    this.hosts = specs.map((spec, i) => makeHost(spec.name, `${id}-${spec.name}`, `${SUBNET}.${i + 1}`, id, `h${i}`))
    this.namespaces = [id, ...this.hosts.map((host) => host.ns)]
  }

  host (name: string): Host {
    const found = this.hosts.find((host) => host.name === name)
    if (found === undefined) throw invalid(`no host called ${JSON.stringify(name)}`, { name })
    return found
  }

  /** Creates the switch, then each host: namespace, veth pair onto the bridge, address, routes, caps. */
  async build (signal?: AbortSignal): Promise<void> {
    const sw = this.id
    const steps = [
      ['netns', 'add', sw],
      // No snooping: the bridge floods multicast like a plain switch, so mDNS needs no IGMP querier.
      ['-n', sw, 'link', 'add', BRIDGE_IF, 'type', 'bridge', 'mcast_snooping', '0'],
      ['-n', sw, 'link', 'set', BRIDGE_IF, 'up'],
      ...this.hosts.flatMap(({ ns, ip }, i) => [
        ['netns', 'add', ns],
        ['-n', ns, 'link', 'add', HOST_IF, 'type', 'veth', 'peer', 'name', `h${i}`, 'netns', sw],
        ['-n', sw, 'link', 'set', `h${i}`, 'master', BRIDGE_IF, 'up'],
        ['-n', ns, 'addr', 'add', `${ip}/24`, 'dev', HOST_IF],
        ['-n', ns, 'link', 'set', 'lo', 'up'],
        ['-n', ns, 'link', 'set', HOST_IF, 'up'],
        ['-n', ns, 'route', 'add', '224.0.0.0/4', 'dev', HOST_IF]
      ])
    ]
    for (const args of steps) await admin('ip', args, signal)
    for (const [i, host] of this.hosts.entries()) {
      const spec = this.#specs[i] as HostSpec
      if (spec.uploadMbit !== undefined) await host.setUploadMbit(spec.uploadMbit, { signal })
      if (spec.downloadMbit !== undefined) await host.setDownloadMbit(spec.downloadMbit, { signal })
    }
  }

  async destroy (): Promise<void> {
    this.#teardown ??= this.#destroy()
    await this.#teardown
  }

  async #destroy (): Promise<void> {
    for (const ns of this.namespaces) await emptyNamespace(ns)
    for (const ns of this.namespaces) await execRaw('ip', ['netns', 'del', ns])
    untrack(this)
    const left = (await listNamespaces()).filter((ns) => this.namespaces.includes(ns))
    if (left.length > 0) throw new ShoalError('ERR_INTERNAL', `netns harness: could not delete ${left.join(', ')}`, { left })
  }

  /** Last-resort teardown for process exit and fatal signals, where nothing async runs. */
  destroySync (): void {
    for (const ns of this.namespaces) {
      try { kill(parsePids(execFileSync('ip', ['netns', 'pids', ns], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }))) } catch {}
      try { execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' }) } catch {}
    }
  }
}

const live = new Set<NetnsNetwork>()

function destroyAllSync (): void {
  for (const net of live) {
    net.destroySync()
    untrack(net)
  }
}

/** Cleans up, then lets the signal do what it would have done without our listener. */
function onSignal (signal: NodeJS.Signals): void {
  destroyAllSync()
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal)
}

function track (net: NetnsNetwork): void {
  if (live.size === 0) {
    process.on('exit', destroyAllSync)
    for (const signal of SIGNALS) process.on(signal, onSignal)
  }
  live.add(net)
}

function untrack (net: NetnsNetwork): void {
  if (!live.delete(net) || live.size > 0) return
  process.off('exit', destroyAllSync)
  for (const signal of SIGNALS) process.off(signal, onSignal)
}

function checkSpecs (specs: HostSpec[]): void {
  if (specs.length === 0 || specs.length > MAX_HOSTS) throw invalid(`need 1 to ${MAX_HOSTS} hosts, got ${specs.length}`)
  const names = new Set<string>()
  for (const spec of specs) {
    if (!HOST_NAME.test(spec.name)) throw invalid(`host name must match ${String(HOST_NAME)}, got ${JSON.stringify(spec.name)}`)
    if (names.has(spec.name)) throw invalid(`duplicate host name ${JSON.stringify(spec.name)}`)
    names.add(spec.name)
    checkMbit(spec.uploadMbit)
    checkMbit(spec.downloadMbit)
  }
}

/**
 * Builds hosts `specs` (addresses 10.231.0.1, .2, … in order) on one bridge, after sweeping
 * stale runs. Call `destroy()` in `after`; exit and signal handlers are the safety net. A
 * failed build is rolled back and rethrown (ERR_INTERNAL naming the command that failed).
 */
export async function createNetwork (specs: HostSpec[], opts: NetworkOptions = {}): Promise<Network> {
  const prefix = opts.prefix ?? DEFAULT_PREFIX
  checkSpecs(specs)
  await cleanupStale(prefix, opts)
  const net = new NetnsNetwork(`${prefix}-${process.pid}-${randomBytes(3).toString('hex')}`, specs)
  track(net)
  try {
    await net.build(opts.signal)
  } catch (err) {
    await net.destroy()
    throw err
  }
  return net
}

/**
 * Throws a clear ERR_INTERNAL error — for tests to fail on, never to skip — unless this
 * process can build a capped network and run node inside it: root, iproute2, and kernel
 * support for netns, veth, bridge and sch_tbf.
 */
export async function assertNetnsAvailable (opts: AbortOptions = {}): Promise<void> {
  const need = 'multi-host tests need root, iproute2 (ip, tc) and kernel netns, veth, bridge and sch_tbf'
  if (process.getuid?.() !== 0) throw new ShoalError('ERR_INTERNAL', `${need}: not running as root`)
  try {
    const net = await createNetwork([{ name: 'probe', uploadMbit: 1, downloadMbit: 1 }], opts)
    try {
      const node = await net.hosts[0]?.run([process.execPath, '-e', ''], opts)
      if (node?.code !== 0) throw new Error(`cannot run node inside a namespace: ${node?.stderr.trim() ?? ''}`)
    } finally {
      await net.destroy()
    }
  } catch (err) {
    if (hasCode(err, 'ERR_ABORTED')) throw err
    throw new ShoalError('ERR_INTERNAL', `${need}: ${(err as Error).message}`, {}, { cause: err })
  }
}
