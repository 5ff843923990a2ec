import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { SCHEMA, describeConfig, envVarName } from '../../src/config/index.js'

describe('describeConfig', () => {
  it('documents every key with its range, default and environment variable', () => {
    const text = describeConfig()
    const rows = text.trimEnd().split('\n').slice(2)
    const paths = Object.entries(SCHEMA).flatMap(([section, keys]) => Object.keys(keys).map(key => `${section}.${key}`))
    assert.equal(rows.length, paths.length)
    for (const path of paths) assert.ok(text.includes(`\`${path}\``) && text.includes(envVarName(path)), path)
    assert.match(text, /`chunking\.chunkSize` \| an integer from 16384 to 268435456 \| `1048576` \| `SHOAL_CHUNKING_CHUNK_SIZE` \|/)
    assert.match(text, /`chunking\.distributionStrategy` \| one of "round-robin", "weighted" \| `"round-robin"`/)
  })
})
