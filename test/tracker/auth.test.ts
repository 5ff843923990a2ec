/**
 * Nobody can lie to the tracker about someone else: announces and `stopped`
 * for a peer ID must carry that peer's signature, and a captured announce
 * cannot be replayed.
 */
import { describe, it, before } from 'node:test'
import assert from 'node:assert/strict'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { signAnnounce } from '../../src/tracker/index.js'
import { announce, fileIds, get, keyOf, peerIds, sign, signedAnnounce, tracker } from './helpers.js'

describe('tracker announce authentication', () => {
  let victim: string
  let file: string
  before(async () => {
    [victim = ''] = await peerIds(1)
    ;[file = ''] = await fileIds(1, 'auth')
  })
  const victimAddr = (): string => `/ip4/10.0.0.7/tcp/4001/p2p/${victim}`

  async function listed (url: string): Promise<Array<{ peerId: string, addrs: string[] }>> {
    return (await get(url, `/files/${file}/peers`)).body.peers
  }

  it('refuses announces and stops for another peer ID, unsigned or signed by another key', async (t) => {
    const { url } = await tracker(t)
    assert.equal((await signedAnnounce(url, { peerId: victim, addrs: [victimAddr()], files: [file], event: 'started' })).status, 200)

    const hijack = { peerId: victim, addrs: ['/ip4/6.6.6.6/tcp/4001'], files: [file] }
    const attacker = await generateKeyPair('Ed25519')
    const forged = { ...await signAnnounce(attacker, { addrs: hijack.addrs, files: hijack.files }, Date.now()), peerId: victim }
    const forgedStop = { ...await signAnnounce(attacker, { addrs: [], event: 'stopped' }, Date.now()), peerId: victim }
    const valid = await sign({ peerId: victim, addrs: [victimAddr()], files: [file] })
    const cases: Array<[string, unknown, string]> = [
      ['unsigned announce', hijack, 'ERR_INVALID_SIGNATURE'],
      ['unsigned stopped', { peerId: victim, addrs: [], event: 'stopped' }, 'ERR_INVALID_SIGNATURE'],
      ['announce signed by another key', forged, 'ERR_INVALID_SIGNATURE'],
      ['stopped signed by another key', forgedStop, 'ERR_INVALID_SIGNATURE'],
      ['a valid signature over other addresses', { ...valid, addrs: hijack.addrs }, 'ERR_INVALID_SIGNATURE'],
      ['a valid signature turned into stopped', { ...valid, event: 'stopped' }, 'ERR_INVALID_SIGNATURE'],
      ['a signature that is not base64url', { ...valid, signature: '!!!' }, 'ERR_INVALID_SIGNATURE']
    ]
    for (const [name, body, code] of cases) {
      const res = await announce(url, body)
      assert.equal(res.status, 401, `${name}: ${JSON.stringify(res.body)}`)
      assert.deepEqual([res.body.code, res.body.error, res.body.statusCode], [code, code, 401], name)
    }
    assert.deepEqual(await listed(url), [{ peerId: victim, addrs: [victimAddr()] }], 'the victim is still listed at its own address')

    // The real peer can still stop itself.
    assert.equal((await signedAnnounce(url, { peerId: victim, addrs: [], event: 'stopped' })).status, 200)
    assert.deepEqual(await listed(url), [])
  })

  it('refuses a replayed announce, within the window and after it', async (t) => {
    const { url } = await tracker(t)
    const started = await sign({ peerId: victim, addrs: [victimAddr()], files: [file], event: 'started' })
    assert.equal((await announce(url, started)).status, 200)
    const stopped = await sign({ peerId: victim, addrs: [], event: 'stopped' })
    assert.equal((await announce(url, stopped)).status, 200)

    for (const captured of [started, stopped]) {
      const replay = await announce(url, captured)
      assert.equal(replay.status, 401, JSON.stringify(replay.body))
      assert.equal(replay.body.code, 'ERR_STALE_MESSAGE')
    }
    assert.deepEqual(await listed(url), [], 'the replayed started did not bring the peer back')

    const old = await signAnnounce(keyOf(victim), { addrs: [victimAddr()], files: [file] }, Date.now() - 120_000)
    assert.equal((await announce(url, old)).body.code, 'ERR_STALE_MESSAGE', 'a timestamp outside the window is stale')
    const ahead = await signAnnounce(keyOf(victim), { addrs: [victimAddr()] }, Date.now() + 120_000)
    assert.equal((await announce(url, ahead)).body.code, 'ERR_STALE_MESSAGE', 'so is one far ahead')
    assert.equal((await signedAnnounce(url, { peerId: victim, addrs: [victimAddr()], files: [file] })).status, 200, 'a fresh one passes')
  })

  it('caps addresses per peer at 8', async (t) => {
    const { url } = await tracker(t)
    const addrs = Array.from({ length: 9 }, (_, i) => `/ip4/10.0.0.${i}/tcp/1`)
    const res = await signedAnnounce(url, { peerId: victim, addrs })
    assert.deepEqual([res.status, res.body.code], [400, 'ERR_INVALID_ARGUMENT'])
    assert.equal((await signedAnnounce(url, { peerId: victim, addrs: addrs.slice(0, 8) })).status, 200)
  })
})
