/**
 * The holder watch's inputs from a libp2p host: `peer:connect` and
 * `peer:disconnect` (the first connection to a peer opening, the last one
 * closing), and a probe that is a libp2p ping — it dials the peer from the
 * peer store's addresses when no connection is open, so one round trip
 * answers "is it reachable" either way.
 */
import { peerIdFromString } from '@libp2p/peer-id'
import type { Libp2p, PeerId } from '@libp2p/interface'
import type { Ping } from '@libp2p/ping'
import type { HolderProbe, HolderWatch } from './holder-watch.js'

/** A libp2p host with the ping service (every Shoal node runs one). */
export type PingingLibp2p = Libp2p<{ ping: Ping }>

/** A probe that pings `peerId` (dialling it if needed), bounded by `signal`. */
export function pingProbe (libp2p: PingingLibp2p): HolderProbe {
  return async (peerId, signal) => {
    await libp2p.services.ping.ping(peerIdFromString(peerId), { signal })
  }
}

/**
 * Feeds `watch` the connections `libp2p` has now and every later connect and
 * disconnect. Returns the function that unsubscribes (call it before stopping
 * the host or the watch).
 */
export function feedConnections (watch: HolderWatch, libp2p: Libp2p): () => void {
  for (const conn of libp2p.getConnections()) watch.connected(conn.remotePeer.toString())
  const onConnect = (event: CustomEvent<PeerId>): void => { watch.connected(event.detail.toString()) }
  const onDisconnect = (event: CustomEvent<PeerId>): void => { watch.disconnected(event.detail.toString()) }
  libp2p.addEventListener('peer:connect', onConnect)
  libp2p.addEventListener('peer:disconnect', onDisconnect)
  return () => {
    libp2p.removeEventListener('peer:connect', onConnect)
    libp2p.removeEventListener('peer:disconnect', onDisconnect)
  }
}
