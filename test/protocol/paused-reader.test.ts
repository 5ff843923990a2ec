/**
 * The paused-reader attack (issue 9): peers that open chunks streams, ask for
 * chunks and never read (paused streams grant no yamux window) must not make
 * a seeder buffer without bound, nor starve an honest downloader, and their
 * streams are closed after the upload stall timeout.
 *
 * The seeder is a real `shoal start` process sharing a 256 MiB file; the
 * attackers are five in-process nodes (five peer IDs), each with 16 chunks
 * streams carrying ChunksOpen and 64 GETs; the honest peer is a real
 * `shoal get`. The seeder's RSS is sampled from /proc.
 */
import '../../src/polyfill.js'
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import * as varint from 'uint8-varint'
import { CHUNKS_PROTOCOL } from '../../src/protocol/constants.js'
import { ChunkRequest, ChunksOpen } from '../../src/protocol/pb/shoal.js'
import { fileIdToBytes } from '../../src/protocol/file-id.js'
import { multiaddr } from '@multiformats/multiaddr'
import { lastJson, runShoal, sha256File, startNode, tempDir, writeRandomFile } from '../helpers/cli.js'
import { startInProcessNode } from '../helpers/in-process-nodes.js'
import type { Stream } from '@libp2p/interface'

const MiB = 1024 * 1024
const FILE_BYTES = 256 * MiB
const ATTACKERS = 5
const STREAMS_PER_ATTACKER = 16
const GETS_PER_STREAM = 64
/** The seeder's upload stall timeout for this test (transfer.uploadStallTimeoutMs). */
const STALL_TIMEOUT_MS = 3_000
/** Most the seeder's RSS may grow over its baseline during the attack. */
const MAX_RSS_GROWTH_BYTES = 64 * MiB
const RSS_SAMPLE_MS = 100

function frame (payload: Uint8Array): Uint8Array {
  return Buffer.concat([varint.encode(payload.byteLength), payload])
}

/** The resident set of process `pid` in bytes (VmRSS). */
async function rss (pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8')
  const kb = /^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1]
  if (kb == null) throw new Error(`no VmRSS for ${pid}`)
  return Number(kb) * 1024
}

/** Samples `pid`'s RSS until stopped; resolves with the peak. */
function sampleRss (pid: number): { stop: () => Promise<number> } {
  let peak = 0
  let running = true
  const loop = (async () => {
    while (running) {
      peak = Math.max(peak, await rss(pid))
      await new Promise(resolve => setTimeout(resolve, RSS_SAMPLE_MS))
    }
  })()
  return { stop: async () => { running = false; await loop; return peak } }
}

/** Resolves with the time (performance.now()) the stream ended, and whether it was reset. */
async function ended (stream: Stream): Promise<{ at: number, reset: boolean }> {
  if (stream.status !== 'open') return { at: performance.now(), reset: stream.status === 'reset' || stream.status === 'aborted' }
  return await new Promise((resolve) => {
    stream.addEventListener('close', (evt) => { resolve({ at: performance.now(), reset: evt.error != null }) }, { once: true })
  })
}

test('peers that never read cannot grow the seeder\'s memory or starve an honest get', { timeout: 600_000 }, async (t) => {
  const dir = await tempDir(t)
  const seeder = await startNode(t, join(dir, 'seeder'), { env: { SHOAL_TRANSFER_UPLOAD_STALL_TIMEOUT_MS: String(STALL_TIMEOUT_MS) } })
  const pid = seeder.child.pid as number
  const src = join(dir, 'f.bin')
  await writeRandomFile(src, FILE_BYTES)
  const expected = await sha256File(src)
  const { id } = lastJson<{ id: string }>(await runShoal(['share', src, '--data-dir', seeder.dataDir, '--json']))
  const addr = seeder.addrs[0] as string

  const honestGet = async (name: string): Promise<number> => {
    const started = performance.now()
    const r = await runShoal(['get', id, '--peer', addr, '-o', join(dir, `${name}.bin`), '--data-dir', join(dir, name), '--json'], { timeoutMs: 300_000 })
    const seconds = (performance.now() - started) / 1000
    assert.equal(r.code, 0, r.stderr)
    assert.equal(await sha256File(join(dir, `${name}.bin`)), expected, `${name}: the copy does not verify`)
    return seconds
  }
  const alone = await honestGet('alone')
  t.diagnostic(`honest get alone: ${alone.toFixed(2)} s`)
  // The baseline is the seeder having served one download: its buffers and caches warm.
  const baseline = await rss(pid)

  const attackers = await Promise.all(Array.from({ length: ATTACKERS }, async (_, i) => await startInProcessNode(t, dir, `attacker-${i}`)))
  const sampler = sampleRss(pid)
  const streams: Stream[] = []
  const attackStarted = performance.now()
  for (const attacker of attackers) {
    const conn = await attacker.libp2p.dial(multiaddr(addr))
    for (let s = 0; s < STREAMS_PER_ATTACKER; s++) {
      const stream = await conn.newStream(CHUNKS_PROTOCOL)
      // Never read: a paused stream sends no yamux window updates.
      stream.pause()
      const frames = [frame(ChunksOpen.encode({ fileId: fileIdToBytes(id) as Uint8Array<ArrayBuffer> }))]
      for (let g = 0; g < GETS_PER_STREAM; g++) {
        const index = (s * GETS_PER_STREAM + g) % (FILE_BYTES / MiB)
        frames.push(frame(ChunkRequest.encode({ kind: ChunkRequest.Kind.GET, index, urgent: true })))
      }
      stream.send(Buffer.concat(frames))
      streams.push(stream)
    }
  }
  const endings = streams.map(ended)

  const underAttack = await honestGet('attacked')
  const peak = await sampler.stop()
  t.diagnostic(`honest get under attack: ${underAttack.toFixed(2)} s (alone ${alone.toFixed(2)} s)`)
  t.diagnostic(`seeder RSS: baseline ${(baseline / MiB).toFixed(0)} MiB, peak ${(peak / MiB).toFixed(0)} MiB (+${((peak - baseline) / MiB).toFixed(0)} MiB)`)
  assert.ok(peak - baseline <= MAX_RSS_GROWTH_BYTES, `the seeder grew by ${((peak - baseline) / MiB).toFixed(0)} MiB`)
  assert.ok(underAttack <= 2 * alone, `the honest get took ${underAttack.toFixed(2)} s under attack, ${alone.toFixed(2)} s alone`)

  // Every attacking stream is reset by the seeder once its writes stall for the timeout:
  // a few at a time per peer (its budget), so within a bounded number of rounds.
  const rounds = STREAMS_PER_ATTACKER
  const deadline = attackStarted + rounds * (STALL_TIMEOUT_MS + 2_000)
  const results = await Promise.all(endings.map(async e => await Promise.race([e, new Promise<undefined>(resolve => { setTimeout(() => { resolve(undefined) }, Math.max(0, deadline - performance.now())).unref() })])))
  const open = results.filter(r => r == null).length
  assert.equal(open, 0, `${open} of ${streams.length} paused streams still open`)
  const finished = results as Array<{ at: number, reset: boolean }>
  assert.ok(finished.every(r => r.reset), 'a paused stream ended without a reset')
  const first = Math.min(...finished.map(r => r.at)) - attackStarted
  const last = Math.max(...finished.map(r => r.at)) - attackStarted
  t.diagnostic(`paused streams reset between ${(first / 1000).toFixed(1)} s and ${(last / 1000).toFixed(1)} s after the attack began`)
  assert.ok(first >= STALL_TIMEOUT_MS - 500, `a paused stream was reset after ${first.toFixed(0)} ms, before the stall timeout`)
  const final = await rss(pid)
  t.diagnostic(`seeder RSS after the attack: ${(final / MiB).toFixed(0)} MiB`)
})
