/**
 * The churn soak's view of its shoal processes (churn-soak.ts): each one's
 * exit, judged as ours or not; its stderr, scanned for stack traces, fatal
 * errors and Node warnings; and the peak VmRSS of the live ones, sampled
 * from /proc (`ip netns exec` execs, so a child's pid is shoal's own).
 */
import type { ChildProcess } from 'node:child_process'
import { readFile } from 'node:fs/promises'

/** What a process is: a seeder node, a `shoal get` with its own node, or a downloader node. */
export type Kind = 'seeder' | 'get' | 'node'

/** How often the live processes' RSS is read. */
const RSS_SAMPLE_MS = 500
/** Stderr kept per process: enough for any trace; a chatty process cannot fill memory. */
const STDERR_KEEP_CHARS = 256 * 1024
/**
 * A stack frame (the CLI prints errors as one line, never a stack), an
 * uncaught error or rejection, V8 out of heap, a failed native assertion.
 * Case matters: a get's `(ERR_ABORTED)` line is no crash.
 */
const CRASH = /^\s+at \S.*:\d+:\d+\)?$|Uncaught|UnhandledPromiseRejection|FATAL ERROR|out of memory|Assertion failed/m
/** Stderr kept around a crash in the report: the error line and its stack. */
const CRASH_CONTEXT_CHARS = 2000
/** `(node:1234) [DEP0005] DeprecationWarning: …` and the like. */
const WARNING = /\(node:\d+\) (?:\[\w+\] )?(\w*Warning): ([^\n]*)/g

/** One watched process. */
export interface Proc {
  readonly label: string
  readonly kind: Kind
  readonly child: ChildProcess
  /** Set before we kill or stop it: its exit is one we caused. */
  ours: boolean
  /** Resolves when it has exited (and its stderr is scanned). */
  readonly exited: Promise<void>
  /** SIGKILL, marked as ours; resolves at the exit. */
  kill: () => Promise<void>
}

/** Peak resident memory seen. */
export interface RssPeaks { peakBytes: number, peakLabel: string, byKind: Record<Kind, number> }

/** The last line that says something: Node ends a crash with its version, after the error. */
const lastLine = (text: string): string => text.trim().split('\n').filter(l => l.trim() !== '' && !l.startsWith('Node.js v')).pop() ?? ''

/** Watches every process handed to `add` until it exits; `stop()` ends the sampling. */
export class ProcessWatch {
  /** Exits and failures nobody caused. */
  readonly unexpected: string[] = []
  /** Stack traces and fatal errors, with the process that printed them. */
  readonly crashes: string[] = []
  /** Warnings by the kind of process, digits folded (so one leak is one key), with counts. */
  readonly warnings: Record<string, number> = {}
  readonly rss: RssPeaks = { peakBytes: 0, peakLabel: '', byKind: { seeder: 0, get: 0, node: 0 } }
  readonly #live = new Set<Proc>()
  readonly #timer: NodeJS.Timeout
  #sampling = false

  constructor () {
    this.#timer = setInterval(() => { void this.#sample() }, RSS_SAMPLE_MS)
    this.#timer.unref()
  }

  /**
   * Watches `child`. A seeder or node exiting when not `ours` is unexpected,
   * and `onCrash` runs (to bring it back); a get's exit is judged by its caller.
   */
  add (label: string, kind: Kind, child: ChildProcess, onCrash?: () => void): Proc {
    let stderr = ''
    child.stderr?.on('data', (d: Buffer) => { if (stderr.length < STDERR_KEEP_CHARS) stderr += d.toString() })
    let exited: () => void = () => {}
    const proc: Proc = {
      label,
      kind,
      child,
      ours: false,
      exited: new Promise<void>((resolve) => { exited = resolve }),
      kill: async () => {
        proc.ours = true
        if (child.exitCode == null && child.signalCode == null) child.kill('SIGKILL')
        await proc.exited
      }
    }
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
      this.#live.delete(proc)
      this.#scan(label, kind, stderr)
      if (!proc.ours && kind !== 'get') {
        this.unexpected.push(`${label} (${kind}) exited by itself, ${code ?? signal}: ${lastLine(stderr)}`)
        onCrash?.()
      }
      exited()
    }
    if (child.exitCode != null || child.signalCode != null) onExit(child.exitCode, child.signalCode)
    else {
      this.#live.add(proc)
      child.once('exit', onExit)
    }
    return proc
  }

  /** Records a failure found by the caller (a get that failed by itself, a node that would not stop). */
  finding (line: string): void {
    this.unexpected.push(line)
  }

  /** SIGKILLs every live process, as ours. */
  async killAll (): Promise<void> {
    await Promise.all([...this.#live].map(async p => { await p.kill() }))
  }

  stop (): void {
    clearInterval(this.#timer)
  }

  #scan (label: string, kind: Kind, stderr: string): void {
    const crash = CRASH.exec(stderr)
    if (crash != null) this.crashes.push(`${label}: ${stderr.slice(Math.max(0, crash.index - CRASH_CONTEXT_CHARS), crash.index + CRASH_CONTEXT_CHARS)}`)
    for (const [, type, message] of stderr.matchAll(WARNING)) {
      const key = `${kind}: ${type}: ${(message ?? '').replace(/\d+/g, 'N')}`
      this.warnings[key] = (this.warnings[key] ?? 0) + 1
    }
  }

  async #sample (): Promise<void> {
    if (this.#sampling) return
    this.#sampling = true
    try {
      for (const p of [...this.#live]) {
        // A process may exit between the listing and the read: no file, no sample.
        const status = await readFile(`/proc/${p.child.pid ?? 0}/status`, 'utf8').catch(() => '')
        const kib = /^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1]
        if (kib == null) continue
        const bytes = Number(kib) * 1024
        this.rss.byKind[p.kind] = Math.max(this.rss.byKind[p.kind], bytes)
        if (bytes > this.rss.peakBytes) {
          this.rss.peakBytes = bytes
          this.rss.peakLabel = p.label
        }
      }
    } finally {
      this.#sampling = false
    }
  }
}
