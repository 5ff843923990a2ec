/**
 * A seeder that lies: Shoal's real protocol handlers (manifest, have, chunks)
 * on a real libp2p host, over a file provider that flips a byte of every
 * chunk it serves. A Shoal node can no longer be made to do this (it hashes
 * what it serves, and unshares a rotten file), but a modified client on the
 * network can: downloaders must catch it and name it.
 *
 * In-process: `startLyingSeeder(path, listen)`. As a process (for network
 * namespace hosts): `node --import tsx lying-seeder.ts PATH LISTEN` prints
 * `{ peerId, addrs }` like `shoal start --json` and serves until SIGINT/SIGTERM.
 */
import '../../src/polyfill.js'
import { basename } from 'node:path'
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { Bitfield } from '../../src/content/bitfield.js'
import { chunkRange } from '../../src/content/chunk-size.js'
import { hashFile } from '../../src/content/chunker.js'
import { createManifest, encodeManifest, fileIdFromManifestBytes, manifestChunkCount } from '../../src/content/manifest.js'
import * as n from '../../src/node/networking.js'
import { DEFAULT_CONFIG } from '../../src/config/index.js'
import type { FileProvider, ServedFile } from '../../src/protocol/served-file.js'

/** The path of this module, to run it as a process. */
export const LYING_SEEDER_SCRIPT = fileURLToPath(import.meta.url)

/** A running lying seeder. */
export interface LyingSeeder {
  peerId: string
  addrs: string[]
  /** The ID of the file it claims to serve: the same as an honest share of the same bytes and name. */
  fileId: string
  stop: () => Promise<void>
}

/** Serves `path` with every chunk corrupt, listening on `listen`. */
export async function startLyingSeeder (path: string, listen = '/ip4/127.0.0.1/tcp/0'): Promise<LyingSeeder> {
  const hashed = await hashFile(path)
  const manifest = createManifest({ name: basename(path), size: hashed.size, chunkSize: hashed.chunkSize, hashes: hashed.hashes })
  const manifestBytes = encodeManifest(manifest)
  const fileId = fileIdFromManifestBytes(manifestBytes)
  const bytes = await readFile(path)
  const served: ServedFile = {
    id: fileId,
    manifest,
    manifestBytes,
    have: Bitfield.full(manifestChunkCount(manifest)),
    readChunk: async (index) => {
      const { offset, length } = chunkRange(manifest.size, manifest.chunkSize, index)
      const chunk = Buffer.from(bytes.subarray(offset, offset + length))
      chunk[0] = (chunk[0] as number) ^ 0x55
      return chunk
    },
    onHave: () => () => {}
  }
  const provider: FileProvider = { getServedFile: (id) => id === fileId ? served : undefined }
  const libp2p = await n.createShoalLibp2p({ privateKey: await generateKeyPair('Ed25519'), listen: [listen], maxConnections: 50, mdns: false, bootstrap: [] })
  const limiter = new n.UploadLimiter({ maxPerPeer: 4, maxTotal: 16 })
  const swarm = new n.SwarmDirectory(libp2p, () => {})
  await n.serveShoalProtocols(libp2p, { provider, swarm, uploads: { gate: limiter, budgets: new n.PeerBudgets(DEFAULT_CONFIG.transfer.peerUploadBufferBytes), writeTimeoutMs: DEFAULT_CONFIG.transfer.uploadStallTimeoutMs } })
  await libp2p.start()
  return {
    peerId: libp2p.peerId.toString(),
    addrs: libp2p.getMultiaddrs().map(a => a.toString()),
    fileId,
    stop: async () => { await libp2p.stop() }
  }
}

if (process.argv[1] === LYING_SEEDER_SCRIPT) {
  const [path, listen] = process.argv.slice(2)
  if (path == null) throw new Error('usage: lying-seeder.ts PATH [LISTEN]')
  const seeder = await startLyingSeeder(path, listen)
  process.stdout.write(JSON.stringify({ peerId: seeder.peerId, addrs: seeder.addrs, fileId: seeder.fileId }) + '\n')
  const stop = (): void => { void seeder.stop().then(() => process.exit(0)) }
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
}
