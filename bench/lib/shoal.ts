/**
 * Shoal as the benchmark runs it: the real CLI (`bin/shoal.js` → `dist/`) in
 * child processes — `shoal start` seeders, `shoal share`, and timed
 * `shoal get` downloads verified against their source.
 *
 * Every process gets the bench environment: no mDNS and no DHT (only the
 * peers named with `--peer` take part), and distribution of big files off
 * (`minFileSizeForDistribution` at its maximum), so that sharing 1 GiB or
 * more measures hashing and serving in place, not pushing chunks to peers.
 */
import { join } from 'node:path'
import { mkdir, rm } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { ShoalError } from '../../src/errors.js'
import { assertSameBytes } from './files.js'
import { lastJson, runTimed, startServer, type ChildOptions, type Server, type TimedRun } from './processes.js'
import { MiB } from './stats.js'

/** The repository root (the CLI runs from here). */
export const REPO = fileURLToPath(new URL('../..', import.meta.url))
/** The CLI entry point. */
export const SHOAL_BIN = join(REPO, 'bin', 'shoal.js')

/** Environment of every Shoal process of the bench; see the module comment. */
export const BENCH_ENV: Readonly<Record<string, string>> = {
  SHOAL_NETWORK_MDNS: 'false',
  SHOAL_NETWORK_DHT: 'false',
  SHOAL_CHUNKING_MIN_FILE_SIZE_FOR_DISTRIBUTION: String(Number.MAX_SAFE_INTEGER)
}

const START_TIMEOUT_MS = 60_000
/** Budget of one CLI run: a minute plus 5 MiB/s, far beyond any healthy run. */
const timeoutFor = (bytes: number): number => 60_000 + Math.ceil(bytes / (5 * MiB)) * 1000

/** `shoal share --json` output. */
export interface ShareOutput { id: string, link: string, size: number, chunks: number }
/** `shoal get --json` output. */
export interface GetOutput { id: string, path: string, size: number, peers: Array<{ peerId: string, bytes: number }> }
/** `shoal start --json` output. */
export interface StartOutput { peerId: string, addrs: string[], api: string, dataDir: string }

/** Runs `shoal …args` to exit, timed, with the bench environment. */
export async function runShoal (args: readonly string[], options: { timeoutMs: number, signal?: AbortSignal, env?: Record<string, string> }): Promise<TimedRun> {
  return await runTimed(process.execPath, [SHOAL_BIN, ...args], { ...options, cwd: REPO, env: { ...BENCH_ENV, ...options.env } })
}

/** A `shoal start` node on loopback. */
export interface Seeder {
  info: StartOutput
  /** Its first listen address (with /p2p/…), for `--peer`. */
  addr: string
  dataDir: string
  stop: () => Promise<void>
}

/** Starts `count` seeder nodes, each with a fresh data dir under `workDir`. */
export async function startSeeders (count: number, workDir: string, options: { signal?: AbortSignal, env?: Record<string, string>, name?: string } = {}): Promise<Seeder[]> {
  const seeders: Seeder[] = []
  try {
    for (let i = 0; i < count; i++) {
      const dataDir = join(workDir, `${options.name ?? 'seeder'}-${i}`)
      await mkdir(dataDir, { recursive: true })
      const opts: ChildOptions = { cwd: REPO, env: { ...BENCH_ENV, ...options.env }, timeoutMs: START_TIMEOUT_MS, signal: options.signal }
      const server: Server<StartOutput> = await startServer(process.execPath,
        [SHOAL_BIN, 'start', '--data-dir', dataDir, '--listen', '/ip4/127.0.0.1/tcp/0', '--api', '127.0.0.1:0', '--json'], opts)
      const addr = server.info.addrs[0]
      if (addr === undefined) {
        await server.stop()
        throw new ShoalError('ERR_INTERNAL', `seeder ${i} listens on no address`)
      }
      seeders.push({ info: server.info, addr, dataDir, stop: server.stop })
    }
    return seeders
  } catch (err) {
    await stopAll(seeders)
    throw err
  }
}

/** Stops seeders (in parallel) and removes their data dirs. */
export async function stopAll (seeders: readonly Seeder[]): Promise<void> {
  await Promise.all(seeders.map(async s => {
    await s.stop()
    await rm(s.dataDir, { recursive: true, force: true })
  }))
}

/** Shares `file` on a seeder (through its running node); returns the share. */
export async function share (seeder: Seeder, file: string, size: number, options: { signal?: AbortSignal } = {}): Promise<ShareOutput> {
  const run = await runShoal(['share', file, '--data-dir', seeder.dataDir, '--json'], { timeoutMs: timeoutFor(size), signal: options.signal })
  return lastJson<ShareOutput>(run.stdout)
}

/** One timed, verified download. */
export interface DownloadRun {
  ms: number
  peakRssBytes: number
  /** Bytes each seeder sent, as the downloader counted them. */
  peers: GetOutput['peers']
}

/** What a download needs. */
export interface DownloadInit {
  link: string
  peers: readonly string[]
  size: number
  /** Hex SHA-256 the output must have. */
  sha256: string
  /** Directory for the output and the downloader's fresh data dir; both are removed afterwards. */
  scratchDir: string
  signal?: AbortSignal
  /** More environment for the downloader (e.g. SHOAL_NETWORK_DIRECT). */
  env?: Record<string, string>
}

/**
 * Times `shoal get LINK -o OUT --data-dir <fresh> --json --peer …` from spawn
 * to exit, then verifies the output's SHA-256 (throws ERR_CHUNK_CORRUPT when
 * it differs) and removes the output and the data dir.
 */
export async function timedDownload (init: DownloadInit): Promise<DownloadRun> {
  const out = join(init.scratchDir, 'download.out')
  const dataDir = join(init.scratchDir, 'downloader')
  try {
    const run = await runShoal(['get', init.link, '-o', out, '--data-dir', dataDir, '--json', ...init.peers.flatMap(p => ['--peer', p])],
      { timeoutMs: timeoutFor(init.size), signal: init.signal, env: init.env })
    const got = lastJson<GetOutput>(run.stdout)
    if (got.size !== init.size) throw new ShoalError('ERR_INTERNAL', `shoal get reported ${got.size} bytes, expected ${init.size}`)
    await assertSameBytes(out, init.sha256, { signal: init.signal })
    return { ms: run.ms, peakRssBytes: run.peakRssBytes, peers: got.peers }
  } finally {
    await rm(out, { force: true })
    await rm(dataDir, { recursive: true, force: true })
  }
}
