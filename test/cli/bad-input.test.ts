/**
 * Bad input gets one clear line on stderr, a non-zero exit, and loses nothing.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { mkdir, writeFile, readdir } from 'node:fs/promises'
import { tempDir, runShoal, lastJson, startNode, writeRandomFile, type RunResult } from '../helpers/cli.js'

function assertOneLineError (r: RunResult, code: string): void {
  assert.notEqual(r.code, 0, `expected failure, got exit 0: ${r.stdout}`)
  assert.match(r.stderr, new RegExp(code))
  const lines = r.stderr.trim().split('\n')
  assert.equal(lines.length, 1, `one line, not a stack trace: ${r.stderr}`)
  assert.doesNotMatch(r.stderr, /\n\s+at /)
}

test('share: missing path, a directory, a FIFO', async (t) => {
  const dir = await tempDir(t)
  const data = join(dir, 'd')
  assertOneLineError(await runShoal(['share', join(dir, 'nope.bin'), '--data-dir', data]), 'ERR_PATH_NOT_FOUND')
  await mkdir(join(dir, 'folder'))
  assertOneLineError(await runShoal(['share', join(dir, 'folder'), '--data-dir', data]), 'ERR_PATH_IS_DIRECTORY')
  const { execFileSync } = await import('node:child_process')
  execFileSync('mkfifo', [join(dir, 'fifo')])
  assertOneLineError(await runShoal(['share', join(dir, 'fifo'), '--data-dir', data]), 'ERR_PATH_NOT_READABLE')
  const ls = lastJson<{ files: unknown[] }>(await runShoal(['ls', '--data-dir', data, '--json']))
  assert.deepEqual(ls.files, [], 'nothing half-shared')
})

test('get: malformed IDs and links are refused before any network work', async (t) => {
  const dir = await tempDir(t)
  const data = join(dir, 'd')
  assertOneLineError(await runShoal(['get', 'not-a-cid', '--data-dir', data]), 'ERR_INVALID_ID')
  assertOneLineError(await runShoal(['get', 'shoal://bafyreigarbage?size=12', '--data-dir', data]), 'ERR_INVALID_ID')
  assertOneLineError(await runShoal(['get', 'http://example.invalid/x', '--data-dir', data]), 'ERR_INVALID_LINK')
  const id = 'bafyreihwprbfn4omcao7j45rputwjigwpgmhz74x7a4izlkfj45segubfe'
  assertOneLineError(await runShoal(['get', `shoal://${id}?size=-3`, '--data-dir', data]), 'ERR_INVALID_LINK')
  assertOneLineError(await runShoal(['get', id, '--peer', 'not/a/multiaddr', '--data-dir', data]), 'ERR_INVALID_ARGUMENT')
  const json = await runShoal(['get', 'not-a-cid', '--data-dir', data, '--json'])
  assert.equal(lastJson<{ error: { code: string } }>(json).error.code, 'ERR_INVALID_ID')
})

test('get: an ID nobody has fails with "no peer has …" after a bounded wait', async (t) => {
  const dir = await tempDir(t)
  const a = await startNode(t, join(dir, 'a'))
  const id = 'bafyreihwprbfn4omcao7j45rputwjigwpgmhz74x7a4izlkfj45segubfe'
  const started = Date.now()
  const r = await runShoal(['get', id, '--peer', a.addrs[0] as string, '--data-dir', join(dir, 'b')], {
    env: { SHOAL_TRANSFER_NO_PROVIDER_TIMEOUT_MS: '2000' },
    cwd: dir
  })
  assertOneLineError(r, 'ERR_NO_PROVIDERS')
  assert.match(r.stderr, new RegExp(`no peer has ${id}`))
  assert.ok(Date.now() - started < 30_000)
  assert.deepEqual((await readdir(dir)).sort(), ['a', 'b'], 'no file created')
})

test('get: destination not writable', async (t) => {
  const dir = await tempDir(t)
  const a = await startNode(t, join(dir, 'a'))
  await writeRandomFile(join(dir, 'src.bin'), 100_000)
  const shared = lastJson<{ link: string }>(await runShoal(['share', join(dir, 'src.bin'), '--data-dir', a.dataDir, '--json']))
  await writeFile(join(dir, 'plainfile'), 'x')
  assertOneLineError(await runShoal(['get', shared.link, '-o', join(dir, 'plainfile', 'sub', 'out.bin'), '--data-dir', join(dir, 'b')]), 'ERR_DEST_NOT_WRITABLE')
})

test('config: unknown keys are rejected with their name; bad flags give one line', async (t) => {
  const dir = await tempDir(t)
  const data = join(dir, 'd')
  await mkdir(data)
  await writeFile(join(data, 'config.yaml'), 'chunking:\n  chunkSise: 4\n')
  const r = await runShoal(['start', '--data-dir', data, '--listen', '/ip4/127.0.0.1/tcp/0', '--api', '127.0.0.1:0'])
  assertOneLineError(r, 'ERR_INVALID_CONFIG')
  assert.match(r.stderr, /chunking\.chunkSise/)
  await writeFile(join(data, 'config.yaml'), 'chunking:\n  chunk_size: 2097152\n')
  const api = await runShoal(['start', '--data-dir', data, '--api', 'nonsense'])
  assertOneLineError(api, 'ERR_INVALID')
  const unknown = await runShoal(['frobnicate'])
  assert.equal(unknown.code, 2)
})
