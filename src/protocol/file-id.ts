/**
 * File IDs travel as CID bytes on the wire and as base32 strings everywhere
 * else; these convert between the two and reject anything else.
 */
import { CID } from 'multiformats/cid'
import { ShoalError } from '../errors.js'
import { parseFileId } from '../content/manifest.js'

/** The wire form of a file ID string. */
export function fileIdToBytes (id: string): Uint8Array {
  return parseFileId(id).bytes
}

/** The string form of a file ID received from a peer; ERR_PROTOCOL if it is not a CID. */
export function fileIdFromBytes (bytes: Uint8Array): string {
  try {
    return CID.decode(bytes).toString()
  } catch (err) {
    throw new ShoalError('ERR_PROTOCOL', 'malformed file ID', {}, { cause: err })
  }
}
