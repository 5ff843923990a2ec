/**
 * The dashboard in Debian's Chromium against real `shoal start` processes:
 * the printed URL logs in (and the token leaves the address bar), uploads
 * by a real drop event and by the picker, a download started by pasting a
 * link fills its grid in the source's colour, cancel and resume, a stalled
 * download names the seeder that was killed, and the page says the node is
 * offline and comes back when it restarts. No console errors anywhere.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { startNode, tempDir, type NodeProcess } from '../helpers/cli.js'
import { multipartBody, MULTIPART_BOUNDARY } from '../helpers/multipart.js'
import { callApi, dropFiles, launchBrowser, openPage, screenshot, peerName, UI_TIMEOUT_MS } from './browser.js'
import { UPLOADS_DIR } from '../../src/api/upload.js'

let browser: Browser
before(async () => { browser = await launchBrowser() })
after(async () => { await browser.close() })

/** Small chunks, so a few MiB make a grid worth looking at. */
const SMALL_CHUNKS = { SHOAL_CHUNKING_CHUNK_SIZE: String(64 * 1024) }
const MIB = 1024 * 1024

/** Uploads a generated file through the API and returns its listing (with its link). */
async function uploadThroughApi (node: NodeProcess, name: string, size: number): Promise<{ id: string, link: string }> {
  const data = Buffer.alloc(size)
  for (let i = 0; i < size; i++) data[i] = (i * 7 + name.length) & 0xff
  await callApi(node, 'POST', '/api/files/upload', multipartBody([{ name, data }]), `multipart/form-data; boundary=${MULTIPART_BOUNDARY}`)
  const files = (await callApi(node, 'GET', '/api/files')).files as Array<{ id: string, name: string, link: string }>
  const file = files.find(f => f.name === name)
  assert.ok(file != null, `${name} is listed`)
  return file
}

/** The colour of a chunk cell and of a legend swatch, as `r,g,b`. */
async function cellColour (page: Page, index: number): Promise<string> {
  return await page.evaluate((i) => {
    const canvas = document.querySelector('.job canvas[data-chunks]') as HTMLCanvasElement
    const cell = canvas.width / Math.floor(canvas.width / (Number(canvas.dataset.chunks) <= 256 ? 16 : 10))
    const cols = Math.round(canvas.width / cell)
    const d = (canvas.getContext('2d') as CanvasRenderingContext2D).getImageData((i % cols) * cell + 2, Math.floor(i / cols) * cell + 2, 1, 1).data
    return `${d[0]},${d[1]},${d[2]}`
  }, index)
}

async function swatchColour (page: Page, peerId: string): Promise<string> {
  const bg = await page.locator(`.peers-of-job tr[data-peer="${peerId}"] .swatch`).evaluate(el => getComputedStyle(el).backgroundColor)
  return (bg.match(/\d+/g) ?? []).slice(0, 3).join(',')
}

test('the printed URL logs in and leaves the address bar; files upload by drop and by picker and are listed with their links', async (t) => {
  const dir = await tempDir(t)
  const node = await startNode(t, join(dir, 'a'), { env: SMALL_CHUNKS, cwd: dir })
  assert.match(node.dashboard, /^http:\/\/127\.0\.0\.1:\d+\/\?token=/)
  const { page, context, assertNoErrors } = await openPage(browser)
  t.after(async () => { await context.close() })

  await page.goto(node.dashboard)
  await page.getByTestId('peer-id').filter({ hasText: node.peerId }).waitFor()
  assert.ok(!page.url().includes('token'), `the token left the address bar: ${page.url()}`)
  await page.reload()
  await page.getByTestId('peer-id').filter({ hasText: node.peerId }).waitFor()
  await page.getByTestId('connection').filter({ hasText: 'live' }).waitFor()

  await dropFiles(page, [{ name: 'dropped.bin', size: 3 * MIB, seed: 1 }])
  const dropped = page.locator('tr', { has: page.locator('td.name', { hasText: 'dropped.bin' }) })
  await dropped.waitFor()
  assert.match(await dropped.locator('input.link-input').inputValue(), /^shoal:\/\//)
  assert.equal(await dropped.locator('td').nth(2).textContent(), '48')

  await page.getByTestId('picker').setInputFiles({ name: 'picked.txt', mimeType: 'text/plain', buffer: Buffer.from('chosen with the picker\n') })
  const picked = page.locator('tr', { has: page.locator('td.name', { hasText: 'picked.txt' }) })
  await picked.waitFor()
  assert.match(await picked.locator('input.link-input').inputValue(), /^shoal:\/\//)
  await page.locator('progress[aria-label="Upload progress"]').waitFor()

  assert.deepEqual((await readdir(join(node.dataDir, UPLOADS_DIR))).sort(), ['dropped.bin', 'picked.txt'])
  const files = (await callApi(node, 'GET', '/api/files')).files as Array<{ name: string, link: string }>
  assert.equal(files.find(f => f.name === 'dropped.bin')?.link, await dropped.locator('input.link-input').inputValue())
  await screenshot(page, 'files')
  await page.goto(node.api + '/#/notifications')
  await page.locator('.note', { hasText: 'Uploaded 1 file' }).first().waitFor()
  await screenshot(page, 'notifications')
  assertNoErrors()
})

test('a pasted link downloads with its grid in the source\'s colour; cancel, resume; a killed seeder leaves a stalled download naming it', async (t) => {
  const dir = await tempDir(t)
  // The seeder sends 1 MiB/s, so there is time to cancel and to watch.
  const seeder = await startNode(t, join(dir, 'seeder'), { env: SMALL_CHUNKS, cwd: dir, args: ['--upload-limit', '1M'] })
  const getter = await startNode(t, join(dir, 'getter'), { cwd: dir })
  const first = await uploadThroughApi(seeder, 'first.bin', 6 * MIB)
  const second = await uploadThroughApi(seeder, 'second.bin', 8 * MIB)

  const { page, context, assertNoErrors } = await openPage(browser)
  t.after(async () => { await context.close() })
  await page.goto(getter.dashboard)
  await page.getByTestId('peer-id').filter({ hasText: getter.peerId }).waitFor()
  await page.getByRole('link', { name: 'Downloads' }).click()
  await page.getByLabel('Share link or file ID').fill(first.link)
  await page.getByRole('button', { name: 'Download' }).click()
  await page.waitForURL(/#\/downloads\/[A-Za-z0-9]+$/)
  const job = page.locator('article.job', { hasText: 'first.bin' })
  await job.locator('canvas[data-chunks="96"]').waitFor()
  await job.getByTestId('job-state').filter({ hasText: 'running' }).waitFor()
  await page.waitForFunction(() => /[1-9]\d*\/96 chunks/.test(document.querySelector('article.job .stats')?.textContent ?? ''))

  await job.getByRole('button', { name: 'Cancel first.bin' }).click()
  await job.getByTestId('job-state').filter({ hasText: 'cancelled' }).waitFor()
  await job.getByRole('button', { name: 'Resume first.bin' }).click()
  const resumed = page.locator('article.job', { hasText: 'first.bin' }).filter({ has: page.getByTestId('job-state').filter({ hasText: /running|completed/ }) })
  await resumed.first().waitFor()
  await page.locator('article.job', { hasText: 'first.bin' }).getByTestId('job-state').filter({ hasText: 'completed' }).first().waitFor({ timeout: 3 * UI_TIMEOUT_MS })
  // Every chunk came from the seeder: the grid's cells are its legend colour.
  await page.locator(`.peers-of-job tr[data-peer="${seeder.peerId}"]`).waitFor()
  const colour = await swatchColour(page, seeder.peerId)
  assert.equal(await cellColour(page, 0), colour)
  assert.equal(await cellColour(page, 95), colour)
  await screenshot(page, 'downloads')
  await page.setViewportSize({ width: 375, height: 800 })
  await screenshot(page, 'downloads-phone')
  await page.setViewportSize({ width: 1280, height: 800 })

  await page.goto(getter.api + '/#/peers')
  await page.locator(`tr[data-peer="${seeder.peerId}"]`).filter({ hasText: 'connected' }).waitFor()
  await screenshot(page, 'peers')
  await page.goto(getter.api + '/#/node')
  await page.getByTestId('node-peer-id').filter({ hasText: getter.peerId }).waitFor()
  await screenshot(page, 'node')
  await page.goto(getter.api + `/#/distribution/${first.id}`)
  await page.getByTestId('dist-source').waitFor()
  await screenshot(page, 'distribution-known-copies')

  await page.goto(getter.api + '/#/downloads')
  await page.getByLabel('Share link or file ID').fill(second.link)
  await page.getByRole('button', { name: 'Download' }).click()
  const stalling = page.locator('article.job', { hasText: 'second.bin' })
  await stalling.getByTestId('job-state').filter({ hasText: 'running' }).waitFor()
  await page.waitForFunction(() => [...document.querySelectorAll('article.job')].some(a => a.textContent?.includes('second.bin') === true && /[1-9]\d*\/128 chunks/.test(a.textContent)))
  seeder.child.kill('SIGKILL')
  await stalling.getByTestId('job-state').filter({ hasText: 'stalled' }).waitFor({ timeout: 3 * UI_TIMEOUT_MS })
  await stalling.getByTestId('stalled').filter({ hasText: peerName(seeder.peerId) }).waitFor()
  await page.getByRole('link', { name: /Notifications/ }).click()
  await page.locator('.note', { hasText: 'Download stalled: second.bin' }).waitFor()
  assertNoErrors()
})

test('the page says the node is offline while it restarts, and comes back live', async (t) => {
  const dir = await tempDir(t)
  const first = await startNode(t, join(dir, 'a'), { cwd: dir })
  const port = new URL(first.api).port
  await first.stop()
  // The same API port again, so the open page can find the node when it is back.
  const node = await startNode(t, join(dir, 'a'), { cwd: dir, args: ['--api', `127.0.0.1:${port}`] })
  const { page, context, assertNoErrors } = await openPage(browser)
  t.after(async () => { await context.close() })
  await page.goto(node.dashboard)
  await page.getByTestId('connection').filter({ hasText: 'live' }).waitFor()
  await node.stop()
  await page.getByTestId('connection').filter({ hasText: 'node offline' }).waitFor()
  await page.getByRole('alert').filter({ hasText: 'The node is offline' }).waitFor()
  await screenshot(page, 'offline')
  await startNode(t, join(dir, 'a'), { cwd: dir, args: ['--api', `127.0.0.1:${port}`] })
  await page.getByTestId('connection').filter({ hasText: 'live' }).waitFor()
  await page.getByTestId('peer-id').filter({ hasText: node.peerId }).waitFor()
  // While the node is away, the browser logs each refused reconnection; nothing else.
  assertNoErrors(/ERR_CONNECTION_REFUSED|net::ERR_|Failed to load resource/)
})
