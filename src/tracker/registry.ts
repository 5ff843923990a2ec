/**
 * The tracker's index: which peers are registered, at which addresses, and
 * which files each holds. Pure and synchronous: it takes validated,
 * canonical input and an injectable clock, and returns what changed, so it is
 * unit-tested alone and the server, persistence and expiry timer stay thin.
 *
 * Model:
 * - `#peers` maps peer ID → record and is kept in last-announce order: every
 *   announce deletes and re-inserts its peer, so the Map's first entries are
 *   always the next to expire (and to evict). A sweep walks from the front
 *   and stops at the first live peer: O(expired), never O(all peers). (If the
 *   wall clock steps back, order is only approximate and a peer can outlive
 *   its TTL by at most the step; nothing breaks.)
 * - `#files` maps file ID → holders as an array plus a position map, so adding
 *   or removing a holder is O(1) and sampling k holders is O(k).
 * - A peer's file set stores the file map's own key strings, so each file ID
 *   lives in memory once however many peers hold it.
 * - Memory is bounded in estimated bytes (`budget.ts`), not only entries. The
 *   whole index has `maxIndexBytes`; each client address (the IP the peer last
 *   announced from) has a share, `ipShareBytes`, charged as if every file of
 *   its peers were its alone. An announce that takes its address over its
 *   share evicts that address's least recently announced peers; one that
 *   takes the index over its budget (or `maxPeers`) evicts the least recently
 *   announced peers overall. Honest peers re-announce every interval, so they
 *   are never the least recent unless their own address (or enough addresses
 *   together) announces more than a share's worth of bytes in one interval —
 *   which the server's per-address byte rate limit prevents.
 * - Only a single peer's own size is refused (`maxFilesPerPeer`, a peer larger
 *   than a share): a refused announce leaves the index untouched.
 */
import { ShoalError } from '../errors.js'
import { FILE_ENTRY_BYTES, FILE_LINK_BYTES, chargedBytes, peerBytes } from './budget.js'

/** What an announce says about the peer's lifecycle. */
export type AnnounceEvent = 'started' | 'stopped' | 'update'

/** A validated announce; IDs and addresses are already canonical strings. */
export interface Announce {
  readonly peerId: string
  readonly addrs: readonly string[]
  /** Files held: added to the set, or the whole set when `event` is `started`. */
  readonly files: readonly string[]
  /** Files no longer held (ignored for `started`, which replaces the set). */
  readonly left: readonly string[]
  readonly event: AnnounceEvent
  /** The client address key it came from (`clientKey`); its share is charged. */
  readonly ip: string
}

/** A registered peer. Views are live: read them, do not keep them. */
export interface PeerView {
  readonly peerId: string
  readonly addrs: readonly string[]
  readonly files: ReadonlySet<string>
  /** Milliseconds since the epoch, by the registry's clock. */
  readonly lastSeen: number
  /** The client address key it last announced from; '' if restored and not heard from since. */
  readonly ip: string
}

/** What one announce or removal changed, for write-behind persistence. */
export interface PeerChange {
  readonly peerId: string
  /** The peer is gone from the index. */
  readonly removed: boolean
  /** The peer's file set was replaced as a whole (`started`). */
  readonly replaced: boolean
  readonly added: readonly string[]
  readonly dropped: readonly string[]
}

/** The outcome of an announce. */
export interface AnnounceResult {
  readonly change: PeerChange
  /** How many files the index now lists for this peer. */
  readonly held: number
  /** Peers evicted to make room (least recently announced first). */
  readonly evicted: readonly string[]
}

/** A file and how many peers hold it. */
export interface FileSummary {
  readonly id: string
  readonly peers: number
}

/** Limits and clock of a registry. */
export interface RegistryInit {
  readonly peerTtlMs: number
  readonly maxPeers: number
  readonly maxFilesPerPeer: number
  /** Estimated bytes of the whole index at most (see `budget.ts`). */
  readonly maxIndexBytes: number
  /** Estimated bytes the peers of one client address may hold; `Infinity` for no share. */
  readonly ipShareBytes: number
  /** Milliseconds since the epoch; `Date.now` by default. */
  readonly now?: () => number
  /** Uniform in [0, 1); `Math.random` by default. */
  readonly random?: () => number
}

interface PeerRecord {
  readonly peerId: string
  addrs: readonly string[]
  readonly files: Set<string>
  lastSeen: number
  /** Client address key; '' for a peer restored from disk and not heard from since. */
  ip: string
  /** Bytes charged to its address's share (`chargedBytes`). */
  charged: number
}

/** The peers of one client address, in last-announce order, and what they are charged. */
interface IpShare {
  bytes: number
  readonly peers: Map<string, PeerRecord>
}

interface FileEntry {
  readonly id: string
  readonly holders: string[]
  readonly position: Map<string, number>
}

const NO_FILES: ReadonlySet<string> = new Set()

/** The in-memory peer and file index with expiry and bounds. */
export class Registry {
  readonly #init: RegistryInit
  readonly #now: () => number
  readonly #random: () => number
  readonly #peers = new Map<string, PeerRecord>()
  readonly #files = new Map<string, FileEntry>()
  readonly #ips = new Map<string, IpShare>()
  #entries = 0
  /** Estimated bytes of the index: records and addresses, links, distinct files. */
  #peerBytes = 0

  constructor (init: RegistryInit) {
    this.#init = init
    this.#now = init.now ?? Date.now
    this.#random = init.random ?? Math.random
  }

  /** Registered peers. */
  get peerCount (): number { return this.#peers.size }

  /** Files held by at least one peer. */
  get fileCount (): number { return this.#files.size }

  /** (peer, file) pairs in the index. */
  get entryCount (): number { return this.#entries }

  /** Estimated bytes of the index (see `budget.ts`). */
  get bytes (): number {
    return this.#peerBytes + this.#entries * FILE_LINK_BYTES + this.#files.size * FILE_ENTRY_BYTES
  }

  /** Estimated bytes charged to a client address's share. */
  ipBytes (ip: string): number { return this.#ips.get(ip)?.bytes ?? 0 }

  /**
   * Applies an announce, evicting least recently announced peers when it takes
   * its address over its share or the index over its budget. Throws
   * `ERR_QUOTA_EXCEEDED` (index unchanged) when the peer alone would hold more
   * than `maxFilesPerPeer` files or be larger than a share.
   */
  announce (a: Announce): AnnounceResult {
    const existing = this.#peers.get(a.peerId)
    if (a.event === 'stopped') {
      if (existing !== undefined) this.#remove(existing)
      return { change: removal(a.peerId), held: 0, evicted: [] }
    }
    const current = existing?.files ?? NO_FILES
    const wanted = new Set(a.files)
    const replaced = a.event === 'started'
    const added = [...wanted].filter(f => !current.has(f))
    const dropped = replaced
      ? [...current].filter(f => !wanted.has(f))
      : [...new Set(a.left)].filter(f => current.has(f) && !wanted.has(f))
    const held = current.size + added.length - dropped.length
    const charged = chargedBytes(a.addrs, held)
    this.#checkBounds(held, charged)

    const now = this.#now()
    const rec = existing ?? { peerId: a.peerId, addrs: a.addrs, files: new Set<string>(), lastSeen: now, ip: a.ip, charged: 0 }
    if (existing !== undefined) this.#unshare(rec)
    this.#peerBytes += peerBytes(a.addrs) - (existing === undefined ? 0 : peerBytes(existing.addrs))
    rec.addrs = a.addrs
    rec.lastSeen = now
    rec.ip = a.ip
    rec.charged = charged
    this.#peers.delete(a.peerId)
    this.#peers.set(a.peerId, rec)
    this.#share(rec)
    for (const f of dropped) this.#unlink(rec, f)
    const canonicalAdded = added.map(f => this.#link(rec, f))
    const evicted = this.#evict(rec)
    return { change: { peerId: a.peerId, removed: false, replaced, added: canonicalAdded, dropped }, held, evicted }
  }

  /**
   * Re-inserts a peer remembered from before a restart, keeping its last-seen
   * time so it expires on schedule. Call in ascending `lastSeen` order. Returns
   * false (and changes nothing) if it has expired, is already known or does not fit.
   */
  restore (peer: { peerId: string, addrs: readonly string[], files: readonly string[], lastSeen: number }): boolean {
    const now = this.#now()
    const lastSeen = Math.min(peer.lastSeen, now)
    if (lastSeen + this.#init.peerTtlMs <= now || this.#peers.has(peer.peerId)) return false
    const files = [...new Set(peer.files)]
    const charged = chargedBytes(peer.addrs, files.length)
    if (this.#peers.size >= this.#init.maxPeers ||
      files.length > this.#init.maxFilesPerPeer ||
      this.bytes + charged > this.#init.maxIndexBytes) return false
    // Its address is unknown until it announces again: it is charged to no share meanwhile.
    const rec: PeerRecord = { peerId: peer.peerId, addrs: peer.addrs, files: new Set(), lastSeen, ip: '', charged }
    this.#peers.set(peer.peerId, rec)
    this.#peerBytes += peerBytes(peer.addrs)
    this.#share(rec)
    for (const f of files) this.#link(rec, f)
    return true
  }

  /** Removes every peer whose TTL has run out; returns their IDs. */
  sweep (): string[] {
    const now = this.#now()
    const removed: string[] = []
    for (const rec of this.#peers.values()) {
      if (rec.lastSeen + this.#init.peerTtlMs > now) break
      this.#remove(rec)
      removed.push(rec.peerId)
    }
    return removed
  }

  /** The peer with this (canonical) ID, if registered. */
  peer (peerId: string): PeerView | undefined {
    return this.#peers.get(peerId)
  }

  /** True if some peer holds this (canonical) file ID. */
  hasFile (fileId: string): boolean {
    return this.#files.has(fileId)
  }

  /** Up to `max` peers holding the file: all of them, or a uniform random sample. */
  providers (fileId: string, max: number): PeerView[] {
    const holders = this.#files.get(fileId)?.holders ?? []
    const ids = holders.length <= max ? holders : this.#sample(holders, max)
    return ids.map(id => this.#peers.get(id)).filter((p): p is PeerRecord => p !== undefined)
  }

  /** A page of peers, least recently seen first. */
  peers (offset: number, limit: number): PeerView[] {
    return page(this.#peers.values(), offset, limit)
  }

  /** A page of files, in the order they first appeared. */
  files (offset: number, limit: number): FileSummary[] {
    return page(this.#files.values(), offset, limit).map(e => ({ id: e.id, peers: e.holders.length }))
  }

  #checkBounds (held: number, charged: number): void {
    if (held > this.#init.maxFilesPerPeer) {
      throw new ShoalError('ERR_QUOTA_EXCEEDED', `a peer may hold at most ${this.#init.maxFilesPerPeer} files here`, { held })
    }
    if (charged > this.#init.ipShareBytes || charged > this.#init.maxIndexBytes) {
      throw new ShoalError('ERR_QUOTA_EXCEEDED', 'this peer alone would exceed what one address may hold here', { held })
    }
  }

  /**
   * Evicts least recently announced peers, never `keep` (just announced):
   * first of `keep`'s address while it is over its share, then overall while
   * the index is over its byte budget or peer count. `#checkBounds` made sure
   * `keep` fits alone, so the loops end.
   */
  #evict (keep: PeerRecord): string[] {
    const evicted: string[] = []
    const share = this.#ips.get(keep.ip)
    if (keep.ip !== '' && share !== undefined) {
      while (share.bytes > this.#init.ipShareBytes) evicted.push(this.#evictOldest(share.peers, keep))
    }
    while (this.bytes > this.#init.maxIndexBytes || this.#peers.size > this.#init.maxPeers) {
      evicted.push(this.#evictOldest(this.#peers, keep))
    }
    return evicted
  }

  #evictOldest (peers: Map<string, PeerRecord>, keep: PeerRecord): string {
    const oldest = peers.values().next().value as PeerRecord
    if (oldest === keep) throw new ShoalError('ERR_INTERNAL', 'tracker eviction reached the announcing peer')
    this.#remove(oldest)
    return oldest.peerId
  }

  #share (rec: PeerRecord): void {
    let share = this.#ips.get(rec.ip)
    if (share === undefined) this.#ips.set(rec.ip, share = { bytes: 0, peers: new Map() })
    share.bytes += rec.charged
    share.peers.set(rec.peerId, rec)
  }

  #unshare (rec: PeerRecord): void {
    const share = this.#ips.get(rec.ip)
    if (share === undefined) return
    share.bytes -= rec.charged
    share.peers.delete(rec.peerId)
    if (share.peers.size === 0) this.#ips.delete(rec.ip)
  }

  /** Records that `rec` holds `fileId`; returns the canonical string instance. */
  #link (rec: PeerRecord, fileId: string): string {
    let entry = this.#files.get(fileId)
    if (entry === undefined) {
      entry = { id: fileId, holders: [], position: new Map() }
      this.#files.set(fileId, entry)
    }
    rec.files.add(entry.id)
    entry.position.set(rec.peerId, entry.holders.length)
    entry.holders.push(rec.peerId)
    this.#entries++
    return entry.id
  }

  #unlink (rec: PeerRecord, fileId: string): void {
    rec.files.delete(fileId)
    const entry = this.#files.get(fileId)
    const at = entry?.position.get(rec.peerId)
    if (entry === undefined || at === undefined) return
    // Swap-remove keeps holders dense so sampling stays O(k).
    const last = entry.holders.pop() as string
    if (last !== rec.peerId) {
      entry.holders[at] = last
      entry.position.set(last, at)
    }
    entry.position.delete(rec.peerId)
    if (entry.holders.length === 0) this.#files.delete(fileId)
    this.#entries--
  }

  #remove (rec: PeerRecord): void {
    for (const f of [...rec.files]) this.#unlink(rec, f)
    this.#unshare(rec)
    this.#peerBytes -= peerBytes(rec.addrs)
    this.#peers.delete(rec.peerId)
  }

  /** k distinct elements, uniformly (Floyd's algorithm: k random draws, no copy of the array). */
  #sample (items: readonly string[], k: number): string[] {
    const picked = new Set<number>()
    for (let j = items.length - k; j < items.length; j++) {
      const t = Math.floor(this.#random() * (j + 1))
      picked.add(picked.has(t) ? j : t)
    }
    return [...picked].map(i => items[i] as string)
  }
}

/** The change of a peer that is gone from the index. */
export function removal (peerId: string): PeerChange {
  return { peerId, removed: true, replaced: false, added: [], dropped: [] }
}

function page<T> (items: Iterable<T>, offset: number, limit: number): T[] {
  const out: T[] = []
  let i = 0
  for (const item of items) {
    if (out.length >= limit) break
    if (i++ >= offset) out.push(item)
  }
  return out
}
