/**
 * The event stream's additions for the dashboard: `download:chunks` batches
 * carry every chunk's latest state and source peer, before the state change
 * they led to; `node:stats` carries the peers and byte totals.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { startApi } from '../../src/api/server.js'
import { validateConfig } from '../../src/config/index.js'
import { CHUNK_STATUS_CODES, type ChunkBatch } from '../../src/api/chunk-batch.js'
import { startInProcessNode } from '../helpers/in-process-nodes.js'
import { tempDir } from '../helpers/cli.js'

const CONFIG = validateConfig({ network: { listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false, dht: false }, chunking: { chunkSize: 64 * 1024 } }, 'test')
const CHUNKS = 16

test('the event stream sends each chunk\'s state and source in batches, and node stats', async (t) => {
  const dir = await tempDir(t)
  const seeder = await startInProcessNode(t, dir, 'seeder', CONFIG)
  const getter = await startInProcessNode(t, dir, 'getter', CONFIG)
  const src = join(dir, 'file.bin')
  await writeFile(src, randomBytes(CHUNKS * 64 * 1024))
  const shared = await seeder.share(src)
  assert.equal(shared.chunks, CHUNKS)
  const api = await startApi({ node: getter, token: 'events-token-0123456789abcdef0123456789', host: '127.0.0.1', port: 0 })
  t.after(api.close)

  const abort = new AbortController()
  t.after(() => { abort.abort() })
  const res = await fetch(`${api.url}/api/events?token=events-token-0123456789abcdef0123456789`, { signal: abort.signal })
  assert.equal(res.status, 200)
  const events: Array<{ event: string, data: any }> = []
  const reading = (async () => {
    let buffer = ''
    const decoder = new TextDecoder()
    for await (const piece of res.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(piece, { stream: true })
      let end: number
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end)
        buffer = buffer.slice(end + 2)
        const event = /^event: (.*)$/m.exec(block)?.[1]
        const data = /^data: (.*)$/m.exec(block)?.[1]
        if (event != null && data != null) events.push({ event, data: JSON.parse(data) })
        if (event === 'download:state' && JSON.parse(data ?? '{}').state === 'completed') return
      }
    }
  })()

  const { job, done } = await getter.startDownload(shared.link, { output: join(dir, 'copy.bin') })
  await done
  await reading

  const states = new Map<number, { status: number, peer: string | undefined }>()
  const completedAt = events.findIndex(e => e.event === 'download:state' && e.data.state === 'completed')
  for (const e of events.slice(0, completedAt)) {
    if (e.event !== 'download:chunks') continue
    const batch = e.data as ChunkBatch
    assert.equal(batch.id, job.id)
    assert.equal(batch.chunks.length % 4, 0)
    for (let k = 0; k < batch.chunks.length; k += 4) {
      const [index, status, peer] = batch.chunks.slice(k, k + 3) as [number, number, number]
      states.set(index, { status, peer: peer >= 0 ? batch.peers[peer] : undefined })
    }
  }
  // Every chunk arrived as completed, from the seeder, before the job said it completed.
  assert.equal(states.size, CHUNKS)
  for (const [index, s] of states) assert.deepEqual(s, { status: CHUNK_STATUS_CODES.completed, peer: seeder.peerId }, `chunk ${index}`)
  const stats = events.find(e => e.event === 'node:stats')
  assert.ok(stats != null, 'node:stats is sent on connection')
  assert.equal(typeof stats.data.storage.quotaBytes, 'number')
  assert.ok(Array.isArray(stats.data.peers))
})
