import { isIPv4, isIPv6 } from 'node:net'
import { ShoalError } from '../errors.js'

/** A parsed `host:port` listen address; IPv6 hosts come without brackets, as `net.listen` wants them. */
export interface HostPort {
  readonly host: string
  readonly port: number
}

const PORT = /^\d{1,5}$/
// RFC 1123 host names: dot-separated labels of letters, digits and inner hyphens.
const HOST_NAME = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i
const ALL_DIGITS_AND_DOTS = /^[\d.]+$/

/**
 * Parses `host:port` (`127.0.0.1:7878`, `localhost:0`, `[::1]:7878`). Port 0 is
 * allowed (the OS picks one). Throws `ERR_INVALID_ARGUMENT` naming the problem.
 */
export function parseHostPort (value: string): HostPort {
  const fail = (why: string): never => {
    throw new ShoalError('ERR_INVALID_ARGUMENT', `invalid address "${value}": ${why}`, { value })
  }
  const bracketed = /^\[([^\]]*)\]:([^:]*)$/.exec(value)
  const sep = value.lastIndexOf(':')
  if (bracketed === null && sep === -1) fail('expected host:port')
  const host = bracketed?.[1] ?? value.slice(0, sep)
  const portText = bracketed?.[2] ?? value.slice(sep + 1)

  if (bracketed !== null) {
    if (!isIPv6(host)) fail(`"${host}" is not an IPv6 address`)
  } else if (host.includes(':')) {
    fail('IPv6 addresses must be written in brackets, like [::1]:7878')
  } else if (ALL_DIGITS_AND_DOTS.test(host) ? !isIPv4(host) : !HOST_NAME.test(host)) {
    fail(`"${host}" is not a valid IPv4 address or host name`)
  }

  const port = Number(portText)
  if (!PORT.test(portText) || port > 65535) fail(`port "${portText}" is not an integer from 0 to 65535`)
  return { host, port }
}
