/**
 * What `get` prints, as a process with stderr on a pipe: an aria2c-style
 * progress line every few seconds (none with --quiet), what it does while it
 * looks for peers, the summary (time, speed, the bar's peer count), --verbose
 * detail, and -o into directories that do not exist yet.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { readdir } from 'node:fs/promises'
import { tempDir, runShoal, spawnShoal, collect, lastJson, startNode, writeRandomFile, sha256File } from '../helpers/cli.js'

const MIB = 1024 * 1024

test('piped: a progress line every 5 s, peers as found with -v, the summary, and -o into a missing directory', async (t) => {
  const dir = await tempDir(t)
  const a = await startNode(t, join(dir, 'a'))
  await writeRandomFile(join(dir, 'f.bin'), 12 * MIB)
  const { link } = lastJson<{ link: string }>(await runShoal(['share', join(dir, 'f.bin'), '--data-dir', a.dataDir, '--json']))
  const get = spawnShoal(['get', link, '-o', join(dir, 'new', 'sub') + '/', '--data-dir', join(dir, 'b'), '--download-limit', '1M', '-v'])
  const lines: Array<{ at: number, text: string }> = []
  let pending = ''
  get.stderr?.on('data', (d: Buffer) => {
    pending += d.toString()
    for (let nl = pending.indexOf('\n'); nl >= 0; nl = pending.indexOf('\n')) {
      lines.push({ at: Date.now(), text: pending.slice(0, nl) })
      pending = pending.slice(nl + 1)
    }
  })
  const r = await collect(get)
  assert.equal(r.code, 0, r.stderr)
  const progress = lines.filter(l => l.text.startsWith('[#'))
  t.diagnostic(`progress lines: ${progress.map(l => l.text).join(' | ')}`)
  assert.ok(progress.length >= 2, `a line every 5 s of a ~12 s download: ${r.stderr}`)
  for (const l of progress) assert.match(l.text, /^\[#[\w-]+ f\.bin [\d.]+(B|KiB|MiB)\/12\.0MiB\(\d+%\) CN:[01] DL:[\d.]+(B|KiB|MiB) ETA:\S+\]$/)
  for (let i = 1; i < progress.length; i++) {
    const gap = (progress[i]?.at ?? 0) - (progress[i - 1]?.at ?? 0)
    assert.ok(gap >= 4500, `lines are ~5 s apart: ${gap} ms`)
  }
  assert.ok(!r.stderr.includes('\r') && !r.stderr.includes('\x1b'), 'no bar, no colour on a pipe')
  assert.ok(lines.some(l => l.text === `peer found: ${a.peerId}`), `-v names peers as found: ${r.stderr}`)

  const out = r.stdout.trim().split('\n')
  assert.equal(out[0], join(dir, 'new', 'sub', 'f.bin'), '-o dir/ made the directory and put the file in it')
  const [, seconds, rate, unit] = /^done: f\.bin 12\.0 MiB in (\d+\.\d) s \(([\d.]+) (KiB|MiB)\/s\) from 1 peer, verified$/.exec(out[1] ?? '') ?? []
  assert.ok(seconds != null, `the summary: ${out[1]}`)
  assert.ok(Number(seconds) >= 9, `paced at 1 MiB/s: ${seconds} s`)
  const mib = Number(rate) * Number(seconds) / (unit === 'KiB' ? 1024 : 1)
  assert.ok(Math.abs(mib - 12) < 12 * 0.06, `speed × time = size: ${mib} MiB`)
  assert.equal(out[2], `  ${a.peerId}    12.0 MiB  100.0%`, '-v: each peer\'s share')
  assert.equal(await sha256File(join(dir, 'new', 'sub', 'f.bin')), await sha256File(join(dir, 'f.bin')))
})

test('--quiet prints nothing (piped, during a 6 s download); -q --json prints the result only', async (t) => {
  const dir = await tempDir(t)
  const a = await startNode(t, join(dir, 'a'))
  await writeRandomFile(join(dir, 'f.bin'), 12 * MIB)
  const { link } = lastJson<{ link: string }>(await runShoal(['share', join(dir, 'f.bin'), '--data-dir', a.dataDir, '--json']))
  const quiet = await runShoal(['get', link, '-o', join(dir, 'q.bin'), '--data-dir', join(dir, 'b'), '--download-limit', '2M', '-q'])
  assert.equal(quiet.code, 0, quiet.stderr)
  assert.equal(quiet.stderr, '')
  assert.equal(quiet.stdout, '')
  const json = await runShoal(['get', link, '-o', join(dir, 'j.bin'), '--data-dir', join(dir, 'c'), '--quiet', '--json'])
  assert.equal(json.code, 0, json.stderr)
  assert.equal(json.stderr, '')
  assert.equal(lastJson<{ path: string }>(json).path, join(dir, 'j.bin'))
  assert.equal(json.stdout.trim().split('\n').length, 1)
})

test('with no peer, get says it is looking (asked N, found M) instead of a blank wait; exit 3; -o parent made, then removed', async (t) => {
  const dir = await tempDir(t)
  const id = 'bafyreigiwjrqfd3v7g5etxdb72bicjlu4wd7phduxyh4fvs3zyau4nuqsy'
  const r = await runShoal(['get', id, '-o', join(dir, 'missing', 'deeper', 'out.bin'), '--data-dir', join(dir, 'b')], {
    env: { SHOAL_TRANSFER_NO_PROVIDER_TIMEOUT_MS: '7000' }
  })
  assert.equal(r.code, 3, r.stderr)
  assert.match(r.stderr, /^\[bafyreigiwjrqfd3… looking for peers: asked 0, found 0 · [45]s\]$/m)
  assert.match(r.stderr, /\(ERR_NO_PROVIDERS\)$/m)
  assert.deepEqual((await readdir(dir)).sort(), ['b'], 'the directories made for -o are gone again')
})

test('-o names a file in a directory that does not exist: the directory is made', async (t) => {
  const dir = await tempDir(t)
  const a = await startNode(t, join(dir, 'a'))
  await writeRandomFile(join(dir, 'f.bin'), 2 * MIB)
  const { link } = lastJson<{ link: string }>(await runShoal(['share', join(dir, 'f.bin'), '--data-dir', a.dataDir, '--json']))
  const r = await runShoal(['get', link, '-o', join(dir, 'x', 'y', 'copy.bin'), '--data-dir', join(dir, 'b'), '--json'])
  assert.equal(r.code, 0, r.stderr)
  assert.equal(lastJson<{ path: string }>(r).path, join(dir, 'x', 'y', 'copy.bin'))
  assert.equal(await sha256File(join(dir, 'x', 'y', 'copy.bin')), await sha256File(join(dir, 'f.bin')))
})
