/**
 * Nodes for direct-path tests: real libp2p hosts on 127.0.0.1, a seeder
 * serving a real shared file (Library over a real catalog) with Shoal's
 * protocol handlers and the direct TLS path, and a downloader that fetches
 * every chunk, verified, over the direct path when it can be made and over
 * the libp2p chunks stream otherwise (and for whatever a direct channel
 * left undone when it broke).
 */
import assert from 'node:assert/strict'
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import * as n from '../../src/node/networking.js'
import { Catalog } from '../../src/store/catalog.js'
import { Library } from '../../src/node/library.js'
import { PeerStreamLimits } from '../../src/protocol/stream-limits.js'
import { MAX_INBOUND_STREAMS_PER_PEER } from '../../src/protocol/constants.js'
import { ChunkChannel, type ChunkChannelHandlers } from '../../src/protocol/chunk-channel.js'
import { DirectPath } from '../../src/net/direct/index.js'
import { createDirectCertificate, type DirectCertificate } from '../../src/net/direct/identity.js'
import { chunkHash, manifestChunkCount, type Manifest } from '../../src/content/manifest.js'
import { chunkRange } from '../../src/content/chunk-size.js'
import { DEFAULT_CONFIG } from '../../src/config/index.js'
import type { ChunkStream } from '../../src/protocol/chunk-stream.js'
import type { UploadServices } from '../../src/protocol/chunks-server.js'
import type { Libp2p, PeerId, PrivateKey } from '@libp2p/interface'
import type { TestContext } from 'node:test'

/** A bare libp2p host with its key and a libp2p-TLS certificate for the direct path. */
export interface DirectPeer {
  libp2p: Libp2p
  privateKey: PrivateKey
  certificate: DirectCertificate
}

/** A seeder: a peer with a shared file, Shoal's handlers and the direct path. */
export interface DirectSeeder extends DirectPeer {
  fileId: string
  manifest: Manifest
  direct: DirectPath
  uploads: UploadServices
  /** Bytes uploaded, by peer (the node's UploadObserver). */
  uploaded: Map<string, number>
}

/** Starts a libp2p host on 127.0.0.1 (stopped after the test). */
export async function startPeer (t: TestContext, options: { listen?: boolean } = {}): Promise<DirectPeer> {
  const privateKey = await generateKeyPair('Ed25519')
  const libp2p = await n.createShoalLibp2p({ privateKey, listen: options.listen === false ? [] : ['/ip4/127.0.0.1/tcp/0'], maxConnections: 32, mdns: false, bootstrap: [] })
  await libp2p.start()
  t.after(async () => { await libp2p.stop() })
  return { libp2p, privateKey, certificate: await createDirectCertificate(privateKey) }
}

/** Starts a seeder sharing `file`, its catalog in `dir`; `direct: false` leaves the direct path off. */
export async function startSeeder (t: TestContext, dir: string, file: string, options: { direct?: boolean, writeTimeoutMs?: number } = {}): Promise<DirectSeeder> {
  await mkdir(dir, { recursive: true })
  const library = new Library(new Catalog(join(dir, 'shoal.db')))
  t.after(async () => { await library.close() })
  const record = await library.share(file)
  const peer = await startPeer(t)
  const tc = DEFAULT_CONFIG.transfer
  const uploaded = new Map<string, number>()
  const uploads: UploadServices = {
    gate: new n.UploadLimiter({ maxPerPeer: tc.maxUploadsPerPeer, maxTotal: tc.maxUploadsTotal }),
    budgets: new n.PeerBudgets(tc.peerUploadBufferBytes),
    writeTimeoutMs: options.writeTimeoutMs ?? tc.uploadStallTimeoutMs,
    observer: { onUploaded: (p, _id, bytes) => { uploaded.set(p, (uploaded.get(p) ?? 0) + bytes) } }
  }
  const streams = new PeerStreamLimits(MAX_INBOUND_STREAMS_PER_PEER)
  await n.serveShoalProtocols(peer.libp2p, { provider: library, uploads, streams })
  const direct = new DirectPath({ libp2p: peer.libp2p, privateKey: peer.privateKey, host: '127.0.0.1', port: 0, provider: library, uploads, streams })
  if (options.direct !== false) {
    await direct.start()
    t.after(async () => { await direct.stop() })
    assert.ok(await direct.ready(), 'the direct path came up')
  }
  return { ...peer, fileId: record.id, manifest: record.manifest, direct, uploads, uploaded }
}

/** How a fetch went: the bytes, and which carrier delivered how many chunks. */
export interface FetchOutcome {
  bytes: Buffer
  viaDirect: number
  viaLibp2p: number
}

/**
 * Fetches every chunk of the seeder's file, each checked against the
 * manifest: first over `direct` (a stream from DirectPath.dial or
 * connectDirect), if given, then whatever is missing over libp2p. `onDirect`
 * sees every block that arrives on the direct channel (to cut it mid-chunk).
 */
export async function fetchFile (libp2p: Libp2p, seeder: { libp2p: Libp2p, fileId: string, manifest: Manifest }, direct: ChunkStream | undefined, onDirect?: (stream: ChunkStream, received: number) => void): Promise<FetchOutcome> {
  const { manifest, fileId } = seeder
  const peer: PeerId = seeder.libp2p.peerId
  const out = Buffer.alloc(manifest.size)
  const missing = new Set(Array.from({ length: manifestChunkCount(manifest) }, (_, i) => i))
  const outcome = { bytes: out, viaDirect: 0, viaLibp2p: 0 }
  const run = async (open: (handlers: ChunkChannelHandlers) => Promise<ChunkChannel>, via: 'viaDirect' | 'viaLibp2p'): Promise<void> => {
    await new Promise<void>((resolve, reject) => {
      let channel: ChunkChannel | undefined
      let settled = false
      const finish = (err?: Error): void => {
        if (settled) return
        settled = true
        channel?.close()
        if (err == null) resolve(); else reject(err)
      }
      const handlers: ChunkChannelHandlers = {
        onChunk: (index, data, digest) => {
          if (!Buffer.from(digest).equals(chunkHash(manifest, index))) { finish(new Error(`chunk ${index} corrupt`)); return }
          data.copy(out, chunkRange(manifest.size, manifest.chunkSize, index).offset)
          missing.delete(index)
          outcome[via]++
          if (missing.size === 0) finish()
        },
        onRefused: (index, reason) => { finish(new Error(`chunk ${index} refused: ${reason}`)) },
        onClose: () => { finish() } // whatever is still missing goes to the next carrier
      }
      open(handlers).then((c) => {
        channel = c
        if (settled) c.close()
        else for (const index of missing) c.request(index)
      }, finish)
    })
  }
  if (direct != null) {
    await run(async (handlers) => await ChunkChannel.over(peer, direct, fileId, manifest, {
      ...handlers,
      onProgress: (_index, received) => { onDirect?.(direct, received) }
    }), 'viaDirect')
  }
  if (missing.size > 0) await run(async (handlers) => await ChunkChannel.open(libp2p, peer, fileId, manifest, handlers), 'viaLibp2p')
  return outcome
}
