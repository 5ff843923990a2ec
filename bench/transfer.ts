/**
 * Transfer benchmark: one file, on 127.0.0.1, between processes, to disk,
 * every copy verified by SHA-256.
 *
 * Each round runs, in this order, with the page cache prepared before each
 * (see `lib/files.ts`):
 * 1. the raw Node TLS copy and 2. the raw libp2p stream copy (`tls-baseline.ts`);
 * 3. Shoal, one seeder → one downloader: `shoal get` with `--peer` the seeder,
 *    timed from spawn to exit (so it includes the CLI's start-up and shutdown);
 * 4. Shoal, three seeders → one downloader (`--peer` for each);
 * 5. Shoal, a 4 KiB file from one seeder: the fixed cost of a `shoal get`
 *    process, which 3. includes and the baselines (timed by their client from
 *    connect) do not.
 * Rounds interleave the measurements so that drift in the machine's load
 * falls on all of them alike. The seeders are `shoal start` processes, started
 * and given the file (`shoal share`, untimed) once; each download uses a fresh
 * data dir and output, deleted afterwards. Figures are medians over the rounds.
 *
 * The memory figure for a bigger file (4 GiB) is one more one-seeder download,
 * run once: see {@link runLargeDownload}.
 */
import { rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { assertSameBytes, prepareCache, sha256File, writeRandomFile, type CacheMode } from './lib/files.js'
import { share, startSeeders, stopAll, timedDownload, type DownloadRun, type GetOutput } from './lib/shoal.js'
import { KiB, MiB, formatSize, ratio, round, series, type Series } from './lib/stats.js'
import { runLibp2pCopy, runTlsCopy, type CopyResult, type TlsCert } from './tls-baseline.js'

/** Size of the file whose download shows a `shoal get` process's fixed cost. */
export const SMALL_FILE_BYTES = 4 * KiB

/** What the transfer benchmark needs. */
export interface TransferBenchOptions {
  /** The source: `sizeBytes` random bytes on the same filesystem as `workDir`. */
  file: string
  sizeBytes: number
  sha256: string
  runs: number
  /** Scratch space for outputs and data dirs (on disk, not tmpfs). */
  workDir: string
  cache: CacheMode
  cert: TlsCert
  log: (line: string) => void
  signal?: AbortSignal
}

/** Repeated Shoal downloads: times, the downloader's peak RSS, and which seeder sent what. */
export interface DownloadSeries extends Series {
  peakRssBytes: number[]
  peers: Array<GetOutput['peers']>
}

/** What the transfer benchmark measured. */
export interface TransferBenchResult {
  sizeBytes: number
  runs: number
  cache: CacheMode
  tls: Series
  libp2p: Series
  oneSeeder: DownloadSeries
  threeSeeders: DownloadSeries
  /** `shoal get` of a {@link SMALL_FILE_BYTES} file from one seeder. */
  smallFile: DownloadSeries
  ratios: {
    oneSeederVsTls: number
    oneSeederVsLibp2p: number
    libp2pVsTls: number
    threeVsOne: number
    /** (1 seeder − the small file's fixed cost) / TLS: the transfer alone, without process start and stop. */
    oneSeederNetVsTls: number
  }
}

/** Runs the rounds described in the module comment. */
export async function runTransferBench (o: TransferBenchOptions): Promise<TransferBenchResult> {
  const copyTimeoutMs = 60_000 + Math.ceil(o.sizeBytes / (5 * MiB)) * 1000
  const small = join(o.workDir, 'small.bin')
  await writeFile(small, randomBytes(SMALL_FILE_BYTES))
  const smallSha = await sha256File(small)
  const seeders = await startSeeders(3, o.workDir, { signal: o.signal })
  try {
    const shares = await Promise.all(seeders.map(async s => await share(s, o.file, o.sizeBytes, { signal: o.signal })))
    const link = shares[0]!.link
    const smallLink = (await share(seeders[0]!, small, SMALL_FILE_BYTES, { signal: o.signal })).link
    const addrs = seeders.map(s => s.addr)
    const times = { tls: [] as number[], libp2p: [] as number[] }
    const downloads = { one: [] as DownloadRun[], three: [] as DownloadRun[], small: [] as DownloadRun[] }
    const out = join(o.workDir, 'copy.out')
    const copy = async (name: keyof typeof times, run: () => Promise<CopyResult>): Promise<void> => {
      await prepareCache(o.cache, [o.file], { signal: o.signal })
      try {
        const r = await run()
        await assertSameBytes(out, o.sha256, { signal: o.signal })
        times[name].push(r.ms)
        o.log(`  ${name.padEnd(14)} ${(r.ms / 1000).toFixed(2)} s`)
      } finally {
        await rm(out, { force: true })
      }
    }
    const download = async (name: keyof typeof downloads, init: { link: string, peers: string[], size: number, sha256: string, source: string }): Promise<void> => {
      await prepareCache(o.cache, [init.source], { signal: o.signal })
      const r = await timedDownload({ ...init, scratchDir: o.workDir, signal: o.signal })
      downloads[name].push(r)
      o.log(`  ${`shoal ${name}`.padEnd(14)} ${(r.ms / 1000).toFixed(2)} s, peak RSS ${formatSize(r.peakRssBytes)}` +
        `${r.peers.length > 1 ? `, bytes per seeder ${r.peers.map(p => formatSize(p.bytes)).join(' / ')}` : ''}`)
    }
    for (let round = 1; round <= o.runs; round++) {
      o.log(`transfer ${formatSize(o.sizeBytes)}, round ${round}/${o.runs}`)
      await copy('tls', async () => await runTlsCopy(o.file, out, o.cert, { timeoutMs: copyTimeoutMs, signal: o.signal }))
      await copy('libp2p', async () => await runLibp2pCopy(o.file, out, { timeoutMs: copyTimeoutMs, signal: o.signal }))
      await download('one', { link, peers: addrs.slice(0, 1), size: o.sizeBytes, sha256: o.sha256, source: o.file })
      await download('three', { link, peers: addrs, size: o.sizeBytes, sha256: o.sha256, source: o.file })
      await download('small', { link: smallLink, peers: addrs.slice(0, 1), size: SMALL_FILE_BYTES, sha256: smallSha, source: small })
    }
    const tls = series(times.tls, o.sizeBytes)
    const libp2p = series(times.libp2p, o.sizeBytes)
    const oneSeeder = downloadSeries(downloads.one, o.sizeBytes)
    const threeSeeders = downloadSeries(downloads.three, o.sizeBytes)
    const smallFile = downloadSeries(downloads.small, SMALL_FILE_BYTES)
    return {
      sizeBytes: o.sizeBytes,
      runs: o.runs,
      cache: o.cache,
      tls,
      libp2p,
      oneSeeder,
      threeSeeders,
      smallFile,
      ratios: {
        oneSeederVsTls: ratio(oneSeeder.medianMs, tls.medianMs),
        oneSeederVsLibp2p: ratio(oneSeeder.medianMs, libp2p.medianMs),
        libp2pVsTls: ratio(libp2p.medianMs, tls.medianMs),
        threeVsOne: ratio(threeSeeders.medianMs, oneSeeder.medianMs),
        oneSeederNetVsTls: ratio(oneSeeder.medianMs - smallFile.medianMs, tls.medianMs)
      }
    }
  } finally {
    await stopAll(seeders)
    await rm(small, { force: true })
  }
}

function downloadSeries (runs: readonly DownloadRun[], bytes: number): DownloadSeries {
  return { ...series(runs.map(r => r.ms), bytes), peakRssBytes: runs.map(r => r.peakRssBytes), peers: runs.map(r => r.peers) }
}

/** One download of a big file, for the memory figure. */
export interface LargeDownloadResult {
  sizeBytes: number
  ms: number
  mibPerSecond: number
  peakRssBytes: number
}

/**
 * Creates a random file of `sizeBytes` in `workDir`, serves it from one
 * seeder and downloads it once (verified), then deletes it: the downloader's
 * peak RSS at that size.
 */
export async function runLargeDownload (o: { sizeBytes: number, workDir: string, cache: CacheMode, log: (line: string) => void, signal?: AbortSignal }): Promise<LargeDownloadResult> {
  const file = join(o.workDir, 'large.bin')
  o.log(`memory: writing a ${formatSize(o.sizeBytes)} random file`)
  try {
    await writeRandomFile(file, o.sizeBytes, { signal: o.signal })
    const sha256 = await sha256File(file, { signal: o.signal })
    const [seeder] = await startSeeders(1, o.workDir, { signal: o.signal })
    try {
      const { link } = await share(seeder!, file, o.sizeBytes, { signal: o.signal })
      await prepareCache(o.cache, [file], { signal: o.signal })
      const r = await timedDownload({ link, peers: [seeder!.addr], size: o.sizeBytes, sha256, scratchDir: o.workDir, signal: o.signal })
      o.log(`  shoal one     ${(r.ms / 1000).toFixed(2)} s, peak RSS ${formatSize(r.peakRssBytes)}`)
      return { sizeBytes: o.sizeBytes, ms: round(r.ms, 1), mibPerSecond: round(o.sizeBytes / MiB / (r.ms / 1000), 1), peakRssBytes: r.peakRssBytes }
    } finally {
      await stopAll([seeder!])
    }
  } finally {
    await rm(file, { force: true })
  }
}
