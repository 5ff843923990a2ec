import { test } from 'node:test'
import assert from 'node:assert/strict'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { MAX_PEX_ADDRS, MAX_PEX_PEERS, addressesFor, decodeHints, encodeHint } from '../../src/protocol/peer-exchange.js'
import { PeerHint } from '../../src/protocol/pb/shoal.js'

const peerId = async (): Promise<ReturnType<typeof peerIdFromPrivateKey>> => peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
const LAN = multiaddr('/ip4/10.0.0.7/tcp/4001')
const LOOP = multiaddr('/ip4/127.0.0.1/tcp/4001')

test('loopback addresses go only to peers on this machine', () => {
  assert.deepEqual(addressesFor([LOOP, LAN], multiaddr('/ip4/10.0.0.9/tcp/5555')).map(String), [String(LAN)])
  assert.deepEqual(addressesFor([LOOP, LAN], multiaddr('/ip4/127.0.0.1/tcp/5555')).map(String), [String(LOOP), String(LAN)])
  const many = Array.from({ length: 20 }, (_, i) => multiaddr(`/ip4/10.0.0.${i + 1}/tcp/1`))
  assert.equal(addressesFor(many, LAN).length, MAX_PEX_ADDRS)
})

test('a hint survives the wire, without /p2p/ in its addresses', async () => {
  const id = await peerId()
  const wire = encodeHint({ peerId: id, addrs: [LAN.encapsulate(`/p2p/${id.toString()}`)] }, LAN)
  assert.ok(wire != null)
  const [back] = decodeHints([PeerHint.decode(PeerHint.encode(wire))])
  assert.ok(back?.peerId.equals(id))
  assert.deepEqual(back?.addrs.map(String), [String(LAN)])
})

test('a hint with nothing worth sending is not encoded', async () => {
  assert.equal(encodeHint({ peerId: await peerId(), addrs: [LOOP] }, LAN), undefined)
})

test('bad hints are dropped one by one; the count is capped', async () => {
  const good = encodeHint({ peerId: await peerId(), addrs: [LAN] }, LAN)
  assert.ok(good != null)
  const decoded = decodeHints([
    { peerId: new Uint8Array([1, 2, 3]), addrs: good.addrs }, // not a multihash
    { peerId: good.peerId, addrs: [new Uint8Array([0xff, 0xff, 0xff])] }, // not a multiaddr
    { peerId: good.peerId, addrs: [] }, // nowhere to dial
    good
  ])
  assert.equal(decoded.length, 1)
  assert.equal(decodeHints(Array.from({ length: MAX_PEX_PEERS + 10 }, () => good)).length, MAX_PEX_PEERS)
})
