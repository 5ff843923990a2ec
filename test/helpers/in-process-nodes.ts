/**
 * Shoal nodes inside the test process, for protocol-level tests: real libp2p
 * over real TCP on 127.0.0.1, real data dirs; no mDNS, and no DHT unless asked.
 */
import { join } from 'node:path'
import { ShoalNode } from '../../src/node/node.js'
import { validateConfig, type ShoalConfig } from '../../src/config/index.js'
import type { TestContext } from 'node:test'

/** Listens on a free loopback port; no LAN or DHT chatter. */
export const LOOPBACK_CONFIG = validateConfig({ network: { listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false, dht: false } }, 'test')

/** Starts a node with data dir `<dir>/<name>`, stopped after the test. */
export async function startInProcessNode (t: TestContext, dir: string, name: string, config: ShoalConfig = LOOPBACK_CONFIG): Promise<ShoalNode> {
  const n = new ShoalNode({ dataDir: join(dir, name), config })
  await n.start()
  t.after(async () => { await n.stop() })
  return n
}
