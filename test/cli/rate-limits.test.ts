/**
 * Rate limits from the command line, as real processes. Only lower bounds on
 * time are asserted: a slow machine can make a transfer slower, never faster
 * than its limit allows.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { tempDir, runShoal, lastJson, startNode, writeRandomFile, sha256File } from '../helpers/cli.js'

const MIB = 1024 * 1024
/** A bucket starts with 250 ms worth of its rate… */
const HEAD_START_S = 0.25
/** …and the first 1 MiB chunk may overdraw it: at 1 MiB/s, one second ahead of the limit. */
const OVERDRAW_S = 1

async function seed (t: Parameters<typeof tempDir>[0], dir: string, size: number, args: string[] = []): Promise<{ id: string, addr: string, src: string }> {
  const seeder = await startNode(t, join(dir, 's'), { args })
  const src = join(dir, 'f.bin')
  await writeRandomFile(src, size)
  const { id } = lastJson<{ id: string }>(await runShoal(['share', src, '--data-dir', seeder.dataDir, '--json']))
  return { id, addr: seeder.addrs[0] as string, src }
}

test('get --download-limit paces the download to the limit', async (t) => {
  const dir = await tempDir(t)
  const { id, addr, src } = await seed(t, dir, 4 * MIB)
  const started = performance.now()
  const r = await runShoal(['get', id, '--peer', addr, '-o', join(dir, 'out.bin'), '--data-dir', join(dir, 'd'), '--download-limit', '1M', '--json'])
  const seconds = (performance.now() - started) / 1000
  assert.equal(r.code, 0, r.stderr)
  assert.equal(await sha256File(join(dir, 'out.bin')), await sha256File(src))
  t.diagnostic(`4 MiB at 1 MiB/s took ${seconds.toFixed(2)} s`)
  assert.ok(seconds >= 4 - OVERDRAW_S - HEAD_START_S, `took ${seconds.toFixed(2)} s`)
})

test('start --peer-upload-limit limits what one peer gets', async (t) => {
  const dir = await tempDir(t)
  const { id, addr, src } = await seed(t, dir, 4 * MIB, ['--peer-upload-limit', '1MiB/s'])
  const started = performance.now()
  const r = await runShoal(['get', id, '--peer', addr, '-o', join(dir, 'out.bin'), '--data-dir', join(dir, 'd'), '--json'])
  const seconds = (performance.now() - started) / 1000
  assert.equal(r.code, 0, r.stderr)
  assert.equal(await sha256File(join(dir, 'out.bin')), await sha256File(src))
  t.diagnostic(`4 MiB at 1 MiB/s per peer took ${seconds.toFixed(2)} s`)
  assert.ok(seconds >= 4 - OVERDRAW_S - HEAD_START_S, `took ${seconds.toFixed(2)} s`)
})

test('a malformed rate is refused with one line naming the flag, before anything starts', async (t) => {
  const dir = await tempDir(t)
  for (const [flag, value] of [['--download-limit', 'fast'], ['--peer-upload-limit', '5X'], ['--upload-limit', '10T']]) {
    const r = await runShoal(['start', '--data-dir', join(dir, 'x'), flag as string, value as string])
    assert.equal(r.code, 2, r.stderr) // a usage error
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr)
    assert.ok(r.stderr.includes(flag as string) && r.stderr.includes('ERR_INVALID_ARGUMENT'), r.stderr)
  }
  const r = await runShoal(['get', 'bafyreib', '--data-dir', join(dir, 'y'), '--peer-download-limit', '1..5M'])
  assert.equal(r.code, 2)
  assert.match(r.stderr, /--peer-download-limit/)
})
