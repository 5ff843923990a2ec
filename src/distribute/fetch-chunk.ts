/**
 * One chunk fetched from one peer over the ordinary chunks protocol and
 * checked against the manifest: how a holder gets a chunk a new map names it
 * for but that never reached it (a repair order that failed, or a map signed
 * by another survivor; `missingChunks` in surplus.ts).
 */
import { peerIdFromString } from '@libp2p/peer-id'
import { ChunkChannel } from '../protocol/chunk-channel.js'
import { chunkHash, type Manifest } from '../content/manifest.js'
import { equalBytes } from '../content/hash.js'
import { ShoalError } from '../errors.js'
import type { Libp2p } from '@libp2p/interface'

/** Longest one chunk fetch may take. */
export const FETCH_CHUNK_TIMEOUT_MS = 60_000

/** Chunk `index` of `fileId` from `peer`, verified; throws when the peer refuses, fails or sends other bytes. */
export async function fetchChunk (libp2p: Libp2p, peer: string, fileId: string, manifest: Manifest, index: number, signal?: AbortSignal): Promise<Uint8Array> {
  const bound = AbortSignal.any([AbortSignal.timeout(FETCH_CHUNK_TIMEOUT_MS), ...(signal == null ? [] : [signal])])
  let channel: ChunkChannel | undefined
  try {
    return await new Promise<Uint8Array>((resolve, reject) => {
      bound.addEventListener('abort', () => { reject(bound.reason) }, { once: true })
      ChunkChannel.open(libp2p, peerIdFromString(peer), fileId, manifest, {
        onChunk: (i, data, digest) => {
          if (i !== index) return
          if (equalBytes(digest, chunkHash(manifest, index))) resolve(new Uint8Array(data))
          else reject(new ShoalError('ERR_CHUNK_CORRUPT', `chunk ${index} of ${fileId} from ${peer} does not match the manifest`, { peer, index }))
        },
        onRefused: (_i, reason) => { reject(new ShoalError('ERR_CHUNK_NOT_AVAILABLE', `${peer} did not send chunk ${index} of ${fileId}: ${reason}`, { peer, index })) },
        onClose: (err) => { reject(err ?? new ShoalError('ERR_CHUNK_NOT_AVAILABLE', `${peer} closed before chunk ${index} of ${fileId}`, { peer, index })) }
      }, { signal: bound }).then((c) => {
        channel = c
        c.request(index)
      }, reject)
    })
  } finally {
    channel?.close()
  }
}
