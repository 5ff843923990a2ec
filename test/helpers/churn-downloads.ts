/**
 * The downloaders of the churn soak (churn-soak.ts) and their tally. Each
 * downloader fetches every file, in an order drawn from a PRNG stream of its
 * own, round after round until churn ends; a download cut by a kill is run
 * again (the caller's `attempt`: a `shoal get`, or a follower of a node's
 * job) until it completes or the finishing deadline passes. Every finished
 * file is checked against its source's SHA-256.
 */
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { sha256File } from './cli.js'
import { prng, shuffled, streamOf } from './churn-draws.js'
import { LOCAL_SOURCE } from '../../src/transfer/local-source.js'

/** Pause before re-running a download that failed by itself (already recorded as a finding). */
const RETRY_AFTER_FAILURE_MS = 1000

/** A source file of the soak; `id` once shared. */
export interface SoakFile { name: string, path: string, size: number, sha256: string, id: string }

/**
 * How one run of a download ended: completed (with the bytes that run
 * fetched from peers and copied from a local copy, when known), cut by a
 * kill of ours, or failed by itself.
 */
export type Attempt = { kind: 'done', fetchedBytes: number | undefined, localBytes?: number } | { kind: 'interrupted' } | { kind: 'failed', why: string }

/** A finished run's bytes by where they came from: peers over the network, or a copy this node already held. */
export function doneAttempt (peers: ReadonlyArray<{ peerId: string, bytes: number }>): Attempt {
  let fetchedBytes = 0
  let localBytes = 0
  for (const p of peers) {
    if (p.peerId === LOCAL_SOURCE) localBytes += p.bytes
    else fetchedBytes += p.bytes
  }
  return { kind: 'done', fetchedBytes, localBytes }
}

/**
 * True when an error says the destination already holds the file: the run
 * before, cut by a kill of ours after the file was complete, finished it.
 */
export function alreadyComplete (error: string): boolean {
  return error.includes('ERR_DEST_EXISTS') && error.includes('already holds this file')
}

/** Runs a download of `file` to `out` once. */
export type AttemptFn = (file: SoakFile, out: string) => Promise<Attempt>

/** What the downloaders did. */
export interface DownloadTally {
  downloadsFinished: number
  downloadsVerified: number
  /** Downloads cut by a kill (of their get or their node) at least once, and how many of those finished. */
  interrupted: number
  interruptedFinished: number
  /** Interrupted downloads whose last run needed fewer bytes than the file: they resumed from kept chunks. */
  resumedWithBytes: number
  /** Bytes of finished downloads that had to cross the network (a chunk copied from a local copy did not). */
  deliveredBytes: number
  /** Bytes finished downloads copied from a copy their node already held. */
  copiedLocallyBytes: number
  /** Downloads that had not finished at the deadline. */
  unfinished: string[]
  /** Downloads whose bytes differ from their source. */
  corrupt: string[]
}

/** What the downloaders need from the soak. */
export interface DownloadersInit {
  files: readonly SoakFile[]
  seed: number
  outDir: string
  /** True once no new download may start. */
  churnOver: () => boolean
  /** True once the finishing deadline has passed. */
  overdue: () => boolean
  /** Records a failure nobody caused. */
  finding: (line: string) => void
  trace?: (line: string) => void
}

/** Runs downloaders and keeps their tally. */
export class Downloaders {
  readonly tally: DownloadTally = {
    downloadsFinished: 0, downloadsVerified: 0, interrupted: 0, interruptedFinished: 0, resumedWithBytes: 0, deliveredBytes: 0, copiedLocallyBytes: 0, unfinished: [], corrupt: []
  }

  readonly #init: DownloadersInit

  constructor (init: DownloadersInit) {
    this.#init = init
  }

  /** Downloader `name`: every file in an order of its own, round after round, until churn ends. */
  async run (name: string, attempt: AttemptFn): Promise<void> {
    const { files, seed, outDir, churnOver, overdue } = this.#init
    const rng = prng(seed ^ streamOf(name))
    await mkdir(join(outDir, name), { recursive: true })
    for (let round = 0; !churnOver(); round++) {
      for (const file of shuffled(files, rng)) {
        if (churnOver() || overdue()) return
        const out = join(outDir, name, `r${round}-${file.name}`)
        await this.#download(`${name}: r${round}-${file.name}`, file, out, attempt)
      }
    }
  }

  /** One download to its end: run again after every interruption until it completes or the deadline passes. */
  async #download (label: string, file: SoakFile, out: string, attempt: AttemptFn): Promise<void> {
    let interrupted = false
    for (;;) {
      const a = await attempt(file, out)
      if (a.kind === 'done') {
        await this.#completed(label, file, out, interrupted, a.fetchedBytes, a.localBytes ?? 0)
        return
      }
      if (this.#init.overdue()) {
        this.tally.unfinished.push(label)
        return
      }
      if (a.kind === 'failed') {
        this.#init.finding(a.why)
        await sleep(RETRY_AFTER_FAILURE_MS)
      }
      if (!interrupted) this.tally.interrupted++
      interrupted = true
    }
  }

  async #completed (label: string, file: SoakFile, out: string, interrupted: boolean, fetchedBytes: number | undefined, localBytes: number): Promise<void> {
    const t = this.tally
    t.downloadsFinished++
    t.deliveredBytes += file.size - localBytes
    t.copiedLocallyBytes += localBytes
    if (interrupted) t.interruptedFinished++
    if (interrupted && fetchedBytes !== undefined && fetchedBytes + localBytes < file.size) t.resumedWithBytes++
    if (await sha256File(out) === file.sha256) t.downloadsVerified++
    else t.corrupt.push(label)
    this.#init.trace?.(`done: ${label}${interrupted ? ', interrupted' : ''}, last run fetched ${fetchedBytes ?? '?'} of ${file.size} bytes`)
  }
}
