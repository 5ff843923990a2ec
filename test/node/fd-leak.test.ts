/**
 * No leaked file handle: many gets and cancels (fd-leak-scenario.ts, in a
 * child process so it can run under --expose-gc and --trace-warnings), then
 * forced GC. Node warns "Closing file descriptor N on garbage collection" for
 * every FileHandle dropped unclosed; there must be none. Before the fix, a
 * download starting on a node that already served the same file from a
 * complete copy replaced that copy's open source without closing it.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { collect, REPO } from '../helpers/cli.js'

const SCENARIO = fileURLToPath(new URL('./fd-leak-scenario.ts', import.meta.url))

test('gets and cancels leave no file handle to the garbage collector', async () => {
  const child = spawn(process.execPath, ['--expose-gc', '--trace-warnings', '--import', 'tsx', SCENARIO, '4'], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] })
  const r = await collect(child, 240_000)
  assert.equal(r.code, 0, r.stderr)
  const done = JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}') as { gets: number, cancels: number }
  assert.deepEqual(done, { gets: 8, cancels: 8 })
  assert.doesNotMatch(r.stderr, /Closing file descriptor \d+ on garbage collection/)
  assert.doesNotMatch(r.stderr, /Closing a FileHandle object on garbage collection/)
})
