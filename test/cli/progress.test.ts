/**
 * On a terminal, `shoal get` draws a progress bar (percent, bytes, speed,
 * ETA, peers) on stderr; piped, it prints none. A real pseudo-terminal comes
 * from util-linux's `script`.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { spawn } from 'node:child_process'
import { tempDir, runShoal, lastJson, startNode, writeRandomFile, collect, SHOAL_BIN, TEST_ENV, REPO } from '../helpers/cli.js'

const MIB = 1024 * 1024

test('get draws a progress bar on a terminal, and none when piped', async (t) => {
  const dir = await tempDir(t)
  const seeder = await startNode(t, join(dir, 'a'), { env: { SHOAL_TRANSFER_UPLOAD_RATE_LIMIT: String(4 * MIB) } })
  await writeRandomFile(join(dir, 'f.bin'), 8 * MIB)
  const { link } = lastJson<{ link: string }>(await runShoal(['share', join(dir, 'f.bin'), '--data-dir', seeder.dataDir, '--json']))

  const command = [process.execPath, SHOAL_BIN, 'get', link, '-o', join(dir, 'tty.bin'), '--data-dir', join(dir, 'b')].map(a => `'${a}'`).join(' ')
  const tty = await collect(spawn('script', ['-qefc', command, '/dev/null'], { cwd: REPO, env: { ...process.env, ...TEST_ENV }, stdio: ['ignore', 'pipe', 'pipe'] }))
  assert.equal(tty.code, 0, tty.stderr)
  const frames = tty.stdout.split('\r').filter(f => f.includes('%'))
  assert.ok(frames.length >= 2, `several redraws: ${JSON.stringify(tty.stdout.slice(0, 300))}`)
  assert.match(tty.stdout, /\[[#-]{24}\] \d+\.\d% [\d.]+ (B|KiB|MiB)\/8\.0 MiB [\d.]+ (B|KiB|MiB)\/s ETA \S+ 1 peer/)
  assert.match(tty.stdout, /tty\.bin\r?\n8\.0 MiB from 1 peer, verified/)

  const piped = await runShoal(['get', link, '-o', join(dir, 'piped.bin'), '--data-dir', join(dir, 'c')])
  assert.equal(piped.code, 0, piped.stderr)
  assert.equal(piped.stderr, '', 'no progress bar when stderr is not a terminal')
})
