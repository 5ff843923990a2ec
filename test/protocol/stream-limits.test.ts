/**
 * Inbound streams are capped per peer and protocol over all of the peer's
 * connections, not only per connection as libp2p's maxInboundStreams is.
 * Real nodes over TCP on 127.0.0.1.
 */
import '../../src/polyfill.js'
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { tmpdir } from 'node:os'
import * as varint from 'uint8-varint'
import { CHUNKS_PROTOCOL, MAX_INBOUND_STREAMS, MAX_INBOUND_STREAMS_PER_PEER } from '../../src/protocol/constants.js'
import { ChunksOpen } from '../../src/protocol/pb/shoal.js'
import { fileIdToBytes } from '../../src/protocol/file-id.js'
import { writeRandomFile, sha256File } from '../helpers/cli.js'
import { startInProcessNode } from '../helpers/in-process-nodes.js'
import type { Stream } from '@libp2p/interface'

/** Long enough for a loaded machine to negotiate and refuse a stream. */
const SETTLE_MS = 2_000

test('a peer gets at most MAX_INBOUND_STREAMS_PER_PEER chunks streams, over all its connections', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'shoal-stream-limits-'))
  const seeder = await startInProcessNode(t, dir, 'seeder')
  const greedy = await startInProcessNode(t, dir, 'greedy')
  const honest = await startInProcessNode(t, dir, 'honest')
  t.after(async () => { await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 }) })
  await writeRandomFile(join(dir, 'f.bin'), 2 * 1024 * 1024)
  const shared = await seeder.share(join(dir, 'f.bin'))
  const open = Uint8Array.from(Buffer.concat([
    varint.encode(ChunksOpen.encode({ fileId: fileIdToBytes(shared.id) as Uint8Array<ArrayBuffer> }).byteLength),
    ChunksOpen.encode({ fileId: fileIdToBytes(shared.id) as Uint8Array<ArrayBuffer> })
  ]))

  // Enough connections that each stays within libp2p's per-connection cap.
  const connections = Math.ceil(MAX_INBOUND_STREAMS_PER_PEER / MAX_INBOUND_STREAMS) + 1
  const streams: Stream[] = []
  for (let c = 0; c < connections; c++) {
    const conn = await greedy.libp2p.dial(seeder.libp2p.getMultiaddrs(), { force: true })
    for (let s = 0; s < MAX_INBOUND_STREAMS; s++) {
      const stream = await conn.newStream(CHUNKS_PROTOCOL)
      // A stream beyond the cap may be refused before we write to it.
      if (stream.writeStatus === 'writable') stream.send(open)
      streams.push(stream)
      // One at a time, so the seeder counts them in order.
      await new Promise(resolve => setTimeout(resolve, 20))
    }
  }
  assert.equal(greedy.libp2p.getConnections(seeder.libp2p.peerId).length, connections)
  await new Promise(resolve => setTimeout(resolve, SETTLE_MS))
  const refused = streams.filter(s => s.status !== 'open')
  assert.equal(refused.length, streams.length - MAX_INBOUND_STREAMS_PER_PEER, `${refused.length} of ${streams.length} streams refused`)
  assert.deepEqual(streams.slice(MAX_INBOUND_STREAMS_PER_PEER), refused, 'the streams beyond the cap are the ones refused')
  // The remote end sees a reset; the seeder's reason (ERR_TOO_MANY_STREAMS) is not sent over yamux.
  assert.ok(refused.every(s => s.status === 'reset'), refused.map(s => s.status).join())

  // Closing streams makes room again, and other peers were never limited by this one.
  for (const s of streams.slice(0, 4)) s.abort(new Error('done'))
  await new Promise(resolve => setTimeout(resolve, SETTLE_MS / 4))
  const conn = greedy.libp2p.getConnections(seeder.libp2p.peerId)[0]
  assert.ok(conn != null)
  const again = await conn.newStream(CHUNKS_PROTOCOL)
  again.send(open)
  await new Promise(resolve => setTimeout(resolve, SETTLE_MS / 2))
  assert.equal(again.status, 'open')
  const { done } = await honest.startDownload(shared.link, { output: join(dir, 'copy.bin') })
  await done
  assert.equal(await sha256File(join(dir, 'copy.bin')), await sha256File(join(dir, 'f.bin')))
})
