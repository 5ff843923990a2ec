/**
 * Hostile input on Shoal's protocols: oversized frames, garbage, bad IDs and
 * floods of requests reset the offending stream only; the node keeps serving
 * everyone else. Real nodes over real TCP on 127.0.0.1.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import * as varint from 'uint8-varint'
import { validateConfig } from '../../src/config/index.js'
import { CHUNKS_PROTOCOL, HAVE_PROTOCOL, MANIFEST_PROTOCOL, MAX_QUEUED_REQUESTS_PER_STREAM } from '../../src/protocol/constants.js'
import { ChunkRequest, ChunksOpen, ManifestRequest } from '../../src/protocol/pb/shoal.js'
import { fileIdToBytes } from '../../src/protocol/file-id.js'
import { fetchManifest } from '../../src/protocol/manifest.js'
import { writeRandomFile, sha256File } from '../helpers/cli.js'
import { LOOPBACK_CONFIG, startInProcessNode } from '../helpers/in-process-nodes.js'
import type { Stream } from '@libp2p/interface'

function frame (payload: Uint8Array): Uint8Array {
  return Buffer.concat([varint.encode(payload.byteLength), payload])
}

/** Resolves with how the stream ended: 'reset' (aborted by the remote) or 'closed'. */
async function ending (stream: Stream, ms = 10_000): Promise<string> {
  if (stream.status === 'reset' || stream.status === 'aborted') return 'reset'
  return await new Promise((resolve) => {
    const timer = setTimeout(() => { resolve(`still ${stream.status}`) }, ms)
    stream.addEventListener('close', (evt) => {
      clearTimeout(timer)
      resolve(evt.error != null ? 'reset' : 'closed')
    }, { once: true })
  })
}

test('oversized, malformed and abusive frames reset that stream only', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'shoal-malformed-'))
  const seeder = await startInProcessNode(t, dir, 'seeder')
  const attacker = await startInProcessNode(t, dir, 'attacker')
  const honest = await startInProcessNode(t, dir, 'honest')
  // Registered after the nodes' stops, so it runs once they no longer write there.
  t.after(async () => { await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 }) })
  await writeRandomFile(join(dir, 'f.bin'), 3 * 1024 * 1024 + 5)
  const shared = await seeder.share(join(dir, 'f.bin'))
  const target = seeder.libp2p.getMultiaddrs()[0]
  assert.ok(target != null)
  const conn = await attacker.libp2p.dial(target)

  // 1. A length prefix announcing 1 GiB on the chunks protocol.
  const huge = await conn.newStream(CHUNKS_PROTOCOL)
  huge.send(varint.encode(1 << 30))
  assert.equal(await ending(huge), 'reset')

  // 2. Garbage that is not a protobuf message where a ChunksOpen should be.
  const garbage = await conn.newStream(CHUNKS_PROTOCOL)
  garbage.send(frame(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff])))
  assert.equal(await ending(garbage), 'reset')

  // 3. A manifest request whose file ID is not a CID.
  const badId = await conn.newStream(MANIFEST_PROTOCOL)
  badId.send(frame(ManifestRequest.encode({ fileId: new Uint8Array([1, 2, 3]) })))
  assert.equal(await ending(badId), 'reset')

  // 4. A non-minimal varint length prefix on the have protocol.
  const sloppy = await conn.newStream(HAVE_PROTOCOL)
  sloppy.send(new Uint8Array([0x80, 0x80, 0x80, 0x80, 0x80, 0x00]))
  assert.equal(await ending(sloppy), 'reset')

  // 5. A flood of requests beyond what a stream may queue.
  const flood = await conn.newStream(CHUNKS_PROTOCOL)
  const frames = [frame(ChunksOpen.encode({ fileId: fileIdToBytes(shared.id) as Uint8Array<ArrayBuffer> }))]
  for (let i = 0; i < MAX_QUEUED_REQUESTS_PER_STREAM + 50; i++) frames.push(frame(ChunkRequest.encode({ kind: ChunkRequest.Kind.GET, index: 1_000_000 + i })))
  flood.send(Buffer.concat(frames))
  assert.equal(await ending(flood), 'reset')

  // 6. A silent stream that never sends its opening frame is dropped after the inbound timeout
  //    (not waited for here); meanwhile the connection itself is still usable:
  const manifest = await fetchManifest(attacker.libp2p, seeder.libp2p.peerId, shared.id)
  assert.equal(manifest?.size, 3 * 1024 * 1024 + 5)

  // The seeder still serves an honest peer, verified end to end.
  const { done } = await honest.startDownload(shared.link, { output: join(dir, 'copy.bin') })
  await done
  assert.equal(await sha256File(join(dir, 'copy.bin')), await sha256File(join(dir, 'f.bin')))
})

test('garbage on the DHT protocol does not disturb the node', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'shoal-malformed-dht-'))
  const dhtConfig = validateConfig({ network: { ...LOOPBACK_CONFIG.network, dht: true } }, 'test')
  const target = await startInProcessNode(t, dir, 'target', dhtConfig)
  const attacker = await startInProcessNode(t, dir, 'attacker', dhtConfig)
  // Registered after the nodes' stops, so it runs once they no longer write there.
  t.after(async () => { await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 }) })
  await writeRandomFile(join(dir, 'f.bin'), 100_000)
  const shared = await target.share(join(dir, 'f.bin'))
  const conn = await attacker.libp2p.dial(target.libp2p.getMultiaddrs()[0] as never)
  for (const payload of [varint.encode(1 << 30), frame(new Uint8Array([0xff, 0x00, 0x13, 0x37])), new Uint8Array([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80])]) {
    const stream = await conn.newStream(target.config.network.dhtProtocol)
    let answered = 0
    stream.addEventListener('message', (evt) => { answered += evt.data.byteLength })
    stream.send(payload)
    // kad-dht resets the stream, closes it, or leaves it to its inactivity
    // timeout, depending on where the garbage breaks its decoder: it never answers.
    await ending(stream, 3_000)
    assert.equal(answered, 0, 'no answer to a malformed DHT message')
  }
  const manifest = await fetchManifest(attacker.libp2p, target.libp2p.peerId, shared.id)
  assert.equal(manifest?.size, 100_000)
})
