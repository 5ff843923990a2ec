/**
 * Scale: a real 32,000-chunk download (the manifest's maximum: 500 MiB in
 * 16 KiB chunks) between two `shoal start` processes, followed on the
 * getter's dashboard with its grid open. Every update of the page under the
 * event stream (events applied, grid cells drawn, views re-rendered, layout)
 * is measured in Chromium with the Performance API (`shoal:update`).
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdir, open, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Browser } from 'playwright-core'
import { startNode, tempDir } from '../helpers/cli.js'
import { launchBrowser, openPage, screenshot, UI_TIMEOUT_MS } from './browser.js'
import { describeSpread, observeLongTasks, pageTimings, recordFigures, slowestUpdates } from './measure.js'
import { TOKEN_FILE } from '../../src/node/node-info.js'

let browser: Browser
before(async () => { browser = await launchBrowser() })
after(async () => { await browser.close() })

const CHUNK_BYTES = 16 * 1024
const CHUNKS = 32_000
/** Main-thread budget of one page update: one frame at 60 Hz. */
const UPDATE_BUDGET_MS = 16

test('a 32,000-chunk download updates the page within a frame\'s budget', { timeout: 900_000 }, async (t) => {
  const dir = await tempDir(t)
  const path = join(dir, 'big.bin')
  const fh = await open(path, 'w')
  for (let i = 0; i < CHUNKS / 64; i++) await fh.write(randomBytes(64 * CHUNK_BYTES))
  await fh.close()
  // 25 MiB/s: the download lasts about 20 s, a long stream of chunk batches and progress events.
  const seeder = await startNode(t, join(dir, 'seeder'), { env: { SHOAL_CHUNKING_CHUNK_SIZE: String(CHUNK_BYTES) }, cwd: dir, args: ['--upload-limit', '25M'] })
  // Its own working directory: one holding big.bin would make the download a no-op (already complete).
  const out = join(dir, 'out')
  await mkdir(out)
  const getter = await startNode(t, join(dir, 'getter'), { cwd: out })
  const token = (await readFile(join(seeder.dataDir, TOKEN_FILE), 'utf8')).trim()
  const res = await fetch(`${seeder.api}/api/files`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ path }) })
  const shared = await res.json() as { link: string, chunks: number }
  assert.equal(shared.chunks, CHUNKS)

  const { page, context, assertNoErrors } = await openPage(browser)
  t.after(async () => { await context.close() })
  await observeLongTasks(page)
  await page.goto(getter.dashboard)
  await page.getByTestId('peer-id').filter({ hasText: getter.peerId }).waitFor()
  await page.getByRole('link', { name: 'Downloads' }).click()
  await page.getByLabel('Share link or file ID').fill(shared.link)
  await page.getByRole('button', { name: 'Download' }).click()
  await page.locator(`canvas[data-chunks="${CHUNKS}"]`).waitFor()
  // Half-way, for the README: the grid filling up.
  await page.waitForFunction(() => { const m = /(\d+)\/32000 chunks/.exec(document.querySelector('article.job .stats')?.textContent ?? ''); return m != null && Number(m[1]) >= 12_000 }, undefined, { timeout: 10 * UI_TIMEOUT_MS })
  await screenshot(page, 'downloads-32000-chunks')
  await page.getByTestId('job-state').filter({ hasText: 'completed' }).waitFor({ timeout: 10 * UI_TIMEOUT_MS })

  assertNoErrors()
  const { updates, slices, longTasks } = await pageTimings(page)
  console.log(`# 32,000-chunk download: page updates ${describeSpread(updates)}; full-grid draw slices ${describeSpread(slices)}; long tasks (> 50 ms): ${longTasks.length}${longTasks.length > 0 ? ` (longest ${Math.max(...longTasks).toFixed(0)} ms)` : ''} (budget ${UPDATE_BUDGET_MS} ms)`)
  console.log(`# slowest updates: ${(await slowestUpdates(page)).join('; ')}`)
  await recordFigures('grid32000', { updates, slices, longTasks })
  // Wall time of synchronous work: on the shared 2-core test machine (load average ~15) a batch of two
  // events has been seen to take 26 ms once, preempted. So all but the rarest updates must fit a frame
  // (p99), and the maximum is printed here and judged by `npm run bench`.
  assert.ok(updates.count >= 10, `${updates.count} updates measured`)
  assert.ok(updates.p99 <= UPDATE_BUDGET_MS, `p99 ${updates.p99} ms`)
  // A full draw of the grid is cut into slices of about 4 ms: the typical slice fits a frame (one
  // whole-grid task was 79 ms). A draw has ~10 slices, so their p95 is their maximum: one slice
  // preempted on the loaded machine (18 ms once in CI, median 4.3 ms) is the bench's to judge.
  assert.ok(slices.count >= 1, 'the grid was drawn in slices')
  assert.ok(slices.p50 <= UPDATE_BUDGET_MS, `grid slices p50 ${slices.p50} ms`)
})
