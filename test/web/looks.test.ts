/**
 * How the dashboard looks and how it is reached, against two real `shoal
 * start` processes (one shares, one has downloaded): every view in the light
 * and the dark scheme (the system's, emulated) and at a phone's 375 px,
 * saved to docs/screenshots for the README; every control has a name a
 * screen reader can say; the keyboard reaches every view with the focus
 * visible, and Enter and Space work the controls.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { startNode, tempDir, type NodeProcess } from '../helpers/cli.js'
import { multipartBody, MULTIPART_BOUNDARY } from '../helpers/multipart.js'
import { callApi, launchBrowser, openPage, peerName, screenshot } from './browser.js'

let browser: Browser
before(async () => { browser = await launchBrowser() })
after(async () => { await browser.close() })

const SMALL_CHUNKS = { SHOAL_CHUNKING_CHUNK_SIZE: String(64 * 1024) }

/** Each view, its address, and what shows it is there. */
const VIEWS: Array<{ name: string, hash: (fileId: string, jobId: string) => string, ready: string }> = [
  { name: 'files', hash: () => '#/files', ready: 'tr[data-file-id]' },
  { name: 'downloads', hash: (_, job) => `#/downloads/${job}`, ready: 'article.job canvas[data-chunks]' },
  { name: 'distribution', hash: (file) => `#/distribution/${file}`, ready: '[data-testid=dist-source]' },
  { name: 'peers', hash: () => '#/peers', ready: 'tr[data-peer]' },
  { name: 'node', hash: () => '#/node', ready: '[data-testid=node-peer-id]' },
  { name: 'notifications', hash: () => '#/notifications', ready: '#notes-title' }
]

/**
 * Controls without a name a screen reader could say (aria-label, labelledby, a label, their text, a title).
 * Plain JavaScript run in the page: a TypeScript function would carry tsx's name helpers, unknown there.
 */
const UNNAMED_CONTROLS = `(() => {
  const controls = document.querySelectorAll('button, input, select, textarea, a[href], [role=button], [tabindex]:not([tabindex="-1"]), progress, canvas, [role=img], [role=dialog]')
  const nameOf = (el) => {
    const label = el.getAttribute('aria-label')
    if (label != null && label.trim() !== '') return label
    const by = el.getAttribute('aria-labelledby')
    if (by != null) return by.split(/\\s+/).map(id => document.getElementById(id)?.textContent ?? '').join(' ').trim()
    if (el.id !== '') {
      const forLabel = document.querySelector('label[for="' + CSS.escape(el.id) + '"]')
      if (forLabel != null && forLabel.textContent.trim() !== '') return forLabel.textContent
    }
    const wrapping = el.closest('label')
    if (wrapping != null) return wrapping.textContent.trim()
    if (el.matches('button, a[href], [role=button]')) return el.textContent.trim()
    if (el.matches('input[type=submit], input[type=button]')) return el.value
    return el.title
  }
  return [...controls].filter(el => nameOf(el).trim() === '').map(el => el.outerHTML.slice(0, 120))
})()`

async function unnamedControls (page: Page): Promise<string[]> {
  return await page.evaluate(UNNAMED_CONTROLS) as string[]
}

async function showView (page: Page, node: NodeProcess, hash: string, ready: string): Promise<void> {
  await page.goto(node.api + '/' + hash)
  await page.locator(ready).first().waitFor()
}

test('every view in light and dark and at 375 px; every control named; the keyboard reaches the views and works the controls', { timeout: 300_000 }, async (t) => {
  const dir = await tempDir(t)
  const seeder = await startNode(t, join(dir, 'seeder'), { env: SMALL_CHUNKS, cwd: dir })
  const node = await startNode(t, join(dir, 'node'), { cwd: dir, args: ['--bootstrap', seeder.addrs[0] as string] })
  const data = Buffer.alloc(3 * 1024 * 1024)
  for (let i = 0; i < data.length; i++) data[i] = (i * 31 + (i >> 11)) & 0xff
  await callApi(seeder, 'POST', '/api/files/upload', multipartBody([{ name: 'report.pdf', data }]), `multipart/form-data; boundary=${MULTIPART_BOUNDARY}`)
  const shared = (await callApi(seeder, 'GET', '/api/files')).files[0] as { id: string, link: string }
  const job = await callApi(node, 'POST', '/api/downloads', Buffer.from(JSON.stringify({ target: shared.link, peers: [seeder.addrs[0]] })), 'application/json') as { id: string }
  await callApi(node, 'POST', '/api/files/upload', multipartBody([{ name: 'notes.txt', data: Buffer.from('shared from the dashboard node\n') }]), `multipart/form-data; boundary=${MULTIPART_BOUNDARY}`)

  const { page, context, assertNoErrors } = await openPage(browser)
  t.after(async () => { await context.close() })
  await page.goto(node.dashboard)
  await page.getByTestId('connection').filter({ hasText: 'live' }).waitFor()
  // The node's own short name in the header, as every view names peers.
  await page.getByTestId('node-name').filter({ hasText: peerName(node.peerId) }).waitFor()
  await page.goto(node.api + `/#/downloads/${job.id}`)
  await page.locator('article.job', { hasText: 'report.pdf' }).getByTestId('job-state').filter({ hasText: 'completed' }).waitFor().catch(async (err: Error) => {
    throw new Error(`${err.message}: the page says ${JSON.stringify(await page.locator('main').textContent())}; the node: ${JSON.stringify(await callApi(node, 'GET', '/api/downloads'))}`)
  })

  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme })
    for (const view of VIEWS) {
      await showView(page, node, view.hash(shared.id, job.id), view.ready)
      const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor)
      // Light: a light page; dark: a dark one (the system's scheme is followed).
      const lum = (bg.match(/\d+/g) ?? []).slice(0, 3).map(Number).reduce((a, b) => a + b, 0) / 3
      assert.ok(scheme === 'light' ? lum > 200 : lum < 60, `${view.name} in ${scheme}: background ${bg}`)
      assert.deepEqual(await unnamedControls(page), [], `${view.name}: every control has an accessible name`)
      await screenshot(page, `${view.name}-${scheme}`)
    }
  }
  await page.emulateMedia({ colorScheme: 'light' })
  await page.setViewportSize({ width: 375, height: 780 })
  for (const view of VIEWS.filter(v => ['files', 'downloads', 'distribution', 'peers'].includes(v.name))) {
    await showView(page, node, view.hash(shared.id, job.id), view.ready)
    // Nothing wider than the phone, except inside what scrolls or clips by design (tables and the view
    // tabs scroll sideways in their box; the header's peer ID ends in an ellipsis).
    const wider = await page.evaluate(`[...document.querySelectorAll('body *')].filter(el => el.getBoundingClientRect().right > window.innerWidth + 1 && el.parentElement?.closest('.table-wrap, nav, .node-id') == null).map(el => el.tagName + '.' + el.className + ' ' + Math.round(el.getBoundingClientRect().right))`) as string[]
    assert.deepEqual(wider, [], `${view.name} fits 375 px`)
    await screenshot(page, `phone-${view.name}`)
  }
  await page.setViewportSize({ width: 1280, height: 800 })

  // The keyboard: from the top of the page, Tab reaches every view's link, the focus drawn.
  await showView(page, node, '#/files', 'tr[data-file-id]')
  await page.evaluate(() => { (document.activeElement as HTMLElement | null)?.blur() })
  const reached: string[] = []
  for (let i = 0; i < 12 && reached.length < VIEWS.length; i++) {
    await page.keyboard.press('Tab')
    const focus = await page.evaluate(() => {
      const el = document.activeElement as HTMLElement
      return { nav: el.closest('nav') != null, text: el.textContent?.trim() ?? '', drawn: el.matches(':focus-visible') && getComputedStyle(el).outlineStyle !== 'none' }
    })
    if (focus.nav) {
      assert.ok(focus.drawn, `the focus on ${focus.text} is visible`)
      reached.push(focus.text.replace(/\d+$/, ''))
    }
  }
  assert.deepEqual(reached, ['Files', 'Downloads', 'Distribution', 'Peers', 'Node', 'Notifications'])
  // Enter on a view's link opens it.
  await page.keyboard.press('Shift+Tab')
  await page.keyboard.press('Shift+Tab')
  await page.keyboard.press('Enter')
  await page.waitForURL(/#\/peers$/)
  await page.locator('#peers-title').waitFor()
  // Space on the drop zone opens the file picker.
  await showView(page, node, '#/files', 'tr[data-file-id]')
  // Playwright starts intercepting file choosers when the first listener is added, by a message
  // of its own: added before the page is focused, it is in place before the key is pressed.
  const chooser = page.waitForEvent('filechooser', { timeout: 30_000 })
  await page.getByTestId('dropzone').focus()
  await page.waitForFunction(() => document.activeElement?.getAttribute('data-testid') === 'dropzone')
  await page.keyboard.press('Space')
  await chooser
  // Enter in the link field starts a download (the form's button by keyboard).
  await showView(page, node, '#/downloads', 'article.job')
  await page.getByLabel('Share link or file ID').focus()
  await page.keyboard.type(shared.link)
  await page.keyboard.press('Enter')
  await page.waitForURL(/#\/downloads\/[A-Za-z0-9]+$/)
  assertNoErrors()
})
