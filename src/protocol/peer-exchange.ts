/**
 * Peer exchange (PEX) on the have protocol: a node tells each peer it
 * exchanges a file with about the other peers holding or fetching that file,
 * so downloaders given only a seeder's address find and use each other, as
 * BitTorrent's ut_pex does. Hints ride in `Have.peers`; this module turns
 * them to and from wire form, and decides which addresses are worth sending.
 */
import { isLoopback } from '@libp2p/utils'
import { peerIdFromMultihash } from '@libp2p/peer-id'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import * as Digest from 'multiformats/hashes/digest'
import type { PeerId } from '@libp2p/interface'
import type { PeerHint as PeerHintPb } from './pb/shoal.js'

/** Most peers named in one Have message (BitTorrent's PEX sends at most 50 per message). */
export const MAX_PEX_PEERS = 32
/** Most addresses sent per peer: enough for IPv4 + IPv6 on a few interfaces. */
export const MAX_PEX_ADDRS = 8
/** Multicodec of `/p2p/…`: hints carry the peer ID once, not in every address. */
const P2P_CODE = 421

/** Another member of a file's swarm and where to reach it. */
export interface PeerHint {
  peerId: PeerId
  addrs: Multiaddr[]
}

/**
 * Who exchanges which file with this node, for the have handler: it joins
 * each subscriber to the file's swarm for as long as the subscription lasts,
 * and passes the others on to it as they become known.
 */
export interface SwarmView {
  /** Records `peer` as a member of `fileId`'s swarm until the returned function is called. */
  join: (fileId: string, peer: PeerId) => () => void
  /** Calls `listener` with each member that joins or becomes reachable; returns the unsubscribe function. */
  watch: (fileId: string, listener: (peer: PeerId) => void) => () => void
  /** The members of `fileId`'s swarm with known addresses (unordered). */
  members: (fileId: string) => PeerHint[]
  /** The known addresses of one peer. */
  addresses: (peer: PeerId) => Multiaddr[]
}

/**
 * The addresses of a hint worth sending to a peer that reached us at
 * `recipient`: a loopback address only means something to a peer on our
 * own machine, anywhere else it would dial the wrong host.
 */
export function addressesFor (addrs: Multiaddr[], recipient: Multiaddr): Multiaddr[] {
  const local = isLoopback(recipient)
  return addrs.filter(a => local || !isLoopback(a)).slice(0, MAX_PEX_ADDRS)
}

/** Wire form of a hint, or undefined when no address is left for this recipient. */
export function encodeHint (hint: PeerHint, recipient: Multiaddr): PeerHintPb | undefined {
  const addrs = addressesFor(hint.addrs, recipient)
  if (addrs.length === 0) return undefined
  return {
    peerId: hint.peerId.toMultihash().bytes as Uint8Array<ArrayBuffer>,
    addrs: addrs.map(a => a.decapsulateCode(P2P_CODE).bytes as Uint8Array<ArrayBuffer>)
  }
}

/**
 * Hints from the wire. A hint that does not parse is dropped on its own: it
 * costs the sender nothing to lie here, and one bad entry must not cost us
 * the good ones.
 */
export function decodeHints (hints: PeerHintPb[]): PeerHint[] {
  const out: PeerHint[] = []
  for (const hint of hints.slice(0, MAX_PEX_PEERS)) {
    try {
      const peerId = peerIdFromMultihash(Digest.decode(hint.peerId))
      const addrs = hint.addrs.slice(0, MAX_PEX_ADDRS).map(bytes => multiaddr(bytes))
      if (addrs.length > 0) out.push({ peerId, addrs })
    } catch {
      // Unparseable peer ID or address: skip this hint.
    }
  }
  return out
}
