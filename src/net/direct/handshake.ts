/**
 * The one frame each side of a direct TLS socket reads before the chunk
 * protocol starts (the client's hello, the server's welcome), read straight
 * off the socket with a cap and a deadline. Whoever sends first waits for
 * the answer before sending more, so bytes after the frame are a protocol
 * error; the socket is left paused, so nothing that follows is lost before
 * the next reader (a SocketStream) attaches and resumes it.
 */
import * as varint from 'uint8-varint'
import { FrameDecoder, encodeFrames } from '../../protocol/framing.js'
import { ShoalError } from '../../errors.js'
import { MAX_HANDSHAKE_FRAME_BYTES } from './constants.js'
import type { TLSSocket } from 'node:tls'

/** Reads one frame from `socket`; rejects on close, a bad frame, extra bytes, `signal`. */
export async function readHandshakeFrame (socket: TLSSocket, signal: AbortSignal): Promise<Uint8Array> {
  const decoder = new FrameDecoder(MAX_HANDSHAKE_FRAME_BYTES)
  let received = 0
  return await new Promise<Uint8Array>((resolve, reject) => {
    const cleanup = (): void => {
      socket.off('data', onData)
      socket.off('close', onClose)
      signal.removeEventListener('abort', onAbort)
    }
    const fail = (err: Error): void => { cleanup(); reject(err) }
    const onData = (data: Buffer): void => {
      try {
        received += data.byteLength
        const frame = decoder.decode(data).next().value
        if (frame == null) return
        if (received !== varint.encodingLength(frame.byteLength) + frame.byteLength) throw new ShoalError('ERR_PROTOCOL', 'bytes after the handshake frame')
        // Held until the next reader attaches (SocketStream resumes it).
        socket.pause()
        cleanup()
        resolve(frame.subarray())
      } catch (err) {
        fail(err as Error)
      }
    }
    const onClose = (): void => { fail(new ShoalError('ERR_PEER_UNREACHABLE', 'the direct socket closed during the handshake')) }
    const onAbort = (): void => { fail(new ShoalError('ERR_TIMEOUT', 'the direct handshake took too long', {}, { cause: signal.reason })) }
    if (signal.aborted) { onAbort(); return }
    socket.on('data', onData)
    socket.once('close', onClose)
    signal.addEventListener('abort', onAbort, { once: true })
  })
}

/** Writes one handshake frame. */
export function writeHandshakeFrame (socket: TLSSocket, payload: Uint8Array): void {
  socket.write(encodeFrames([payload]).subarray())
}
