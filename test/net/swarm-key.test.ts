/**
 * Swarm key files: kubo's format in both directions, every malformed file
 * refused with ERR_INVALID_SWARM_KEY naming it, new files written 0600 and
 * never over an existing one unless forced.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { preSharedKey } from '@libp2p/pnet'
import { formatSwarmKey, loadSwarmKey, newSwarmKey, parseSwarmKey, writeSwarmKeyFile, MAX_SWARM_KEY_FILE_BYTES } from '../../src/net/swarm-key.js'
import { tempDir } from '../helpers/cli.js'

const HEX = 'dffb7e3135399a8b1612b2aaca1c36a3a8ac2cd0cca51ceeb2ced87d308cac6d'
const KUBO_KEY = `/key/swarm/psk/1.0.0/\n/base16/\n${HEX}\n`

/** Asserts `fn` fails with ERR_INVALID_SWARM_KEY and a message naming `path`. */
async function assertInvalid (fn: () => unknown, path: string, why: RegExp): Promise<void> {
  await assert.rejects(async () => { await fn() }, (err: { code?: string, message?: string, details?: { path?: string } }) => {
    assert.equal(err.code, 'ERR_INVALID_SWARM_KEY')
    assert.ok(err.message?.includes(path), err.message)
    assert.match(err.message ?? '', why)
    assert.equal(err.details?.path, path)
    return true
  })
}

test('a kubo swarm.key parses, in the spellings kubo accepts', () => {
  const bytes = Buffer.from(HEX, 'hex')
  for (const text of [KUBO_KEY, KUBO_KEY.trimEnd(), KUBO_KEY.replace(/\n/g, '\r\n'), KUBO_KEY.replace(HEX, HEX.toUpperCase()), `\n${KUBO_KEY}\n\n`]) {
    assert.deepEqual(Buffer.from(parseSwarmKey(text, 'k')), bytes, JSON.stringify(text))
  }
  assert.equal(formatSwarmKey(bytes), KUBO_KEY)
})

test('malformed keys are refused, saying which line is wrong', async () => {
  const cases: Array<[string, RegExp]> = [
    ['', /first line/],
    ['garbage', /first line/],
    [KUBO_KEY.replace('1.0.0', '2.0.0'), /first line/],
    [KUBO_KEY.replace('/base16/', '/base64/'), /second line/],
    [KUBO_KEY.replace(HEX, HEX.slice(2)), /64 hex digits/],
    [KUBO_KEY.replace(HEX, `${HEX}00`), /64 hex digits/],
    [KUBO_KEY.replace(HEX, HEX.replace('d', 'g')), /64 hex digits/],
    ['/key/swarm/psk/1.0.0/\n/base16/\n', /64 hex digits/],
    [`${KUBO_KEY}extra\n`, /more than three lines/]
  ]
  for (const [text, why] of cases) await assertInvalid(() => parseSwarmKey(text, '/some/swarm.key'), '/some/swarm.key', why)
})

test('loading: missing, a directory, oversized, malformed → ERR_INVALID_SWARM_KEY naming the file', async (t) => {
  const dir = await tempDir(t)
  await assertInvalid(async () => await loadSwarmKey(join(dir, 'none.key')), join(dir, 'none.key'), /does not exist/)
  await mkdir(join(dir, 'sub'))
  await assertInvalid(async () => await loadSwarmKey(join(dir, 'sub')), join(dir, 'sub'), /not a regular file/)
  const big = join(dir, 'big.key')
  await writeFile(big, KUBO_KEY + ' '.repeat(MAX_SWARM_KEY_FILE_BYTES))
  await assertInvalid(async () => await loadSwarmKey(big), big, /larger than/)
  const bad = join(dir, 'bad.key')
  await writeFile(bad, 'not a key\n', { mode: 0o600 })
  await assertInvalid(async () => await loadSwarmKey(bad), bad, /first line/)
})

test('a loaded key is what @libp2p/pnet takes; a key others can read loads with a warning', async (t) => {
  const dir = await tempDir(t)
  const path = join(dir, 'swarm.key')
  await writeFile(path, KUBO_KEY.replace(/\n/g, '\r\n').replace(HEX, HEX.toUpperCase()), { mode: 0o600 })
  const key = await loadSwarmKey(path)
  assert.equal(key.warning, undefined)
  assert.equal(new TextDecoder().decode(key.psk), KUBO_KEY)
  // The protector decodes the key when constructed: it must accept ours.
  assert.doesNotThrow(() => preSharedKey({ psk: key.psk })())

  await chmod(path, 0o644)
  const loose = await loadSwarmKey(path)
  assert.match(loose.warning ?? '', /can be read by other users \(mode 0644\).*chmod 600/)
  assert.ok(loose.warning?.includes(path))
})

test('new keys: random, parseable, written 0600, never over an existing file unless forced', async (t) => {
  const dir = await tempDir(t)
  const a = newSwarmKey()
  const b = newSwarmKey()
  assert.notEqual(a, b)
  assert.equal(parseSwarmKey(a, 'a').byteLength, 32)

  const path = join(dir, 'swarm.key')
  await writeSwarmKeyFile(path, a)
  assert.equal((await stat(path)).mode & 0o777, 0o600)
  assert.equal(await readFile(path, 'utf8'), a)
  await assert.rejects(writeSwarmKeyFile(path, b), { code: 'ERR_DEST_EXISTS' })
  assert.equal(await readFile(path, 'utf8'), a, 'the refused write left the old key')
  await writeSwarmKeyFile(path, b, { force: true })
  assert.equal(await readFile(path, 'utf8'), b)
  assert.equal((await stat(path)).mode & 0o777, 0o600)
  await assert.rejects(writeSwarmKeyFile(join(dir, 'no-such-dir', 'k'), a), { code: 'ERR_DEST_NOT_WRITABLE' })
})
