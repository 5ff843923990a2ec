/**
 * Main-thread time of the dashboard, measured in Chromium with the
 * Performance API: the page's own User Timing entries (`shoal:update`, each
 * batch of events applied and rendered; `shoal:grid-slice`, each slice of a
 * full grid draw) and every long task (> 50 ms) a PerformanceObserver saw.
 * The figures go to the test's output and, when SHOAL_DASHBOARD_FIGURES names
 * a file, into it as JSON (`npm run bench`'s dashboard section reads it).
 */
/// <reference lib="dom" />
import { readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import type { Page } from 'playwright-core'
import { REPO } from '../helpers/cli.js'

/** Median, 95th percentile and maximum of some durations, in ms. */
export interface Spread { count: number, p50: number, p95: number, p99: number, max: number }

export function spread (values: readonly number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b)
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0
  return { count: sorted.length, p50: at(0.5), p95: at(0.95), p99: at(0.99), max: sorted[sorted.length - 1] ?? 0 }
}

export function describeSpread (s: Spread): string {
  return `${s.count} × p50 ${s.p50.toFixed(2)} ms, p95 ${s.p95.toFixed(2)} ms, p99 ${s.p99.toFixed(2)} ms, max ${s.max.toFixed(2)} ms`
}

/** Starts recording long tasks in every document the page loads (call before `goto`). */
export async function observeLongTasks (page: Page): Promise<void> {
  await page.addInitScript(() => {
    const w = window as unknown as { shoalLongTasks: number[] }
    w.shoalLongTasks = []
    new PerformanceObserver((list) => { for (const e of list.getEntries()) w.shoalLongTasks.push(e.duration) }).observe({ type: 'longtask', buffered: true })
  })
}

/** The slowest `shoal:update` entries with what they applied (event kinds and counts), slowest first. */
export async function slowestUpdates (page: Page, n = 3): Promise<string[]> {
  return await page.evaluate((n) => performance.getEntriesByName('shoal:update')
    .sort((a, b) => b.duration - a.duration).slice(0, n)
    .map(e => `${e.duration.toFixed(1)} ms ${JSON.stringify((e as PerformanceMeasure).detail)}`), n)
}

/** The page's update and grid-slice timings, and its long tasks, so far. */
export async function pageTimings (page: Page): Promise<{ updates: Spread, slices: Spread, longTasks: number[] }> {
  const raw = await page.evaluate(() => ({
    updates: performance.getEntriesByName('shoal:update').map(e => e.duration),
    slices: performance.getEntriesByName('shoal:grid-slice').map(e => e.duration),
    longTasks: (window as unknown as { shoalLongTasks?: number[] }).shoalLongTasks ?? []
  }))
  return { updates: spread(raw.updates), slices: spread(raw.slices), longTasks: raw.longTasks }
}

/** The built dashboard's JavaScript, raw and gzipped (level 9), in bytes. */
export async function jsBundleSize (): Promise<{ files: number, rawBytes: number, gzipBytes: number }> {
  const dir = join(REPO, 'dist', 'web', 'assets')
  const scripts = (await readdir(dir)).filter(f => f.endsWith('.js'))
  let rawBytes = 0
  let gzipBytes = 0
  for (const f of scripts) {
    const bytes = await readFile(join(dir, f))
    rawBytes += bytes.length
    gzipBytes += gzipSync(bytes, { level: 9 }).length
  }
  return { files: scripts.length, rawBytes, gzipBytes }
}

/** Adds `figures` under `key` to the file SHOAL_DASHBOARD_FIGURES names (nothing when unset). */
export async function recordFigures (key: string, figures: unknown): Promise<void> {
  const file = process.env.SHOAL_DASHBOARD_FIGURES
  if (file == null || file === '') return
  let all: Record<string, unknown> = {}
  try {
    all = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>
  } catch (err) {
    // A first figure: the file does not exist yet.
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
  all[key] = figures
  await writeFile(file, JSON.stringify(all, null, 2))
}
