/**
 * The dashboard's JavaScript stays small: at most 150 KiB gzipped, all of
 * it (the built dist/web, as `npm run build` leaves it), and nothing in the
 * page comes from another host.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { REPO } from '../helpers/cli.js'
import { jsBundleSize } from './measure.js'

const MAX_JS_GZIP_BYTES = 150 * 1024

test('the dashboard\'s JavaScript is at most 150 KiB gzipped and loads nothing from outside', async () => {
  const { files, rawBytes, gzipBytes } = await jsBundleSize()
  assert.ok(files > 0, 'the dashboard is built (npm run build)')
  console.log(`# dashboard JS: ${(rawBytes / 1024).toFixed(1)} KiB, ${(gzipBytes / 1024).toFixed(1)} KiB gzipped (${files} file${files === 1 ? '' : 's'})`)
  assert.ok(gzipBytes <= MAX_JS_GZIP_BYTES, `${gzipBytes} bytes gzipped`)
  const web = join(REPO, 'dist', 'web')
  const html = await readFile(join(web, 'index.html'), 'utf8')
  assert.doesNotMatch(html, /(src|href)="(https?:)?\/\//, 'no script, style or icon from another host')
})
