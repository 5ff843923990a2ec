/**
 * Issue 13, item 3: have updates are paced (at most one per batch window per
 * subscriber), but the first update after a quiet spell goes out at once —
 * in a swarm every hop of a chunk used to wait out the whole window first.
 * Asserted on the timers the have protocol arms, not on elapsed time: a node
 * downloads slowly (a chunk every ~0.5 s after its limiter's first burst, so
 * most updates follow a quiet spell) while a third node subscribes to what it has.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { validateConfig } from '../../src/config/index.js'
import { subscribeHave } from '../../src/protocol/have.js'
import { HAVE_UPDATE_BATCH_MS } from '../../src/protocol/constants.js'
import { startInProcessNode } from '../helpers/in-process-nodes.js'
import { tempDir, waitFor, writeRandomFile } from '../helpers/cli.js'
import { multiaddr } from '@multiformats/multiaddr'

const CHUNK = 16 * 1024
const config = (downloadRateLimit = 0): ReturnType<typeof validateConfig> => validateConfig({
  network: { listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false, dht: false },
  chunking: { chunkSize: CHUNK },
  transfer: { downloadRateLimit }
}, 'test')

test('the first have update after a quiet spell is sent at once, not after the batch window', { timeout: 120_000 }, async (t) => {
  const dir = await tempDir(t)
  const seeder = await startInProcessNode(t, dir, 'seeder', config())
  const src = join(dir, 'f.bin')
  await writeRandomFile(src, 12 * CHUNK)
  const { id } = await seeder.share(src)
  // About one chunk every half second.
  const relay = await startInProcessNode(t, dir, 'relay', config(2 * CHUNK))
  const { job, done } = await relay.startDownload(id, { output: join(dir, 'relay.bin'), peers: seeder.addrs })
  done.catch(() => undefined) // paused when its node stops after the test
  const watcher = await startInProcessNode(t, dir, 'watcher', config())
  await watcher.libp2p.dial(multiaddr(relay.addrs[0] as string))

  // Every delay the have protocol gives setTimeout from now on.
  const delays: number[] = []
  const original = globalThis.setTimeout
  globalThis.setTimeout = ((fn: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) => {
    if (new Error().stack?.includes('protocol/have.') === true) delays.push(ms ?? 0)
    return original(fn, ms, ...args)
  }) as typeof setTimeout
  t.after(() => { globalThis.setTimeout = original })

  const updates: number[] = []
  const sub = await subscribeHave(watcher.libp2p, relay.libp2p.peerId, id, job.snapshot().chunkCount, { onUpdate: (index) => { updates.push(index) } })
  assert.ok(sub != null, 'the relay serves its partial download')
  t.after(() => { sub.close() })
  await waitFor(() => updates.length >= 3, 60_000, 'three have updates from the relay')
  t.diagnostic(`have timers armed (ms): ${delays.join(', ')}`)
  assert.ok(delays.length >= 3, `timers: ${delays.join(', ')}`)
  // The first update of the subscription follows a quiet spell; later ones may
  // come close together (the limiter's burst) and then wait out the rest of a window.
  assert.ok((delays[0] as number) < HAVE_UPDATE_BATCH_MS / 2, `the first update waited for a timer of ${delays[0]} ms`)
  assert.ok(delays.filter(ms => ms < HAVE_UPDATE_BATCH_MS / 2).length >= 2, `updates after quiet spells waited: ${delays.join(', ')} ms`)
  assert.ok(delays.every(ms => ms <= HAVE_UPDATE_BATCH_MS), 'never more than one window')
})
