/**
 * Protocol id, timeouts and caps of the direct TLS data path (see
 * src/net/direct/index.ts for the model).
 */

/** The libp2p protocol on which a downloader asks for a ticket. */
export const DIRECT_PROTOCOL = '/shoal/direct/1.0.0'

/** ALPN id of the TLS connection itself, so it is never mistaken for another TLS service on the port. */
export const DIRECT_ALPN = 'shoal-direct/1'

/** A ticket is good for this long after it is issued: enough for one TCP connect and TLS handshake, far or near. */
export const TICKET_TTL_MS = 10_000

/** Tickets are 256 random bits: unguessable, so holding one proves it came over the libp2p stream. */
export const TICKET_BYTES = 32

/**
 * Tickets one peer may hold unredeemed, and all peers together: a peer asks
 * once per chunk channel (one per file), far fewer than this.
 */
export const MAX_TICKETS_PER_PEER = 32
export const MAX_TICKETS_TOTAL = 4096

/** The offer exchange on the libp2p stream, either side. */
export const OFFER_TIMEOUT_MS = 5_000

/**
 * One connect attempt: TCP connect, TLS handshake, ticket and welcome. A
 * direct path that is not up by then is given up for the libp2p stream.
 */
export const DIRECT_CONNECT_TIMEOUT_MS = 3_000

/** The server's side of the same: a socket must present a redeemable ticket this soon after it connects. */
export const HELLO_TIMEOUT_MS = 5_000

/** Handshake frames (hello, welcome, offer) are tiny. */
export const MAX_HANDSHAKE_FRAME_BYTES = 256

/**
 * Sockets the server holds before their ticket is redeemed, whoever opened
 * them: a stranger who finds the port can hold at most these, each for at
 * most HELLO_TIMEOUT_MS, and gets nothing from any of them.
 */
export const MAX_UNAUTHENTICATED_SOCKETS = 64
