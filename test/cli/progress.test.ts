/**
 * `shoal get`'s progress display in a real pseudo-terminal: at 50 columns the
 * redraws never wrap, so the scrollback does not grow with them (the issue saw
 * 59 lines); the line names the file; a resize is followed; NO_COLOR gives no
 * escape code; piped, no bar is drawn.
 */
import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { tempDir, runShoal, lastJson, startNode, writeRandomFile, SHOAL_BIN } from '../helpers/cli.js'
import { runInPty } from '../helpers/pty.js'
import { stripSgr } from '../../src/cli/progress-line.js'
import { displayWidth } from '../../src/cli/text-width.js'

const MIB = 1024 * 1024
const NAME = 'holiday-video-from-the-mountains.bin'

/** A seeder uploading at 3 MiB/s, sharing a 12 MiB file: a get takes about 4 s. */
async function slowShare (t: TestContext): Promise<{ dir: string, link: string }> {
  const dir = await tempDir(t)
  const seeder = await startNode(t, join(dir, 'seed'), { env: { SHOAL_TRANSFER_UPLOAD_RATE_LIMIT: String(3 * MIB) } })
  await writeRandomFile(join(dir, NAME), 12 * MIB)
  const { link } = lastJson<{ link: string }>(await runShoal(['share', join(dir, NAME), '--data-dir', seeder.dataDir, '--json']))
  return { dir, link }
}

/**
 * Rows a terminal `columns` wide fills with `output` (no cursor movement but
 * \r and \n, which is all get writes): what the scrollback grows by.
 */
function rowsUsed (output: string, columns: number): number {
  let row = 0
  let col = 0
  for (const ch of stripSgr(output)) {
    if (ch === '\r') { col = 0; continue }
    if (ch === '\n') { row++; col = 0; continue }
    const w = displayWidth(ch)
    if (col + w > columns) { row++; col = 0 }
    col += w
  }
  return row + (col > 0 ? 1 : 0)
}

/** The bar's frames: each piece between \r / \n that shows a percentage. */
function frames (output: string): string[] {
  return stripSgr(output).split(/\r\n|\r|\n/).filter(f => /\d%/.test(f))
}

function getArgs (link: string, dir: string, tag: string): string[] {
  return [process.execPath, SHOAL_BIN, 'get', link, '-o', join(dir, `${tag}.bin`), '--data-dir', join(dir, tag)]
}

test('at 50 columns the bar fits, names the file, and redraws without growing the scrollback', async (t) => {
  const { dir, link } = await slowShare(t)
  const run = await runInPty(getArgs(link, dir, 'narrow'), { columns: 50 })
  assert.equal(run.code, 0, run.output)
  const shown = frames(run.output)
  assert.ok(shown.length >= 10, `redrawn many times: ${shown.length}`)
  for (const f of shown) assert.ok(displayWidth(f.trimEnd()) <= 49, `frame fits 49 columns: ${JSON.stringify(f)} (${displayWidth(f)})`)
  assert.ok(shown.every(f => f.startsWith('holiday-vid') && f.includes('…')), `names the file, cut: ${shown[3]}`)
  // The result: the path, and the summary line (longer than 50 columns: it wraps once or twice).
  const rows = rowsUsed(run.output, 50)
  t.diagnostic(`scrollback rows at 50 columns: ${rows} after ${shown.length} redraws`)
  assert.ok(rows <= 5, `rows used: ${rows}\n${run.output}`)
  assert.match(stripSgr(run.output), new RegExp(`done: ${NAME.replace(/\./g, '\\.')} 12\\.0 MiB in \\d+\\.\\d s \\([\\d.]+ (KiB|MiB)/s\\) from 1 peer, verified`))
  assert.match(run.output, /\x1b\[32m/, 'colour on a terminal') // eslint-disable-line no-control-regex
})

test('a resize is followed: frames after the terminal narrows to 50 columns fit it', async (t) => {
  const { dir, link } = await slowShare(t)
  const run = await runInPty(getArgs(link, dir, 'resized'), { columns: 120, resize: { columns: 50, afterMs: 2000 } })
  assert.equal(run.code, 0, run.output)
  assert.ok(run.resizedAt > 0, 'resized mid-download')
  const before = frames(run.output.slice(0, run.resizedAt))
  const after = frames(run.output.slice(run.resizedAt)).slice(1) // the frame being written as the size changed may be the old width
  assert.ok(before.some(f => displayWidth(f.trimEnd()) > 60), `wide before: ${before.at(-1)}`)
  assert.ok(before.some(f => f.startsWith(NAME)), 'the whole name when there is room')
  assert.ok(after.length >= 3, `redrawn after the resize: ${after.length}`)
  for (const f of after) assert.ok(displayWidth(f.trimEnd()) <= 49, `fits after resize: ${JSON.stringify(f)}`)
})

test('NO_COLOR: a terminal gets the bar without a single escape code; piped, no bar', async (t) => {
  const { dir, link } = await slowShare(t)
  const run = await runInPty(getArgs(link, dir, 'nocolor'), { columns: 80, env: { NO_COLOR: '1' } })
  assert.equal(run.code, 0, run.output)
  assert.ok(frames(run.output).length >= 5)
  assert.ok(!run.output.includes('\x1b'), `no escape code: ${JSON.stringify(run.output.slice(0, 200))}`)

  const piped = await runShoal(['get', link, '-o', join(dir, 'piped.bin'), '--data-dir', join(dir, 'piped')])
  assert.equal(piped.code, 0, piped.stderr)
  assert.ok(!piped.stderr.includes('\r') && !piped.stderr.includes('\x1b'), 'no bar on a pipe')
  assert.ok(!piped.stdout.includes('\x1b'), 'no colour on a pipe')
})
