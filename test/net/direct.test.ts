/**
 * The direct TLS data path (src/net/direct/) between real libp2p hosts on
 * 127.0.0.1, with real TLS sockets: chunks arrive whole and verified with
 * the same per-peer accounting as over libp2p; tickets work once, for their
 * peer only; a wrong identity, a closed port or a socket cut mid-chunk fall
 * back to libp2p; a stranger on the port gets nothing.
 */
import '../../src/polyfill.js'
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { randomBytes } from 'node:crypto'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import net, { createServer } from 'node:net'
import tls from 'node:tls'
import { once } from 'node:events'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { DIRECT_CONNECT_TIMEOUT_MS, DIRECT_PROTOCOL } from '../../src/net/direct/index.js'
import { connectDirect, dialDirect } from '../../src/net/direct/dial.js'
import { requestTicket, handleDirectStream } from '../../src/net/direct/offer.js'
import { createDirectCertificate } from '../../src/net/direct/identity.js'
import { TicketBook } from '../../src/net/direct/tickets.js'
import { DirectHello } from '../../src/net/direct/pb/direct.js'
import { encodeFrames } from '../../src/protocol/framing.js'
import { hasCode } from '../../src/errors.js'
import { fetchFile, startPeer, startSeeder, type DirectPeer, type DirectSeeder } from '../helpers/direct-nodes.js'
import type { TestContext } from 'node:test'

const MiB = 1024 * 1024
/** Several chunks of several blocks each, so a cut can fall mid-chunk. */
const FILE_BYTES = 24 * MiB + 12_345

async function setup (t: TestContext, options: { direct?: boolean } = {}): Promise<{ dir: string, file: string, bytes: Buffer, seeder: DirectSeeder, downloader: DirectPeer }> {
  const dir = await mkdtemp(join(tmpdir(), 'shoal-direct-'))
  t.after(async () => { await rm(dir, { recursive: true, force: true }) })
  const file = join(dir, 'data.bin')
  const bytes = randomBytes(FILE_BYTES)
  await writeFile(file, bytes)
  const seeder = await startSeeder(t, join(dir, 'seeder'), file, options)
  const downloader = await startPeer(t)
  await downloader.libp2p.dial(seeder.libp2p.getMultiaddrs())
  return { dir, file, bytes, seeder, downloader }
}

function connectionTo (peer: DirectPeer, seeder: DirectPeer): ReturnType<DirectPeer['libp2p']['getConnections']>[number] {
  const c = peer.libp2p.getConnections(seeder.libp2p.peerId)[0]
  assert.ok(c != null, 'connected over libp2p')
  return c
}

/** Connects to the direct port as `certificate`'s owner (or with none), sends `hello` if given; resolves with what the server sent. */
async function probe (port: number, options: { certificate?: { cert: string, key: string }, send?: Uint8Array }): Promise<{ received: number, closed: boolean }> {
  const socket = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, minVersion: 'TLSv1.3', ...options.certificate })
  let received = 0
  socket.on('data', (d: Buffer) => { received += d.byteLength })
  socket.on('error', () => {}) // a refused stranger sees a reset: that is the point
  const closed = new Promise<void>((resolve) => { socket.once('close', () => { resolve() }) })
  socket.once('secureConnect', () => { if (options.send != null) socket.write(options.send) })
  await closed
  return { received, closed: true }
}

/** Waits (bounded) for an asynchronous teardown on the other side of a socket. */
async function eventually (done: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = performance.now() + timeoutMs
  while (!done()) {
    assert.ok(performance.now() < deadline, what)
    await new Promise<void>((resolve) => { setTimeout(resolve, 10) })
  }
}

test('chunks over the direct path arrive whole and verified, with the same per-peer accounting as over libp2p', async (t) => {
  const { bytes, seeder, downloader } = await setup(t)
  const direct = await dialDirect(connectionTo(downloader, seeder), downloader.certificate)
  const viaDirect = await fetchFile(downloader.libp2p, seeder, direct)
  assert.ok(viaDirect.bytes.equals(bytes), 'byte-identical')
  await eventually(() => seeder.uploads.budgets.size === 0, 'the direct session ended and gave its budget lease back')
  assert.equal(viaDirect.viaLibp2p, 0, 'every chunk came over the direct path')
  assert.equal(seeder.direct.stats.accepted, 1)
  const me = downloader.libp2p.peerId.toString()
  assert.equal(seeder.uploaded.get(me), FILE_BYTES, 'uploads counted for the downloader, as on libp2p')

  const viaLibp2p = await fetchFile(downloader.libp2p, seeder, undefined)
  assert.ok(viaLibp2p.bytes.equals(bytes))
  assert.equal(seeder.uploaded.get(me), 2 * FILE_BYTES, 'the same count per byte whichever carrier')
  await eventually(() => seeder.uploads.budgets.size === 0, 'the libp2p session gave its lease back too')
})

test('a ticket opens one socket: replayed, it is refused', async (t) => {
  const { seeder, downloader } = await setup(t)
  const connection = connectionTo(downloader, seeder)
  const offer = await requestTicket(connection, seeder.libp2p.peerId)
  const target = { host: '127.0.0.1', port: offer.port, peer: seeder.libp2p.peerId, certificate: downloader.certificate, ticket: offer.ticket }
  const first = await connectDirect(target, AbortSignal.timeout(DIRECT_CONNECT_TIMEOUT_MS))
  await assert.rejects(connectDirect(target, AbortSignal.timeout(DIRECT_CONNECT_TIMEOUT_MS)), (err) => hasCode(err, 'ERR_PEER_UNREACHABLE'))
  assert.equal(seeder.direct.stats.refused, 1)
  first.abort(new Error('done'))
})

test('a ticket presented by another peer (its own valid certificate) is refused, and is used up', async (t) => {
  const { seeder, downloader } = await setup(t)
  const offer = await requestTicket(connectionTo(downloader, seeder), seeder.libp2p.peerId)
  const other = await createDirectCertificate(await generateKeyPair('Ed25519'))
  const as = (certificate: typeof other): Parameters<typeof connectDirect>[0] => ({ host: '127.0.0.1', port: offer.port, peer: seeder.libp2p.peerId, certificate, ticket: offer.ticket })
  await assert.rejects(connectDirect(as(other), AbortSignal.timeout(DIRECT_CONNECT_TIMEOUT_MS)), (err) => hasCode(err, 'ERR_PEER_UNREACHABLE'))
  await assert.rejects(connectDirect(as(downloader.certificate), AbortSignal.timeout(DIRECT_CONNECT_TIMEOUT_MS)), (err) => hasCode(err, 'ERR_PEER_UNREACHABLE'))
  assert.equal(seeder.direct.stats.accepted, 0)
  assert.equal(seeder.direct.stats.refused, 2)
})

test('a server with the wrong identity is refused before it gets anything; the download finishes over libp2p', async (t) => {
  const { bytes, seeder, downloader } = await setup(t, { direct: false })
  // The seeder hands out tickets pointing at an impostor: a TLS server whose
  // certificate is bound to another peer ID. It records every byte it gets.
  const impostorKey = await generateKeyPair('Ed25519')
  const impostorCert = await createDirectCertificate(impostorKey)
  let impostorGot = 0
  let impostorSockets = 0
  const impostor = tls.createServer({ ...impostorCert, requestCert: true, rejectUnauthorized: false, minVersion: 'TLSv1.3' }, (socket) => {
    socket.on('data', (d: Buffer) => { impostorGot += d.byteLength })
    socket.on('error', () => {}) // the client hangs up on it
  })
  impostor.on('connection', () => { impostorSockets++ })
  impostor.on('tlsClientError', () => {}) // the client hangs up mid-handshake: expected
  impostor.listen(0, '127.0.0.1')
  await once(impostor, 'listening')
  t.after(() => { impostor.close() })
  const port = (impostor.address() as { port: number }).port
  await seeder.libp2p.handle(DIRECT_PROTOCOL, async (stream, connection) => {
    await handleDirectStream(stream, connection, { host: '127.0.0.1', port, tickets: new TicketBook() })
  })
  await assert.rejects(dialDirect(connectionTo(downloader, seeder), downloader.certificate), (err) => hasCode(err, 'ERR_UNAUTHORIZED'))
  await new Promise<void>((resolve) => { setImmediate(resolve) })
  assert.equal(impostorSockets, 1, 'the client did connect to it')
  assert.equal(impostorGot, 0, 'and sent it no ticket, no request')
  const outcome = await fetchFile(downloader.libp2p, seeder, undefined)
  assert.ok(outcome.bytes.equals(bytes))
})

test('a closed port falls back at once, without error', async (t) => {
  const { bytes, seeder, downloader } = await setup(t, { direct: false })
  const free = createServer()
  free.listen(0, '127.0.0.1')
  await once(free, 'listening')
  const port = (free.address() as { port: number }).port
  await new Promise<void>((resolve) => { free.close(() => { resolve() }) })
  await seeder.libp2p.handle(DIRECT_PROTOCOL, async (stream, connection) => {
    await handleDirectStream(stream, connection, { host: '127.0.0.1', port, tickets: new TicketBook() })
  })
  const { DirectPath } = await import('../../src/net/direct/index.js')
  const path = new DirectPath({ libp2p: downloader.libp2p, privateKey: downloader.privateKey, host: '127.0.0.1', port: 0, provider: { getServedFile: () => undefined }, uploads: seeder.uploads, streams: new (await import('../../src/protocol/stream-limits.js')).PeerStreamLimits(1) })
  await path.start()
  t.after(async () => { await path.stop() })
  const started = performance.now()
  const stream = await path.dial(seeder.libp2p.peerId)
  const elapsed = performance.now() - started
  assert.equal(stream, undefined)
  t.diagnostic(`closed port: fell back after ${elapsed.toFixed(0)} ms`)
  assert.ok(elapsed < DIRECT_CONNECT_TIMEOUT_MS, `no longer than one connect attempt (${elapsed.toFixed(0)} ms)`)
  // Once per connection: a second try does not even ask.
  const again = performance.now()
  assert.equal(await path.dial(seeder.libp2p.peerId), undefined)
  assert.ok(performance.now() - again < 50)
  const outcome = await fetchFile(downloader.libp2p, seeder, undefined)
  assert.ok(outcome.bytes.equals(bytes))
})

test('a port that swallows the connection (as behind a DROP firewall) costs one bounded attempt, then libp2p', async (t) => {
  const { bytes, seeder, downloader } = await setup(t, { direct: false })
  // Accepts TCP and never answers the TLS handshake: from the client's side,
  // no progress until its attempt times out, as when a firewall drops.
  const held = new Set<import('node:net').Socket>()
  const hole = createServer((socket) => { held.add(socket); socket.on('error', () => {}) }) // torn down at the end: resets expected
  hole.listen(0, '127.0.0.1')
  await once(hole, 'listening')
  t.after(() => { for (const s of held) s.destroy(); hole.close() })
  const port = (hole.address() as { port: number }).port
  await seeder.libp2p.handle(DIRECT_PROTOCOL, async (stream, connection) => {
    await handleDirectStream(stream, connection, { host: '127.0.0.1', port, tickets: new TicketBook() })
  })
  const started = performance.now()
  await assert.rejects(dialDirect(connectionTo(downloader, seeder), downloader.certificate), (err) => hasCode(err, 'ERR_TIMEOUT'))
  const elapsed = performance.now() - started
  t.diagnostic(`swallowed: gave up after ${elapsed.toFixed(0)} ms (one attempt: ${DIRECT_CONNECT_TIMEOUT_MS} ms)`)
  assert.ok(elapsed >= DIRECT_CONNECT_TIMEOUT_MS - 50 && elapsed < DIRECT_CONNECT_TIMEOUT_MS + 1_000, `one attempt, no more (${elapsed.toFixed(0)} ms)`)
  const outcome = await fetchFile(downloader.libp2p, seeder, undefined)
  assert.ok(outcome.bytes.equals(bytes))
})

test('a direct socket killed mid-chunk: the rest comes over libp2p, verified', async (t) => {
  const { bytes, seeder, downloader } = await setup(t)
  const direct = await dialDirect(connectionTo(downloader, seeder), downloader.certificate)
  let cut = false
  let blocks = 0
  const outcome = await fetchFile(downloader.libp2p, seeder, direct, (_stream, received) => {
    // Some blocks in, and between two blocks of one chunk: the server's sockets go.
    if (!cut && ++blocks > 10 && received < seeder.manifest.chunkSize) {
      cut = true
      void seeder.direct.stop()
    }
  })
  assert.ok(cut, 'the socket was cut')
  assert.ok(outcome.viaDirect > 0 && outcome.viaLibp2p > 0, `both carriers used (${outcome.viaDirect} direct, ${outcome.viaLibp2p} libp2p)`)
  assert.ok(outcome.bytes.equals(bytes), 'byte-identical')
})

test('a stranger on the port gets nothing: no certificate, a certificate but no ticket, a forged ticket', async (t) => {
  const { seeder } = await setup(t)
  const port = seeder.direct.port
  const stranger = await createDirectCertificate(await generateKeyPair('Ed25519'))
  const noCert = await probe(port, {})
  assert.equal(noCert.received, 0)
  const forged = await probe(port, { certificate: stranger, send: encodeFrames([DirectHello.encode({ ticket: randomBytes(32) })]).subarray() })
  assert.equal(forged.received, 0)
  const garbage = await probe(port, { certificate: stranger, send: randomBytes(1000) })
  assert.equal(garbage.received, 0)
  assert.equal(seeder.direct.stats.accepted, 0)
  assert.equal(seeder.direct.stats.refused, 3)
})

test('a server that resets the socket while the client waits for its welcome: the download falls back, the process lives', async (t) => {
  const { bytes, seeder, downloader } = await setup(t, { direct: false })
  // The seeder's own identity, so the client gets as far as sending its hello; then a TCP reset instead of the welcome
  // (an unhandled 'error' on the client's socket there ended the whole process).
  let resets = 0
  /** The TCP socket under each TLS one, by the client's port: resetAndDestroy needs the TCP socket. */
  const rawOf = new Map<number, net.Socket>()
  const rogue = tls.createServer({ ...seeder.certificate, requestCert: true, rejectUnauthorized: false, minVersion: 'TLSv1.3' }, (socket) => {
    socket.on('error', () => {}) // we reset it ourselves
    socket.once('data', () => { resets++; rawOf.get(socket.remotePort ?? 0)?.resetAndDestroy() })
  })
  rogue.on('connection', (raw: net.Socket) => { rawOf.set(raw.remotePort ?? 0, raw); raw.on('error', () => {}) })
  rogue.listen(0, '127.0.0.1')
  await once(rogue, 'listening')
  t.after(() => { rogue.close() })
  const port = (rogue.address() as { port: number }).port
  await seeder.libp2p.handle(DIRECT_PROTOCOL, async (stream, connection) => {
    await handleDirectStream(stream, connection, { host: '127.0.0.1', port, tickets: new TicketBook() })
  })
  await assert.rejects(dialDirect(connectionTo(downloader, seeder), downloader.certificate))
  assert.equal(resets, 1, 'the client sent its hello and was reset')
  await new Promise<void>((resolve) => { setTimeout(resolve, 100) }) // a late 'error' would be thrown here
  const outcome = await fetchFile(downloader.libp2p, seeder, undefined)
  assert.ok(outcome.bytes.equals(bytes), 'the download finishes over libp2p')
})
