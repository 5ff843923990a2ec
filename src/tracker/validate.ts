/**
 * Semantic checks behind the JSON schemas: the schemas bound shapes and
 * lengths, these parse peer IDs, multiaddrs and CIDs with the real libraries
 * and return canonical strings, so one peer or file is one index key however
 * it was spelled.
 */
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { CID } from 'multiformats/cid'
import { ShoalError } from '../errors.js'

/** Multicodec code of the `/p2p/<peer ID>` multiaddr component. */
const P2P_CODE = 421

/** The canonical (base58btc) form of a libp2p peer ID; `ERR_INVALID_ID` if it is not one. */
export function canonicalPeerId (value: string, field = 'peerId'): string {
  let parsed
  try {
    parsed = peerIdFromString(value)
  } catch (err) {
    throw new ShoalError('ERR_INVALID_ID', `${field} is not a libp2p peer ID`, { field }, { cause: err })
  }
  if (parsed.type === 'url') throw new ShoalError('ERR_INVALID_ID', `${field} is not a key-based peer ID`, { field })
  return parsed.toString()
}

/** The canonical string form of a CID; `ERR_INVALID_ID` if `value` is not a CID. */
export function canonicalFileId (value: string, field = 'id'): string {
  try {
    return CID.parse(value).toString()
  } catch (err) {
    throw new ShoalError('ERR_INVALID_ID', `${field} is not a CID`, { field }, { cause: err })
  }
}

/**
 * Parses each address, requires it to name a transport, and makes it end with
 * `/p2p/<peerId>` so a reader can dial it as is. An address ending with another
 * peer's ID is refused: a peer may only advertise itself. Duplicates collapse.
 * `known` are the peer's current canonical addresses: a re-announce repeating
 * one (with or without its `/p2p` suffix) skips parsing, since it is the
 * string form of an address that already passed.
 */
export function canonicalAddrs (peerId: string, addrs: readonly string[], known: readonly string[] = []): string[] {
  const out = new Set<string>()
  const suffix = `/p2p/${peerId}`
  for (const [i, value] of addrs.entries()) {
    if (known.includes(value)) {
      out.add(value)
      continue
    }
    if (known.includes(value + suffix)) {
      out.add(value + suffix)
      continue
    }
    const field = `addrs[${i}]`
    let ma
    try {
      ma = multiaddr(value)
    } catch (err) {
      throw new ShoalError('ERR_INVALID_ARGUMENT', `${field} is not a multiaddr`, { field }, { cause: err })
    }
    const components = ma.getComponents()
    const last = components.at(-1)
    if (last === undefined || components.every(c => c.code === P2P_CODE)) {
      throw new ShoalError('ERR_INVALID_ARGUMENT', `${field} has no transport address`, { field })
    }
    if (last.code === P2P_CODE) {
      if (last.value !== peerId && canonicalPeerId(last.value ?? '', field) !== peerId) {
        throw new ShoalError('ERR_INVALID_ARGUMENT', `${field} belongs to another peer`, { field })
      }
      ma = ma.decapsulateCode(P2P_CODE)
    }
    out.add(ma.encapsulate(suffix).toString())
  }
  return [...out]
}

/** Canonical file IDs of a list, reusing `known` ones without parsing them again. */
export function canonicalFileIds (values: readonly string[], field: string, isKnown: (id: string) => boolean): string[] {
  return values.map((v, i) => isKnown(v) ? v : canonicalFileId(v, `${field}[${i}]`))
}
