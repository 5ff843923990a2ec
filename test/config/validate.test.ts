import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { hasCode } from '../../src/errors.js'
import { DEFAULT_CONFIG, validateConfig, type ShoalConfig } from '../../src/config/index.js'

const PEER = '12D3KooWGzxzKZYveHXtpG6AsrUJBcWxHBFS2HsEoGTxrMLvKXtf'

function rejects (raw: unknown, pattern: RegExp): void {
  assert.throws(() => validateConfig(raw, 'test'),
    (err: unknown) => hasCode(err, 'ERR_INVALID_CONFIG') && pattern.test((err as Error).message), pattern.source)
}

describe('validateConfig', () => {
  it('fills every key not given from the defaults', () => {
    const config: ShoalConfig = validateConfig({ transfer: { requestTimeoutMs: 500 } }, 'test')
    assert.equal(config.transfer.requestTimeoutMs, 500)
    assert.deepEqual({ ...config, transfer: DEFAULT_CONFIG.transfer }, DEFAULT_CONFIG)
  })

  it('types values from the schema', () => {
    const strategy: 'round-robin' | 'weighted' = DEFAULT_CONFIG.chunking.distributionStrategy
    const listen: readonly string[] = DEFAULT_CONFIG.network.listen
    assert.equal(strategy, 'round-robin')
    assert.equal(listen.length, 1)
  })

  it('accepts valid values of every kind', () => {
    const config = validateConfig({
      chunking: { chunk_size: 16384, distributionStrategy: 'weighted', min_file_size_for_distribution: 0 },
      network: {
        listen: ['/ip4/127.0.0.1/tcp/0', '/ip6/::1/tcp/4001'],
        announce: ['/dns4/example.com/tcp/4001'],
        bootstrap: [`/ip4/192.0.2.1/tcp/4001/p2p/${PEER}`],
        trackers: ['https://tracker.example/announce'],
        dhtProtocol: '/ipfs/kad/1.0.0',
        maxConnections: 100000
      },
      api: { listen: 'localhost:0' }
    }, 'test')
    assert.equal(config.chunking.chunkSize, 16384)
    assert.equal(config.chunking.distributionStrategy, 'weighted')
    assert.equal(config.network.bootstrap.length, 1)
  })

  it('rejects values of the wrong type', () => {
    rejects({ chunking: { chunkSize: '1048576' } }, /"chunking\.chunkSize" in test must be an integer .* got "1048576"/)
    rejects({ network: { mdns: 1 } }, /"network\.mdns" in test must be true or false, got 1/)
    rejects({ network: { trackers: [42] } }, /"network\.trackers" .* \(item 0: it is 42, not a string\)/)
    rejects({ network: { listen: { a: 1 } } }, /"network\.listen" .* got a mapping/)
    rejects({ chunking: { distributionStrategy: 'random' } }, /must be one of "round-robin", "weighted", got "random"/)
    rejects({ api: { listen: 7878 } }, /"api\.listen" .* must be host:port/)
    rejects({ transfer: { uploadRateLimit: Number.NaN } }, /"transfer\.uploadRateLimit" .* got NaN/)
  })

  it('rejects values out of range', () => {
    rejects({ chunking: { chunkSize: 256 * 1024 * 1024 + 1 } }, /"chunking\.chunkSize" .* from 16384 to 268435456/)
    rejects({ chunking: { minPeersForDistribution: 0 } }, /"chunking\.minPeersForDistribution" .* an integer ≥ 1, got 0/)
    rejects({ storage: { chunkQuotaBytes: -1 } }, /"storage\.chunkQuotaBytes" .* ≥ 0/)
    rejects({ transfer: { maxUploadsTotal: 2 ** 53 } }, /"transfer\.maxUploadsTotal"/)
  })

  it('rejects strings of the wrong format with the reason', () => {
    rejects({ network: { listen: ['ip4/0.0.0.0/tcp/0'] } }, /item 0: .*must start with "\/"/)
    rejects({ network: { bootstrap: ['/ip4/192.0.2.1/tcp/4001'] } }, /"network\.bootstrap" .* no \/p2p\/<peer ID> part/)
    rejects({ network: { trackers: ['ftp://tracker.example'] } }, /protocol ftp: is not http: or https:/)
    rejects({ network: { trackers: ['tracker.example'] } }, /it is not a URL/)
    rejects({ network: { dhtProtocol: 'shoal kad' } }, /"network\.dhtProtocol" .* must start with "\/"/)
    rejects({ api: { listen: '127.0.0.1' } }, /"api\.listen" .* expected host:port/)
  })

  it('rejects unknown keys and non-mapping shapes', () => {
    rejects({ chunking: { chunkSise: 1 } }, /unknown config key "chunking\.chunkSise" in test/)
    rejects({ chunking: { __proto__: null, constructor: 1 } }, /unknown config key "chunking\.constructor"/)
    rejects(JSON.parse('{"chunking":{"__proto__":{"chunkSize":1}}}'), /unknown config key "chunking\.__proto__"/)
    rejects({ api: { listen: '127.0.0.1:1', token: 'x' } }, /unknown config key "api\.token"/)
    rejects({ nodes: {} }, /unknown config key "nodes" in test \(known sections: chunking, network, api, transfer, storage, distribution\)/)
    rejects([1], /config in test must be a mapping of sections/)
    rejects({ network: [] }, /"network" in test must be a mapping of keys/)
  })
})
