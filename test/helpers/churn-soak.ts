/**
 * Churn soak: eight hosts (netns.ts) share and fetch files while seeders and
 * downloaders are killed (SIGKILL) and restarted at random for a bounded
 * time; then every download in flight must finish. The test suite runs a
 * short form, `npm run bench` a long one; both judge the figures returned.
 *
 * Model. Hosts s1–s3 run seeder nodes on a fixed port, so a restarted seeder
 * is found where it was (its peer ID lives in its data dir). Each file is
 * shared by two of them and at most one seeder is down at a time, so every
 * file always has a seeder. Hosts g1–g3 download with `shoal get` processes,
 * each running a node of its own: a killed get is re-run, same command, and
 * resumes from the verified chunks of its part file. Hosts n1 and n2 run
 * downloader nodes and download through their API (churn-follow.ts): a
 * killed node is restarted, must go on with its downloads by itself, and
 * the next follower joins the resumed job. Downloaders are given the
 * seeders' addresses only; they find each other by peer exchange. Every
 * upload is capped with tbf, so a transfer lasts seconds and kills land
 * mid-transfer.
 *
 * Churn. A seeded PRNG (the seed is printed; `SHOAL_SOAK_SEED` replays it)
 * draws when the next kill comes, whom it hits and how long the victim stays
 * down, and each downloader draws its order of files from a stream of its
 * own. A replay makes the same draws; what a draw hits still depends on
 * timing (which gets are running at that instant), so it is close, not exact.
 *
 * What it checks, as figures: every finished file's SHA-256 equals its
 * source's; every download, interrupted or not, completes before the
 * deadline; every process exit is one we caused (our SIGKILL, a get that
 * completed, a follower whose node we killed, a clean stop at the end); no
 * stderr shows a stack trace or fatal error; the node processes' peak VmRSS
 * (seeders, downloader nodes and gets, each sampled every 500 ms). Bytes
 * received beyond the file sizes come from the downloader hosts' interface
 * counters, which survive kills: TCP payload (rx bytes less the 66 header
 * bytes of each packet) minus the bytes of the files delivered — chunks lost
 * in flight to a kill, endgame duplicates and protocol messages (≲ 1 %).
 */
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { createNetwork, type Host, type Network } from './netns.js'
import { collect, sha256File, writeRandomFile } from './cli.js'
import { shareOn, spawnShoalOn, startNodeOn, type HostNode } from './host-nodes.js'
import { ProcessWatch, type Kind, type Proc } from './churn-watch.js'
import { between, prng, type Range } from './churn-draws.js'
import { Downloaders, alreadyComplete, doneAttempt, type Attempt, type DownloadTally, type SoakFile } from './churn-downloads.js'
import { NodeDownloads } from './churn-follow.js'

const MIB = 1024 * 1024
/** Several files of a few MiB to tens of MiB: at the caps below, seconds to a minute each. */
export const SOAK_FILE_SIZES = [3, 5, 8, 12, 20, 32].map(n => n * MIB)
/**
 * The bound on any node process's peak RSS: one node measures 100–160 MiB
 * here; the margin is for a loaded machine, not for growth.
 */
export const SOAK_RSS_BOUND_BYTES = 300 * MIB
const SEEDERS = ['s1', 's2', 's3']
const GETTERS = ['g1', 'g2', 'g3']
const NODES = ['n1', 'n2']
/** Every host's upload cap: ~1.4 MiB/s of payload, so a 20 MiB file takes several seconds even from three peers. */
const UPLOAD_MBIT = 12
/** Fixed, so restarted nodes are found at their old address. */
const NODE_PORT = 4001
/** Gap between kills, and how long a victim stays down (uniform in each range). */
const KILL_GAP_MS: Range = [1500, 4500]
const DOWN_MS: Range = [500, 4000]
/** At most this many victims down at once, so the swarm never empties. */
const MAX_DOWN = 2
/** Stalled jobs look for returned sources this often (the default, 30 s, is long for a soak). */
const RESUME_CHECK_S = 5
/** A get the deadline did not end is killed after this long: a safety net only. */
const GET_TIMEOUT_MS = 30 * 60_000
const POLL_MS = 100
/** A node that will not start is retried this many times (each failure is a finding). */
const START_ATTEMPTS = 3
/** Ethernet (14) + IPv4 (20) + TCP with timestamps (32): header bytes of every packet counted in rx bytes. */
const PACKET_HEADER_BYTES = 66
const NODE_ENV = { SHOAL_CHUNKING_RESUME_CHECK_INTERVAL: String(RESUME_CHECK_S) }

/** What to run. */
export interface ChurnOptions {
  /** How long kills go on. */
  churnMs: number
  /** How long downloads under way at the end of churn get to finish. */
  finishMs: number
  /** PRNG seed; random (and printed) when absent. */
  seed?: number
  fileSizes?: number[]
  /** The seed and the phases. */
  log?: (line: string) => void
  /** Every kill and every finished download. */
  trace?: (line: string) => void
}

/** What the soak measured; the caller judges it. */
export interface ChurnFigures extends DownloadTally {
  seed: number
  churnSeconds: number
  /** From the end of churn until the last download ended. */
  finishSeconds: number
  files: number
  kills: Record<Kind, number>
  /** Kills after which the victim came back: its node restarted, or its get ran again. */
  restartsSurvived: number
  /** Downloads a restarted downloader node went on with by itself, before a follower asked. */
  autoResumed: number
  /** TCP payload received by the downloader hosts. */
  receivedBytes: number
  /** receivedBytes − deliveredBytes. */
  refetchedBytes: number
  peakRssBytes: number
  /** Which process had the peak, and each kind's own peak. */
  peakRssProcess: string
  peakRssByKind: Record<Kind, number>
  /** Exits and failures nobody caused, each with its last stderr line. */
  unexpected: string[]
  /** Stack traces or fatal errors on any shoal process's stderr. */
  crashes: string[]
  /** Node warnings on stderr, digits folded, with their counts. */
  warnings: Record<string, number>
}

/** Something the churn kills and brings back. */
interface Victim {
  readonly label: string
  readonly kind: Kind
  down: boolean
  killable: () => boolean
  kill: () => Promise<void>
  restart: () => Promise<void>
}

/** A node we kill and restart: a seeder or a downloader node. */
interface NodeSlot extends Victim {
  node: HostNode
  proc: Proc
  /** Bumped at every kill: a follower that started in an older generation lost its node to us. */
  generation: number
}

/** TCP payload bytes received on `host`'s interface so far. */
async function payloadReceived (host: Host): Promise<number> {
  const r = await host.run(['ip', '-s', '-j', 'link', 'show', 'dev', 'eth0'])
  const rx = (JSON.parse(r.stdout) as Array<{ stats64: { rx: { bytes: number, packets: number } } }>)[0]?.stats64.rx
  if (rx == null) throw new Error(`no counters for eth0 on ${host.name}: ${r.stderr}`)
  return rx.bytes - PACKET_HEADER_BYTES * rx.packets
}

/** One run of the soak on its own network; see the module header. */
class Soak {
  readonly #dir: string
  readonly #opts: ChurnOptions
  readonly #seed: number
  readonly #watch = new ProcessWatch()
  readonly #kills: Record<Kind, number> = { seeder: 0, get: 0, node: 0 }
  #net: Network | undefined
  #files: SoakFile[] = []
  #seeders: NodeSlot[] = []
  #victims: Victim[] = []
  #churnEnd = 0
  #overdue = false
  #survived = 0

  constructor (dir: string, opts: ChurnOptions) {
    this.#dir = dir
    this.#opts = opts
    this.#seed = opts.seed ?? Math.floor(Math.random() * 2 ** 31)
  }

  get #network (): Network {
    if (this.#net == null) throw new Error('the soak has no network')
    return this.#net
  }

  #log (line: string): void { this.#opts.log?.(line) }

  async run (): Promise<ChurnFigures> {
    this.#log(`churn soak: seed ${this.#seed} (replay with SHOAL_SOAK_SEED=${this.#seed})`)
    await this.#makeFiles()
    this.#net = await createNetwork([...SEEDERS, ...GETTERS, ...NODES].map(name => ({ name, uploadMbit: UPLOAD_MBIT })))
    try {
      return await this.#soak()
    } finally {
      this.#overdue = true // downloaders still looping (the soak failed) stop at their next step
      await this.#watch.killAll()
      this.#watch.stop()
      await this.#net.destroy()
    }
  }

  async #makeFiles (): Promise<void> {
    const sizes = this.#opts.fileSizes ?? SOAK_FILE_SIZES
    await mkdir(join(this.#dir, 'src'), { recursive: true })
    this.#files = await Promise.all(sizes.map(async (size, i) => {
      const path = join(this.#dir, 'src', `f${i}.bin`)
      await writeRandomFile(path, size)
      return { name: `f${i}.bin`, path, size, sha256: await sha256File(path), id: '' }
    }))
  }

  async #soak (): Promise<ChurnFigures> {
    this.#seeders = await Promise.all(SEEDERS.map(async name => await this.#nodeSlot(name, 'seeder')))
    await this.#share()
    const nodes = await Promise.all(NODES.map(async name => await this.#nodeSlot(name, 'node')))
    const downloaderHosts = [...GETTERS, ...NODES].map(name => this.#network.host(name))
    const before = await Promise.all(downloaderHosts.map(payloadReceived))
    const getters = GETTERS.map(name => this.#getVictim(name))
    this.#victims = [...this.#seeders, ...getters, ...nodes]
    this.#churnEnd = Date.now() + this.#opts.churnMs
    this.#log(`churn soak: ${this.#network.hosts.length} hosts up, ${this.#files.length} files shared; ${this.#opts.churnMs / 1000} s of kills`)
    const downloaders = new Downloaders({
      files: this.#files,
      seed: this.#seed,
      outDir: join(this.#dir, 'out'),
      churnOver: () => Date.now() >= this.#churnEnd,
      overdue: () => this.#overdue,
      finding: (line) => { this.#watch.finding(line) },
      trace: this.#opts.trace
    })
    const peers = (): string[] => this.#seeders.map(s => s.node.addr)
    const viaNodes = nodes.map(slot => new NodeDownloads({ slot, peers, overdue: () => this.#overdue, finding: (line) => { this.#watch.finding(line) } }))
    const downloads = [
      ...getters.map(async g => { await downloaders.run(g.label, async (file, out) => await this.#getAttempt(g, file, out)) }),
      ...viaNodes.map(async (n, i) => { await downloaders.run(NODES[i] as string, async (file, out) => await n.attempt(file, out)) })
    ]
    await this.#churn()
    this.#log(`churn soak: kills over (${this.#kills.seeder + this.#kills.get + this.#kills.node}); finishing the downloads under way`)
    const deadline = setTimeout(() => { void this.#expire() }, this.#opts.finishMs)
    await Promise.all(downloads)
    clearTimeout(deadline)
    const finishSeconds = (Date.now() - this.#churnEnd) / 1000
    await Promise.all([...this.#seeders, ...nodes].map(async slot => { await this.#stopCleanly(slot) }))
    const after = await Promise.all(downloaderHosts.map(payloadReceived))
    const received = after.reduce((n, b, i) => n + b - (before[i] as number), 0)
    const rss = this.#watch.rss
    const tally = downloaders.tally
    return {
      ...tally,
      seed: this.#seed,
      churnSeconds: this.#opts.churnMs / 1000,
      finishSeconds,
      files: this.#files.length,
      kills: { ...this.#kills },
      restartsSurvived: this.#survived,
      autoResumed: viaNodes.reduce((n, d) => n + d.autoResumed, 0),
      receivedBytes: received,
      refetchedBytes: received - tally.deliveredBytes,
      peakRssBytes: rss.peakBytes,
      peakRssProcess: rss.peakLabel,
      peakRssByKind: { ...rss.byKind },
      unexpected: [...this.#watch.unexpected],
      crashes: [...this.#watch.crashes],
      warnings: { ...this.#watch.warnings }
    }
  }

  /** File i on seeders i and i+1 (mod 3): two seeders each, so any one of them may be down. Seeders share in parallel. */
  async #share (): Promise<void> {
    const holders = (i: number): number[] => [i % SEEDERS.length, (i + 1) % SEEDERS.length]
    const ids = await Promise.all(this.#seeders.map(async (seeder, s) => {
      const mine = new Map<number, string>()
      for (const [i, file] of this.#files.entries()) if (holders(i).includes(s)) mine.set(i, await shareOn(seeder.node, file.path))
      return mine
    }))
    for (const [i, file] of this.#files.entries()) {
      const [a, b] = holders(i).map(s => ids[s]?.get(i))
      if (a == null || a !== b) throw new Error(`${file.name}: two seeders, two IDs: ${a} ${b}`)
      file.id = a
    }
  }

  /** Kills at random until the churn time is over, then waits for the last victims to come back. */
  async #churn (): Promise<void> {
    const rng = prng(this.#seed)
    const restarts: Array<Promise<void>> = []
    while (Date.now() < this.#churnEnd) {
      await sleep(Math.min(between(rng, KILL_GAP_MS), Math.max(0, this.#churnEnd - Date.now())))
      // Every draw is made each round, used or not, so a replay draws the same numbers.
      const pick = rng()
      const downMs = between(rng, DOWN_MS)
      if (Date.now() >= this.#churnEnd || this.#victims.filter(v => v.down).length >= MAX_DOWN) continue
      const candidates = this.#victims.filter(v => v.killable())
      const victim = candidates[Math.floor(pick * candidates.length)]
      if (victim == null) continue
      await victim.kill()
      this.#kills[victim.kind]++
      this.#opts.trace?.(`churn: killed ${victim.label}, back in ${Math.round(downMs)} ms`)
      restarts.push((async () => {
        await sleep(downMs)
        await victim.restart()
        this.#survived++
      })().catch((err) => { this.#watch.finding(`${victim.label} did not come back: ${(err as Error).message}`) }))
    }
    await Promise.all(restarts)
  }

  /** The finishing deadline: whatever still runs is killed, and the downloads left are reported. */
  async #expire (): Promise<void> {
    this.#overdue = true
    this.#log('churn: finishing deadline passed')
    await this.#watch.killAll()
  }

  async #startNode (label: string, kind: Kind, onCrash: () => void): Promise<{ node: HostNode, proc: Proc }> {
    const host = this.#network.host(label)
    for (let attempt = 1; ; attempt++) {
      try {
        const node = await startNodeOn(host, join(this.#dir, `${label}.node`), { port: NODE_PORT, env: NODE_ENV })
        return { node, proc: this.#watch.add(label, kind, node.child, onCrash) }
      } catch (err) {
        this.#watch.finding(`${label} failed to start (attempt ${attempt}): ${(err as Error).message}`)
        if (attempt === START_ATTEMPTS) throw err
      }
    }
  }

  /** Starts a node we can kill and restart; one that dies by itself is recorded and brought back. */
  async #nodeSlot (label: string, kind: 'seeder' | 'node'): Promise<NodeSlot> {
    const crashed = (): void => {
      slot.down = true
      slot.generation++
      slot.restart().catch((err) => { this.#watch.finding(`${label} could not be restarted after a crash: ${(err as Error).message}`) })
    }
    const slot: NodeSlot = {
      label,
      kind,
      node: undefined as unknown as HostNode, // set by the first restart, below
      proc: undefined as unknown as Proc,
      generation: 0,
      down: true,
      // A seeder only while the others are up: every file keeps one of its two seeders.
      killable: () => !slot.down && (kind !== 'seeder' || this.#seeders.every(s => !s.down)),
      kill: async () => {
        slot.down = true
        slot.generation++
        await slot.proc.kill()
      },
      restart: async () => {
        const { node, proc } = await this.#startNode(label, kind, crashed)
        slot.node = node
        slot.proc = proc
        slot.down = false
      }
    }
    await slot.restart()
    return slot
  }

  #getVictim (label: string): Victim & { current: Proc | undefined } {
    const victim = {
      label,
      kind: 'get' as const,
      down: false,
      current: undefined as Proc | undefined,
      killable: () => !victim.down && victim.current != null && !victim.current.ours,
      kill: async () => {
        victim.down = true
        await victim.current?.kill()
      },
      restart: async () => { victim.down = false }
    }
    return victim
  }

  async #waitUntil (ready: () => boolean): Promise<void> {
    while (!ready() && !this.#overdue) await sleep(POLL_MS)
  }

  /**
   * One run of `shoal get` with the host's own data dir: completed, killed by
   * us, or failed by itself. A kill can land after the file is complete: after
   * the result was printed (done), or after the rename and before the print,
   * when the next run finds the file there (done as well; the bytes are
   * checked against the source either way).
   */
  async #getAttempt (g: Victim & { current: Proc | undefined }, file: SoakFile, out: string): Promise<Attempt> {
    await this.#waitUntil(() => !g.down)
    if (this.#overdue) return { kind: 'interrupted' }
    const peers = this.#seeders.flatMap(s => ['--peer', s.node.addr])
    const child = spawnShoalOn(this.#network.host(g.label), ['get', file.id, '-o', out, '--json', '--data-dir', join(this.#dir, `${g.label}.node`), ...peers], NODE_ENV)
    const proc = g.current = this.#watch.add(`${g.label} get ${file.name}`, 'get', child)
    const r = await collect(child, GET_TIMEOUT_MS)
    g.current = undefined
    const result = r.stdout.split('\n').filter(l => l.startsWith('{"id"')).pop()
    if (r.code === 0 || (proc.ours && result != null)) {
      if (result == null) throw new Error(`${g.label}: get ${file.name} exited 0 with no result: ${r.stdout}`)
      return doneAttempt((JSON.parse(result) as { peers: Array<{ peerId: string, bytes: number }> }).peers)
    }
    if (proc.ours) return { kind: 'interrupted' }
    if (alreadyComplete(r.stderr)) return { kind: 'done', fetchedBytes: undefined }
    return { kind: 'failed', why: `${g.label}: get ${file.name} exited ${r.code ?? r.signal}: ${r.stderr.trim().split('\n').pop() ?? ''}` }
  }

  /** Ends a node with SIGINT; anything but a prompt exit 0 is a finding. */
  async #stopCleanly (slot: NodeSlot): Promise<void> {
    if (slot.down || this.#overdue) return
    slot.proc.ours = true
    await slot.node.stop()
    const { exitCode, signalCode } = slot.node.child
    if (exitCode !== 0) this.#watch.finding(`${slot.label}: SIGINT did not stop it cleanly (exit ${exitCode ?? signalCode})`)
  }
}

/** Runs the soak in `dir` (files, data dirs and outputs go there) and returns its figures. */
export async function churnSoak (dir: string, opts: ChurnOptions): Promise<ChurnFigures> {
  return await new Soak(dir, opts).run()
}
