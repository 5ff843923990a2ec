/**
 * Downloads through a downloader node's API, for the churn soak
 * (churn-soak.ts). Each run posts the download and follows its job
 * (followDownload); a kill of the node ends the run, and the next one joins
 * the job the restarted node resumed. Before it does, it checks that the
 * node did resume the job by itself: with nobody asking, the job's verified
 * bytes grow within AUTO_RESUME_WAIT_MS of the restart.
 */
import { existsSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { followDownload, shoalOn, type FollowedDownload, type HostNode } from './host-nodes.js'
import { alreadyComplete, doneAttempt, type Attempt, type SoakFile } from './churn-downloads.js'
import type { JobSnapshot } from '../../src/transfer/download-job.js'

/** How long a restarted node has to show it resumed a job by itself: a chunk or two at the soak's caps, with room for load. */
const AUTO_RESUME_WAIT_MS = 20_000
const AUTO_RESUME_POLL_MS = 1000
const POLL_MS = 100

/** The downloader node as the soak keeps it across restarts. */
export interface FollowedNode {
  readonly label: string
  readonly node: HostNode
  readonly down: boolean
  /** Bumped at every kill or crash of the node. */
  readonly generation: number
}

/** What the follower needs from the soak. */
export interface NodeDownloadsInit {
  slot: FollowedNode
  /** Addresses given with each download: the seeders'. */
  peers: () => string[]
  overdue: () => boolean
  /** Records a failure nobody caused. */
  finding: (line: string) => void
}

/** The downloads of one downloader node. */
export class NodeDownloads {
  /** Downloads the restarted node went on with by itself. */
  autoResumed = 0
  readonly #init: NodeDownloadsInit
  /** Downloads whose job the node accepted: output path → job ID, and the node generation it ran in. */
  readonly #jobs = new Map<string, { id: string, generation: number }>()

  constructor (init: NodeDownloadsInit) {
    this.#init = init
  }

  /** One run: completed, cut by a kill of the node, or failed by itself. */
  async attempt (file: SoakFile, out: string): Promise<Attempt> {
    const { slot, overdue } = this.#init
    while (slot.down && !overdue()) await sleep(POLL_MS)
    if (overdue()) return { kind: 'interrupted' }
    const generation = slot.generation
    const job = this.#jobs.get(out)
    if (job != null && job.generation !== generation) {
      if (await this.#resumedByItself(job.id, out, generation)) this.autoResumed++
      if (slot.generation !== generation) return { kind: 'interrupted' }
    }
    let followed: FollowedDownload | undefined
    try {
      followed = await followDownload(slot.node, file.id, out, this.#init.peers())
      const trace = await followed.done
      if (trace.final.state === 'completed') return doneAttempt(trace.final.peers)
      return { kind: 'failed', why: `${slot.label}: download of ${file.name} ended ${trace.final.state}: ${trace.final.error ?? ''}` }
    } catch (err) {
      if (slot.generation !== generation || overdue()) return { kind: 'interrupted' }
      const message = (err as Error).message
      // The node finished the resumed job before this run joined it.
      if (alreadyComplete(message)) return { kind: 'done', fetchedBytes: undefined }
      return { kind: 'failed', why: `${slot.label}: following ${file.name} failed: ${message}` }
    } finally {
      const first = followed?.points[0]
      if (first != null) this.#jobs.set(out, { id: first.snapshot.id, generation })
    }
  }

  /**
   * True once job `id` progresses on the restarted node with nobody
   * following it (its verified bytes grow between two looks); false,
   * recorded as a finding, if it does not in time. A job complete at the
   * first look (or gone, its file at `out`: it completed before the kill),
   * or a new kill of the node while we look, ends the check (false, no
   * finding).
   */
  async #resumedByItself (id: string, out: string, generation: number): Promise<boolean> {
    const { slot, overdue } = this.#init
    const deadline = Date.now() + AUTO_RESUME_WAIT_MS
    let first: number | undefined
    let last = ''
    while (Date.now() < deadline) {
      if (slot.generation !== generation || overdue()) return false
      const r = await shoalOn(slot.node.host, ['status', id, '--json', '--data-dir', slot.node.dataDir])
      if (r.code === 0) {
        const s = JSON.parse(r.stdout) as JobSnapshot
        last = `${s.state}, ${s.bytesDone} bytes`
        if (first !== undefined && s.bytesDone > first) return true
        // Complete at the first look: it may have been before the kill; nothing to tell.
        if (s.state === 'completed') return false
        first ??= s.bytesDone
      } else {
        last = r.stderr.trim()
        // A completed job leaves the catalog: it finished before the kill.
        if (last.includes('ERR_JOB_NOT_FOUND') && existsSync(out)) return false
      }
      await sleep(AUTO_RESUME_POLL_MS)
    }
    if (slot.generation === generation && !overdue()) {
      this.#init.finding(`${slot.label}: job ${id} did not go on by itself within ${AUTO_RESUME_WAIT_MS / 1000} s of the restart (${last})`)
    }
    return false
  }
}
