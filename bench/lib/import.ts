/**
 * Import benchmark: `shoal share FILE --data-dir <fresh> --json` with no node
 * running (the CLI opens the catalog and hashes the file itself), against
 * `openssl dgst -sha256 FILE`, both timed from spawn to exit, alternating,
 * with the page cache prepared the same way before each (see `files.ts`).
 */
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { prepareCache, type CacheMode } from './files.js'
import { lastJson, runTimed } from './processes.js'
import { runShoal, type ShareOutput } from './shoal.js'
import { MiB, formatSize, ratio, series, type Series } from './stats.js'

/** What the import benchmark needs. */
export interface ImportBenchOptions {
  file: string
  sizeBytes: number
  runs: number
  workDir: string
  cache: CacheMode
  log: (line: string) => void
  signal?: AbortSignal
}

/** What the import benchmark measured. */
export interface ImportBenchResult {
  sizeBytes: number
  runs: number
  share: Series & { peakRssBytes: number[], chunks: number }
  openssl: Series
  /** share / openssl, medians. */
  ratio: number
}

/** Runs `runs` rounds of (share, openssl) and returns the medians. */
export async function runImportBench (o: ImportBenchOptions): Promise<ImportBenchResult> {
  const timeoutMs = 60_000 + Math.ceil(o.sizeBytes / (5 * MiB)) * 1000
  const shareMs: number[] = []
  const sharePeak: number[] = []
  const opensslMs: number[] = []
  let chunks = 0
  for (let round = 1; round <= o.runs; round++) {
    o.log(`import ${formatSize(o.sizeBytes)}, round ${round}/${o.runs}`)
    const dataDir = join(o.workDir, 'import-data')
    try {
      await prepareCache(o.cache, [o.file], { signal: o.signal })
      const shared = await runShoal(['share', o.file, '--data-dir', dataDir, '--json'], { timeoutMs, signal: o.signal })
      chunks = lastJson<ShareOutput>(shared.stdout).chunks
      shareMs.push(shared.ms)
      sharePeak.push(shared.peakRssBytes)
    } finally {
      await rm(dataDir, { recursive: true, force: true })
    }
    await prepareCache(o.cache, [o.file], { signal: o.signal })
    const digest = await runTimed('openssl', ['dgst', '-sha256', o.file], { timeoutMs, signal: o.signal })
    opensslMs.push(digest.ms)
    o.log(`  shoal share ${(shareMs.at(-1)! / 1000).toFixed(2)} s, openssl dgst ${(digest.ms / 1000).toFixed(2)} s`)
  }
  const share = series(shareMs, o.sizeBytes)
  const openssl = series(opensslMs, o.sizeBytes)
  return { sizeBytes: o.sizeBytes, runs: o.runs, share: { ...share, peakRssBytes: sharePeak, chunks }, openssl, ratio: ratio(share.medianMs, openssl.medianMs) }
}
