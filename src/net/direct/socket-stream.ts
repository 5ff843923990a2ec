/**
 * A `node:tls` socket as a ChunkStream, so the chunk protocol's reader,
 * bounded writer and sessions run on it unchanged. Nothing here touches the
 * bytes: a socket read becomes one `message` event (as a muxer frame does on
 * libp2p), and a write goes to the socket as it is (framed payloads in one
 * corked write). What a libp2p stream tells about its send buffer, the
 * socket tells about its own: `writeBufferLength` is what Node has not yet
 * handed to OpenSSL and the kernel, `drain` is the socket's, and `idle` is
 * sent when a write completes with nothing left queued, so the
 * BoundedWriter's caps, budget charging, flush and stall timeout mean here
 * exactly what they mean on libp2p.
 *
 * `close` ends our side and waits for the remote to end its own; `abort`
 * destroys. The server's socket is half-open (`allowHalfOpen`), like a libp2p
 * stream, so it finishes what was asked after the client ends its side; the
 * client's is not, so a server that ends or goes away closes the channel.
 */
import { StreamCloseEvent, StreamMessageEvent } from '@libp2p/interface'
import { ShoalError } from '../../errors.js'
import { logger } from '../../util/log.js'
import type { ChunkStream } from '../../protocol/chunk-stream.js'
import type { AbortOptions, MessageStreamStatus, MessageStreamWriteStatus, Stream } from '@libp2p/interface'
import type { TLSSocket } from 'node:tls'
import type { Uint8ArrayList } from 'uint8arraylist'

const log = logger('direct')

/** How long `close` waits for the remote to end its side before destroying the socket. */
export const SOCKET_CLOSE_TIMEOUT_MS = 5_000

/** The label this stream gives itself in logs, as a libp2p stream gives its protocol. */
const LABEL = 'shoal-direct'

/** A TLS socket speaking a framed protocol, as the chunk protocol sees a stream. */
export class SocketStream extends EventTarget implements ChunkStream {
  readonly protocol = LABEL
  maxWriteBufferLength: number | undefined
  readonly #socket: TLSSocket
  #status: MessageStreamStatus = 'open'
  #writeStatus: MessageStreamWriteStatus = 'writable'
  #error: Error | undefined
  readonly #closed: Promise<void>
  readonly #afterWrite = (): void => {
    if (this.#socket.writableLength === 0) this.dispatchEvent(new Event('idle'))
  }

  declare addEventListener: Stream['addEventListener']
  declare removeEventListener: Stream['removeEventListener']

  /** Takes over `socket` (connected, TLS established, identity checked): its events are this stream's from now on. */
  constructor (socket: TLSSocket) {
    super()
    this.#socket = socket
    socket.setNoDelay(true) // requests are a few bytes, and wait for nothing else
    socket.on('data', (data: Buffer) => { this.dispatchEvent(new StreamMessageEvent(data)) })
    socket.on('end', () => { this.dispatchEvent(new Event('remoteCloseWrite')) })
    socket.on('drain', () => { this.dispatchEvent(new Event('drain')) })
    // Kept for the close event; 'close' follows every 'error'.
    socket.on('error', (err) => { this.#error ??= err })
    this.#closed = new Promise<void>((resolve) => {
      socket.once('close', () => {
        this.#finish(this.#status === 'open' && this.#error != null ? 'reset' : 'closed', this.#error, false)
        resolve()
      })
    })
    socket.resume() // the handshake left it paused
  }

  get status (): MessageStreamStatus { return this.#status }
  get writeStatus (): MessageStreamWriteStatus { return this.#writeStatus }
  get writeBufferLength (): number { return this.#socket.writableLength }
  get writableNeedsDrain (): boolean { return this.#socket.writableNeedDrain }

  /** Where the remote end is, for logs. */
  get remote (): string { return `${this.#socket.remoteAddress ?? '?'}:${this.#socket.remotePort ?? '?'}` }

  send (data: Uint8Array | Uint8ArrayList): boolean {
    if (this.#writeStatus !== 'writable') throw new ShoalError('ERR_ABORTED', 'the direct socket is closed for writing')
    const socket = this.#socket
    if (data instanceof Uint8Array) return socket.write(data, this.#afterWrite)
    // One corked write: Node hands the parts to OpenSSL together (writev).
    socket.cork()
    const parts = [...data]
    let more = true
    for (let i = 0; i < parts.length; i++) more = socket.write(parts[i] as Uint8Array, i === parts.length - 1 ? this.#afterWrite : undefined)
    socket.uncork()
    return more
  }

  /** Ends our side once what is queued has been sent, and waits (bounded) for the remote to end its own. */
  async close (options?: AbortOptions): Promise<void> {
    if (this.#status !== 'open') return
    if (this.#writeStatus === 'writable') {
      this.#writeStatus = 'closing'
      this.#socket.end()
    }
    const timeout = AbortSignal.timeout(SOCKET_CLOSE_TIMEOUT_MS)
    const signal = options?.signal == null ? timeout : AbortSignal.any([options.signal, timeout])
    await new Promise<void>((resolve) => {
      const onAbort = (): void => {
        // The caller's signal may fire because the socket just closed (its
        // close event aborts the session): nothing is left to do then.
        if (this.#status === 'open') {
          log('closing %s: %s, destroying the socket', this.remote, timeout.aborted ? 'no end from the remote in time' : 'aborted')
          this.#socket.destroy()
        }
        resolve()
      }
      if (signal.aborted) { onAbort(); return }
      signal.addEventListener('abort', onAbort, { once: true })
      void this.#closed.then(() => {
        signal.removeEventListener('abort', onAbort)
        resolve()
      })
    })
  }

  /** Destroys the socket at once; the close event carries `err`. */
  abort (err: Error): void {
    if (this.#status !== 'open') return
    this.#finish('aborted', err, true)
    this.#socket.destroy()
  }

  #finish (status: MessageStreamStatus, err: Error | undefined, local: boolean): void {
    if (this.#status !== 'open') return
    this.#status = status
    this.#writeStatus = 'closed'
    this.dispatchEvent(new StreamCloseEvent(local, err))
  }
}
