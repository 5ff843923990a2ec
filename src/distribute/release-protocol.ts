/**
 * `/shoal/release/1.0.0`: how `shoal rm ID --everywhere` reaches the holders.
 * The uploader opens one stream per holder and sends one StoreRelease frame
 * (the signed release of release.ts); the holder verifies it against the
 * record it keeps (only that record's uploader can release), drops the file's
 * chunks and answers one StoreReleaseReply. Frames are capped and every step
 * has a timeout; a bad frame resets that stream only.
 */
import { peerIdFromString } from '@libp2p/peer-id'
import { ShoalError } from '../errors.js'
import { FrameReader, sendFrames } from '../protocol/framing.js'
import { closeStream } from '../protocol/close-stream.js'
import { anySignal } from '../protocol/manifest.js'
import { MAX_CONTROL_FRAME_BYTES } from '../protocol/constants.js'
import { StoreRelease, StoreReleaseReply } from '../protocol/pb/shoal.js'
import { logger } from '../util/log.js'
import { MAX_RELEASE_BYTES } from './release.js'
import type { Libp2p, Stream } from '@libp2p/interface'
import type { Uint8ArrayList } from 'uint8arraylist'

const log = logger('release-protocol')

/** The release protocol's ID. */
export const RELEASE_PROTOCOL = '/shoal/release/1.0.0'
/** Longest a release exchange (dial, request, reply) may take. */
export const RELEASE_TIMEOUT_MS = 10_000
/** Largest request frame: a release plus its protobuf field header. */
const MAX_RELEASE_FRAME_BYTES = MAX_RELEASE_BYTES + 16
/** Release streams one host takes at once. */
const MAX_RELEASE_STREAMS = 8

/** What a holder did with a release. */
export interface ReleaseAnswer {
  released: boolean
  message: string
  dropped: number
}

/** Handles a verified-or-not release request for this node (the caller verifies). */
export type ReleaseHandler = (release: Uint8Array, from: string, signal: AbortSignal) => Promise<ReleaseAnswer>

/** Reads one frame from `stream` within `signal`; undefined when the stream ends first. */
async function readOneFrame (stream: Stream, maxBytes: number, signal: AbortSignal): Promise<Uint8ArrayList | undefined> {
  return await new Promise<Uint8ArrayList | undefined>((resolve, reject) => {
    const reader = new FrameReader(stream, maxBytes, (frame) => { done(); resolve(frame) })
    const onClose = (): void => { done(); resolve(undefined) }
    const onAbort = (): void => { done(); reject(new ShoalError('ERR_TIMEOUT', 'no release frame in time')) }
    const done = (): void => {
      reader.stop()
      stream.removeEventListener('close', onClose)
      signal.removeEventListener('abort', onAbort)
    }
    stream.addEventListener('close', onClose, { once: true })
    signal.addEventListener('abort', onAbort, { once: true })
  })
}

/** Registers the release handler on `libp2p`. */
export async function serveReleaseProtocol (libp2p: Libp2p, handle: ReleaseHandler): Promise<void> {
  await libp2p.handle(RELEASE_PROTOCOL, async (stream, conn) => {
    const signal = AbortSignal.timeout(RELEASE_TIMEOUT_MS)
    const from = conn.remotePeer.toString()
    try {
      const frame = await readOneFrame(stream, MAX_RELEASE_FRAME_BYTES, signal)
      if (frame == null) return
      const request = StoreRelease.decode(frame)
      let answer: ReleaseAnswer
      try {
        answer = await handle(request.release, from, signal)
      } catch (err) {
        answer = { released: false, message: (err as Error).message.slice(0, 512), dropped: 0 }
      }
      await sendFrames(stream, [StoreReleaseReply.encode(answer)], { signal })
      await closeStream(stream, { signal })
    } catch (err) {
      log('release stream from %s reset: %s', from, err)
      stream.abort(err instanceof Error ? err : new Error(String(err)))
    }
  }, { maxInboundStreams: MAX_RELEASE_STREAMS, maxOutboundStreams: MAX_RELEASE_STREAMS })
}

/** Sends `release` to `peer`; resolves with its answer. */
export async function sendRelease (libp2p: Libp2p, peer: string, release: Uint8Array, options: { signal?: AbortSignal } = {}): Promise<ReleaseAnswer> {
  const signal = anySignal(options.signal, RELEASE_TIMEOUT_MS)
  const stream = await libp2p.dialProtocol(peerIdFromString(peer), RELEASE_PROTOCOL, { signal })
  try {
    await sendFrames(stream, [StoreRelease.encode({ release: release as Uint8Array<ArrayBuffer> })], { signal })
    const frame = await readOneFrame(stream, MAX_CONTROL_FRAME_BYTES, signal)
    if (frame == null) throw new ShoalError('ERR_PEER_UNREACHABLE', `${peer} closed the release stream without answering`, { peer })
    const reply = StoreReleaseReply.decode(frame)
    await closeStream(stream, { signal })
    return { released: reply.released, message: reply.message, dropped: reply.dropped }
  } catch (err) {
    stream.abort(err instanceof Error ? err : new Error(String(err)))
    throw err
  }
}
