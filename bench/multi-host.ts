/**
 * Multi-host benchmark: the swarm scenarios of the test suite
 * (`test/helpers/swarm-scenarios.ts`) on hosts built from network
 * namespaces, uploads capped with tbf, real `shoal start` nodes. Throughput
 * figures are medians of `runs` runs; the fault scenarios run once each.
 * Needs root (it fails with the harness's message otherwise).
 *
 * Figures, against the targets:
 * - three seeders at 10/30/60 Mbit/s: aggregate ÷ the 100 Mbit/s sum (≥ 85 %),
 *   each seeder's byte share vs bandwidth share (±10 points);
 * - one seeder and eight downloaders at 20 Mbit/s: the time for all eight ÷
 *   the time for one downloader alone, with 48 MiB (≤ 1.3×) and 24 MiB
 *   (≤ 1.4×: a fixed lag weighs more on the smaller file);
 * - a seeder killed and one frozen: time after the faults vs what the
 *   survivor needs plus one stall deadline; a corrupt seeder: banned;
 * - all seeders gone at 50 %: stalled, then resumed after a seeder returns,
 *   vs one resume interval; endgame: with a 1 Mbit/s peer vs without.
 *
 * Run alone: `npx tsx bench/multi-host.ts [--runs N]`.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { pathToFileURL } from 'node:url'
import { assertNetnsAvailable } from '../test/helpers/netns.js'
import {
  allSeedersGone, corruptSeeder, endgame, killedAndFrozen, swarmOfEight, threeSeeders,
  type AllGoneFigures, type CorruptSeederFigures, type EndgameFigures, type KilledFrozenFigures, type SwarmFigures, type ThreeSeedersFigures
} from '../test/helpers/swarm-scenarios.js'
import { median } from './lib/stats.js'

/** The swarm-of-eight file sizes: a fixed lag shows as the gap between their ratios. */
export const SWARM_BYTES = 48 * 1024 * 1024
export const SWARM_SMALL_BYTES = 24 * 1024 * 1024

/** What the multi-host section measured. */
export interface MultiHostResult {
  runs: number
  /** The run with the median aggregate. */
  threeSeeders: ThreeSeedersFigures
  /** The run with the median ratio, 48 MiB. */
  swarm: SwarmFigures
  /** Likewise with 24 MiB. */
  swarmSmall: SwarmFigures
  killedFrozen: KilledFrozenFigures
  corrupt: CorruptSeederFigures
  allGone: AllGoneFigures
  endgame: EndgameFigures
}

/** Runs `fn` `runs` times in fresh dirs and returns the run whose `key` is the median. */
async function medianRun<T> (runs: number, key: (r: T) => number, fn: (dir: string) => Promise<T>, log: (line: string) => void, name: string): Promise<T> {
  const results: T[] = []
  for (let i = 0; i < runs; i++) {
    log(`multi-host: ${name}, run ${i + 1} of ${runs}…`)
    results.push(await inTempDir(fn))
  }
  const m = median(results.map(key))
  return results.reduce((best, r) => Math.abs(key(r) - m) < Math.abs(key(best) - m) ? r : best)
}

/** Runs `fn` in a fresh directory under the temp dir, removed afterwards. */
export async function inTempDir<T> (fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'shoal-bench-hosts-'))
  try {
    return await fn(dir)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

/** Runs every scenario; throughput ones `runs` times. */
export async function runMultiHostBench (opts: { runs: number, log: (line: string) => void }): Promise<MultiHostResult> {
  const { runs, log } = opts
  await assertNetnsAvailable()
  const three = await medianRun<ThreeSeedersFigures>(runs, r => r.ratio, async dir => await threeSeeders(dir), log, 'three seeders')
  const swarm = await medianRun<SwarmFigures>(runs, r => r.ratio, async dir => await swarmOfEight(dir, SWARM_BYTES), log, 'one seeder, eight downloaders, 48 MiB')
  const swarmSmall = await medianRun<SwarmFigures>(runs, r => r.ratio, async dir => await swarmOfEight(dir, SWARM_SMALL_BYTES), log, 'one seeder, eight downloaders, 24 MiB')
  log('multi-host: faults…')
  return {
    runs,
    threeSeeders: three,
    swarm,
    swarmSmall,
    killedFrozen: await inTempDir(killedAndFrozen),
    corrupt: await inTempDir(corruptSeeder),
    allGone: await inTempDir(allSeedersGone),
    endgame: await inTempDir(endgame)
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({ options: { runs: { type: 'string' } } })
  const result = await runMultiHostBench({ runs: Number(values.runs ?? 1), log: (line) => { process.stderr.write(`${line}\n`) } })
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`)
}
