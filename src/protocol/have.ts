/**
 * /shoal/have/1.0.0 — which chunks of a file a peer holds. The answer is a
 * full bitfield, then, for as long as the requester keeps the stream open,
 * batches of newly verified chunk indices (so downloaders can fetch from each
 * other while they are still downloading).
 */
import { pbStream } from '@libp2p/utils'
import { Have, HaveRequest, type PeerHint as PeerHintPb } from './pb/shoal.js'
import { HAVE_PROTOCOL, HAVE_STALL_TIMEOUT_MS, HAVE_UPDATE_BATCH_MS, INBOUND_REQUEST_TIMEOUT_MS, MAX_CONTROL_FRAME_BYTES, MAX_HAVE_FRAME_BYTES, OUTBOUND_REQUEST_TIMEOUT_MS } from './constants.js'
import { fileIdFromBytes, fileIdToBytes } from './file-id.js'
import { FrameReader, asProtocolError, sendFrames } from './framing.js'
import { anySignal } from './manifest.js'
import { Bitfield } from '../content/bitfield.js'
import { ShoalError } from '../errors.js'
import { MAX_PEX_PEERS, decodeHints, encodeHint, type PeerHint, type SwarmView } from './peer-exchange.js'
import { closeStream } from './close-stream.js'
import type { FileProvider } from './served-file.js'
import type { Connection, Libp2p, PeerId, Stream } from '@libp2p/interface'

/**
 * Serves one have subscription until the requester closes the stream. With
 * a `swarm`, the requester joins the file's swarm while subscribed, and hears
 * about the other members (peer exchange) in the first message and as they join.
 */
export async function handleHaveStream (stream: Stream, conn: Connection, provider: FileProvider, swarm?: SwarmView): Promise<void> {
  const cleanups: Array<() => void> = []
  let timer: NodeJS.Timeout | undefined
  const stop = (): void => {
    for (const cleanup of cleanups.splice(0)) cleanup()
    clearTimeout(timer)
  }
  stream.addEventListener('close', stop, { once: true })
  // The subscriber ends the subscription by closing its side.
  stream.addEventListener('remoteCloseWrite', () => { stop(); void closeStream(stream) }, { once: true })
  try {
    const signal = AbortSignal.timeout(INBOUND_REQUEST_TIMEOUT_MS)
    const pb = pbStream(stream, { maxDataLength: MAX_CONTROL_FRAME_BYTES })
    const req = await pb.read(HaveRequest, { signal })
    const fileId = fileIdFromBytes(req.fileId)
    const file = provider.getServedFile(fileId)
    if (file == null) {
      await pb.write({ status: Have.Status.NOT_FOUND, chunkCount: 0, bitfield: new Uint8Array(0), added: [], peers: [] }, Have, { signal })
      await stream.close({ signal })
      return
    }
    pb.unwrap()
    const hints = new HintQueue(conn)
    let added: number[] = []
    let stalledSince = 0
    let lastSent = 0
    const flush = (): void => {
      timer = undefined
      if (stream.writeBufferLength > 0 || stream.writableNeedsDrain) {
        // The subscriber is not reading: updates wait here (merged into the next
        // batch) rather than pile up in the stream, until the stall timeout.
        stalledSince ||= Date.now()
        if (Date.now() - stalledSince < HAVE_STALL_TIMEOUT_MS) { timer = setTimeout(flush, HAVE_UPDATE_BATCH_MS).unref(); return }
        stop()
        stream.abort(new ShoalError('ERR_TIMEOUT', `have updates unread for ${HAVE_STALL_TIMEOUT_MS} ms`))
        return
      }
      stalledSince = 0
      const peers = swarm == null ? [] : hints.take(swarm)
      if (added.length === 0 && peers.length === 0) return
      const message = { status: Have.Status.OK, chunkCount: 0, bitfield: new Uint8Array(0), added, peers }
      added = []
      lastSent = Date.now()
      sendFrames(stream, [Have.encode(message)]).catch(() => { stop() })
    }
    // At most one update per batch window, but the first of a quiet spell
    // goes at once: in a swarm every hop of a chunk waited out the window.
    const later = (): void => { timer ??= setTimeout(flush, Math.max(0, lastSent + HAVE_UPDATE_BATCH_MS - Date.now())).unref() }
    // Subscribe before snapshotting, so no chunk (or peer) falls between the two.
    cleanups.push(file.onHave((index) => { added.push(index); later() }))
    if (swarm != null) {
      cleanups.push(swarm.watch(fileId, (peer) => { hints.add(peer); later() }))
      for (const member of swarm.members(fileId)) hints.add(member.peerId)
      cleanups.push(swarm.join(fileId, conn.remotePeer))
    }
    const peers = swarm == null ? [] : hints.take(swarm)
    await sendFrames(stream, [Have.encode({ status: Have.Status.OK, chunkCount: file.have.length, bitfield: file.have.toBytes() as Uint8Array<ArrayBuffer>, added: [], peers })], { signal })
  } catch (err) {
    stop()
    stream.abort(asProtocolError(err))
  }
}

/**
 * The peers one subscriber has yet to hear about. A peer is named once; one
 * with no address worth sending yet stays queued until its addresses are known.
 */
class HintQueue {
  readonly #conn: Connection
  readonly #sent = new Set<string>()
  readonly #pending = new Map<string, PeerId>()

  constructor (conn: Connection) {
    this.#conn = conn
    this.#sent.add(conn.remotePeer.toString())
  }

  add (peer: PeerId): void {
    const key = peer.toString()
    if (!this.#sent.has(key)) this.#pending.set(key, peer)
  }

  take (swarm: SwarmView): PeerHintPb[] {
    const out: PeerHintPb[] = []
    for (const [key, peerId] of this.#pending) {
      if (out.length >= MAX_PEX_PEERS) break
      const hint = encodeHint({ peerId, addrs: swarm.addresses(peerId) }, this.#conn.remoteAddr)
      if (hint == null) continue
      out.push(hint)
      this.#pending.delete(key)
      this.#sent.add(key)
    }
    return out
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
 * with each newly held index; `onPeers` with other peers exchanging the file
 * (the first ones just after this resolves); `onClose` when the subscription ends.
 */
export async function subscribeHave (
  libp2p: Libp2p, peer: PeerId, fileId: string, chunkCount: number,
  handlers: { onUpdate: (index: number) => void, onPeers?: (hints: PeerHint[]) => void, onClose?: (err?: Error) => void },
  options: { signal?: AbortSignal } = {}
): Promise<HaveSubscription | undefined> {
  const signal = anySignal(options.signal, OUTBOUND_REQUEST_TIMEOUT_MS)
  const stream = await libp2p.dialProtocol(peer, HAVE_PROTOCOL, { signal })
  try {
    const pb = pbStream(stream, { maxDataLength: MAX_HAVE_FRAME_BYTES })
    await pb.write({ fileId: fileIdToBytes(fileId) as Uint8Array<ArrayBuffer> }, HaveRequest, { signal })
    const first = await pb.read(Have, { signal })
    if (first.status === Have.Status.NOT_FOUND) {
      await closeStream(stream)
      return undefined
    }
    if (first.chunkCount !== chunkCount) {
      throw new ShoalError('ERR_PROTOCOL', `peer reports ${first.chunkCount} chunks, manifest has ${chunkCount}`)
    }
    const bitfield = new Bitfield(chunkCount, first.bitfield)
    pb.unwrap()
    const reader = new FrameReader(stream, MAX_HAVE_FRAME_BYTES, (frame) => {
      const update = Have.decode(frame)
      if (update.peers.length > 0) handlers.onPeers?.(decodeHints(update.peers))
      for (const index of update.added) {
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
    if (first.peers.length > 0) queueMicrotask(() => { handlers.onPeers?.(decodeHints(first.peers)) })
    return { bitfield, close: () => { reader.stop(); void closeStream(stream) } }
  } catch (err) {
    stream.abort(err instanceof Error ? err : new Error(String(err)))
    throw err instanceof ShoalError ? err : asProtocolError(err)
  }
}
