/**
 * Runs the real `shoal` binary (bin/shoal.js → dist/) as child processes and
 * cleans up after each test: data dirs, files, and nodes still running.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { mkdtemp, rm, open, readFile, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { TestContext } from 'node:test'

export const REPO = resolve(fileURLToPath(import.meta.url), '../../..')
export const SHOAL_BIN = join(REPO, 'bin', 'shoal.js')

/** Environment for test nodes: no LAN or DHT chatter between unrelated tests. */
export const TEST_ENV: Record<string, string> = {
  SHOAL_NETWORK_MDNS: 'false',
  SHOAL_NETWORK_DHT: 'false'
}

/** The outcome of one CLI run. */
export interface RunResult {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

/** Stops of the nodes each test started: run before its temp dirs are removed. */
const nodeStops = new WeakMap<TestContext, Array<() => Promise<void>>>()

/**
 * A fresh temp dir removed after the test. `after` hooks run in the order
 * they are registered, so this one (registered before any node) first stops
 * the test's nodes itself: a running node still writes into its data dir.
 */
export async function tempDir (t: TestContext, prefix = 'shoal-test-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix))
  t.after(async () => {
    await Promise.all((nodeStops.get(t) ?? []).map(async stop => { await stop() }))
    await rm(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 })
  })
  return dir
}

/** Spawns `shoal …` with the test environment. */
export function spawnShoal (args: string[], opts: { env?: Record<string, string>, cwd?: string } = {}): ChildProcess {
  return spawn(process.execPath, [SHOAL_BIN, ...args], {
    cwd: opts.cwd ?? REPO,
    env: { ...process.env, ...TEST_ENV, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
}

/** Runs `shoal …` to completion (killed after `timeoutMs`). */
export async function runShoal (args: string[], opts: { env?: Record<string, string>, cwd?: string, timeoutMs?: number } = {}): Promise<RunResult> {
  const child = spawnShoal(args, opts)
  return await collect(child, opts.timeoutMs ?? 120_000)
}

/** Collects a child's output until it exits. */
export async function collect (child: ChildProcess, timeoutMs = 120_000): Promise<RunResult> {
  let stdout = ''
  let stderr = ''
  child.stdout?.on('data', (d: Buffer) => { stdout += d.toString() })
  child.stderr?.on('data', (d: Buffer) => { stderr += d.toString() })
  const timer = setTimeout(() => { child.kill('SIGKILL') }, timeoutMs)
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => {
    child.on('exit', (c, s) => { resolve([c, s]) })
  })
  clearTimeout(timer)
  return { code, signal, stdout, stderr }
}

/** Parses the last JSON line of stdout. */
export function lastJson<T = Record<string, unknown>> (r: RunResult): T {
  const lines = r.stdout.trim().split('\n').filter(l => l.startsWith('{'))
  const line = lines[lines.length - 1]
  if (line == null) throw new Error(`no JSON on stdout (exit ${r.code}): ${r.stdout} ${r.stderr}`)
  return JSON.parse(line) as T
}

/** A `shoal start` process. */
export interface NodeProcess {
  dataDir: string
  peerId: string
  addrs: string[]
  api: string
  /** The dashboard URL it printed (`http://…/?token=…`). */
  dashboard: string
  child: ChildProcess
  /** Graceful stop (SIGINT) and wait. */
  stop: () => Promise<void>
}

/** Starts `shoal start` in `dataDir` on loopback with ephemeral ports; stopped after the test. */
export async function startNode (t: TestContext, dataDir: string, opts: { env?: Record<string, string>, args?: string[], cwd?: string } = {}): Promise<NodeProcess> {
  const child = spawnShoal(['start', '--data-dir', dataDir, '--listen', '/ip4/127.0.0.1/tcp/0', '--api', '127.0.0.1:0', '--json', ...(opts.args ?? [])], { env: opts.env, cwd: opts.cwd })
  const info = await nodeStarted(child, 'node')
  const { stop } = nodeControls(child)
  t.after(stop)
  nodeStops.set(t, [...(nodeStops.get(t) ?? []), stop])
  return { dataDir, ...info, child, stop }
}

/** What `shoal start --json` prints first. */
export interface NodeInfo { peerId: string, addrs: string[], api: string, dashboard: string }

/** Resolves with a `shoal start --json` process's first line; rejects if it exits or takes 30 s. */
export async function nodeStarted (child: ChildProcess, label: string): Promise<NodeInfo> {
  let out = ''
  let err = ''
  child.stderr?.on('data', (d: Buffer) => { err += d.toString() })
  return await new Promise<NodeInfo>((resolve, reject) => {
    const timer = setTimeout(() => { reject(new Error(`${label} did not start: ${err}`)) }, 30_000)
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString()
      const nl = out.indexOf('\n')
      if (nl >= 0) { clearTimeout(timer); resolve(JSON.parse(out.slice(0, nl)) as NodeInfo) }
    })
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`${label} exited ${code}: ${err}`)) })
  })
}

/** Graceful stop (SIGINT, then SIGKILL after 10 s) and kill of a node process; both wait for its exit. */
export function nodeControls (child: ChildProcess): { stop: () => Promise<void>, kill: () => Promise<void> } {
  const exited = new Promise<void>((resolve) => { child.on('exit', () => { resolve() }) })
  const running = (): boolean => child.exitCode == null && child.signalCode == null
  const kill = async (): Promise<void> => {
    if (running()) child.kill('SIGKILL')
    await exited
  }
  const stop = async (): Promise<void> => {
    if (running()) child.kill('SIGINT')
    await Promise.race([exited, new Promise(resolve => setTimeout(resolve, 10_000).unref())])
    await kill()
  }
  return { stop, kill }
}

/** Writes `size` random bytes to `path` (streamed in 1 MiB pieces). */
export async function writeRandomFile (path: string, size: number): Promise<void> {
  const fh = await open(path, 'w')
  try {
    for (let done = 0; done < size;) {
      const n = Math.min(1 << 20, size - done)
      await fh.write(randomBytes(n))
      done += n
    }
  } finally {
    await fh.close()
  }
}

/**
 * Bit rot, or `touch -r` after an edit: flips one byte at each of `offsets`
 * of a shared file, keeping its size and exact (nanosecond) mtime. Only the
 * ctime moves (and the content): what the node sharing it must notice.
 */
export async function rotInPlace (path: string, offsets: number[]): Promise<void> {
  const { mtimeNs } = await stat(path, { bigint: true })
  const bytes = await readFile(path)
  for (const offset of offsets) bytes[offset] = (bytes[offset] as number) ^ 0x55
  await writeFile(path, bytes)
  // utimes() would round the mtime; touch takes it to the nanosecond.
  execFileSync('touch', ['-m', '-d', `@${mtimeNs / 1_000_000_000n}.${String(mtimeNs % 1_000_000_000n).padStart(9, '0')}`, path])
}

/** Hex SHA-256 of a file. */
export async function sha256File (path: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer)
  return hash.digest('hex')
}

/** Polls `check` until it returns true or `timeoutMs` passes. */
export async function waitFor (check: () => boolean | Promise<boolean>, timeoutMs = 30_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 20))
  }
}

/** A `shoal tracker` process. */
export interface TrackerProcess {
  url: string
  child: ChildProcess
  /** Settles with the process's output when it exits. */
  done: Promise<RunResult>
}

/** Starts `shoal tracker --json …args`; killed after the test if still running. */
export async function startTracker (t: TestContext, args: string[]): Promise<TrackerProcess> {
  const child = spawnShoal(['tracker', '--json', ...args])
  t.after(() => { child.kill('SIGKILL') })
  const done = collect(child)
  let out = ''
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString()
      if (out.includes('\n')) resolve((JSON.parse(out.split('\n')[0] as string) as { url: string }).url)
    })
    child.on('exit', (code) => { reject(new Error(`tracker exited ${code}`)) })
  })
  return { url, child, done }
}
