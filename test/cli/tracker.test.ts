/**
 * `shoal tracker` as a real process: serves its index, refuses garbage with
 * a JSON 4xx, keeps its state across a restart, stops cleanly on SIGINT.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { signAnnounce } from '../../src/tracker/index.js'
import { startTracker, tempDir } from '../helpers/cli.js'

test('shoal tracker serves, refuses garbage, persists, stops on SIGINT', async (t) => {
  const dir = await tempDir(t)
  const first = await startTracker(t, ['--listen', '127.0.0.1:0', '--data-dir', join(dir, 'tr')])
  const root = await (await fetch(first.url + '/')).json() as { name: string, endpoints: string[] }
  assert.equal(root.name, 'shoal-tracker')
  assert.ok(root.endpoints.includes('POST /announce'))

  const garbage = await fetch(first.url + '/announce', { method: 'POST', body: '{nope', headers: { 'content-type': 'application/json' } })
  assert.equal(garbage.status, 400)
  assert.equal((await garbage.json() as { code: string }).code, 'ERR_INVALID_ARGUMENT')

  const key = await generateKeyPair('Ed25519')
  const peerId = peerIdFromPrivateKey(key).toString()
  const fileId = 'bafyreihwprbfn4omcao7j45rputwjigwpgmhz74x7a4izlkfj45segubfe'
  const signed = await signAnnounce(key, { addrs: [`/ip4/127.0.0.1/tcp/4001/p2p/${peerId}`], files: [fileId], event: 'started' }, Date.now())
  const ok = await fetch(first.url + '/announce', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(signed)
  })
  assert.equal(ok.status, 200, await ok.clone().text())

  first.child.kill('SIGINT')
  const end = await first.done
  assert.equal(end.code, 0, end.stderr)

  const second = await startTracker(t, ['--listen', '127.0.0.1:0', '--data-dir', join(dir, 'tr')])
  const holders = await (await fetch(`${second.url}/files/${fileId}/peers`)).json() as { peers: Array<{ peerId: string }> }
  assert.deepEqual(holders.peers.map(p => p.peerId), [peerId])
  second.child.kill('SIGINT')
  assert.equal((await second.done).code, 0)
})
