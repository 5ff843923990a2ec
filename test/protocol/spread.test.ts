/**
 * The seeder's spread of first copies, over the real chunks protocol: a chunk
 * it just sent one peer is deferred (BUSY) for another, unless the request is
 * urgent (the requester's last chunks). Real nodes over real TCP on 127.0.0.1.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { ChunkChannel, type ChunkRefusal } from '../../src/protocol/chunk-channel.js'
import { fetchManifest } from '../../src/protocol/manifest.js'
import { chunkHash, type Manifest } from '../../src/content/manifest.js'
import { equalBytes } from '../../src/content/hash.js'
import { writeRandomFile } from '../helpers/cli.js'
import { startInProcessNode } from '../helpers/in-process-nodes.js'
import type { ShoalNode } from '../../src/node/node.js'

/** One GET on a fresh channel from `from` to `to`: the chunk's digest, or why it was refused. */
async function get (from: ShoalNode, to: ShoalNode, fileId: string, manifest: Manifest, index: number, urgent: boolean): Promise<Uint8Array | ChunkRefusal> {
  return await new Promise((resolve, reject) => {
    ChunkChannel.open(from.libp2p, to.libp2p.peerId, fileId, manifest, {
      onChunk: (_i, _data, digest) => { resolve(digest) },
      onRefused: (_i, reason) => { resolve(reason) },
      onClose: (err) => { if (err != null) reject(err) }
    }).then(channel => { channel.request(index, urgent) }, reject)
  })
}

test('a chunk just sent to one peer is deferred for another, unless urgent', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'shoal-spread-'))
  const seeder = await startInProcessNode(t, dir, 'seeder')
  const first = await startInProcessNode(t, dir, 'first')
  const second = await startInProcessNode(t, dir, 'second')
  t.after(async () => { await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 }) })
  await writeRandomFile(join(dir, 'f.bin'), 3 * 1024 * 1024)
  const { id } = await seeder.share(join(dir, 'f.bin'))
  for (const n of [first, second]) await n.libp2p.dial(seeder.libp2p.getMultiaddrs())
  const manifest = await fetchManifest(first.libp2p, seeder.libp2p.peerId, id)
  assert.ok(manifest != null)

  const got = await get(first, seeder, id, manifest, 1, false)
  assert.ok(got instanceof Uint8Array && equalBytes(got, chunkHash(manifest, 1)), 'the first peer gets the chunk, hashed as it arrived')
  assert.equal(await get(second, seeder, id, manifest, 1, false), 'BUSY', 'the second should fetch it from the first')
  assert.ok(await get(second, seeder, id, manifest, 2, false) instanceof Uint8Array, 'chunks nobody got yet are served')
  const urgent = await get(second, seeder, id, manifest, 1, true)
  assert.ok(urgent instanceof Uint8Array && equalBytes(urgent, chunkHash(manifest, 1)), 'an urgent request is served at once')
})
