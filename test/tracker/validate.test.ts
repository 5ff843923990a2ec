import { describe, it, before } from 'node:test'
import assert from 'node:assert/strict'
import { peerIdFromString } from '@libp2p/peer-id'
import { base36 } from 'multiformats/bases/base36'
import { CID } from 'multiformats/cid'
import { canonicalAddrs, canonicalFileId, canonicalFileIds, canonicalPeerId } from '../../src/tracker/validate.js'
import { hasCode } from '../../src/errors.js'
import { fileIds, peerIds } from './helpers.js'

const invalidId = (err: unknown): boolean => hasCode(err, 'ERR_INVALID_ID')
const invalidArg = (err: unknown): boolean => hasCode(err, 'ERR_INVALID_ARGUMENT')

describe('tracker input validation', () => {
  let me: string
  let other: string
  let file: string
  before(async () => {
    [me = '', other = ''] = await peerIds(2)
    file = (await fileIds(1))[0] ?? ''
  })

  it('canonicalises peer IDs and rejects anything else', () => {
    assert.equal(canonicalPeerId(me), me)
    assert.equal(canonicalPeerId(peerIdFromString(me).toCID().toString()), me, 'the CID spelling is the same peer')
    for (const bad of ['', 'abc', '12D3KooW', me.slice(0, -1) + '0', file]) assert.throws(() => canonicalPeerId(bad), invalidId, bad)
  })

  it('canonicalises CIDs and rejects anything else', () => {
    const cid = CID.parse(file)
    assert.equal(canonicalFileId(file), file)
    assert.equal(canonicalFileId(cid.toString(base36)), file, 'another multibase is the same file')
    for (const bad of ['', 'hello', file.toUpperCase(), file.slice(0, -2)]) assert.throws(() => canonicalFileId(bad), invalidId, bad)
    assert.deepEqual(canonicalFileIds(['known', file], 'files', id => id === 'known'), ['known', file])
  })

  it('appends /p2p/<peerId> to addresses, keeps matching ones, drops duplicates', () => {
    assert.deepEqual(canonicalAddrs(me, [
      '/ip4/10.0.0.1/tcp/4001',
      `/ip4/10.0.0.1/tcp/4001/p2p/${me}`,
      `/ip4/10.0.0.2/tcp/4001/p2p/${peerIdFromString(me).toCID().toString()}`,
      `/ip4/10.0.0.3/tcp/4001/p2p/${other}/p2p-circuit`
    ]), [
      `/ip4/10.0.0.1/tcp/4001/p2p/${me}`,
      `/ip4/10.0.0.2/tcp/4001/p2p/${me}`,
      `/ip4/10.0.0.3/tcp/4001/p2p/${other}/p2p-circuit/p2p/${me}`
    ])
  })

  it("reuses the peer's known canonical addresses without parsing them again", () => {
    const known = [`/ip4/10.0.0.1/tcp/4001/p2p/${me}`]
    assert.deepEqual(canonicalAddrs(me, ['/ip4/10.0.0.1/tcp/4001', known[0] ?? ''], known), known)
    assert.throws(() => canonicalAddrs(me, ['/ip4/10.0.0.1/tcp/4001/garbage'], known), invalidArg)
  })

  it('rejects garbage addresses, bare peer IDs and addresses of another peer', () => {
    for (const bad of ['', 'ip4/1.2.3.4/tcp/1', '/ip4/999.0.0.1/tcp/1', '/ip4/1.2.3.4/tcp/70000', '/nope/1', `/p2p/${me}`, `/ip4/1.2.3.4/tcp/1/p2p/${other}`]) {
      assert.throws(() => canonicalAddrs(me, [bad]), (err: unknown) => invalidArg(err) || invalidId(err), bad)
    }
  })
})
