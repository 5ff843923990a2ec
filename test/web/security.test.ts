/**
 * Getting in, safely: without the token the page asks for it and shows no
 * data (and asks the API nothing); a wrong token is refused; and a page on
 * another origin, in the same browser, cannot read from the API nor share,
 * download or delete anything through it (form posts, images, fetches).
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { AddressInfo } from 'node:net'
import type { Browser } from 'playwright-core'
import { startNode, tempDir, type NodeProcess } from '../helpers/cli.js'
import { launchBrowser, openPage, screenshot } from './browser.js'
import { TOKEN_FILE } from '../../src/node/node-info.js'
import { UPLOADS_DIR } from '../../src/api/upload.js'

let browser: Browser
before(async () => { browser = await launchBrowser() })
after(async () => { await browser.close() })

async function tokenOf (node: NodeProcess): Promise<string> {
  return (await readFile(join(node.dataDir, TOKEN_FILE), 'utf8')).trim()
}

async function listFiles (node: NodeProcess): Promise<Array<{ id: string, name: string }>> {
  const res = await fetch(`${node.api}/api/files`, { headers: { authorization: `Bearer ${await tokenOf(node)}` } })
  return ((await res.json()) as { files: Array<{ id: string, name: string }> }).files
}

test('without the token the page asks for it, shows no data and asks the API nothing; a wrong token is refused', async (t) => {
  const dir = await tempDir(t)
  const node = await startNode(t, join(dir, 'a'), { cwd: dir })
  const { page, context, assertNoErrors } = await openPage(browser)
  t.after(async () => { await context.close() })
  const apiRequests: string[] = []
  page.on('request', (r) => { if (new URL(r.url()).pathname.startsWith('/api')) apiRequests.push(r.url()) })

  await page.goto(`${node.api}/`)
  await page.getByText('This dashboard needs the node\'s token.').waitFor()
  await page.goto(`${node.api}/#/peers`)
  await page.getByText('This dashboard needs the node\'s token.').waitFor()
  assert.ok(!(await page.content()).includes(node.peerId), 'the peer ID is not on the page')
  assert.deepEqual(apiRequests, [], 'no API request without a token')
  await screenshot(page, 'login')

  await page.getByLabel('Dashboard address or token').fill('not-the-token')
  await page.getByRole('button', { name: 'Open' }).click()
  await page.getByRole('alert').filter({ hasText: 'not this node' }).waitFor()
  assert.ok(!(await page.content()).includes(node.peerId))

  // The printed address pasted into the form works as the token.
  await page.getByLabel('Dashboard address or token').fill(node.dashboard)
  await page.getByRole('button', { name: 'Open' }).click()
  await page.getByTestId('peer-id').filter({ hasText: node.peerId }).waitFor()
  // The one error is the refused wrong token's 401.
  assertNoErrors(/status of 401/)
})

test('a page on another origin cannot read the API, nor share, download or delete through it', async (t) => {
  const dir = await tempDir(t)
  const node = await startNode(t, join(dir, 'a'), { cwd: dir })
  const secret = join(dir, 'secret.txt')
  const { writeFile } = await import('node:fs/promises')
  await writeFile(secret, 'not to be shared\n')
  const kept = join(dir, 'kept.txt')
  await writeFile(kept, 'shared by the owner\n')
  const shared = await (await fetch(`${node.api}/api/files`, { method: 'POST', headers: { authorization: `Bearer ${await tokenOf(node)}`, 'content-type': 'application/json' }, body: JSON.stringify({ path: kept }) })).json() as { id: string }
  const before = await listFiles(node)

  // Another site the user visits: every trick a page has, without the token.
  const api = node.api
  const evil = `<!doctype html><meta charset="utf-8"><title>elsewhere</title><body>
<iframe name="f1"></iframe><iframe name="f2"></iframe><iframe name="f3"></iframe><iframe name="f4"></iframe>
<form id="share" method="post" action="${api}/api/files" target="f1" enctype="text/plain"><input name='{"path":"${secret}","x":"' value='"}'></form>
<form id="get" method="post" action="${api}/api/downloads" target="f2" enctype="text/plain"><input name='{"target":"${shared.id}","x":"' value='"}'></form>
<form id="upload" method="post" action="${api}/api/files/upload" target="f3" enctype="multipart/form-data"><input name="file" value="plain field"></form>
<form id="urlenc" method="post" action="${api}/api/files" target="f4"><input name="path" value="${secret}"></form>
<script>
const results = {}
async function attempt (name, fn) { try { results[name] = await fn() } catch (e) { results[name] = 'blocked: ' + e.name } }
window.run = async () => {
  const loads = [...document.querySelectorAll('iframe')].map(f => new Promise(r => f.addEventListener('load', r, { once: true })))
  for (const f of document.forms) f.submit()
  await Promise.all(loads)
  await new Promise(r => { const img = new Image(); img.onload = img.onerror = r; img.src = '${api}/api/files/${shared.id}?x=1' })
  await attempt('read node', async () => (await fetch('${api}/api/node')).status)
  await attempt('read files with a guessed token', async () => (await fetch('${api}/api/files', { headers: { authorization: 'Bearer guess' } })).status)
  await attempt('json share', async () => (await fetch('${api}/api/files', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ path: '${secret}' }) })).status)
  await attempt('no-cors share', async () => (await fetch('${api}/api/files', { method: 'POST', mode: 'no-cors', headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ path: '${secret}' }) })).type)
  await attempt('no-cors upload', async () => { const form = new FormData(); form.append('file', new Blob(['planted']), 'planted.txt'); return (await fetch('${api}/api/files/upload', { method: 'POST', mode: 'no-cors', body: form })).type })
  await attempt('delete', async () => (await fetch('${api}/api/files/${shared.id}', { method: 'DELETE', mode: 'cors' })).status)
  await attempt('no-cors delete', async () => (await fetch('${api}/api/files/${shared.id}', { method: 'DELETE', mode: 'no-cors' })).type)
  await attempt('events', () => new Promise((resolve) => { const es = new EventSource('${api}/api/events'); es.onerror = () => { es.close(); resolve('error') }; es.onmessage = () => resolve('read') }))
  return results
}
</script>`
  const server = createServer((_req, res) => { res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }); res.end(evil) })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  t.after(() => { server.close() })
  // localhost, not 127.0.0.1, and another port: a different site and origin.
  const origin = `http://localhost:${(server.address() as AddressInfo).port}`
  const { page, context } = await openPage(browser)
  t.after(async () => { await context.close() })
  await page.goto(origin)
  const results = await page.evaluate(async () => await (window as unknown as { run: () => Promise<Record<string, unknown>> }).run())

  // Nothing was read: cross-origin reads fail, and the opaque no-cors answers say nothing.
  assert.equal(results['read node'], 'blocked: TypeError')
  assert.equal(results['read files with a guessed token'], 'blocked: TypeError')
  assert.equal(results['json share'], 'blocked: TypeError')
  assert.equal(results.delete, 'blocked: TypeError')
  assert.equal(results.events, 'error')
  // Nothing was done: the same files, no download, no upload.
  assert.deepEqual(await listFiles(node), before)
  const downloads = await (await fetch(`${node.api}/api/downloads`, { headers: { authorization: `Bearer ${await tokenOf(node)}` } })).json() as { downloads: unknown[] }
  assert.deepEqual(downloads.downloads, [])
  assert.deepEqual(await readdir(join(node.dataDir, UPLOADS_DIR)), [])
  // And no answer invites another origin in.
  const preflight = await fetch(`${node.api}/api/files`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization' } })
  assert.equal(preflight.headers.get('access-control-allow-origin'), null)
  const page2 = await fetch(`${node.api}/`, { headers: { origin } })
  assert.equal(page2.headers.get('access-control-allow-origin'), null)
  assert.match(page2.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/)
})
