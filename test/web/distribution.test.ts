/**
 * Distribution on the dashboard, against real `shoal start` processes: the
 * preview of an upload worked out from the node's own settings
 * (`GET /api/node`'s `distribution`), the node's real `distribution_required`
 * refusal when it is alone, and the distribution map of a file pushed to
 * real peers — then one holder stopped (repair delay 2 s): the repair is
 * announced, and the map shows the new holders with every chunk back at its
 * replicas.
 */
import { after, before, test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import type { Browser } from 'playwright-core'
import { startNode, tempDir, waitFor, type NodeProcess } from '../helpers/cli.js'
import { callApi, dropFiles, launchBrowser, openPage, peerName, screenshot } from './browser.js'
import { UPLOADS_DIR } from '../../src/api/upload.js'

let browser: Browser
before(async () => { browser = await launchBrowser() })
after(async () => { await browser.close() })

const KIB = 1024
/** 64 KiB chunks; files of 1 MiB and more are distributed (by size, as the node's config says). */
const DIST_ENV = {
  SHOAL_CHUNKING_CHUNK_SIZE: String(64 * KIB),
  SHOAL_CHUNKING_MIN_FILE_SIZE_FOR_DISTRIBUTION: String(1024 * KIB),
  SHOAL_DISTRIBUTION_REPAIR_DELAY_SECONDS: '2'
}

interface MapJson { id: string, replicas: number, holders: Record<string, number>, chunks: Array<{ index: number, holders: string[] }> }

/** Starts `count` nodes, each bootstrapped to every one before it, and waits until all are connected. */
async function startSwarm (t: TestContext, dir: string, count: number): Promise<NodeProcess[]> {
  const nodes: NodeProcess[] = []
  for (let i = 0; i < count; i++) {
    nodes.push(await startNode(t, join(dir, `n${i}`), { env: DIST_ENV, cwd: dir, args: nodes.flatMap(n => ['--bootstrap', n.addrs[0] as string]) }))
  }
  for (const node of nodes) {
    await waitFor(async () => (await callApi(node, 'GET', '/api/peers')).peers.filter((p: { connected: boolean }) => p.connected).length >= count - 1, 30_000, `${count - 1} peers connected`)
  }
  return nodes
}

test('alone, an upload over the node\'s distribution size is previewed as refused, and the node\'s real refusal is shown; nothing is listed or kept', async (t) => {
  const dir = await tempDir(t)
  const node = await startNode(t, join(dir, 'a'), { env: DIST_ENV, cwd: dir })
  const settings = (await callApi(node, 'GET', '/api/node')).distribution
  assert.deepEqual(settings, { minFileSizeBytes: 1024 * KIB, minPeers: 2, replicas: 2, strategy: 'round-robin', chunkSizeBytes: 64 * KIB })
  const { page, context, assertNoErrors } = await openPage(browser)
  t.after(async () => { await context.close() })
  await page.goto(node.dashboard)
  await page.getByTestId('peer-id').filter({ hasText: node.peerId }).waitFor()
  await page.getByTestId('connection').filter({ hasText: 'live' }).waitFor()

  await dropFiles(page, [{ name: 'huge.bin', size: 2048 * KIB, seed: 3 }])
  // Before anything is sent: what the node will do, from its settings.
  const preview = page.getByTestId('preview')
  await preview.filter({ hasText: 'huge.bin' }).filter({ hasText: '32 chunks × 2 replicas' }).waitFor()
  await page.getByTestId('preview-refusal').filter({ hasText: 'will refuse' }).waitFor()
  await preview.getByRole('button', { name: 'Upload and distribute' }).click()

  const refusal = page.getByTestId('refusal')
  await refusal.filter({ hasText: 'needs 2 peers able to take chunks; 0 available' }).waitFor()
  await refusal.filter({ hasText: 'peers available: 0' }).waitFor()
  await page.locator('.toast', { hasText: 'Distribution refused' }).first().waitFor()
  await screenshot(page, 'refusal')
  assert.equal(await page.locator('td.name', { hasText: 'huge.bin' }).count(), 0)
  assert.deepEqual((await callApi(node, 'GET', '/api/files')).files, [])
  assert.deepEqual(await readdir(join(node.dataDir, UPLOADS_DIR)).catch(() => []), [], 'no upload kept')
  // The browser reports the refused request itself; nothing else.
  assertNoErrors(/status of 400/)
})

test('a file distributed to real peers: its map (chunks × holders, replicas per chunk); a holder stopped is repaired, and the map shows the new holders', { timeout: 240_000 }, async (t) => {
  const dir = await tempDir(t)
  const nodes = await startSwarm(t, dir, 4)
  const up = nodes[0] as NodeProcess
  const { page, context, assertNoErrors } = await openPage(browser)
  t.after(async () => { await context.close() })
  await page.goto(up.dashboard)
  await page.getByTestId('peer-id').filter({ hasText: up.peerId }).waitFor()
  await page.getByTestId('connection').filter({ hasText: 'live' }).waitFor()

  await dropFiles(page, [{ name: 'spread.bin', size: 2048 * KIB, seed: 5 }])
  const preview = page.getByTestId('preview')
  await preview.waitFor()
  const expected = '32 chunks × 2 replicas (round-robin) over 4 peers (this node included), about 16 chunks each'
  await waitFor(async () => (await preview.textContent())?.includes(expected) === true, 30_000, 'the preview of the distribution').catch(async (err: Error) => {
    throw new Error(`${err.message}: the preview says ${JSON.stringify(await preview.textContent())}`)
  })
  for (const n of nodes.slice(1)) await preview.filter({ hasText: peerName(n.peerId) }).waitFor()
  assert.equal(await page.getByTestId('preview-refusal').count(), 0)
  await screenshot(page, 'upload-preview')
  await preview.getByRole('button', { name: 'Upload and distribute' }).click()
  await page.locator('.panel.upload', { hasText: 'spread.bin: 32 chunks, distributed to' }).waitFor().catch(async (err: Error) => {
    throw new Error(`${err.message}: the page says ${JSON.stringify(await page.locator('main').textContent())}; toasts ${JSON.stringify(await page.locator('.toasts').textContent())}`)
  })
  const file = (await callApi(up, 'GET', '/api/files')).files.find((f: { name: string }) => f.name === 'spread.bin') as { id: string }
  const before = await callApi(up, 'GET', `/api/files/${file.id}/distribution`) as MapJson

  await page.getByRole('link', { name: 'Distribution map of spread.bin' }).click()
  await page.getByTestId('dist-source').filter({ hasText: '2 replicas wanted' }).waitFor()
  await page.getByTestId('under-replicated').filter({ hasText: /^0 under-replicated$/ }).waitFor()
  for (const [holder, count] of Object.entries(before.holders)) {
    await page.locator(`tr[data-holder="${holder}"]`).filter({ hasText: peerName(holder) }).filter({ hasText: String(count) }).waitFor()
  }
  await screenshot(page, 'distribution')

  // The remote holder with the most chunks goes away for good. The survivors that find it gone first make
  // the new copies and say so on their event streams (the others only adopt the repaired map): every
  // survivor's dashboard is open on its notifications, which keep what a 6 s toast would not.
  const [goneId] = Object.entries(before.holders).filter(([p]) => p !== up.peerId).sort((a, b) => b[1] - a[1])[0] ?? []
  const gone = nodes.find(n => n.peerId === goneId) as NodeProcess
  const watchers = [page]
  for (const n of nodes.filter(n => n !== gone && n !== up)) {
    const other = await openPage(browser)
    t.after(async () => { await other.context.close() })
    await other.page.goto(n.dashboard)
    await other.page.getByTestId('connection').filter({ hasText: 'live' }).waitFor()
    watchers.push(other.page)
  }
  for (const w of watchers) await w.getByRole('link', { name: /Notifications/ }).click()
  await gone.stop()
  const repairing = new RegExp(`Repairing (spread\\.bin|${file.id})`)
  const repaired = new RegExp(`Repaired (spread\\.bin|${file.id})`)
  await Promise.any(watchers.map(async (w) => {
    await w.locator('.note', { hasText: repairing }).filter({ hasText: peerName(gone.peerId) }).first().waitFor()
    await w.locator('.note', { hasText: repaired }).first().waitFor()
  }))
  await page.goBack()
  let after: MapJson | undefined
  await waitFor(async () => {
    after = await callApi(up, 'GET', `/api/files/${file.id}/distribution`) as MapJson
    return after.chunks.every(c => new Set(c.holders).size === 2 && !c.holders.includes(gone.peerId))
  }, 60_000, 'every chunk back at 2 live holders')
  // The open map follows repairs; opened again, it reads the node's map afresh.
  await page.reload()
  await page.getByTestId('under-replicated').filter({ hasText: /^0 under-replicated$/ }).waitFor()
  assert.equal(await page.locator(`tr[data-holder="${gone.peerId}"]`).count(), 0, 'the stopped holder is no longer named')
  for (const [holder, count] of Object.entries(after?.holders ?? {})) {
    await page.locator(`tr[data-holder="${holder}"]`).filter({ hasText: String(count) }).waitFor()
  }
  await screenshot(page, 'distribution-repaired')
  assertNoErrors()
})
