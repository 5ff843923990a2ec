/**
 * Fuzzing the direct TLS path's door: random, valid and mutated hello frames
 * sent on a real TLS socket (with a valid libp2p certificate) to a running
 * direct server, and random frames on the ticket protocol. A socket without
 * a ticket the server issued never gets a byte of data; the server keeps
 * serving the peers that hold one.
 */
import '../../src/polyfill.js'
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { randomBytes } from 'node:crypto'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import tls from 'node:tls'
import fc from 'fast-check'
import * as varint from 'uint8-varint'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { DIRECT_PROTOCOL } from '../../src/net/direct/constants.js'
import { DirectHello, DirectRequest } from '../../src/net/direct/pb/direct.js'
import { createDirectCertificate } from '../../src/net/direct/identity.js'
import { dialDirect } from '../../src/net/direct/dial.js'
import { fetchFile, startPeer, startSeeder } from '../helpers/direct-nodes.js'
import { check, mutated } from './fuzz.js'

function frame (payload: Uint8Array): Uint8Array {
  return Buffer.concat([varint.encode(payload.byteLength), payload])
}

const hello = fc.uint8Array({ maxLength: 40 }).map(ticket => DirectHello.encode({ ticket }))
const junk = fc.oneof(
  hello.map(frame),
  mutated(hello).map(frame),
  fc.uint8Array({ maxLength: 300 }),
  fc.integer({ min: 1 << 20, max: 0xffffffff }).map(n => varint.encode(n))
)

test('random hellos on the direct port get no data; random ticket requests get a coded end; the server keeps serving', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'shoal-direct-fuzz-'))
  t.after(async () => { await rm(dir, { recursive: true, force: true }) })
  const file = join(dir, 'f.bin')
  const bytes = randomBytes(2 * 1024 * 1024 + 3)
  await writeFile(file, bytes)
  const seeder = await startSeeder(t, join(dir, 'seeder'), file)
  const stranger = await createDirectCertificate(await generateKeyPair('Ed25519'))
  await check(fc.asyncProperty(fc.array(junk, { minLength: 1, maxLength: 4 }), async (parts) => {
    const socket = tls.connect({ host: '127.0.0.1', port: seeder.direct.port, rejectUnauthorized: false, minVersion: 'TLSv1.3', ...stranger })
    let received = 0
    socket.on('data', (d: Buffer) => { received += d.byteLength })
    socket.on('error', () => {}) // the server resets strangers: expected
    const closed = new Promise<void>((resolve) => { socket.once('close', () => { resolve() }) })
    socket.once('secureConnect', () => { for (const part of parts) socket.write(part) })
    await closed
    assert.equal(received, 0)
  }), 20)
  assert.equal(seeder.direct.stats.accepted, 0)

  const peer = await startPeer(t)
  await peer.libp2p.dial(seeder.libp2p.getMultiaddrs())
  await check(fc.asyncProperty(fc.oneof(fc.constant(DirectRequest.encode({})).map(frame), junk), async (bytes) => {
    const stream = await peer.libp2p.dialProtocol(seeder.libp2p.peerId, DIRECT_PROTOCOL)
    stream.send(bytes)
    await stream.close().catch(() => {}) // the seeder may have reset it: that is one of the right outcomes
  }), 20)

  // Still serving: a real peer gets the file over the direct path.
  const connection = peer.libp2p.getConnections(seeder.libp2p.peerId)[0]
  assert.ok(connection != null)
  const outcome = await fetchFile(peer.libp2p, seeder, await dialDirect(connection, peer.certificate))
  assert.ok(outcome.bytes.equals(bytes))
  assert.equal(outcome.viaLibp2p, 0)
})
