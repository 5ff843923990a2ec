/**
 * Fuzzing the config loader: random YAML text, YAML of random and
 * near-valid objects (known sections and keys, hostile values), and random
 * `SHOAL_*` environment values. Outcomes: a frozen config whose every value
 * fits its declaration, or ERR_INVALID_CONFIG.
 */
import '../../src/polyfill.js'
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { stringify } from 'yaml'
import { loadConfig, validateConfig, envVarName, type ShoalConfig } from '../../src/config/index.js'
import { FIELDS } from '../../src/config/schema.js'
import { assertCoded, check } from './fuzz.js'

const CONFIG = ['ERR_INVALID_CONFIG']

/** Every key's value has its declared kind and range. */
function assertFits (config: ShoalConfig): void {
  assert.ok(Object.isFrozen(config))
  for (const { section, key, field } of FIELDS.values()) {
    const value = (config as unknown as Record<string, Record<string, unknown>>)[section]?.[key]
    switch (field.kind) {
      case 'integer':
        assert.ok(Number.isSafeInteger(value) && (value as number) >= field.min && (value as number) <= field.max, `${section}.${key} = ${String(value)}`)
        break
      case 'boolean':
        assert.equal(typeof value, 'boolean')
        break
      case 'string':
        assert.equal(typeof value, 'string')
        break
      case 'string[]':
        assert.ok(Array.isArray(value) && value.every(v => typeof v === 'string'))
        break
      case 'enum':
        assert.ok(field.values.includes(value as string), `${section}.${key} = ${String(value)}`)
        break
    }
  }
}

/** Loads and classifies: fits, or ERR_INVALID_CONFIG. */
async function loads (load: () => Promise<ShoalConfig>): Promise<void> {
  let config: ShoalConfig
  try {
    config = await load()
  } catch (err) {
    assertCoded(err, CONFIG)
    return
  }
  assertFits(config)
}

const entries = [...FIELDS.values()]
const hostileValue = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.integer(), fc.double(), fc.constantFrom(-1, 0, 1, 2 ** 53, 1e308, '1e3', '0x10', ' 5 ', '', 'true', 'off'),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom('/ip4/127.0.0.1/tcp/0', '/ip4/999.1.1.1/tcp/1', '127.0.0.1:8080', 'http://x', 'http://[::1]:80/a', '/shoal/kad/1.0.0', 'tls', 'noise')
)
/** Objects using real sections and keys (and a few wrong ones), with hostile values. */
const nearValid = fc.array(fc.tuple(fc.oneof(fc.constantFrom(...entries.map(e => e.path)), fc.constantFrom('network.nope', 'nosection.key', 'api')), hostileValue), { maxLength: 6 })
  .map((pairs) => {
    const out: Record<string, any> = {}
    for (const [path, value] of pairs) {
      const [section = '', key] = path.split('.')
      if (key === undefined) out[section] = value
      else {
        if (typeof out[section] !== 'object' || out[section] === null || Array.isArray(out[section])) out[section] = {}
        out[section][key] = value
      }
    }
    return out
  })

describe('fuzz: config loader', () => {
  let dir: string
  let file: string
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'shoal-fuzz-config-'))
    file = join(dir, 'config.yaml')
  })
  after(async () => { await rm(dir, { recursive: true, force: true }) })

  const YAML_SNIPPETS = fc.constantFrom(
    'a: &a [1,2]\nb: *a\n', 'network: !!binary aGVsbG8=\n', 'x: !!js/function "f"\n', '<<: {network: {mdns: true}}\n',
    'network:\n  mdns: yes\n', '---\n---\n', 'a: &a [*a]\n', 'network: {listen: [', '\t- x', '? [a]\n: b\n', '%YAML 1.1\n---\nnetwork: {}\n',
    'l1: &l1 [x,x,x,x,x,x,x,x,x]\nl2: &l2 [*l1,*l1,*l1,*l1,*l1,*l1,*l1,*l1,*l1]\nl3: &l3 [*l2,*l2,*l2,*l2,*l2,*l2,*l2,*l2,*l2]\nl4: [*l3,*l3,*l3,*l3,*l3,*l3,*l3,*l3,*l3]\n'
  )

  it('random and odd YAML text: a config that fits, or ERR_INVALID_CONFIG', async () => {
    const text = fc.oneof(fc.string({ unit: 'binary', maxLength: 200 }), YAML_SNIPPETS, fc.tuple(YAML_SNIPPETS, fc.string({ maxLength: 30 })).map(([a, b]) => a + b))
    await check(fc.asyncProperty(text, async (yaml) => {
      await writeFile(file, yaml)
      await loads(async () => await loadConfig({ dataDir: dir, file, env: {} }))
    }), 150)
  })

  it('YAML of random and near-valid objects: a config that fits, or ERR_INVALID_CONFIG', async () => {
    await check(fc.asyncProperty(fc.oneof(nearValid, fc.object({ maxDepth: 2 })), async (object) => {
      await writeFile(file, stringify(object))
      await loads(async () => await loadConfig({ dataDir: dir, file, env: {} }))
      await loads(async () => validateConfig(object, 'fuzz'))
    }), 200)
  })

  it('random SHOAL_* environment values: a config that fits, or ERR_INVALID_CONFIG', async () => {
    const name = fc.oneof(fc.constantFrom(...entries.map(e => envVarName(e.path))), fc.constantFrom('SHOAL_NETWORK_NOPE', 'SHOAL_HOME', 'SHOAL_', 'SHOAL_API'), fc.stringMatching(/^SHOAL_[A-Z_]{1,20}$/))
    const env = fc.dictionary(name, fc.oneof(fc.string({ unit: 'binary', maxLength: 40 }), hostileValue.map(String)), { maxKeys: 5 })
    await check(fc.asyncProperty(env, async (vars) => {
      await loads(async () => await loadConfig({ dataDir: join(dir, 'no-such-dir'), env: vars }))
    }), 200)
  })
})
