/**
 * Formats of string-valued config keys. Each one checks a single string and
 * says what it expected, so validation errors and generated docs share wording.
 */
import { multiaddr } from '@multiformats/multiaddr'
import { parseHostPort } from './hostport.js'

/** A named check for one string; `check` returns why the value is bad, or undefined. */
export interface Format {
  /** What a valid value is, as a noun phrase: "a multiaddr". */
  readonly expected: string
  readonly check: (value: string) => string | undefined
}

/** The thrown message, so a parser's own explanation reaches the user. */
function reasonOf (err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

function parseMultiaddr (value: string): ReturnType<typeof multiaddr> | string {
  try {
    return multiaddr(value)
  } catch (err) {
    return reasonOf(err)
  }
}

/** A libp2p multiaddr such as `/ip4/0.0.0.0/tcp/0`. */
export const MULTIADDR: Format = {
  expected: 'a multiaddr like /ip4/0.0.0.0/tcp/0',
  check: (value) => {
    const parsed = parseMultiaddr(value)
    return typeof parsed === 'string' ? parsed : undefined
  }
}

/**
 * A multiaddr ending in the peer's ID. `@libp2p/bootstrap` silently drops
 * entries without one, so a missing ID is caught here instead.
 */
export const PEER_MULTIADDR: Format = {
  expected: 'a multiaddr with a peer ID like /ip4/192.0.2.1/tcp/4001/p2p/12D3KooW…',
  check: (value) => {
    const parsed = parseMultiaddr(value)
    if (typeof parsed === 'string') return parsed
    return parsed.getComponents().some(c => c.name === 'p2p') ? undefined : 'it has no /p2p/<peer ID> part'
  }
}

/** An absolute http: or https: URL (tracker announce URLs). */
export const HTTP_URL: Format = {
  expected: 'an http(s) URL',
  check: (value) => {
    if (!URL.canParse(value)) return 'it is not a URL'
    const url = new URL(value)
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return `protocol ${url.protocol} is not http: or https:`
    return undefined
  }
}

/** A libp2p protocol ID: a leading slash, printable ASCII, no spaces. */
export const PROTOCOL_ID: Format = {
  expected: 'a protocol ID like /shoal/kad/1.0.0',
  check: (value) => /^\/[\x21-\x7e]+$/.test(value) ? undefined : 'it must start with "/" and hold no spaces'
}

/** `host:port` for a TCP listener; port 0 lets the OS choose. */
export const HOST_PORT: Format = {
  expected: 'host:port like 127.0.0.1:7878',
  check: (value) => {
    try {
      parseHostPort(value)
      return undefined
    } catch (err) {
      return reasonOf(err)
    }
  }
}

/** Longest file path accepted (PATH_MAX on Linux). */
const MAX_PATH_LENGTH = 4096

/**
 * A file path, or empty for "none". Relative paths are resolved by the user
 * of the key (config-file paths against the data dir, flags against the
 * working directory). Whether the file exists is checked when it is read.
 */
export const OPTIONAL_FILE_PATH: Format = {
  expected: 'a file path, or empty for none',
  check: (value) => {
    if (value.includes('\0')) return 'it contains a NUL byte'
    if (value.length > MAX_PATH_LENGTH) return `it is longer than ${MAX_PATH_LENGTH} characters`
    return undefined
  }
}
