/**
 * Which peers this node exchanges each file with — its subscribers (peers
 * fetching the file from us) and its download sources — and where they can
 * be reached. The have handler reads it to tell every member about the
 * others (peer exchange); downloads write their sources into it and hand it
 * the hints they receive.
 */
import type { Libp2p, PeerId } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { PeerHint, SwarmView } from '../protocol/peer-exchange.js'

interface Member { peer: PeerId, joins: number }

/** Swarm membership per file, with members' listen addresses. */
export class SwarmDirectory implements SwarmView {
  readonly #libp2p: Libp2p
  readonly #onLearned: (peer: PeerId) => void
  readonly #swarms = new Map<string, Map<string, Member>>()
  readonly #watchers = new Map<string, Set<(peer: PeerId) => void>>()
  /** Listen addresses of current members only (identify's, or the peer store's). */
  readonly #addrs = new Map<string, Multiaddr[]>()

  /** `onLearned` is told of each peer first heard of through peer exchange. */
  constructor (libp2p: Libp2p, onLearned: (peer: PeerId) => void) {
    this.#libp2p = libp2p
    this.#onLearned = onLearned
    libp2p.addEventListener('peer:identify', (evt) => {
      const key = evt.detail.peerId.toString()
      if (!this.#isMember(key)) return
      this.#addrs.set(key, evt.detail.listenAddrs)
      this.#notify(evt.detail.peerId)
    })
  }

  join (fileId: string, peer: PeerId): () => void {
    const key = peer.toString()
    let swarm = this.#swarms.get(fileId)
    if (swarm == null) this.#swarms.set(fileId, swarm = new Map())
    const member = swarm.get(key) ?? { peer, joins: 0 }
    member.joins++
    swarm.set(key, member)
    if (member.joins === 1) this.#announce(fileId, peer)
    let left = false
    return () => {
      if (left) return
      left = true
      if (--member.joins > 0) return
      swarm.delete(key)
      if (swarm.size === 0 && this.#swarms.get(fileId) === swarm) this.#swarms.delete(fileId)
      if (!this.#isMember(key)) this.#addrs.delete(key)
    }
  }

  watch (fileId: string, listener: (peer: PeerId) => void): () => void {
    let set = this.#watchers.get(fileId)
    if (set == null) this.#watchers.set(fileId, set = new Set())
    set.add(listener)
    return () => {
      set.delete(listener)
      if (set.size === 0 && this.#watchers.get(fileId) === set) this.#watchers.delete(fileId)
    }
  }

  members (fileId: string): PeerHint[] {
    return [...this.#swarms.get(fileId)?.values() ?? []].map(({ peer }) => ({ peerId: peer, addrs: this.addresses(peer) }))
  }

  addresses (peer: PeerId): Multiaddr[] {
    return this.#addrs.get(peer.toString()) ?? []
  }

  /**
   * Takes in a hint received by peer exchange: its addresses go to the peer
   * store, so a later dial of the bare peer ID finds them; a peer new to us
   * (neither connected nor a member of any swarm) is reported to `onLearned`.
   */
  async learn (hint: PeerHint): Promise<void> {
    if (hint.peerId.equals(this.#libp2p.peerId)) return
    const known = this.#isMember(hint.peerId.toString()) || this.#libp2p.getConnections(hint.peerId).length > 0
    await this.#libp2p.peerStore.merge(hint.peerId, { multiaddrs: hint.addrs })
    if (!known) this.#onLearned(hint.peerId)
  }

  /** Tells watchers of `fileId` a member joined, once its addresses are known. */
  #announce (fileId: string, peer: PeerId): void {
    const key = peer.toString()
    if (this.#addrs.has(key)) {
      this.#notifyFile(fileId, peer)
      return
    }
    this.#libp2p.peerStore.get(peer).then((stored) => {
      if (!this.#isMember(key) || this.#addrs.has(key)) return
      this.#addrs.set(key, stored.addresses.map(a => a.multiaddr))
      this.#notify(peer)
    }, () => {
      // Not in the peer store yet: identify will bring its addresses.
    })
  }

  #notify (peer: PeerId): void {
    const key = peer.toString()
    for (const [fileId, swarm] of this.#swarms) if (swarm.has(key)) this.#notifyFile(fileId, peer)
  }

  #notifyFile (fileId: string, peer: PeerId): void {
    for (const listener of this.#watchers.get(fileId) ?? []) listener(peer)
  }

  #isMember (key: string): boolean {
    for (const swarm of this.#swarms.values()) if (swarm.has(key)) return true
    return false
  }
}
