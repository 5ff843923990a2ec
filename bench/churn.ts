/**
 * Churn soak benchmark: the soak of the test suite
 * (`test/helpers/churn-soak.ts`), run longer — seeders, `shoal get`
 * processes and downloader nodes on eight namespace hosts killed (SIGKILL)
 * and restarted at random while files are shared and fetched — with its
 * figures as rows: downloads finished and verified, restarts survived, bytes
 * re-fetched, peak RSS. Needs root (it fails with the harness's message
 * otherwise).
 *
 * Run alone: `npx tsx bench/churn.ts [--minutes N] [--seed N]`.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { pathToFileURL } from 'node:url'
import { assertNetnsAvailable } from '../test/helpers/netns.js'
import { churnSoak, type ChurnFigures } from '../test/helpers/churn-soak.js'
import { churnRows } from './lib/churn-rows.js'
/** Downloads under way when churn ends get this long to finish. */
const FINISH_MS = 120_000

/** Runs the soak for `churnMs` in a fresh directory; `trace` hears every kill and finished download. */
export async function runChurnBench (opts: { churnMs: number, seed?: number, log: (line: string) => void, trace?: (line: string) => void }): Promise<ChurnFigures> {
  await assertNetnsAvailable()
  const dir = await mkdtemp(join(tmpdir(), 'shoal-bench-churn-'))
  try {
    return await churnSoak(dir, { churnMs: opts.churnMs, finishMs: FINISH_MS, seed: opts.seed, log: opts.log, trace: opts.trace })
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({ options: { minutes: { type: 'string' }, seed: { type: 'string' } } })
  const log = (line: string): void => { process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`) }
  const f = await runChurnBench({ churnMs: Number(values.minutes ?? 10) * 60_000, seed: values.seed === undefined ? undefined : Number(values.seed), log, trace: log })
  process.stdout.write(`${JSON.stringify(f, null, 2)}\n`)
  for (const r of churnRows(f)) process.stdout.write(`${r.verdict}  ${r.figure}: ${r.measured}\n`)
}
