/**
 * A cap on the inbound connections one remote IP address holds open at once.
 *
 * libp2p's connection manager bounds inbound connections by rate per host
 * (`inboundConnectionThreshold`, per second), by pending upgrades over all
 * hosts (`maxIncomingPendingConnections`) and by total (`maxConnections`),
 * but not by how many one host keeps open: a single machine could take every
 * slot of `maxConnections`, 100 more each second. This counts raw sockets
 * per IP from the moment they are accepted — so connections still in their
 * handshake count too — until they close, and refuses the one past the cap
 * before any handshake work is spent on it (the gater's
 * `denyInboundConnection` runs straight after accept). The cap is
 * `network.maxConnectionsPerIp`, generous by default for NATs and hosts that
 * run several nodes.
 */
import { logger } from '../util/log.js'
import type { ConnectionGater, MultiaddrConnection } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

const log = logger('net:ip-cap')

/** The IP address of a multiaddr, IPv4-mapped IPv6 folded to IPv4; undefined for non-IP transports. */
export function remoteIp (addr: Multiaddr): string | undefined {
  const ip = addr.getComponents().find(c => c.name === 'ip4' || c.name === 'ip6')?.value
  if (ip === undefined) return undefined
  // One host, one count, however its IPv4 address is spelled: `::ffff:10.1.2.3` or `::ffff:a01:203`.
  const dotted = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip)
  if (dotted !== null) return dotted[1]
  const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(ip)
  if (hex !== null) {
    const [hi, lo] = [parseInt(hex[1] as string, 16), parseInt(hex[2] as string, 16)]
    return `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`
  }
  return ip.toLowerCase()
}

/** Counts open inbound connections per remote IP and denies those past `maxPerIp`. */
export class InboundIpCap implements Required<Pick<ConnectionGater, 'denyInboundConnection'>> {
  readonly maxPerIp: number
  readonly #open = new Map<string, number>()

  constructor (maxPerIp: number) {
    if (!Number.isSafeInteger(maxPerIp) || maxPerIp < 1) throw new RangeError(`maxPerIp must be a positive integer, got ${maxPerIp}`)
    this.maxPerIp = maxPerIp
  }

  /** Open inbound connections from `ip` now (for stats and tests). */
  openFrom (ip: string): number {
    return this.#open.get(ip) ?? 0
  }

  /** libp2p gater hook: true denies. A counted connection is uncounted when it closes, however it ends. */
  denyInboundConnection (maConn: MultiaddrConnection): boolean {
    const ip = remoteIp(maConn.remoteAddr)
    // Nothing to count (a non-IP transport) or a socket already gone.
    if (ip === undefined || maConn.status !== 'open') return false
    const open = this.openFrom(ip)
    if (open >= this.maxPerIp) {
      log('refused an inbound connection from %s: %d open, cap %d', ip, open, this.maxPerIp)
      return true
    }
    this.#open.set(ip, open + 1)
    maConn.addEventListener('close', () => {
      const left = this.openFrom(ip) - 1
      if (left > 0) this.#open.set(ip, left)
      else this.#open.delete(ip)
    }, { once: true })
    return false
  }
}
