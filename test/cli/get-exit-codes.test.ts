/**
 * `get`'s exit codes say what happened (src/cli/output.ts): a truncated link
 * is bad usage (2); `shoal cancel` from another shell ends the foreground get
 * with 4, not Ctrl-C's 130; a running node's stalled job is followed until the
 * node finishes it, never reported as failed while the node goes on.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { createServer } from 'node:net'
import { tempDir, runShoal, spawnShoal, collect, lastJson, startNode, writeRandomFile, sha256File, waitFor } from '../helpers/cli.js'

const MIB = 1024 * 1024

interface Status { id: string, state: string, bytesDone: number }

async function freePort (): Promise<number> {
  const server = createServer()
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  await new Promise(resolve => server.close(resolve))
  return port
}

async function downloads (dataDir: string): Promise<Status[]> {
  const r = await runShoal(['status', '--data-dir', dataDir, '--json'])
  return r.code === 0 ? lastJson<{ downloads: Status[] }>(r).downloads : []
}

test('a truncated or malformed link exits 2 (bad usage), with --json too', async (t) => {
  const dir = await tempDir(t)
  const id = 'bafyreigiwjrqfd3v7g5etxdb72bicjlu4wd7phduxyh4fvs3zyau4nuqsy'
  const full = `shoal://${id}?name=a.bin&size=10&peer=%2Fip4%2F127.0.0.1%2Ftcp%2F4001%2Fp2p%2F12D3KooWE9dSdRr9tPfyZgQwJJfEyBnRcoh24y8aYs1aN5CS4ngb`
  // Cut in the ID, in the peer ID (still a multiaddr), and in the scheme.
  for (const cut of [full.slice(0, 30), full.slice(0, full.length - 20), 'shoal:/']) {
    const r = await runShoal(['get', cut, '--data-dir', join(dir, 'd')])
    assert.equal(r.code, 2, `${cut}: ${r.stderr}`)
    assert.match(r.stderr, /\((ERR_INVALID_ID|ERR_INVALID_LINK)\)$/m)
  }
  const json = await runShoal(['get', full.slice(0, 30), '--data-dir', join(dir, 'd'), '--json'])
  assert.equal(json.code, 2)
  assert.equal(lastJson<{ error: { code: string } }>(json).error.code, 'ERR_INVALID_ID')
})

test('shoal cancel JOB from another shell ends the foreground get with exit 4 (cancelled), not 130', async (t) => {
  const dir = await tempDir(t)
  const a = await startNode(t, join(dir, 'a'))
  const b = await startNode(t, join(dir, 'b'), { args: ['--download-limit', '1M'] })
  await writeRandomFile(join(dir, 'f.bin'), 16 * MIB)
  const { link } = lastJson<{ link: string }>(await runShoal(['share', join(dir, 'f.bin'), '--data-dir', a.dataDir, '--json']))
  const get = spawnShoal(['get', link, '-o', join(dir, 'out.bin'), '--data-dir', b.dataDir])
  const done = collect(get)
  let job: Status | undefined
  await waitFor(async () => {
    job = (await downloads(b.dataDir)).find(d => d.state === 'running' && d.bytesDone > 0)
    return job != null
  }, 60_000, 'the download to run')
  const cancel = await runShoal(['cancel', (job as Status).id, '--data-dir', b.dataDir])
  assert.equal(cancel.code, 0, cancel.stderr)
  const r = await done
  assert.equal(r.code, 4, r.stderr)
  assert.match(r.stderr, /was cancelled .*verified chunks are kept.* \(ERR_CANCELLED\)$/m)
})

test('through a running node, a stalled job is followed (not failed) until the node finishes it', async (t) => {
  const dir = await tempDir(t)
  const port = await freePort()
  const slow = { SHOAL_TRANSFER_UPLOAD_RATE_LIMIT: String(2 * MIB) }
  const listen = ['--listen', `/ip4/127.0.0.1/tcp/${port}`]
  const a = await startNode(t, join(dir, 'a'), { env: slow, args: listen })
  const b = await startNode(t, join(dir, 'b'), { env: { SHOAL_CHUNKING_RESUME_CHECK_INTERVAL: '1' } })
  await writeRandomFile(join(dir, 'f.bin'), 16 * MIB)
  const { link } = lastJson<{ link: string }>(await runShoal(['share', join(dir, 'f.bin'), '--data-dir', a.dataDir, '--json']))
  // get's own stall limit is 1.5 s: the old get gave up (exit 1) after it while the node went on.
  const get = spawnShoal(['get', link, '-o', join(dir, 'out.bin'), '--data-dir', b.dataDir], { env: { SHOAL_TRANSFER_NO_PROVIDER_TIMEOUT_MS: '1500' } })
  let stderr = ''
  get.stderr?.on('data', (d: Buffer) => { stderr += d.toString() })
  const done = collect(get)
  await waitFor(async () => (await downloads(b.dataDir)).some(d => d.bytesDone >= 3 * MIB), 60_000, 'progress')
  await a.stop()
  await waitFor(() => /stalled — waiting for peers \(missing: 12D3KooW/.test(stderr), 15_000, 'a stalled progress line')
  await new Promise(resolve => setTimeout(resolve, 3000))
  assert.equal(get.exitCode, null, `get still follows the stalled job, 3 s past its own stall limit: ${stderr}`)
  await startNode(t, a.dataDir, { env: slow, args: listen })
  const r = await done
  assert.equal(r.code, 0, r.stderr)
  assert.equal(await sha256File(join(dir, 'out.bin')), await sha256File(join(dir, 'f.bin')))
})
