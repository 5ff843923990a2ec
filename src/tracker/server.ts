/**
 * The tracker's HTTP surface (Fastify): JSON schemas bound every input's
 * shape and size, `validate.ts` parses IDs and addresses, the registry does
 * the rest. Errors leave in one shape (`errors.ts`); a bad request costs its
 * sender a 4xx and nothing else.
 *
 * Announces are signed by the announcing peer; `admission.ts` checks them
 * and applies the rate limits, the registry bounds memory in bytes.
 */
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply } from 'fastify'
import { ERROR_CODES, ShoalError } from '../errors.js'
import * as C from './constants.js'
import { Admission } from './admission.js'
import { errorBody } from './errors.js'
import { clientKey } from './rate-limit.js'
import { removal, type AnnounceEvent, type PeerChange, type Registry } from './registry.js'
import { ANNOUNCE_SIGNATURE_DOMAIN } from './signature.js'
import { canonicalAddrs, canonicalFileId, canonicalFileIds, canonicalPeerId } from './validate.js'
import type { TrackerConfig } from './config.js'
import type { ReplayGuard } from './replay-guard.js'

/** What the server needs: its configuration, the index, and where changes go. */
export interface TrackerServerDeps {
  readonly config: TrackerConfig
  readonly registry: Registry
  /** Last announce timestamps per peer (seeded from saved state). */
  readonly guard: ReplayGuard
  /** Called after every applied announce and eviction (persistence). */
  readonly onChange: (change: PeerChange) => void
}

/** Body of `POST /announce`: see `signature.ts` for what is signed. */
export interface AnnounceBody {
  peerId: string
  addrs: string[]
  files?: string[]
  left?: string[]
  event?: AnnounceEvent
  /** Milliseconds since the epoch (sender's clock); strictly increasing per peer. */
  timestamp?: number
  /** base64url signature by the peer's key; refused when absent. */
  signature?: string
}

/** Reply to `POST /announce`. */
export interface AnnounceReply {
  /** Seconds until the next announce is expected. */
  interval: number
  /** Registered peers. */
  peers: number
  /** Files the tracker now lists for the announcing peer. */
  held: number
}

interface PageQuery { limit?: string, offset?: string }

/** The endpoints `GET /` lists. */
export const TRACKER_ENDPOINTS = ['GET /', 'POST /announce', 'GET /peers', 'GET /files', 'GET /files/:id/peers'] as const

const ID = { type: 'string', minLength: 1, maxLength: C.MAX_ID_LENGTH } as const
const ID_LIST = { type: 'array', maxItems: C.MAX_FILES_PER_ANNOUNCE, items: ID } as const
const ANNOUNCE_SCHEMA = {
  body: {
    type: 'object',
    required: ['peerId', 'addrs'],
    properties: {
      peerId: ID,
      addrs: { type: 'array', maxItems: C.MAX_ADDRS_PER_ANNOUNCE, items: { type: 'string', minLength: 1, maxLength: C.MAX_ADDR_LENGTH } },
      files: ID_LIST,
      left: ID_LIST,
      event: { type: 'string', enum: ['started', 'stopped', 'update'] },
      timestamp: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER },
      signature: { type: 'string', minLength: 1, maxLength: C.MAX_SIGNATURE_LENGTH }
    }
  }
} as const
const COUNT = { type: 'string', pattern: '^[0-9]{1,9}$' } as const
const PAGE_SCHEMA = { querystring: { type: 'object', properties: { limit: COUNT, offset: COUNT } } } as const
const FILE_PEERS_SCHEMA = { params: { type: 'object', required: ['id'], properties: { id: ID } } } as const

/** Builds the Fastify instance with every route; the caller listens and closes it. */
export function buildTrackerServer (deps: TrackerServerDeps): FastifyInstance {
  const { config, registry } = deps
  const app = Fastify({
    logger: false,
    bodyLimit: config.bodyLimitBytes,
    requestTimeout: C.REQUEST_TIMEOUT_MS,
    // Longer than an ID, so an over-long ID gets a schema 400 rather than a 404.
    routerOptions: { maxParamLength: 2 * C.MAX_ID_LENGTH },
    // Wrong JSON types are errors, not coerced ("5" is not an array of files).
    ajv: { customOptions: { coerceTypes: false } },
    // Router failures (bad percent-encoding, an over-long parameter) skip the error
    // handler; without this they leave in fastify's shape with an FST_ code.
    frameworkErrors: (err, _request, reply) => { sendError(reply, toHttpError(err, config)) }
  })
  app.server.maxConnections = config.maxConnections
  const admission = new Admission(config, registry, deps.guard)
  /** Requests let past the address ceiling by a peer's lane, and that peer. */
  const lanes = new WeakMap<object, string>()

  app.setErrorHandler((err: FastifyError, _request, reply) => { sendError(reply, toHttpError(err, config)) })
  app.setNotFoundHandler((request, reply) => {
    sendError(reply, new ShoalError('ERR_ROUTE_NOT_FOUND', `no such endpoint: ${request.method} ${request.url.split('?')[0] ?? ''}`))
  })

  app.get('/', async () => ({
    name: 'shoal-tracker',
    version: config.version,
    endpoints: TRACKER_ENDPOINTS,
    announceSignature: ANNOUNCE_SIGNATURE_DOMAIN,
    announceIntervalSeconds: config.announceIntervalSeconds,
    peerTtlSeconds: config.peerTtlSeconds,
    peers: registry.peerCount,
    files: registry.fileCount
  }))

  app.post<{ Body: AnnounceBody }>('/announce', {
    schema: ANNOUNCE_SCHEMA,
    onRequest: async (request) => {
      const claimed = request.headers[C.PEER_ID_HEADER]
      const lane = admission.check(clientKey(request.ip), typeof claimed === 'string' ? claimed : undefined)
      if (lane !== undefined) lanes.set(request, lane)
    }
  }, async (request): Promise<AnnounceReply> => {
    const body = request.body
    const ip = clientKey(request.ip)
    // Registry keys are canonical already: skip re-parsing known IDs.
    const known = registry.peer(body.peerId)
    const peerId = known !== undefined ? body.peerId : canonicalPeerId(body.peerId)
    await admission.admit(body, peerId, ip, lanes.get(request))
    const event = body.event ?? 'update'
    const isKnown = (id: string): boolean => registry.hasFile(id)
    const { change, held, evicted } = registry.announce(event === 'stopped'
      ? { peerId, addrs: [], files: [], left: [], event, ip }
      : {
          peerId,
          addrs: canonicalAddrs(peerId, body.addrs, known?.addrs),
          files: canonicalFileIds(body.files ?? [], 'files', isKnown),
          left: canonicalFileIds(body.left ?? [], 'left', isKnown),
          event,
          ip
        })
    deps.onChange(change)
    for (const id of evicted) deps.onChange(removal(id))
    return { interval: config.announceIntervalSeconds, peers: registry.peerCount, held }
  })

  app.get<{ Querystring: PageQuery }>('/peers', { schema: PAGE_SCHEMA }, async (request) => {
    const { offset, limit } = pageOf(request.query)
    const peers = registry.peers(offset, limit).map(p => ({ peerId: p.peerId, addrs: p.addrs, files: p.files.size, lastSeen: p.lastSeen }))
    return { total: registry.peerCount, offset, peers }
  })

  app.get<{ Querystring: PageQuery }>('/files', { schema: PAGE_SCHEMA }, async (request) => {
    const { offset, limit } = pageOf(request.query)
    return { total: registry.fileCount, offset, files: registry.files(offset, limit) }
  })

  app.get<{ Params: { id: string } }>('/files/:id/peers', { schema: FILE_PEERS_SCHEMA }, async (request) => {
    const raw = request.params.id
    const id = registry.hasFile(raw) ? raw : canonicalFileId(raw)
    const peers = registry.providers(id, C.MAX_PROVIDERS_RETURNED).map(p => ({ peerId: p.peerId, addrs: p.addrs }))
    return { id, peers }
  })

  return app
}

function pageOf (query: PageQuery): { offset: number, limit: number } {
  const limit = query.limit === undefined ? C.DEFAULT_PAGE_LIMIT : Number(query.limit)
  if (limit < 1 || limit > C.MAX_PAGE_LIMIT) {
    throw new ShoalError('ERR_INVALID_ARGUMENT', `limit must be from 1 to ${C.MAX_PAGE_LIMIT}`, { field: 'limit' })
  }
  return { offset: query.offset === undefined ? 0 : Number(query.offset), limit }
}

interface HttpError {
  code: string
  message: string
  statusCode: number
  retryAfterSeconds?: number
  /** The tracker's clock, sent as the `Date` header of a stale-message reply (clients correct theirs by it). */
  trackerTime?: number
}

/** Maps anything thrown in a request to our code, message and status. Fastify's own 4xx keep their status. */
function toHttpError (err: FastifyError, config: TrackerConfig): HttpError {
  const code = err.code as string | undefined
  if (code !== undefined && code in ERROR_CODES) {
    const details = (err as Partial<ShoalError>).details
    const retry = details?.retryAfterSeconds
    const time = details?.trackerTime
    return {
      code,
      message: err.message,
      statusCode: err.statusCode ?? 500,
      ...(typeof retry === 'number' ? { retryAfterSeconds: retry } : {}),
      ...(typeof time === 'number' ? { trackerTime: time } : {})
    }
  }
  if (code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return { code: 'ERR_MESSAGE_TOO_LARGE', message: `request body exceeds ${config.bodyLimitBytes} bytes`, statusCode: ERROR_CODES.ERR_MESSAGE_TOO_LARGE }
  }
  const status = err.statusCode ?? 500
  if (status >= 400 && status < 500) return { code: 'ERR_INVALID_ARGUMENT', message: err.message, statusCode: status }
  config.onWarning(new ShoalError('ERR_INTERNAL', 'tracker request failed', {}, { cause: err }))
  return { code: 'ERR_INTERNAL', message: 'internal error', statusCode: ERROR_CODES.ERR_INTERNAL }
}

function sendError (reply: FastifyReply, err: HttpError): void {
  if (err.retryAfterSeconds !== undefined) void reply.header('retry-after', String(err.retryAfterSeconds))
  if (err.trackerTime !== undefined) void reply.header('date', new Date(err.trackerTime).toUTCString())
  void reply.code(err.statusCode).send(errorBody(err))
}
