/**
 * Debian's Chromium driven by playwright-core (never a downloaded browser),
 * one per test file; pages that record their console errors, and the
 * screenshots that go to docs/screenshots/.
 */
/// <reference lib="dom" />
import assert from 'node:assert/strict'
import { mkdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'
import { REPO, type NodeProcess } from '../helpers/cli.js'
import { TOKEN_FILE } from '../../src/node/node-info.js'

/** Where Debian puts Chromium (.ci/run installs it when missing). */
export const CHROMIUM = process.env.SHOAL_CHROMIUM ?? '/usr/bin/chromium'
/** Screenshots of each view, referenced by the README. */
export const SCREENSHOT_DIR = join(REPO, 'docs', 'screenshots')
/** How long a wait for something the page should show may take on a loaded machine. */
export const UI_TIMEOUT_MS = 60_000

export async function launchBrowser (): Promise<Browser> {
  return await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] })
}

/** A page in its own context (its own sessionStorage), and the console errors it logged. */
export interface WatchedPage {
  context: BrowserContext
  page: Page
  errors: string[]
  /** Fails when the page logged an error (other than the `allowed` ones). */
  assertNoErrors: (allowed?: RegExp) => void
}

export async function openPage (browser: Browser, options: { width?: number, height?: number } = {}): Promise<WatchedPage> {
  const context = await browser.newContext({ viewport: { width: options.width ?? 1280, height: options.height ?? 800 } })
  const page = await context.newPage()
  page.setDefaultTimeout(UI_TIMEOUT_MS)
  const errors: string[] = []
  page.on('console', (m) => { if (m.type() === 'error') errors.push(`console: ${m.text()} (${m.location().url})`) })
  page.on('pageerror', (e) => { errors.push(`page error: ${e.message}`) })
  return {
    context,
    page,
    errors,
    assertNoErrors: (allowed) => {
      const left = errors.filter(e => allowed == null || !allowed.test(e))
      assert.deepEqual(left, [], 'the browser console shows no errors')
    }
  }
}

export async function screenshot (page: Page, name: string): Promise<void> {
  await mkdir(SCREENSHOT_DIR, { recursive: true })
  await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`), fullPage: false })
}

/** `…a1b2c3`: a peer's short name, as the dashboard shows it in every view. */
export function peerName (id: string): string {
  return `…${id.slice(-6)}`
}

/** Drops generated files on the dropzone with a real `drop` event carrying a DataTransfer. */
export async function dropFiles (page: Page, files: Array<{ name: string, size: number, seed: number }>): Promise<void> {
  const transfer = await page.evaluateHandle((list) => {
    const dt = new DataTransfer()
    for (const f of list) {
      const bytes = new Uint8Array(f.size)
      let x = f.seed >>> 0
      for (let i = 0; i < bytes.length; i++) { x = (x * 1664525 + 1013904223) >>> 0; bytes[i] = x >>> 24 }
      dt.items.add(new File([bytes], f.name, { type: 'application/octet-stream' }))
    }
    return dt
  }, files)
  await page.dispatchEvent('[data-testid=dropzone]', 'dragover', { dataTransfer: transfer })
  await page.dispatchEvent('[data-testid=dropzone]', 'drop', { dataTransfer: transfer })
}

/** Calls a node's API from the test, with its token; throws on an error status. */
export async function callApi (node: NodeProcess, method: string, path: string, body?: Buffer, contentType?: string): Promise<any> {
  const token = (await readFile(join(node.dataDir, TOKEN_FILE), 'utf8')).trim()
  const res = await fetch(`${node.api}${path}`, { method, headers: { authorization: `Bearer ${token}`, ...(contentType != null ? { 'content-type': contentType } : {}) }, body: body == null ? undefined : new Blob([new Uint8Array(body)]) })
  const json = await res.json()
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`)
  return json
}
