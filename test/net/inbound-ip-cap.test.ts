/**
 * The cap on inbound connections per remote IP, over real TCP on 127.0.0.1:
 * with `network.maxConnectionsPerIp` = N, N peers connect, the N+1th is
 * refused — whether the N are finished libp2p connections or bare sockets
 * still in their handshake — and a slot frees when a connection closes.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { connect, type Socket } from 'node:net'
import { multiaddr } from '@multiformats/multiaddr'
import { validateConfig } from '../../src/config/index.js'
import { remoteIp } from '../../src/net/inbound-ip-cap.js'
import { LOOPBACK_CONFIG, startInProcessNode } from '../helpers/in-process-nodes.js'
import { tempDir, waitFor } from '../helpers/cli.js'
import type { ShoalNode } from '../../src/node/node.js'

const CAP = 3
const DIAL_TIMEOUT_MS = 10_000

async function dial (from: ShoalNode, to: ShoalNode): Promise<void> {
  await from.libp2p.dial(multiaddr(to.addrs[0] as string), { signal: AbortSignal.timeout(DIAL_TIMEOUT_MS) })
}

function tcpPort (node: ShoalNode): number {
  return Number(multiaddr(node.addrs[0] as string).getComponents().find(c => c.name === 'tcp')?.value)
}

/** Opens a bare TCP socket to the node's libp2p port and waits until it is accepted. */
async function rawSocket (to: ShoalNode): Promise<Socket> {
  const socket = connect({ host: '127.0.0.1', port: tcpPort(to) })
  await new Promise<void>((resolve, reject) => { socket.once('connect', resolve).once('error', reject) })
  // Nothing is ever sent; the node's multistream read waits on it.
  socket.on('error', () => { /* the node may reset it once its upgrade times out: expected */ })
  return socket
}

test('IPs are read from multiaddrs, IPv4-mapped IPv6 folded to IPv4', () => {
  assert.equal(remoteIp(multiaddr('/ip4/10.1.2.3/tcp/1')), '10.1.2.3')
  assert.equal(remoteIp(multiaddr('/ip6/::ffff:10.1.2.3/tcp/1')), '10.1.2.3')
  assert.equal(remoteIp(multiaddr('/ip6/2001:DB8::1/tcp/1')), '2001:db8::1')
  assert.equal(remoteIp(multiaddr('/dns4/example.com/tcp/1')), undefined)
})

test(`connections per IP: with a cap of ${CAP}, the ${CAP + 1}th from one address is refused until one closes`, async (t) => {
  const dir = await tempDir(t)
  const config = validateConfig({ network: { ...LOOPBACK_CONFIG.network, maxConnectionsPerIp: CAP } }, 'test')
  const target = await startInProcessNode(t, dir, 'target', config)
  const peers: ShoalNode[] = []
  for (let i = 0; i <= CAP; i++) peers.push(await startInProcessNode(t, dir, `peer${i}`))

  for (const peer of peers.slice(0, CAP)) await dial(peer, target)
  assert.equal(target.libp2p.getConnections().length, CAP)
  const extra = peers[CAP] as ShoalNode
  await assert.rejects(dial(extra, target), `connection ${CAP + 1} from 127.0.0.1 must be refused`)
  assert.equal(target.libp2p.getConnections().length, CAP)

  // A closed connection gives its slot back.
  await (peers[0] as ShoalNode).libp2p.hangUp(target.libp2p.peerId)
  await waitFor(() => target.libp2p.getConnections().length === CAP - 1, 10_000, 'the hang-up to reach the target')
  await dial(extra, target)
  assert.ok(target.libp2p.getConnections(extra.libp2p.peerId).length > 0)
})

test(`bare sockets still in their handshake take the slots too (cap ${CAP})`, async (t) => {
  const dir = await tempDir(t)
  const config = validateConfig({ network: { ...LOOPBACK_CONFIG.network, maxConnectionsPerIp: CAP } }, 'test')
  const target = await startInProcessNode(t, dir, 'target', config)
  const peer = await startInProcessNode(t, dir, 'peer')
  const sockets: Socket[] = []
  t.after(() => { for (const s of sockets) s.destroy() })
  for (let i = 0; i < CAP; i++) sockets.push(await rawSocket(target))

  await assert.rejects(dial(peer, target), 'a real peer past the cap must be refused while the sockets hold it')
  // A refused socket is closed by the node at once, not left to its upgrade timeout (10 s).
  const started = performance.now()
  const refused = connect({ host: '127.0.0.1', port: tcpPort(target) })
  sockets.push(refused)
  refused.on('error', () => { /* ECONNRESET: the refusal itself */ })
  await new Promise<void>(resolve => { refused.once('close', () => { resolve() }) })
  assert.ok(performance.now() - started < 2_000, `refused socket closed after ${Math.round(performance.now() - started)} ms`)

  for (const s of sockets) s.destroy()
  await waitFor(async () => {
    try {
      await dial(peer, target)
      return true
    } catch {
      return false // the node has not yet seen the sockets close; try again
    }
  }, 10_000, 'a slot after the sockets closed')
})
