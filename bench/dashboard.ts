/**
 * The dashboard section of `npm run bench`: the page's main-thread time per
 * update, measured in Debian's Chromium with the Performance API by the
 * browser tests that drive it against real nodes — a 32,000-chunk download
 * followed with its grid open (test/web/scale.test.ts) and the lists of 100
 * files and 50 peers (test/web/lists.test.ts) — run here as a child
 * `node --test` that writes its figures to a file; and the built bundle's
 * JavaScript, gzipped.
 */
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { jsBundleSize, type Spread } from '../test/web/measure.js'
import { REPO } from './lib/shoal.js'

/** The browser tests take minutes on a loaded machine (a 500 MiB download among them). */
const BROWSER_TESTS_TIMEOUT_MS = 20 * 60_000
const TESTS = ['test/web/scale.test.ts', 'test/web/lists.test.ts']

export interface DashboardBenchResult {
  bundle: { files: number, rawBytes: number, gzipBytes: number }
  /** Every page update during the 32,000-chunk download, and each slice of a full grid draw; long tasks (> 50 ms) seen. */
  grid32000?: { updates: Spread, slices: Spread, longTasks: number[] }
  /** The lists: time from the route change to the rows laid out, and the updates under the event stream. */
  lists?: { files: number, peers: number, connected: number, filesRenderMs: number, peersRenderMs: number, updates: Spread }
}

export async function runDashboardBench (options: { log: (line: string) => void, signal?: AbortSignal }): Promise<DashboardBenchResult> {
  const bundle = await jsBundleSize()
  const dir = await mkdtemp(join(tmpdir(), 'shoal-bench-dashboard-'))
  const figures = join(dir, 'figures.json')
  try {
    options.log(`dashboard: ${TESTS.join(', ')} in Chromium…`)
    await promisify(execFile)(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=1', ...TESTS], {
      cwd: REPO,
      env: { ...process.env, SHOAL_DASHBOARD_FIGURES: figures },
      timeout: BROWSER_TESTS_TIMEOUT_MS,
      maxBuffer: 64 * 1024 * 1024,
      signal: options.signal
    }).catch((err: Error & { stdout?: string }) => {
      // The figures of a test that measured but missed its budget are still the figures; a failure is logged.
      options.log(`dashboard: the browser tests failed: ${err.message}\n${(err.stdout ?? '').split('\n').filter(l => /^(not ok|#)/.test(l.trim())).join('\n')}`)
    })
    const measured = JSON.parse(await readFile(figures, 'utf8')) as Omit<DashboardBenchResult, 'bundle'>
    return { bundle, ...measured }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}
