import assert from 'node:assert/strict'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { hasCode } from '../../src/errors.js'
import { CONFIG_FILE_NAME, DEFAULT_CONFIG, FLAGS_SOURCE, loadConfig } from '../../src/config/index.js'

// The `chunking:` block exactly as seed 000 wrote it in its config.yaml.
const SEED_CHUNKING = `chunking:
  chunk_size: 1048576  # 1 MB
  min_file_size_for_distribution: 1073741824  # 1 GB
  min_peers_for_distribution: 2
  distribution_strategy: 'round_robin'
  auto_resume_downloads: true
  resume_check_interval: 30
`

let root: string
let count = 0

before(async () => { root = await mkdtemp(join(tmpdir(), 'shoal-config-')) })
after(async () => { await rm(root, { recursive: true, force: true }) })

/** A fresh data dir, with a config.yaml holding `yaml` when given. */
async function dataDir (yaml?: string): Promise<string> {
  const dir = join(root, `node-${count++}`)
  await mkdir(dir)
  if (yaml !== undefined) await writeFile(join(dir, CONFIG_FILE_NAME), yaml)
  return dir
}

/** Asserts `promise` rejects with ERR_INVALID_CONFIG and a message matching every pattern. */
async function rejectsConfig (promise: Promise<unknown>, ...patterns: RegExp[]): Promise<Record<string, unknown>> {
  let caught: unknown
  await assert.rejects(promise, (err: unknown) => { caught = err; return true })
  assert.ok(hasCode(caught, 'ERR_INVALID_CONFIG'), `expected ERR_INVALID_CONFIG, got ${String(caught)}`)
  const { message, details } = caught as { message: string, details: Record<string, unknown> }
  for (const pattern of patterns) assert.match(message, pattern)
  return details
}

describe('loadConfig', () => {
  it('gives the defaults when there is no file, env or flag', async () => {
    const config = await loadConfig({ dataDir: await dataDir(), env: {} })
    assert.deepEqual(config, DEFAULT_CONFIG)
    assert.equal(config.chunking.chunkSize, 1048576)
    assert.equal(config.chunking.distributionStrategy, 'round-robin')
    assert.deepEqual(config.network.listen, ['/ip4/0.0.0.0/tcp/0'])
    assert.equal(config.api.listen, '127.0.0.1:7878')
    assert.equal(config.storage.chunkQuotaBytes, 10 * 1024 ** 3)
  })

  it('accepts an empty file and an empty section', async () => {
    assert.deepEqual(await loadConfig({ dataDir: await dataDir(''), env: {} }), DEFAULT_CONFIG)
    assert.deepEqual(await loadConfig({ dataDir: await dataDir('chunking:\n'), env: {} }), DEFAULT_CONFIG)
  })

  it('lets config.yaml override defaults, key by key', async () => {
    const dir = await dataDir('chunking:\n  chunkSize: 4194304\nnetwork:\n  mdns: false\n  bootstrap: []\n')
    const config = await loadConfig({ dataDir: dir, env: {} })
    assert.equal(config.chunking.chunkSize, 4194304)
    assert.equal(config.network.mdns, false)
    assert.equal(config.chunking.minPeersForDistribution, 2)
    assert.equal(config.network.dht, true)
  })

  it('reads `file` instead of the data dir config, and requires it to exist', async () => {
    const dir = await dataDir('transfer:\n  chunkRetries: 9\n')
    const other = join(dir, 'other.yaml')
    await writeFile(other, 'transfer:\n  chunkRetries: 5\n')
    assert.equal((await loadConfig({ dataDir: dir, env: {}, file: other })).transfer.chunkRetries, 5)
    const missing = join(dir, 'missing.yaml')
    const details = await rejectsConfig(loadConfig({ dataDir: dir, env: {}, file: missing }), /does not exist/, /missing\.yaml/)
    assert.equal(details.source, missing)
  })

  it('stops with ERR_ABORTED when its signal is aborted', async () => {
    const dir = await dataDir('chunking:\n  chunkSize: 4194304\n')
    await assert.rejects(loadConfig({ dataDir: dir, env: {}, signal: AbortSignal.abort() }),
      (err: unknown) => hasCode(err, 'ERR_ABORTED'))
  })

  it('lets the environment beat the file', async () => {
    const dir = await dataDir('chunking:\n  chunkSize: 4194304\n  minPeersForDistribution: 3\n')
    const config = await loadConfig({ dataDir: dir, env: { SHOAL_CHUNKING_CHUNK_SIZE: '2097152' } })
    assert.equal(config.chunking.chunkSize, 2097152)
    assert.equal(config.chunking.minPeersForDistribution, 3)
  })

  it('lets flags beat the environment, and skips flags left undefined', async () => {
    const dir = await dataDir('network:\n  mdns: true\n')
    const config = await loadConfig({
      dataDir: dir,
      env: { SHOAL_NETWORK_MDNS: 'false', SHOAL_CHUNKING_CHUNK_SIZE: '2097152' },
      overrides: { network: { mdns: true }, chunking: { chunkSize: undefined }, api: { listen: '127.0.0.1:0' } }
    })
    assert.equal(config.network.mdns, true)
    assert.equal(config.chunking.chunkSize, 2097152)
    assert.equal(config.api.listen, '127.0.0.1:0')
  })

  it("accepts seed 000's snake_case chunking block, with round_robin as round-robin", async () => {
    const config = await loadConfig({ dataDir: await dataDir(SEED_CHUNKING), env: {} })
    assert.deepEqual(config.chunking, {
      chunkSize: 1048576,
      minFileSizeForDistribution: 1073741824,
      minPeersForDistribution: 2,
      distributionStrategy: 'round-robin',
      autoResumeDownloads: true,
      resumeCheckInterval: 30
    })
  })

  it('rejects an unknown key in the file, naming it and the file', async () => {
    const dir = await dataDir('chunking:\n  chunkSise: 1048576\n')
    const path = join(dir, CONFIG_FILE_NAME)
    const details = await rejectsConfig(loadConfig({ dataDir: dir, env: {} }),
      new RegExp(`unknown config key "chunking\\.chunkSise" in ${path.replace(/[.\\]/g, '\\$&')}`), /chunkSize/)
    assert.deepEqual({ key: details.key, source: details.source }, { key: 'chunking.chunkSise', source: path })
  })

  it('rejects an unknown section and an unknown flag', async () => {
    await rejectsConfig(loadConfig({ dataDir: await dataDir('chunkin:\n  chunkSize: 1\n'), env: {} }), /unknown config key "chunkin"/)
    const overrides = { transfer: { retries: 2 } } as unknown as Parameters<typeof loadConfig>[0]['overrides']
    await rejectsConfig(loadConfig({ dataDir: await dataDir(), env: {}, overrides }),
      /unknown config key "transfer\.retries" in command-line flags/)
  })

  it('rejects a wrong type, naming key, layer and expected type', async () => {
    const dir = await dataDir('chunking:\n  autoResumeDownloads: "yes"\n')
    const details = await rejectsConfig(loadConfig({ dataDir: dir, env: {} }),
      /config key "chunking\.autoResumeDownloads"/, /config\.yaml/, /must be true or false, got "yes"/)
    assert.equal(details.key, 'chunking.autoResumeDownloads')
    await rejectsConfig(loadConfig({ dataDir: await dataDir(), env: {}, overrides: { network: { listen: '/ip4/0.0.0.0/tcp/0' as unknown as string[] } } }),
      new RegExp(`"network\\.listen" in ${FLAGS_SOURCE} must be a list`))
  })

  it('rejects an out-of-range value from any layer', async () => {
    await rejectsConfig(loadConfig({ dataDir: await dataDir('chunking:\n  chunkSize: 1000\n'), env: {} }),
      /"chunking\.chunkSize" in .*config\.yaml must be an integer from 16384 to 268435456, got 1000/)
    const details = await rejectsConfig(loadConfig({ dataDir: await dataDir(), env: { SHOAL_CHUNKING_RESUME_CHECK_INTERVAL: '0' } }),
      /"chunking\.resumeCheckInterval" in environment variable SHOAL_CHUNKING_RESUME_CHECK_INTERVAL must be an integer from 1 to 86400, got 0/)
    assert.equal(details.source, 'environment variable SHOAL_CHUNKING_RESUME_CHECK_INTERVAL')
    await rejectsConfig(loadConfig({ dataDir: await dataDir(), env: {}, overrides: { transfer: { chunkRetries: 2.5 } } }),
      /"transfer\.chunkRetries" in command-line flags must be an integer from 0 to 100, got 2\.5/)
  })

  it('reports malformed YAML with the file and line', async () => {
    const dir = await dataDir('chunking:\n  chunkSize: 1048576\n  listen: [a,\n bad: : x\n')
    const details = await rejectsConfig(loadConfig({ dataDir: dir, env: {} }), /malformed YAML in .*config\.yaml/, /line 4/)
    assert.equal(details.line, 4)
    await rejectsConfig(loadConfig({ dataDir: await dataDir('a: 1\na: 2\n'), env: {} }), /malformed YAML/, /line 2/)
  })

  it('rejects a file whose top level is not a mapping', async () => {
    await rejectsConfig(loadConfig({ dataDir: await dataDir('- chunking\n'), env: {} }), /must be a mapping of sections/)
    await rejectsConfig(loadConfig({ dataDir: await dataDir('chunking: 5\n'), env: {} }), /"chunking" .* must be a mapping of keys/)
  })

  it('rejects a key given in both spellings', async () => {
    await rejectsConfig(loadConfig({ dataDir: await dataDir('chunking:\n  chunk_size: 32768\n  chunkSize: 65536\n'), env: {} }),
      /"chunking\.chunkSize" is set twice .* "chunking\.chunk_size" and "chunking\.chunkSize"/)
  })

  it('returns a deep-frozen config that shares no arrays with its inputs', async () => {
    const listen = ['/ip4/127.0.0.1/tcp/0']
    const config = await loadConfig({ dataDir: await dataDir(), env: {}, overrides: { network: { listen } } })
    assert.ok(Object.isFrozen(config))
    assert.ok(Object.isFrozen(config.chunking))
    assert.ok(Object.isFrozen(config.network.listen))
    assert.throws(() => { (config.chunking as { chunkSize: number }).chunkSize = 1 }, TypeError)
    assert.throws(() => { (config.network.listen as string[]).push('/ip4/1.2.3.4/tcp/1') }, TypeError)
    assert.ok(!Object.isFrozen(listen), 'the caller’s array is left alone')
    assert.ok(Object.isFrozen(DEFAULT_CONFIG.transfer))
  })
})
