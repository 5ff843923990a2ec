/**
 * Chain growth: every repair appends a version to a file's record chain, and
 * the store protocol carries at most MAX_STORE_CHAIN_RECORDS. Twenty
 * repairs' worth of holder-signed updates, with the uploader re-signing the
 * map once the chain passes RESIGN_CHAIN_LENGTH and holders keeping the
 * chain from the last uploader-signed version on (rootChain): the chain
 * stays short and verifies at every step. Pure, no network.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { nextRecord, rootRecord, signRecord } from '../../src/distribute/record.js'
import { RESIGN_CHAIN_LENGTH, rootChain, verifyChain } from '../../src/distribute/record-chain.js'
import { MAX_STORE_CHAIN_RECORDS } from '../../src/distribute/store-wire.js'
import { fileIdFromManifestBytes } from '../../src/content/manifest.js'

const REPAIRS = 20

test('20 repairs: re-signed by the uploader and rooted at its last version, the chain never passes the cap and always verifies', async () => {
  const [upKey, bKey, cKey, dKey] = await Promise.all([0, 1, 2, 3].map(async () => await generateKeyPair('Ed25519')))
  const [up, b, c, d] = [upKey, bKey, cKey, dKey].map((k) => peerIdFromPrivateKey(k!).toString()) as [string, string, string, string]
  const fileId = fileIdFromManifestBytes(new TextEncoder().encode('a file repaired 20 times'))
  const root = await signRecord(rootRecord({ fileId, replicas: 2, strategy: 'weighted', holders: [[b, c], [b, d], [c, d]], uploader: up }), upKey!)

  let chain: Uint8Array[] = [root.bytes]
  let plain: Uint8Array[] = [root.bytes]
  let current = root
  let resigns = 0
  let longest = 1
  for (let i = 0; i < REPAIRS; i++) {
    // b repairs chunk 0, alternately replacing c by d and d by c (each a valid repair of the previous version).
    const [gone, added] = current.record.holders[0]!.includes(c) ? [c, d] : [d, c]
    const holders = current.record.holders.map((hs, idx) => idx === 0 ? hs.map((p) => p === gone ? added : p) : [...hs])
    const update = await signRecord(nextRecord(current, holders, b), bKey!)
    plain = [...plain, update.bytes]
    chain = rootChain([...chain, update.bytes])
    current = await verifyChain(chain, { fileId, uploader: up })
    if (chain.length > RESIGN_CHAIN_LENGTH) {
      const resigned = await signRecord(nextRecord(current, current.record.holders, up), upKey!)
      chain = rootChain([...chain, resigned.bytes])
      current = await verifyChain(chain, { fileId, uploader: up })
      resigns++
    }
    longest = Math.max(longest, chain.length)
  }
  assert.equal(plain.length, REPAIRS + 1)
  assert.ok(plain.length > MAX_STORE_CHAIN_RECORDS, 'without re-signing the chain outgrows what the store protocol carries')
  assert.ok(longest <= RESIGN_CHAIN_LENGTH + 1 && longest <= MAX_STORE_CHAIN_RECORDS, `longest chain ${longest}`)
  assert.equal(current.record.version, 1 + REPAIRS + resigns)
  assert.ok(resigns >= Math.floor(REPAIRS / RESIGN_CHAIN_LENGTH), `${resigns} re-signs`)
  // A root of any version signed by the uploader starts a chain; one signed by a holder does not.
  await assert.rejects(verifyChain(plain.slice(1)), { code: 'ERR_INVALID_SIGNATURE' })
})
