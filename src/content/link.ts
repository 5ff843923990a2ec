/**
 * Share links: `shoal://<file ID>?name=…&size=…&peer=…&peer=…`. The ID is the
 * only thing trusted; name, size and peers are hints that save a lookup (the
 * manifest fetched later is verified against the ID and wins). Hints are still
 * validated, because a link is user input: an unsafe name or a bad multiaddr
 * makes the whole link invalid rather than being silently dropped. Unknown
 * query parameters are ignored so that newer links still work here.
 */
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import { peerIdFromString } from '@libp2p/peer-id'
import { ShoalError } from '../errors.js'
import { isSafeFileName, parseFileId } from './manifest.js'

/** URL scheme of share links. */
export const LINK_SCHEME = 'shoal:'

/** Most peer addresses a link may carry. */
export const MAX_LINK_PEERS = 16

/** Longest link accepted or produced, in characters (8 KiB). */
export const MAX_LINK_CHARS = 8 * 1024

/** What a share link or bare ID designates. */
export interface Target {
  id: string
  name?: string
  size?: number
  peers: string[]
}

/** What `formatLink` puts in a link. */
export interface LinkInit {
  id: string
  name?: string
  size?: number
  peers?: string[]
}

const LINK_PREFIX = `${LINK_SCHEME}//`

/**
 * Builds a share link. Throws ERR_INVALID_ID for a bad ID and
 * ERR_INVALID_ARGUMENT for an unsafe name, a bad size, a bad multiaddr, more
 * than MAX_LINK_PEERS peers (callers choose which ones) or a link longer than
 * MAX_LINK_CHARS.
 */
export function formatLink (init: LinkInit): string {
  parseFileId(init.id)
  const params = new URLSearchParams()
  if (init.name !== undefined) {
    if (!isSafeFileName(init.name)) throw new ShoalError('ERR_INVALID_ARGUMENT', 'link name is not a safe file name', { name: init.name })
    params.append('name', init.name)
  }
  if (init.size !== undefined) {
    if (!Number.isSafeInteger(init.size) || init.size < 0) throw new ShoalError('ERR_INVALID_ARGUMENT', `invalid link size: ${String(init.size)}`)
    params.append('size', String(init.size))
  }
  const peers = init.peers ?? []
  if (peers.length > MAX_LINK_PEERS) {
    throw new ShoalError('ERR_INVALID_ARGUMENT', `a link carries at most ${MAX_LINK_PEERS} peers, got ${peers.length}`)
  }
  for (const peer of peers) {
    params.append('peer', canonicalMultiaddr(peer, 'ERR_INVALID_ARGUMENT'))
  }
  const query = params.toString()
  const link = LINK_PREFIX + init.id + (query === '' ? '' : `?${query}`)
  if (link.length > MAX_LINK_CHARS) {
    throw new ShoalError('ERR_INVALID_ARGUMENT', `link would be ${link.length} characters, more than ${MAX_LINK_CHARS}`)
  }
  return link
}

/**
 * Parses what a user pasted: a share link or a bare file ID, surrounding
 * whitespace ignored. Throws ERR_INVALID_LINK for a malformed link and
 * ERR_INVALID_ID for a bad ID.
 */
export function parseTarget (input: string): Target {
  if (typeof input !== 'string') throw new ShoalError('ERR_INVALID_LINK', 'a link or file ID must be a string')
  const text = input.trim()
  if (text.length > MAX_LINK_CHARS) {
    throw new ShoalError('ERR_INVALID_LINK', `link is ${text.length} characters, more than ${MAX_LINK_CHARS}`)
  }
  if (!/^[a-z][a-z0-9+.-]*:/i.test(text)) {
    parseFileId(text)
    return { id: text, peers: [] }
  }
  if (text.slice(0, LINK_PREFIX.length).toLowerCase() !== LINK_PREFIX) {
    throw new ShoalError('ERR_INVALID_LINK', `not a ${LINK_PREFIX} link`, { link: text })
  }
  if (text.includes('#')) throw new ShoalError('ERR_INVALID_LINK', 'a link has no fragment', { link: text })
  const rest = text.slice(LINK_PREFIX.length)
  const queryStart = rest.indexOf('?')
  const id = queryStart === -1 ? rest : rest.slice(0, queryStart)
  parseFileId(id)
  const target: Target = { id, peers: [] }
  const params = new URLSearchParams(queryStart === -1 ? '' : rest.slice(queryStart + 1))
  const name = single(params, 'name')
  if (name !== undefined) {
    if (!isSafeFileName(name)) throw new ShoalError('ERR_INVALID_LINK', 'link name is not a safe file name', { name })
    target.name = name
  }
  const size = single(params, 'size')
  if (size !== undefined) {
    const value = Number(size)
    if (!/^(0|[1-9][0-9]*)$/.test(size) || !Number.isSafeInteger(value)) {
      throw new ShoalError('ERR_INVALID_LINK', `invalid size in link: ${size}`, { size })
    }
    target.size = value
  }
  const peers = params.getAll('peer')
  if (peers.length > MAX_LINK_PEERS) {
    throw new ShoalError('ERR_INVALID_LINK', `a link carries at most ${MAX_LINK_PEERS} peers, got ${peers.length}`)
  }
  target.peers = peers.map(peer => canonicalMultiaddr(peer, 'ERR_INVALID_LINK'))
  return target
}

/** The one value of `key`, if present; a repeated key makes the link ambiguous. */
function single (params: URLSearchParams, key: string): string | undefined {
  const values = params.getAll(key)
  if (values.length > 1) throw new ShoalError('ERR_INVALID_LINK', `link has ${values.length} "${key}" parameters`)
  return values[0]
}

function canonicalMultiaddr (address: string, code: 'ERR_INVALID_ARGUMENT' | 'ERR_INVALID_LINK'): string {
  let parsed: Multiaddr
  try {
    parsed = multiaddr(address)
  } catch (err) {
    throw new ShoalError(code, `invalid peer multiaddr: ${String(address)}`, { peer: address }, { cause: err })
  }
  // "" and "/" parse as the empty multiaddr, which addresses nothing.
  if (parsed.getComponents().length === 0) throw new ShoalError(code, `empty peer multiaddr: ${JSON.stringify(address)}`, { peer: address })
  // A link cut short usually ends inside the peer ID, which still parses as a multiaddr: check the ID itself.
  for (const c of parsed.getComponents()) {
    if (c.name !== 'p2p') continue
    try {
      peerIdFromString(c.value ?? '')
    } catch (err) {
      throw new ShoalError(code, `invalid peer ID in ${String(address)} (a truncated link?)`, { peer: address }, { cause: err })
    }
  }
  return parsed.toString()
}
