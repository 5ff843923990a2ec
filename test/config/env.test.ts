import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { hasCode } from '../../src/errors.js'
import { entriesFromEnv, envVarName } from '../../src/config/env.js'
import { resolveConfig } from '../../src/config/validate.js'

const PEER = '12D3KooWGzxzKZYveHXtpG6AsrUJBcWxHBFS2HsEoGTxrMLvKXtf'

describe('entriesFromEnv', () => {
  it('names variables SHOAL_<SECTION>_<KEY> in upper snake case', () => {
    assert.equal(envVarName('chunking.chunkSize'), 'SHOAL_CHUNKING_CHUNK_SIZE')
    assert.equal(envVarName('transfer.noProviderTimeoutMs'), 'SHOAL_TRANSFER_NO_PROVIDER_TIMEOUT_MS')
  })

  it('parses integers, booleans, enums and strings', () => {
    const config = resolveConfig([entriesFromEnv({
      SHOAL_CHUNKING_CHUNK_SIZE: '2097152',
      SHOAL_NETWORK_MDNS: 'false',
      SHOAL_NETWORK_DHT: 'FALSE',
      SHOAL_CHUNKING_AUTO_RESUME_DOWNLOADS: '0',
      SHOAL_CHUNKING_DISTRIBUTION_STRATEGY: 'round_robin',
      SHOAL_API_LISTEN: '[::1]:0',
      SHOAL_STORAGE_CHUNK_QUOTA_BYTES: '0'
    })])
    assert.equal(config.chunking.chunkSize, 2097152)
    assert.equal(config.network.mdns, false)
    assert.equal(config.network.dht, false)
    assert.equal(config.chunking.autoResumeDownloads, false)
    assert.equal(config.chunking.distributionStrategy, 'round-robin')
    assert.equal(config.api.listen, '[::1]:0')
    assert.equal(config.storage.chunkQuotaBytes, 0)
  })

  it('splits lists on commas, trimming blanks; an empty value is an empty list', () => {
    const a = `/ip4/192.0.2.1/tcp/4001/p2p/${PEER}`
    const b = `/ip4/192.0.2.2/tcp/4001/p2p/${PEER}`
    const config = resolveConfig([entriesFromEnv({
      SHOAL_NETWORK_BOOTSTRAP: ` ${a} ,${b},`,
      SHOAL_NETWORK_TRACKERS: 'http://127.0.0.1:8000/announce',
      SHOAL_NETWORK_LISTEN: ''
    })])
    assert.deepEqual(config.network.bootstrap, [a, b])
    assert.deepEqual(config.network.trackers, ['http://127.0.0.1:8000/announce'])
    assert.deepEqual(config.network.listen, [])
  })

  it('ignores SHOAL_HOME, other SHOAL_ words and unrelated variables', () => {
    assert.deepEqual(entriesFromEnv({
      SHOAL_HOME: '/tmp/somewhere',
      SHOAL_DEBUG_LEVEL: 'x',
      SHOAL_CHUNKING: 'x',
      shoal_chunking_chunk_size: 'x',
      PATH: '/usr/bin',
      SHOAL_NETWORK_MDNS: undefined
    }), [])
  })

  it('rejects an unknown key in a known section, naming variable and key', () => {
    assert.throws(() => entriesFromEnv({ SHOAL_NETWORK_MDNZ: 'true' }), (err: unknown) => {
      assert.ok(hasCode(err, 'ERR_INVALID_CONFIG'))
      const { message, details } = err as { message: string, details: Record<string, unknown> }
      assert.match(message, /unknown config key "network\.mdnz" in environment variable SHOAL_NETWORK_MDNZ/)
      assert.deepEqual(details, { key: 'network.mdnz', source: 'environment variable SHOAL_NETWORK_MDNZ' })
      return true
    })
  })

  it('leaves unparsable text for validation to reject with the key', () => {
    for (const [name, text, expected] of [
      ['SHOAL_CHUNKING_CHUNK_SIZE', '2MiB', /"chunking\.chunkSize" in environment variable SHOAL_CHUNKING_CHUNK_SIZE must be an integer/],
      ['SHOAL_NETWORK_MDNS', 'maybe', /"network\.mdns" .* must be true or false, got "maybe"/],
      ['SHOAL_TRANSFER_CHUNK_RETRIES', '', /"transfer\.chunkRetries" .* got ""/],
      ['SHOAL_NETWORK_LISTEN', '/ip4/0.0.0.0/tcp/0,nope', /item 1/]
    ] as const) {
      assert.throws(() => resolveConfig([entriesFromEnv({ [name]: text })]),
        (err: unknown) => hasCode(err, 'ERR_INVALID_CONFIG') && expected.test((err as Error).message), name)
    }
  })
})
