/**
 * /shoal/manifest/1.0.0 — fetch a manifest by file ID. The requester verifies
 * the bytes against the ID (a CID of the manifest), so any peer can answer.
 */
import { pbStream } from '@libp2p/utils'
import { ManifestRequest, ManifestResponse } from './pb/shoal.js'
import { MANIFEST_PROTOCOL, MAX_CONTROL_FRAME_BYTES, MAX_MANIFEST_FRAME_BYTES, INBOUND_REQUEST_TIMEOUT_MS, OUTBOUND_REQUEST_TIMEOUT_MS } from './constants.js'
import { fileIdFromBytes, fileIdToBytes } from './file-id.js'
import { asProtocolError } from './framing.js'
import { verifyManifestBytes, type Manifest } from '../content/manifest.js'
import { ShoalError } from '../errors.js'
import { closeStream } from './close-stream.js'
import type { FileProvider } from './served-file.js'
import type { Libp2p, PeerId, Stream } from '@libp2p/interface'

/** Answers one manifest request on an inbound stream. */
export async function handleManifestStream (stream: Stream, provider: FileProvider): Promise<void> {
  const signal = AbortSignal.timeout(INBOUND_REQUEST_TIMEOUT_MS)
  try {
    const pb = pbStream(stream, { maxDataLength: MAX_CONTROL_FRAME_BYTES })
    const req = await pb.read(ManifestRequest, { signal })
    const file = provider.getServedFile(fileIdFromBytes(req.fileId))
    await pb.write(file == null
      ? { status: ManifestResponse.Status.NOT_FOUND, manifest: new Uint8Array(0) }
      : { status: ManifestResponse.Status.OK, manifest: file.manifestBytes as Uint8Array<ArrayBuffer> },
    ManifestResponse, { signal })
    await stream.close({ signal })
  } catch (err) {
    stream.abort(asProtocolError(err))
  }
}

/**
 * Asks `peer` for the manifest of `fileId`; resolves with it verified, or
 * undefined when the peer does not have it.
 */
export async function fetchManifest (libp2p: Libp2p, peer: PeerId, fileId: string, options: { signal?: AbortSignal } = {}): Promise<Manifest | undefined> {
  const signal = anySignal(options.signal, OUTBOUND_REQUEST_TIMEOUT_MS)
  const stream = await libp2p.dialProtocol(peer, MANIFEST_PROTOCOL, { signal })
  try {
    const pb = pbStream(stream, { maxDataLength: MAX_MANIFEST_FRAME_BYTES })
    await pb.write({ fileId: fileIdToBytes(fileId) as Uint8Array<ArrayBuffer> }, ManifestRequest, { signal })
    const res = await pb.read(ManifestResponse, { signal })
    await closeStream(stream, { signal })
    if (res.status === ManifestResponse.Status.NOT_FOUND) return undefined
    return verifyManifestBytes(fileId, res.manifest)
  } catch (err) {
    stream.abort(err instanceof Error ? err : new Error(String(err)))
    if (err instanceof ShoalError) throw err
    throw asProtocolError(err)
  }
}

/** A signal that fires on the caller's abort or after `ms`, whichever is first. */
export function anySignal (signal: AbortSignal | undefined, ms: number): AbortSignal {
  const timeout = AbortSignal.timeout(ms)
  return signal == null ? timeout : AbortSignal.any([signal, timeout])
}
