/**
 * The dashboard's JavaScript stays small: at most 150 KiB gzipped, all of
 * it (the built dist/web, as `npm run build` leaves it), and nothing in the
 * page comes from another host.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { REPO } from '../helpers/cli.js'

const MAX_JS_GZIP_BYTES = 150 * 1024

test('the dashboard\'s JavaScript is at most 150 KiB gzipped and loads nothing from outside', async () => {
  const web = join(REPO, 'dist', 'web')
  const assets = await readdir(join(web, 'assets'))
  const scripts = assets.filter(f => f.endsWith('.js'))
  assert.ok(scripts.length > 0, 'the dashboard is built (npm run build)')
  let gzipped = 0
  let raw = 0
  for (const f of scripts) {
    const bytes = await readFile(join(web, 'assets', f))
    raw += bytes.length
    gzipped += gzipSync(bytes, { level: 9 }).length
  }
  console.log(`# dashboard JS: ${(raw / 1024).toFixed(1)} KiB, ${(gzipped / 1024).toFixed(1)} KiB gzipped (${scripts.length} file${scripts.length === 1 ? '' : 's'})`)
  assert.ok(gzipped <= MAX_JS_GZIP_BYTES, `${gzipped} bytes gzipped`)
  const html = await readFile(join(web, 'index.html'), 'utf8')
  assert.doesNotMatch(html, /(src|href)="(https?:)?\/\//, 'no script, style or icon from another host')
})
