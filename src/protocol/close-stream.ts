import { logger } from '../util/log.js'
import type { AbortOptions } from '@libp2p/interface'
import type { ChunkStream } from './chunk-stream.js'

const log = logger('protocol')

/**
 * Closes our side of a stream without throwing: by the time we close, the
 * other side may have reset it or gone, and there is nothing left to do but
 * say so in the log (`DEBUG=shoal:protocol`).
 */
export async function closeStream (stream: ChunkStream, options?: AbortOptions): Promise<void> {
  try {
    await stream.close(options)
  } catch (err) {
    log('closing a %s stream failed: %s', stream.protocol ?? 'shoal', err)
  }
}
