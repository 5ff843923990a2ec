/**
 * One-time tickets for the direct TLS path. A ticket is issued to a peer on
 * a libp2p stream (so only a peer allowed on a libp2p connection, past pnet
 * and the connection gater, ever holds one) and opens exactly one TLS
 * socket, presented by that same peer (its certificate names it), within
 * TICKET_TTL_MS. Any presentation uses the ticket up, good or not.
 */
import { randomBytes } from 'node:crypto'
import { MAX_TICKETS_PER_PEER, MAX_TICKETS_TOTAL, TICKET_BYTES, TICKET_TTL_MS } from './constants.js'

interface Issued {
  peer: string
  expiresAt: number
}

/** Why a presented ticket was refused (for logs and tests). */
export type TicketRefusal = 'unknown' | 'expired' | 'wrong-peer'

/** Outstanding tickets: issued, not yet presented, not expired. */
export class TicketBook {
  readonly #ttlMs: number
  readonly #now: () => number
  /** hex(ticket) → its holder; Map order is issue order, so the oldest come first. */
  readonly #issued = new Map<string, Issued>()
  readonly #perPeer = new Map<string, number>()

  constructor (init: { ttlMs?: number, now?: () => number } = {}) {
    this.#ttlMs = init.ttlMs ?? TICKET_TTL_MS
    this.#now = init.now ?? Date.now
  }

  /** Tickets outstanding now. */
  get size (): number {
    this.#sweep()
    return this.#issued.size
  }

  /** A fresh ticket for `peer`, or undefined when it (or everyone) holds too many already. */
  issue (peer: string): Uint8Array | undefined {
    this.#sweep()
    if (this.#issued.size >= MAX_TICKETS_TOTAL || (this.#perPeer.get(peer) ?? 0) >= MAX_TICKETS_PER_PEER) return undefined
    const ticket = randomBytes(TICKET_BYTES)
    this.#issued.set(ticket.toString('hex'), { peer, expiresAt: this.#now() + this.#ttlMs })
    this.#perPeer.set(peer, (this.#perPeer.get(peer) ?? 0) + 1)
    return ticket
  }

  /** Uses `ticket` up; undefined if it was good for `peer`, else why not. */
  redeem (ticket: Uint8Array, peer: string): TicketRefusal | undefined {
    const key = Buffer.from(ticket.buffer, ticket.byteOffset, ticket.byteLength).toString('hex')
    const issued = this.#issued.get(key)
    if (issued == null) return 'unknown'
    this.#forget(key, issued)
    if (issued.expiresAt <= this.#now()) return 'expired'
    if (issued.peer !== peer) return 'wrong-peer'
    return undefined
  }

  #sweep (): void {
    const now = this.#now()
    for (const [key, issued] of this.#issued) {
      if (issued.expiresAt > now) break // issue order is expiry order
      this.#forget(key, issued)
    }
  }

  #forget (key: string, issued: Issued): void {
    this.#issued.delete(key)
    const left = (this.#perPeer.get(issued.peer) ?? 1) - 1
    if (left <= 0) this.#perPeer.delete(issued.peer)
    else this.#perPeer.set(issued.peer, left)
  }
}
