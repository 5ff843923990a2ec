/**
 * The direct TLS path inside real in-process Shoal nodes on 127.0.0.1: a
 * download with it on and off gives the same bytes and the same per-peer
 * accounting on both sides, and one whose direct socket is cut mid-transfer
 * finishes over libp2p, verified.
 */
import '../../src/polyfill.js'
import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { validateConfig } from '../../src/config/index.js'
import { startInProcessNode } from '../helpers/in-process-nodes.js'
import { tempDir } from '../helpers/cli.js'
import type { ShoalNode } from '../../src/node/node.js'

const MiB = 1024 * 1024
const FILE_BYTES = 24 * MiB + 777

function config (direct: boolean): ReturnType<typeof validateConfig> {
  return validateConfig({ network: { listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false, dht: false, direct } }, 'test')
}

interface Run { bytes: Buffer, got: Array<[string, number]>, sentTo: number, accepted: number, seeder: ShoalNode, downloader: ShoalNode, doneAt: number }

/** A seeder and a downloader, both with the direct path `direct`; the downloader gets the file from the seeder. */
async function download (t: TestContext, dir: string, name: string, data: Buffer, direct: boolean, during?: (seeder: ShoalNode) => void): Promise<Run> {
  const seeder = await startInProcessNode(t, dir, `${name}-seeder`, config(direct))
  const file = join(dir, `${name}.bin`)
  await writeFile(file, data)
  const { id } = await seeder.share(file)
  const downloader = await startInProcessNode(t, dir, `${name}-downloader`, config(direct))
  const out = join(dir, `${name}.out`)
  const { job, done } = await downloader.startDownload(id, { output: out, peers: seeder.addrs })
  during?.(seeder)
  await done
  const doneAt = performance.now()
  const me = downloader.peerId
  const sentTo = (await seeder.peers()).find(p => p.peerId === me)?.bytesUp ?? 0
  return {
    bytes: await readFile(out),
    got: job.snapshot().peers.map(p => [p.peerId === seeder.peerId ? 'seeder' : p.peerId, p.bytes]),
    sentTo,
    accepted: seeder.directPath?.stats.accepted ?? 0,
    seeder,
    downloader,
    doneAt
  }
}

test('a download with the direct path on and off: the same bytes, the same per-peer accounting', async (t) => {
  const dir = await tempDir(t)
  const data = randomBytes(FILE_BYTES)
  const on = await download(t, dir, 'on', data, true)
  const off = await download(t, dir, 'off', data, false)
  assert.ok(on.bytes.equals(data) && off.bytes.equals(data), 'byte-identical both ways')
  assert.equal(on.accepted, 1, 'with it on, the chunks went over one direct socket')
  assert.equal(off.seeder.directPath, undefined, 'with it off, there is none')
  assert.deepEqual(on.got, [['seeder', FILE_BYTES]], 'the downloader credits the seeder with every byte')
  assert.deepEqual(on.got, off.got, 'the same either way')
  assert.equal(on.sentTo, FILE_BYTES, 'the seeder counts every byte sent to the downloader')
  assert.equal(on.sentTo, off.sentTo)
})

test('a direct socket cut mid-transfer: the download goes on over libp2p and finishes verified', async (t) => {
  const dir = await tempDir(t)
  const data = randomBytes(FILE_BYTES)
  let cut = false
  let cutAt = 0
  const run = await download(t, dir, 'cut', data, true, (seeder) => {
    // Once a few MiB are out, the seeder's direct server goes, sockets and all.
    const timer = setInterval(() => {
      void seeder.peers().then((peers) => {
        if (cut || !peers.some(p => p.bytesUp > 3 * MiB)) return
        cut = true
        cutAt = performance.now()
        clearInterval(timer)
        void seeder.directPath?.stop()
      })
    }, 5)
    t.after(() => { clearInterval(timer) })
  })
  assert.ok(cut, 'the direct path was cut during the download')
  const afterCutMs = run.doneAt - cutAt
  t.diagnostic(`finished ${afterCutMs.toFixed(0)} ms after the cut`)
  // At once, not after the job stalled and its resume check found the seeder again.
  assert.ok(afterCutMs < run.downloader.config.chunking.resumeCheckInterval * 1000, `went on at once (${afterCutMs.toFixed(0)} ms)`)
  assert.ok(run.bytes.equals(data), 'byte-identical')
  assert.deepEqual(run.got, [['seeder', FILE_BYTES]], 'all from the seeder, counted once')
})
