/**
 * `ls`, `status` and `peers` on a terminal: a header row over aligned
 * columns; piped: tab-separated rows, no header. `ls` says whether a file is
 * complete or partial (being downloaded) and where. `status --watch` prints
 * a line per job each second when piped and ends on Ctrl-C with 130. The
 * terminal is a real pseudo-terminal from util-linux's `script`.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { spawn } from 'node:child_process'
import { tempDir, runShoal, lastJson, startNode, writeRandomFile, collect, spawnShoal, waitFor, SHOAL_BIN, TEST_ENV, REPO } from '../helpers/cli.js'

const MIB = 1024 * 1024

/** Runs `shoal …args` on a pseudo-terminal; its output without carriage returns. */
async function onTerminal (args: string[]): Promise<string> {
  const command = [process.execPath, SHOAL_BIN, ...args].map(a => `'${a}'`).join(' ')
  const r = await collect(spawn('script', ['-qefc', command, '/dev/null'], { cwd: REPO, env: { ...process.env, ...TEST_ENV }, stdio: ['ignore', 'pipe', 'pipe'] }))
  assert.equal(r.code, 0, r.stdout + r.stderr)
  return r.stdout.replaceAll('\r', '')
}

/** Piped output's rows, split at tabs. */
async function piped (args: string[]): Promise<string[][]> {
  const r = await runShoal(args)
  assert.equal(r.code, 0, r.stderr)
  return r.stdout.trimEnd().split('\n').map(l => l.split('\t'))
}

test('ls, status and peers: headers on a terminal, plain rows piped; ls shows partial files', async (t) => {
  const dir = await tempDir(t)
  // 1 MiB/s from the seeder: the 24 MiB download still runs while we look (a generous
  // margin on a busy machine: the looking takes some 10 s).
  const seeder = await startNode(t, join(dir, 'a'), { env: { SHOAL_TRANSFER_UPLOAD_RATE_LIMIT: String(MIB) } })
  const b = await startNode(t, join(dir, 'b'))
  await writeRandomFile(join(dir, 'f.bin'), 24 * MIB)
  const { id, link } = lastJson<{ id: string, link: string }>(await runShoal(['share', join(dir, 'f.bin'), '--data-dir', seeder.dataDir, '--json']))
  const dest = join(dir, 'out.bin')
  const get = spawnShoal(['get', link, '--data-dir', b.dataDir, '-o', dest])
  const got = collect(get, 120_000)
  t.after(() => { get.kill('SIGKILL') })
  let job = ''
  await waitFor(async () => {
    const s = lastJson<{ downloads: Array<{ id: string, chunksDone: number }> }>(await runShoal(['status', '--data-dir', b.dataDir, '--json']))
    job = s.downloads[0]?.id ?? ''
    return (s.downloads[0]?.chunksDone ?? 0) >= 1
  }, 60_000, 'a chunk downloaded')

  // ls, piped: ID, size, state, name, where, tab-separated, no header.
  const ls = await piped(['ls', '--data-dir', b.dataDir])
  assert.equal(ls.length, 1, JSON.stringify(ls))
  const row = ls[0] as string[]
  assert.equal(row[0], id)
  assert.equal(row[1], '24.0 MiB')
  assert.match(row[2] ?? '', /^partial \d+\.\d%$/)
  assert.equal(row[3], 'f.bin')
  assert.equal(row[4], dest)
  const lsTty = (await onTerminal(['ls', '--data-dir', b.dataDir])).split('\n')
  assert.match(lsTty[0] ?? '', /^ID {2,}SIZE {2}STATE {2,}NAME {2,}WHERE$/)
  assert.ok(lsTty[1]?.startsWith(id) === true && lsTty[1].includes('partial'), lsTty.join('\n'))
  // Columns line up: each header starts where its cells start.
  assert.equal(lsTty[0]?.indexOf('NAME'), lsTty[1]?.indexOf('f.bin'))
  assert.match((await onTerminal(['ls', '--data-dir', seeder.dataDir])), new RegExp(`${id} +24\\.0 MiB +complete +f\\.bin +${join(dir, 'f.bin')}`))

  const status = await piped(['status', '--data-dir', b.dataDir])
  assert.equal(status[0]?.[0], job)
  assert.match(status[0]?.[1] ?? '', /^(running|stalled)$/)
  assert.equal(status[0]?.[7], dest)
  const statusTty = await onTerminal(['status', '--data-dir', b.dataDir])
  assert.match(statusTty.split('\n')[0] ?? '', /^JOB +STATE +DONE +BYTES +SPEED +ETA +NAME +DEST$/)
  const one = await onTerminal(['status', job, '--data-dir', b.dataDir])
  assert.match(one, /^PEER +STATE +BYTES +RATE +IN FLIGHT$/m, 'status JOB lists its peers under a header')

  const peers = await piped(['peers', '--data-dir', b.dataDir])
  assert.ok(peers.some(p => p[0] === seeder.peerId), JSON.stringify(peers))
  assert.match((await onTerminal(['peers', '--data-dir', b.dataDir])).split('\n')[0] ?? '', /^PEER +STATE +VIA +LATENCY +UP +DOWN +ADDRESSES$/)

  // status --watch on a pipe: a line per job each second, until Ctrl-C.
  const watch = spawnShoal(['status', '--watch', '--data-dir', b.dataDir])
  const watched = collect(watch, 60_000)
  let out = ''
  watch.stdout?.on('data', (d: Buffer) => { out += d.toString() })
  await waitFor(() => out.split('\n').filter(l => l.includes(job)).length >= 3, 30_000, 'three watch lines')
  watch.kill('SIGINT')
  const w = await watched
  assert.equal(w.code, 130, w.stderr)
  assert.equal(w.stderr, '', 'Ctrl-C ends a watch without an error line')
  const lines = w.stdout.trimEnd().split('\n')
  for (const l of lines) assert.match(l, new RegExp(`^\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z\\t${job}\\t`))
  const times = lines.map(l => Date.parse(l.split('\t')[0] as string))
  for (let i = 1; i < times.length; i++) assert.ok((times[i] as number) - (times[i - 1] as number) >= 900, `about a second apart: ${times.join(', ')}`)

  const done = await got
  assert.equal(done.code, 0, done.stderr)
  assert.equal((await piped(['ls', '--data-dir', b.dataDir]))[0]?.[2], 'complete')
})
