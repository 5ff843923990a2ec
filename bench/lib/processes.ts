/**
 * Child processes of the benchmark: timed runs with their peak RSS, and
 * long-lived servers that announce themselves with one JSON line.
 *
 * Peak RSS comes from GNU time (`/usr/bin/time -f %M`, the kernel's
 * `ru_maxrss` of the child) when it is installed; otherwise from polling
 * `/proc/<pid>/status` (`VmHWM`, the RSS high-water mark, which only grows,
 * so the last reading before exit is the peak up to that moment). The timed
 * span is spawn to exit, measured here.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { ShoalError } from '../../src/errors.js'
import { KiB } from './stats.js'

const GNU_TIME = '/usr/bin/time'
const RSS_MARK = 'BENCH_MAXRSS_KIB='
const HWM_POLL_MS = 20
/** How long a stopped server gets to exit before SIGKILL. */
const STOP_GRACE_MS = 10_000

/** Options of a child process. */
export interface ChildOptions {
  env?: Record<string, string>
  cwd?: string
  /** Killed (SIGKILL) and failed with ERR_TIMEOUT after this long. */
  timeoutMs: number
  signal?: AbortSignal
}

/** The outcome of one timed run. */
export interface TimedRun {
  ms: number
  /** Peak resident set size, bytes. */
  peakRssBytes: number
  code: number | null
  stdout: string
  stderr: string
}

/**
 * Runs `command args…` to exit and measures it. A non-zero exit, a timeout or
 * an abort throws (the bench never reports a figure from a failed run).
 */
export async function runTimed (command: string, args: readonly string[], options: ChildOptions): Promise<TimedRun> {
  const viaTime = existsSync(GNU_TIME)
  const started = performance.now()
  const child = viaTime
    ? spawnChild(GNU_TIME, ['-f', `${RSS_MARK}%M`, command, ...args], options, true)
    : spawnChild(command, args, options, true)
  let hwmKiB = 0
  const poll = viaTime
    ? undefined
    : setInterval(() => { void readHwmKiB(child.pid).then(kib => { hwmKiB = Math.max(hwmKiB, kib) }) }, HWM_POLL_MS).unref()
  const out = collectOutput(child)
  try {
    const code = await waitForExit(child, `${command} ${args.join(' ')}`, options)
    const ms = performance.now() - started
    const { stdout, stderr: rawStderr } = await out
    let stderr = rawStderr
    if (viaTime) {
      const at = rawStderr.lastIndexOf(RSS_MARK)
      hwmKiB = at < 0 ? 0 : Number.parseInt(rawStderr.slice(at + RSS_MARK.length), 10)
      stderr = at < 0 ? rawStderr : rawStderr.slice(0, at)
    }
    if (code !== 0) {
      throw new ShoalError('ERR_INTERNAL', `${command} ${args.join(' ')} exited with ${String(code)}: ${stderr.trim() || stdout.trim()}`, { code, stderr })
    }
    return { ms, peakRssBytes: hwmKiB * KiB, code, stdout, stderr }
  } finally {
    if (poll !== undefined) clearInterval(poll)
  }
}

/** A running server and how to stop it. */
export interface Server<T> {
  /** The JSON object of the server's first stdout line. */
  info: T
  child: ChildProcess
  /** SIGINT, then SIGKILL after a grace period; resolves once it exited. Idempotent. */
  stop: () => Promise<void>
}

/** Starts a long-lived process and waits for the JSON line it prints once ready. */
export async function startServer<T> (command: string, args: readonly string[], options: ChildOptions): Promise<Server<T>> {
  const child = spawnChild(command, args, options)
  const exited = new Promise<void>(resolve => { child.once('exit', () => { resolve() }) })
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT')
    const timer = setTimeout(() => { child.kill('SIGKILL') }, STOP_GRACE_MS).unref()
    await exited
    clearTimeout(timer)
  }
  let stderr = ''
  child.stderr?.on('data', (d: Buffer) => { stderr += d.toString() })
  try {
    const info = await new Promise<T>((resolve, reject) => {
      let stdout = ''
      const fail = (err: ShoalError): void => { clearTimeout(timer); options.signal?.removeEventListener('abort', onAbort); reject(err) }
      const timer = setTimeout(() => { fail(new ShoalError('ERR_TIMEOUT', `${command} ${args.join(' ')} did not start: ${stderr}`)) }, options.timeoutMs).unref()
      const onAbort = (): void => { fail(new ShoalError('ERR_ABORTED', 'benchmark interrupted')) }
      options.signal?.addEventListener('abort', onAbort, { once: true })
      child.stdout?.on('data', (d: Buffer) => {
        stdout += d.toString()
        const nl = stdout.indexOf('\n')
        if (nl < 0) return
        clearTimeout(timer)
        options.signal?.removeEventListener('abort', onAbort)
        try { resolve(JSON.parse(stdout.slice(0, nl)) as T) } catch (err) { reject(err) }
      })
      child.once('exit', (code) => { fail(new ShoalError('ERR_INTERNAL', `${command} ${args.join(' ')} exited with ${String(code)} before it was ready: ${stderr}`)) })
    })
    return { info, child, stop }
  } catch (err) {
    await stop()
    throw err
  }
}

/** `group`: the child leads a process group of its own, so a kill reaches what GNU time runs too. */
function spawnChild (command: string, args: readonly string[], options: ChildOptions, group = false): ChildProcess {
  return spawn(command, args, {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: group
  })
}

async function collectOutput (child: ChildProcess): Promise<{ stdout: string, stderr: string }> {
  let stdout = ''
  let stderr = ''
  child.stdout?.on('data', (d: Buffer) => { stdout += d.toString() })
  child.stderr?.on('data', (d: Buffer) => { stderr += d.toString() })
  await new Promise(resolve => child.once('close', resolve))
  return { stdout, stderr }
}

/** Resolves with the exit code; kills the child's process group on timeout or abort and rejects. */
async function waitForExit (child: ChildProcess, what: string, options: ChildOptions): Promise<number | null> {
  let failure: ShoalError | undefined
  const kill = (err: ShoalError): void => {
    failure ??= err
    try {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL')
    } catch {
      // the group already exited
    }
  }
  const timer = setTimeout(() => { kill(new ShoalError('ERR_TIMEOUT', `${what} took longer than ${options.timeoutMs} ms`)) }, options.timeoutMs).unref()
  const onAbort = (): void => { kill(new ShoalError('ERR_ABORTED', 'benchmark interrupted')) }
  options.signal?.addEventListener('abort', onAbort, { once: true })
  if (options.signal?.aborted === true) onAbort()
  try {
    const [code] = await new Promise<[number | null, NodeJS.Signals | null]>(resolve => {
      child.once('exit', (c, s) => { resolve([c, s]) })
    })
    if (failure !== undefined) throw failure
    return code
  } finally {
    clearTimeout(timer)
    options.signal?.removeEventListener('abort', onAbort)
  }
}

async function readHwmKiB (pid: number | undefined): Promise<number> {
  try {
    const status = await readFile(`/proc/${String(pid)}/status`, 'utf8')
    return Number.parseInt(/^VmHWM:\s+(\d+)/m.exec(status)?.[1] ?? '0', 10)
  } catch {
    return 0 // the process is gone; its last reading stands
  }
}

/** Parses the last line of `stdout` that is a JSON object. */
export function lastJson<T> (stdout: string): T {
  const line = stdout.trim().split('\n').filter(l => l.startsWith('{')).pop()
  if (line === undefined) throw new ShoalError('ERR_INTERNAL', `no JSON on stdout: ${stdout}`)
  return JSON.parse(line) as T
}
