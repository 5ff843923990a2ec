/**
 * Discovery through a tracker alone (no link addresses, no --peer, no DHT,
 * no mDNS): nodes announce what they hold, a downloader finds them by bare
 * ID, and a tracker that restarts with its state lost is re-announced to
 * within one interval.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { startTracker, tempDir, runShoal, lastJson, startNode, writeRandomFile, sha256File, waitFor } from '../helpers/cli.js'

async function holders (trackerUrl: string, id: string): Promise<string[]> {
  try {
    const body = await (await fetch(`${trackerUrl}/files/${id}/peers`)).json() as { peers: Array<{ peerId: string }> }
    return body.peers.map(p => p.peerId)
  } catch {
    return []
  }
}

test('tracker only: bare-ID get finds the seeder; announces recover after a tracker restart', async (t) => {
  const dir = await tempDir(t)
  let tracker = await startTracker(t, ['--listen', '127.0.0.1:0', '--announce-interval', '1'])
  const seeder = await startNode(t, join(dir, 'a'), { args: ['--tracker', tracker.url] })
  const src = join(dir, 'f.bin')
  await writeRandomFile(src, 3 * 1024 * 1024 + 1)
  const { id } = lastJson<{ id: string }>(await runShoal(['share', src, '--data-dir', seeder.dataDir, '--json']))
  await waitFor(async () => (await holders(tracker.url, id)).includes(seeder.peerId), 10_000, 'the tracker to list the seeder')

  const first = await runShoal(['get', id, '--tracker', tracker.url, '-o', join(dir, 'one.bin'), '--data-dir', join(dir, 'b'), '--json'])
  assert.equal(first.code, 0, first.stderr)
  assert.deepEqual(lastJson<{ peers: Array<{ peerId: string }> }>(first).peers.map(p => p.peerId), [seeder.peerId])
  assert.equal(await sha256File(join(dir, 'one.bin')), await sha256File(src))

  // The tracker restarts on the same address with its state gone.
  const port = new URL(tracker.url).port
  tracker.child.kill('SIGINT')
  await tracker.done
  tracker = await startTracker(t, ['--listen', `127.0.0.1:${port}`, '--announce-interval', '1'])
  assert.deepEqual(await holders(tracker.url, id), [], 'the new tracker starts empty')
  const restartedAt = Date.now()
  await waitFor(async () => (await holders(tracker.url, id)).includes(seeder.peerId), 10_000, 'the seeder to re-announce')
  t.diagnostic(`re-announced ${Date.now() - restartedAt} ms after the restart (interval 1 s)`)

  const second = await runShoal(['get', id, '--tracker', tracker.url, '-o', join(dir, 'two.bin'), '--data-dir', join(dir, 'c'), '--json'])
  assert.equal(second.code, 0, second.stderr)
  assert.equal(await sha256File(join(dir, 'two.bin')), await sha256File(src))
})

test('a tracker that is down does not break a download from a known peer', async (t) => {
  const dir = await tempDir(t)
  const seeder = await startNode(t, join(dir, 'a'), { args: ['--tracker', 'http://127.0.0.1:9'] })
  const src = join(dir, 'f.bin')
  await writeRandomFile(src, 1024 * 1024)
  const { link } = lastJson<{ link: string }>(await runShoal(['share', src, '--data-dir', seeder.dataDir, '--json']))
  const r = await runShoal(['get', link, '--tracker', 'http://127.0.0.1:9', '-o', join(dir, 'out.bin'), '--data-dir', join(dir, 'b'), '--json'])
  assert.equal(r.code, 0, r.stderr)
  assert.equal(await sha256File(join(dir, 'out.bin')), await sha256File(src))
})

test('a tracker is a bootstrap: a node given only the tracker joins the swarm on start', async (t) => {
  const dir = await tempDir(t)
  const tracker = await startTracker(t, ['--listen', '127.0.0.1:0', '--announce-interval', '1'])
  const first = await startNode(t, join(dir, 'a'), { args: ['--tracker', tracker.url] })
  await waitFor(async () => {
    const body = await (await fetch(`${tracker.url}/peers`)).json() as { peers: Array<{ peerId: string }> }
    return body.peers.some(p => p.peerId === first.peerId)
  }, 10_000, 'the first node to register')
  const second = await startNode(t, join(dir, 'b'), { args: ['--tracker', tracker.url] })
  await waitFor(async () => {
    const r = await runShoal(['peers', '--data-dir', second.dataDir, '--json'])
    return r.code === 0 && lastJson<{ peers: Array<{ peerId: string, connected: boolean, via: string[] }> }>(r).peers
      .some(p => p.peerId === first.peerId && p.connected && p.via.includes('tracker'))
  }, 15_000, 'the second node to connect to the first through the tracker')
})
