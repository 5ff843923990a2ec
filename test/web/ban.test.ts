/**
 * A peer banned for corrupt data, on the dashboard: a lying seeder (real
 * Shoal protocol handlers serving flipped bytes, test/helpers/lying-seeder.ts)
 * is the only source of a download started on a real `shoal start` node; the
 * page notifies the ban by the peer's short name, and the download left
 * stalled with no other source, in its list of notifications. The ban comes
 * from the job's snapshots on the event stream (`bannedPeers` of
 * `download:state`/`download:progress`, filled by the source pool's ban), so
 * no separate event is needed.
 */
import { after, before, test } from 'node:test'
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import type { Browser } from 'playwright-core'
import { startNode, tempDir, writeRandomFile } from '../helpers/cli.js'
import { startLyingSeeder } from '../helpers/lying-seeder.js'
import { callApi, launchBrowser, openPage, peerName, screenshot } from './browser.js'

let browser: Browser
before(async () => { browser = await launchBrowser() })
after(async () => { await browser.close() })

test('a peer banned for corrupt data is notified by its short name, and the download it stalled too', async (t) => {
  const dir = await tempDir(t)
  const src = join(dir, 'f.bin')
  await writeRandomFile(src, 6 * 1024 * 1024)
  const liar = await startLyingSeeder(src)
  t.after(async () => { await liar.stop() })
  // Its own working directory: one holding f.bin would make the download a no-op (already complete).
  const out = join(dir, 'out')
  await mkdir(out)
  const node = await startNode(t, join(dir, 'node'), { cwd: out, env: { SHOAL_TRANSFER_NO_PROVIDER_TIMEOUT_MS: '3000' } })
  const { page, context, assertNoErrors } = await openPage(browser)
  t.after(async () => { await context.close() })
  await page.goto(node.dashboard)
  await page.getByTestId('connection').filter({ hasText: 'live' }).waitFor()

  await callApi(node, 'POST', '/api/downloads', Buffer.from(JSON.stringify({ target: liar.fileId, peers: [liar.addrs[0]] })), 'application/json')
  await page.getByRole('link', { name: /Notifications/ }).click()
  await page.locator('.note', { hasText: 'Download stalled: f.bin' }).first().waitFor().catch(async (err: Error) => {
    throw new Error(`${err.message}: the page says ${JSON.stringify(await page.locator('main').textContent())}; the node: ${JSON.stringify(await callApi(node, 'GET', '/api/downloads'))}`)
  })
  await page.locator('.note', { hasText: `Peer banned: ${peerName(liar.peerId)}` }).filter({ hasText: 'corrupt data for f.bin' }).waitFor()
  await screenshot(page, 'notifications-ban')
  assertNoErrors()
})
