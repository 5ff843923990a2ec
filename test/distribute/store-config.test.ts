import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { DEFAULT_CONFIG, SCHEMA, validateConfig } from '../../src/config/index.js'
import { MAX_RECORD_REPLICAS } from '../../src/distribute/record.js'
import { perUploaderQuota } from '../../src/distribute/holder-store.js'
import { storeWindow, MAX_STORE_WINDOW_CHUNKS, MIN_STORE_WINDOW_CHUNKS } from '../../src/distribute/store-wire.js'

describe('distribution config and limits', () => {
  it('caps distribution.replicas at what a record can name', () => {
    assert.equal(SCHEMA.distribution.replicas.max, MAX_RECORD_REPLICAS)
    assert.equal(DEFAULT_CONFIG.distribution.replicas, 2)
    assert.equal(DEFAULT_CONFIG.distribution.repairDelaySeconds, 600)
    assert.equal(DEFAULT_CONFIG.distribution.acceptPushes, true)
    assert.throws(() => validateConfig({ distribution: { replicas: 0 } }, 'test'), { code: 'ERR_INVALID_CONFIG' })
    assert.throws(() => validateConfig({ distribution: { replicas: MAX_RECORD_REPLICAS + 1 } }, 'test'), { code: 'ERR_INVALID_CONFIG' })
  })

  it('gives each uploader its percentage of the chunk quota', () => {
    const config = DEFAULT_CONFIG.storage
    assert.equal(perUploaderQuota(config.chunkQuotaBytes, config.chunkQuotaPerUploaderPercent), config.chunkQuotaBytes / 2)
    assert.equal(perUploaderQuota(1000, 33), 330)
    assert.equal(perUploaderQuota(1000, 100), 1000)
  })

  it('keeps the store window between its bounds whatever the chunk size', () => {
    assert.equal(storeWindow(1024 * 1024), MAX_STORE_WINDOW_CHUNKS)
    assert.equal(storeWindow(4 * 1024 * 1024), 8)
    assert.equal(storeWindow(256 * 1024 * 1024), MIN_STORE_WINDOW_CHUNKS)
  })
})
