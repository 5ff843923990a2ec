/**
 * The part of a libp2p `Stream` that Shoal's framing, bounded writer and
 * chunk protocol use. A libp2p stream satisfies it as it is; so does the
 * direct TLS path's socket adapter (src/net/direct/socket-stream.ts), which
 * lets the same chunk protocol, with the same backpressure, budgets and
 * stall timeout, run over a plain `node:tls` socket.
 */
import type { AbortOptions, MessageStreamStatus, MessageStreamWriteStatus, Stream } from '@libp2p/interface'
import type { Uint8ArrayList } from 'uint8arraylist'

/** A bidirectional message stream as the chunk protocol sees it. */
export interface ChunkStream {
  readonly status: MessageStreamStatus
  readonly writeStatus: MessageStreamWriteStatus
  /** Bytes handed to `send` and not yet passed on (to the muxer, or to the kernel). */
  readonly writeBufferLength: number
  readonly writableNeedsDrain: boolean
  maxWriteBufferLength?: number
  /** A label for logs (the libp2p protocol id). */
  readonly protocol?: string
  send: (data: Uint8Array | Uint8ArrayList) => boolean
  close: (options?: AbortOptions) => Promise<void>
  abort: (err: Error) => void
  addEventListener: Stream['addEventListener']
  removeEventListener: Stream['removeEventListener']
}
