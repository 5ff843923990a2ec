/**
 * In-process nodes for the distribution tests: a temp dir, nodes on
 * 127.0.0.1 each bootstrapped from the ones before, all connected; and what a
 * holder keeps of a file (its record chain and chunk rows, from its catalog).
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ShoalNode } from '../../src/node/node.js'
import { validateConfig } from '../../src/config/index.js'
import { verifyChain } from '../../src/distribute/record-chain.js'
import { waitFor } from '../helpers/cli.js'
import type { SignedRecord } from '../../src/distribute/record.js'
import type { TestContext } from 'node:test'

export const CHUNK = 64 * 1024

/** Per-node config on top of the loopback one (64 KiB chunks, no mDNS or DHT). */
export type NodeConfig = Record<string, Record<string, unknown>>

/** Starts the named nodes in a temp dir (removed after the test), each connected to all the others. */
export async function startSwarm (t: TestContext, prefix: string, names: string[], configOf: (name: string) => NodeConfig = () => ({})): Promise<{ dir: string, nodes: ShoalNode[] }> {
  const dir = await mkdtemp(join(tmpdir(), prefix))
  // Retries: a node stopping may still be writing its peer store.
  t.after(async () => { await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 }) })
  const nodes: ShoalNode[] = []
  for (const name of names) {
    const extra = configOf(name)
    const config = validateConfig({ ...extra, network: { listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false, dht: false, bootstrap: nodes.map((n) => n.addrs[0] as string) }, chunking: { chunkSize: CHUNK } }, 'test')
    const node = new ShoalNode({ dataDir: join(dir, name), config })
    await node.start()
    t.after(async () => { await node.stop() })
    nodes.push(node)
  }
  await waitFor(() => nodes.every((n) => n.libp2p.getPeers().length >= nodes.length - 1), 20_000, 'connected')
  return { dir, nodes }
}

/** The record chain a node keeps for a file it holds, verified. */
export async function heldChain (node: ShoalNode, fileId: string): Promise<{ chain: Uint8Array[], record: SignedRecord }> {
  const rows = node.catalog.database.prepare('SELECT bytes FROM held_records WHERE file_id = ? ORDER BY seq').all(fileId) as Array<{ bytes: Uint8Array }>
  const chain = rows.map((r) => new Uint8Array(r.bytes))
  return { chain, record: await verifyChain(chain, { fileId }) }
}

/** The chunk indices a node holds of a file, ascending. */
export function heldChunks (node: ShoalNode, fileId: string): number[] {
  return (node.catalog.database.prepare('SELECT chunk_index FROM held_chunks WHERE file_id = ? ORDER BY chunk_index').all(fileId) as Array<{ chunk_index: number }>).map((r) => r.chunk_index)
}
