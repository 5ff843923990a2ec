/**
 * /shoal/have/1.0.0 — which chunks of a file a peer holds. The answer is a
 * full bitfield, then, for as long as the requester keeps the stream open,
 * batches of newly verified chunk indices (so downloaders can fetch from each
 * other while they are still downloading).
 */
import { pbStream } from '@libp2p/utils'
import { Have, HaveRequest } from './pb/shoal.js'
import { HAVE_PROTOCOL, HAVE_UPDATE_BATCH_MS, INBOUND_REQUEST_TIMEOUT_MS, MAX_CONTROL_FRAME_BYTES, MAX_HAVE_FRAME_BYTES, OUTBOUND_REQUEST_TIMEOUT_MS } from './constants.js'
import { fileIdFromBytes, fileIdToBytes } from './file-id.js'
import { FrameReader, asProtocolError, sendFrames } from './framing.js'
import { anySignal } from './manifest.js'
import { Bitfield } from '../content/bitfield.js'
import { ShoalError } from '../errors.js'
import type { FileProvider } from './served-file.js'
import type { Libp2p, PeerId, Stream } from '@libp2p/interface'

/** Serves one have subscription until the requester closes the stream. */
export async function handleHaveStream (stream: Stream, provider: FileProvider): Promise<void> {
  let unsubscribe: (() => void) | undefined
  let timer: NodeJS.Timeout | undefined
  const stop = (): void => {
    unsubscribe?.()
    clearTimeout(timer)
  }
  stream.addEventListener('close', stop, { once: true })
  // The subscriber ends the subscription by closing its side.
  stream.addEventListener('remoteCloseWrite', () => { stop(); stream.close().catch(() => {}) }, { once: true })
  try {
    const signal = AbortSignal.timeout(INBOUND_REQUEST_TIMEOUT_MS)
    const pb = pbStream(stream, { maxDataLength: MAX_CONTROL_FRAME_BYTES })
    const req = await pb.read(HaveRequest, { signal })
    const file = provider.getServedFile(fileIdFromBytes(req.fileId))
    if (file == null) {
      await pb.write({ status: Have.Status.NOT_FOUND, chunkCount: 0, bitfield: new Uint8Array(0), added: [] }, Have, { signal })
      await stream.close({ signal })
      return
    }
    pb.unwrap()
    let pending: number[] = []
    // Subscribe before snapshotting, so no chunk falls between the two.
    unsubscribe = file.onHave((index) => {
      pending.push(index)
      timer ??= setTimeout(() => {
        timer = undefined
        const added = pending
        pending = []
        sendFrames(stream, [Have.encode({ status: Have.Status.OK, chunkCount: 0, bitfield: new Uint8Array(0), added })]).catch(() => { stop() })
      }, HAVE_UPDATE_BATCH_MS).unref()
    })
    await sendFrames(stream, [Have.encode({ status: Have.Status.OK, chunkCount: file.have.length, bitfield: file.have.toBytes() as Uint8Array<ArrayBuffer>, added: [] })], { signal })
  } catch (err) {
    stop()
    stream.abort(asProtocolError(err))
  }
}

/** A live view of a remote peer's chunks of one file. */
export interface HaveSubscription {
  readonly bitfield: Bitfield
  close: () => void
}

/**
 * Subscribes to `peer`'s chunks of `fileId`. Resolves with the initial
 * bitfield, or undefined if the peer has none of the file. `onUpdate` is called
 * with each newly held index; `onClose` when the subscription ends.
 */
export async function subscribeHave (
  libp2p: Libp2p, peer: PeerId, fileId: string, chunkCount: number,
  handlers: { onUpdate: (index: number) => void, onClose?: (err?: Error) => void },
  options: { signal?: AbortSignal } = {}
): Promise<HaveSubscription | undefined> {
  const signal = anySignal(options.signal, OUTBOUND_REQUEST_TIMEOUT_MS)
  const stream = await libp2p.dialProtocol(peer, HAVE_PROTOCOL, { signal })
  try {
    const pb = pbStream(stream, { maxDataLength: MAX_HAVE_FRAME_BYTES })
    await pb.write({ fileId: fileIdToBytes(fileId) as Uint8Array<ArrayBuffer> }, HaveRequest, { signal })
    const first = await pb.read(Have, { signal })
    if (first.status === Have.Status.NOT_FOUND) {
      await stream.close().catch(() => {})
      return undefined
    }
    if (first.chunkCount !== chunkCount) {
      throw new ShoalError('ERR_PROTOCOL', `peer reports ${first.chunkCount} chunks, manifest has ${chunkCount}`)
    }
    const bitfield = new Bitfield(chunkCount, first.bitfield)
    pb.unwrap()
    const reader = new FrameReader(stream, MAX_HAVE_FRAME_BYTES, (frame) => {
      for (const index of Have.decode(frame).added) {
        if (index >= chunkCount) throw new ShoalError('ERR_PROTOCOL', `have-update for chunk ${index} of ${chunkCount}`)
        if (!bitfield.get(index)) {
          bitfield.set(index)
          handlers.onUpdate(index)
        }
      }
    })
    stream.addEventListener('close', (evt) => {
      reader.stop()
      handlers.onClose?.(evt.error)
    }, { once: true })
    return { bitfield, close: () => { reader.stop(); stream.close().catch(() => {}) } }
  } catch (err) {
    stream.abort(err instanceof Error ? err : new Error(String(err)))
    throw err instanceof ShoalError ? err : asProtocolError(err)
  }
}
