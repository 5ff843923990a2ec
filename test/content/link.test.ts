import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { formatLink, MAX_LINK_CHARS, MAX_LINK_PEERS, parseTarget } from '../../src/content/link.js'
import { createManifest, encodeManifest, fileIdFromManifestBytes } from '../../src/content/manifest.js'
import { MIB } from '../../src/content/chunk-size.js'
import { hasCode } from '../../src/errors.js'

const ID = fileIdFromManifestBytes(encodeManifest(createManifest({ name: 'a.bin', size: 1, chunkSize: MIB, hashes: new Uint8Array(32) })))
const PEER_ID = '12D3KooWGzh8m4yN5s6Z1Zs3H4Yz1y5x4f7d8gBJt8WFPyYAb8tU'
const PEERS = [`/ip4/192.168.1.20/tcp/4001/p2p/${PEER_ID}`, '/ip6/::1/tcp/4002', '/dns4/seed.example.org/tcp/443']

const isInvalidLink = (err: unknown): boolean => hasCode(err, 'ERR_INVALID_LINK')
const isInvalidId = (err: unknown): boolean => hasCode(err, 'ERR_INVALID_ID')
const isInvalidArgument = (err: unknown): boolean => hasCode(err, 'ERR_INVALID_ARGUMENT')

describe('formatLink and parseTarget', () => {
  it('round-trips a link with every hint', () => {
    const link = formatLink({ id: ID, name: 'été & co?=#.tar', size: 123_456_789_012, peers: PEERS })
    assert.ok(link.startsWith(`shoal://${ID}?`))
    assert.ok(!link.includes('#'))
    assert.deepEqual(parseTarget(link), { id: ID, name: 'été & co?=#.tar', size: 123_456_789_012, peers: PEERS })
  })

  it('round-trips a link with no hints', () => {
    const link = formatLink({ id: ID })
    assert.equal(link, `shoal://${ID}`)
    assert.deepEqual(parseTarget(link), { id: ID, peers: [] })
  })

  it('keeps a size of zero', () => {
    assert.deepEqual(parseTarget(formatLink({ id: ID, size: 0 })), { id: ID, size: 0, peers: [] })
  })

  it('accepts a bare ID and trims whitespace', () => {
    assert.deepEqual(parseTarget(ID), { id: ID, peers: [] })
    assert.deepEqual(parseTarget(`  ${ID}\n`), { id: ID, peers: [] })
    assert.deepEqual(parseTarget(`\t${formatLink({ id: ID, size: 5 })}  `), { id: ID, size: 5, peers: [] })
  })

  it('accepts a scheme in capitals, percent-encoded peers and ignores unknown parameters', () => {
    const peer = encodeURIComponent(PEERS[0]!)
    assert.deepEqual(parseTarget(`SHOAL://${ID}?peer=${peer}&future=1`), { id: ID, peers: [PEERS[0]] })
  })

  it('canonicalises peer addresses', () => {
    assert.deepEqual(parseTarget(`shoal://${ID}?peer=/ip4/10.0.0.1/tcp/1/`).peers, ['/ip4/10.0.0.1/tcp/1'])
  })
})

describe('parseTarget with bad input', () => {
  it('reports a bad bare ID as ERR_INVALID_ID', () => {
    for (const input of ['', '   ', 'not-an-id', ID.slice(0, -2), 'QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG']) {
      assert.throws(() => parseTarget(input), isInvalidId, input)
    }
  })

  it('reports a bad ID inside a link as ERR_INVALID_ID', () => {
    for (const input of ['shoal://', 'shoal://?size=1', 'shoal://nope', `shoal://${ID}/`, `shoal://${ID}x?size=1`]) {
      assert.throws(() => parseTarget(input), isInvalidId, input)
    }
  })

  it('reports malformed links as ERR_INVALID_LINK', () => {
    const bad = [
      `http://${ID}`, `shoal:${ID}`, `shoal:/${ID}`, `magnet:?xt=${ID}`,
      `shoal://${ID}?size=-1`, `shoal://${ID}?size=1.5`, `shoal://${ID}?size=abc`, `shoal://${ID}?size=`,
      `shoal://${ID}?size=01`, `shoal://${ID}?size=1e3`, `shoal://${ID}?size=99999999999999999999`,
      `shoal://${ID}?size=1&size=2`, `shoal://${ID}?name=a&name=b`,
      `shoal://${ID}?name=..`, `shoal://${ID}?name=../etc/passwd`, `shoal://${ID}?name=a%2Fb`, `shoal://${ID}?name=`,
      `shoal://${ID}?name=a%00b`, `shoal://${ID}?name=a%5Cb`,
      `shoal://${ID}?peer=garbage`, `shoal://${ID}?peer=`, `shoal://${ID}?peer=/`, `shoal://${ID}?peer=/ip4/300.0.0.1/tcp/1`,
      `shoal://${ID}#frag`,
      `shoal://${ID}?${Array.from({ length: MAX_LINK_PEERS + 1 }, (_, i) => `peer=/ip4/10.0.0.${i}/tcp/1`).join('&')}`,
      `shoal://${ID}?x=${'a'.repeat(MAX_LINK_CHARS)}`
    ]
    for (const input of bad) assert.throws(() => parseTarget(input), isInvalidLink, input.slice(0, 120))
  })

  it('rejects input that is not a string', () => {
    assert.throws(() => parseTarget(42 as unknown as string), isInvalidLink)
  })
})

describe('formatLink with bad input', () => {
  it('rejects bad IDs, names, sizes, peers and oversize links', () => {
    assert.throws(() => formatLink({ id: 'nope' }), isInvalidId)
    for (const name of ['', '..', 'a/b', '../x']) assert.throws(() => formatLink({ id: ID, name }), isInvalidArgument, name)
    for (const size of [-1, 1.5, Number.NaN]) assert.throws(() => formatLink({ id: ID, size }), isInvalidArgument, String(size))
    assert.throws(() => formatLink({ id: ID, peers: ['garbage'] }), isInvalidArgument)
    const many = Array.from({ length: MAX_LINK_PEERS + 1 }, (_, i) => `/ip4/10.0.0.${i}/tcp/1`)
    assert.throws(() => formatLink({ id: ID, peers: many }), isInvalidArgument)
    assert.doesNotThrow(() => formatLink({ id: ID, peers: many.slice(0, MAX_LINK_PEERS) }))
    const long = Array.from({ length: MAX_LINK_PEERS }, (_, i) => `/dns4/${'h'.repeat(500)}${i}.example/tcp/1/p2p/${PEER_ID}`)
    assert.throws(() => formatLink({ id: ID, peers: long }), isInvalidArgument)
  })
})
