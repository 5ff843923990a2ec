import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { SCHEMA, describeConfig, envVarName } from '../../src/config/index.js'
import { REPO } from '../helpers/cli.js'

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

  it('is the table in the README, row for row', async () => {
    const readme = await readFile(join(REPO, 'README.md'), 'utf8')
    assert.ok(readme.includes(describeConfig()), 'README.md\'s config table differs from describeConfig(): paste its output into the README')
  })
})
