/**
 * The figures a download reports (issue 12, item 2), measured on real
 * transfers between in-process nodes over TCP on 127.0.0.1, paced by a
 * download rate limit so the real rate is steady and known: each peer's rate
 * against the bytes it really sent; what active, idle and gone mean; a job
 * that is over reports no speed and no ETA; `peersUsed` counts the peers that
 * gave bytes. Bounds are generous: the machine running this is shared.
 */
import '../../src/polyfill.js'
import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { MIB } from '../../src/content/chunk-size.js'
import { RATE_WINDOW_MS } from '../../src/transfer/rate-meter.js'
import { validateConfig } from '../../src/config/index.js'
import { startInProcessNode } from '../helpers/in-process-nodes.js'
import { tempDir, waitFor } from '../helpers/cli.js'
import type { ShoalNode } from '../../src/node/node.js'
import type { JobSnapshot } from '../../src/transfer/download-job.js'

const LIMIT = 8 * MIB
/** A measured rate may be off the real one by this share (chunks arrive whole, the machine is busy). */
const TOLERANCE = 0.3

function limited (rate: number): ReturnType<typeof validateConfig> {
  return validateConfig({ network: { listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false, dht: false }, transfer: { downloadRateLimit: rate } }, 'test')
}

async function sharing (t: TestContext, size: number): Promise<{ dir: string, seeder: ShoalNode, id: string }> {
  const dir = await tempDir(t)
  const seeder = await startInProcessNode(t, dir, 'seeder')
  const path = join(dir, 'shared.bin')
  await writeFile(path, randomBytes(size))
  const { id } = await seeder.share(path)
  return { dir, seeder, id }
}

/** Snapshots every 250 ms while `until` is false, with the time each was taken. */
async function sample (job: { snapshot: () => JobSnapshot }, until: (s: JobSnapshot) => boolean): Promise<Array<{ at: number, s: JobSnapshot }>> {
  const out: Array<{ at: number, s: JobSnapshot }> = []
  for (;;) {
    const s = job.snapshot()
    out.push({ at: performance.now(), s })
    if (until(s)) return out
    await sleep(250)
  }
}

test('a limited transfer from one peer: its rate is the real rate, it is active, and a cancelled job shows no speed, ETA or rate', async (t) => {
  const { dir, seeder, id } = await sharing(t, 64 * MIB)
  const node = await startInProcessNode(t, dir, 'downloader', limited(LIMIT))
  const { job, done } = await node.startDownload(id, { output: join(dir, 'out.bin'), peers: seeder.addrs })
  const peer = seeder.peerId
  const samples = await sample(job, s => s.bytesDone >= 40 * MIB)
  const last = samples[samples.length - 1] as { at: number, s: JobSnapshot }
  // The real rate over the 3 s before the last sample, from the bytes the peer gave.
  const before = samples.findLast(x => last.at - x.at >= 3000)
  assert.ok(before != null, 'sampled for 3 s at least')
  const bytesOf = (s: JobSnapshot): number => s.peers.find(p => p.peerId === peer)?.bytes ?? 0
  const real = (bytesOf(last.s) - bytesOf(before.s)) * 1000 / (last.at - before.at)
  const shown = last.s.peers.find(p => p.peerId === peer)
  t.diagnostic(`peer rate shown ${(shown?.rate ?? 0) / MIB} MiB/s, real ${real / MIB} MiB/s, job speed ${last.s.speed / MIB} MiB/s, limit ${LIMIT / MIB} MiB/s`)
  assert.ok(shown != null)
  assert.ok(Math.abs(shown.rate - real) <= real * TOLERANCE, `shown ${shown.rate} B/s, really ${real} B/s`)
  assert.ok(Math.abs(last.s.speed - real) <= real * TOLERANCE, `job speed ${last.s.speed} B/s, really ${real} B/s`)
  assert.equal(shown.state, 'active')
  assert.equal(last.s.peersUsed, 1)
  assert.ok(last.s.etaSeconds != null && last.s.etaSeconds > 0)

  node.cancel(job.id)
  await done.catch(() => undefined) // cancelled on purpose
  for (const s of [job.snapshot(), node.download(job.id) as JobSnapshot]) {
    assert.equal(s.state, 'cancelled')
    assert.equal(s.speed, 0, 'a cancelled job is not moving')
    assert.equal(s.etaSeconds, null, 'nor arriving')
    assert.deepEqual(s.peers.map(p => [p.peerId, p.state, p.rate]), [[peer, 'idle', 0]], 'the seeder is still connected: idle, not gone')
    assert.equal(s.peersUsed, 1)
  }
})

test('a source with nothing left to give is idle (rate 0) while another is active; one that disconnects is gone', async (t) => {
  const { dir, seeder, id } = await sharing(t, 64 * MIB)
  // A second downloader that gets one chunk and then waits a minute for the next: it has nothing more to give.
  const slow = await startInProcessNode(t, dir, 'slow', limited(16 * 1024))
  const slowJob = await slow.startDownload(id, { output: join(dir, 'slow.bin'), peers: seeder.addrs })
  slowJob.done.catch(() => undefined) // paused when its node stops after the test
  await waitFor(() => slowJob.job.snapshot().chunksDone >= 1, 30_000, 'the slow peer to hold a chunk')
  const node = await startInProcessNode(t, dir, 'downloader', limited(LIMIT))
  const { job, done } = await node.startDownload(id, { output: join(dir, 'out.bin'), peers: [...seeder.addrs, ...slow.addrs] })
  const stateOf = (s: JobSnapshot, peerId: string): { state: string, rate: number } | undefined => s.peers.find(p => p.peerId === peerId)
  // Judged once the slow peer's last bytes are out of the rate window, with the seeder still sending.
  let slowBytes = -1
  let slowSince = performance.now()
  const samples = await sample(job, s => {
    const bytes = s.peers.find(p => p.peerId === slow.peerId)?.bytes ?? 0
    if (bytes !== slowBytes) [slowBytes, slowSince] = [bytes, performance.now()]
    return s.bytesDone >= 16 * MIB && performance.now() - slowSince > RATE_WINDOW_MS + 500
  })
  const last = samples[samples.length - 1]?.s as JobSnapshot
  assert.ok(last.bytesDone < 64 * MIB, 'the seeder is still sending')
  assert.equal(stateOf(last, seeder.peerId)?.state, 'active')
  assert.deepEqual(stateOf(last, slow.peerId), { ...stateOf(last, slow.peerId), state: 'idle', rate: 0 }, 'connected, nothing to give')
  assert.equal(last.peersUsed, last.peers.filter(p => p.bytes > 0).length)

  const seederId = seeder.peerId
  await seeder.stop()
  await waitFor(() => stateOf(job.snapshot(), seederId)?.state === 'gone', 15_000, 'the stopped seeder to show as gone')
  assert.equal(stateOf(job.snapshot(), seederId)?.rate, 0)
  node.cancel(job.id)
  await done.catch(() => undefined) // cancelled on purpose
})
