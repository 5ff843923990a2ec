/**
 * Reports each peer a discovery module finds together with the module that
 * found it. libp2p's own `peer:discovery` event merges every module and so
 * cannot say; the modules run as named services so each can be heard alone.
 */
import { peerDiscoverySymbol, type Libp2p, type PeerDiscoveryProvider, type PeerInfo } from '@libp2p/interface'
import type { ShoalServices } from '../net/create-libp2p.js'

/** The discovery modules a node may run. */
export type DiscoveryModule = 'mdns' | 'bootstrap' | 'dht'

const MODULES: readonly DiscoveryModule[] = ['mdns', 'bootstrap', 'dht']

/** Calls `onPeer` for every peer any running discovery module reports. */
export function watchDiscoveryModules (libp2p: Libp2p<ShoalServices>, onPeer: (peer: PeerInfo, via: DiscoveryModule) => void): void {
  for (const via of MODULES) {
    const service = libp2p.services[via] as Partial<PeerDiscoveryProvider> | undefined
    service?.[peerDiscoverySymbol]?.addEventListener('peer', (evt) => { onPeer(evt.detail, via) })
  }
}
