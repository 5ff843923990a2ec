/**
 * The node's HTTP API (JSON) on loopback by default, guarded by the token in
 * the data dir (`Authorization: Bearer …`, or `?token=` for EventSource), and
 * the dashboard's files at `/` (dashboard.ts). No CORS headers are ever sent:
 * another site's page cannot read an answer, and cannot send the token.
 * Routes are thin: they validate input with JSON schemas and call the node.
 * Errors leave as one JSON shape (see errors.ts).
 */
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import { timingSafeEqual } from 'node:crypto'
import { parse as parseQuery } from 'node:querystring'
import { ShoalError, hasCode } from '../errors.js'
import { logger } from '../util/log.js'
import { MAX_ERROR_MESSAGE_CHARS, MAX_PARAM_LENGTH, toApiError } from './errors.js'
import { assertPathInput } from './path-input.js'
import { registerEventStream } from './events.js'
import { distributionSettings } from './node-stats.js'
import { registerUpload } from './upload.js'
import { isDashboardRoute, registerDashboard } from './dashboard.js'
import { registerDistributionRoutes } from './distribution.js'
import { chunkReport, chunkStatusReport, finishedChunkStates } from './chunk-status.js'
import type { ShoalNode } from '../node/node.js'
import type { ChunkProgress } from '../transfer/job-progress.js'
import type { JobSnapshot } from '../transfer/download-job.js'

/** What the API needs to run. */
export interface ApiInit {
  node: ShoalNode
  token: string
  host: string
  port: number
}

/** A listening API server. */
export interface RunningApi {
  url: string
  close: () => Promise<void>
}

const log = logger('api')

/** Largest request body accepted, in bytes; the biggest legitimate one is a download request. */
export const API_BODY_LIMIT_BYTES = 64 * 1024

const idParam = { type: 'object', properties: { id: { type: 'string', maxLength: MAX_PARAM_LENGTH } }, required: ['id'] } as const

/** Builds the fastify app (not listening); tests use `inject()` on it. */
export function buildApi (node: ShoalNode, token: string): FastifyInstance {
  const secrets = [token]
  /** Sends `err` as the one error shape; unexpected ones are logged (with their stack) here, never sent. */
  const sendError = (err: unknown, req: FastifyRequest, reply: FastifyReply): void => {
    const body = toApiError(err, { secrets })
    if (body.statusCode >= 500) log.error('%s %s failed: %O', req.method, urlPath(req.raw.url), err)
    void reply.status(body.statusCode).type('application/json; charset=utf-8').send(body)
  }
  // Fastify's default Ajv options strip unknown keys and coerce types; the schemas
  // below mean what they say, so bad input is rejected instead.
  const app = Fastify({
    logger: false,
    bodyLimit: API_BODY_LIMIT_BYTES,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false } },
    // A malformed URL or an overlong parameter fails in the router, before any
    // hook runs: the token is checked here first, so without it the answer is 401.
    frameworkErrors: (err: FastifyError, req: FastifyRequest, reply: FastifyReply) => {
      sendError(isAuthorized(req.headers.authorization, rawQueryToken(req.raw.url), token) ? err : unauthorized(), req, reply)
    }
  })
  app.setErrorHandler((err, req, reply) => { sendError(err, req, reply) })
  app.setNotFoundHandler((req, reply) => {
    // The route is the caller's own URL path (not a file path): quoted whole, but capped and without the query.
    const route = urlPath(req.url).slice(0, MAX_ERROR_MESSAGE_CHARS / 2)
    const body = toApiError(new ShoalError('ERR_ROUTE_NOT_FOUND', 'no such route'), { secrets })
    void reply.status(404).send({ ...body, message: `no route ${req.method.slice(0, 16)} ${route.split(token).join('[redacted]')}` })
  })
  // The dashboard's files hold no data and are served to anyone who can reach the port; all data is under /api.
  // Decided by the route that matched (not the raw URL, which may be spelled `/%61pi/…`); no match needs the token.
  app.addHook('onRequest', async (req) => { if (!isDashboardRoute(req.routeOptions.url)) authorize(req, token) })

  // `features` says which optional routes this node has, so a client never needs a 404 to find out.
  // `distribution`: the settings an upload is distributed by, so a client can show what will happen before it starts.
  app.get('/api/node', async () => ({ peerId: node.peerId, addrs: node.addrs, dataDir: node.dataDir, storage: node.storageUsage(), features: { distribution: app.hasRoute({ method: 'GET', url: '/api/files/:id/distribution' }) }, distribution: distributionSettings(node.config) }))

  // `distributed`: the node keeps a distribution record of the file (its map is at /api/files/:id/distribution).
  app.get('/api/files', async () => ({ files: node.list().map(f => ({ ...f, distributed: hasDistribution(node, f.id) })), storage: node.storageUsage() }))

  app.post<{ Params: { id: string } }>('/api/files/:id/verify', { schema: { params: idParam } }, async (req) => {
    const copies = await node.verify(req.params.id)
    return { id: req.params.id, ok: copies.length > 0 && copies.every(c => c.ok), copies }
  })

  app.get('/api/peers', async () => ({ peers: await node.peers() }))

  app.get('/api/downloads', async () => ({ downloads: node.downloads().map(downloadView) }))

  app.post<{ Body: { target: string, output?: string, cwd?: string, peers?: string[], sequential?: boolean, downloadLimit?: number } }>('/api/downloads', {
    schema: {
      body: {
        type: 'object',
        properties: {
          target: { type: 'string', minLength: 1, maxLength: 8192 },
          output: { type: 'string', minLength: 1, maxLength: 4096 },
          cwd: { type: 'string', minLength: 1, maxLength: 4096 },
          peers: { type: 'array', maxItems: 64, items: { type: 'string', maxLength: 1024 } },
          sequential: { type: 'boolean' },
          // This download's own limit, bytes/s, on top of the node's (0: none).
          downloadLimit: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER }
        },
        required: ['target'],
        additionalProperties: false
      }
    }
  }, async (req, reply) => {
    if (req.body.output !== undefined) assertPathInput('output', req.body.output)
    if (req.body.cwd !== undefined) assertPathInput('cwd', req.body.cwd)
    const { job } = await node.startDownload(req.body.target, req.body)
    return await reply.status(201).send(downloadView(job.snapshot()))
  })

  app.get<{ Params: { id: string } }>('/api/downloads/:id', { schema: { params: idParam } }, async (req) => {
    const snap = node.download(req.params.id)
    if (snap == null) throw new ShoalError('ERR_JOB_NOT_FOUND', `no download ${req.params.id}`, { id: req.params.id })
    return downloadView(snap)
  })

  app.delete<{ Params: { id: string } }>('/api/downloads/:id', { schema: { params: idParam } }, async (req) => {
    node.cancel(req.params.id)
    return { success: true, id: req.params.id }
  })

  // Seed 000's per-chunk status, with its path and field names; running, finished or persisted jobs.
  app.get<{ Params: { id: string } }>('/api/download/:id/chunks_status', { schema: { params: idParam } }, async (req) => {
    return chunkStatusReport(chunkStatesOf(node, req.params.id))
  })

  // The same report in the camelCase every other route uses.
  app.get<{ Params: { id: string } }>('/api/downloads/:id/chunks', { schema: { params: idParam } }, async (req) => {
    return chunkReport(chunkStatesOf(node, req.params.id))
  })

  // Seed 000: fetch one chunk over HTTP (bytes are verified before they are served).
  app.get<{ Params: { fileId: string, chunkIndex: string } }>('/api/chunks/:fileId/:chunkIndex', {
    schema: { params: { type: 'object', properties: { fileId: { type: 'string', maxLength: MAX_PARAM_LENGTH }, chunkIndex: { type: 'string', pattern: '^[0-9]{1,9}$' } }, required: ['fileId', 'chunkIndex'] } }
  }, async (req, reply) => {
    const data = await node.readChunk(req.params.fileId, Number(req.params.chunkIndex))
    return await reply.type('application/octet-stream').send(Buffer.from(data.buffer, data.byteOffset, data.byteLength))
  })

  registerDistributionRoutes(app, node)
  registerUpload(app, node)
  registerDashboard(app)
  registerEventStream(app, node)
  return app
}

/**
 * A job as the API answers it: the snapshot, plus `output`, the same path as
 * `dest` under the name the download request uses (`POST /api/downloads`
 * takes `output`), so a client reads back the field it sent.
 */
export function downloadView (snap: JobSnapshot): JobSnapshot & { output: string } {
  return { ...snap, output: snap.dest }
}

/** Every chunk's state of a job: live while it runs, else rebuilt from the catalog (completed jobs: all chunks). */
function chunkStatesOf (node: ShoalNode, id: string): ChunkProgress[] {
  const job = node.job(id)
  if (job != null) return job.chunkStates()
  const snap = node.download(id)
  if (snap == null) throw new ShoalError('ERR_JOB_NOT_FOUND', `no download ${id}`, { id })
  return finishedChunkStates(snap.chunkCount, snap.state === 'completed', snap.state === 'completed' ? [] : node.catalog.verifiedChunks(id))
}

/** Starts the API on host:port (port 0 picks one) and returns its URL. */
export async function startApi (init: ApiInit): Promise<RunningApi> {
  const app = buildApi(init.node, init.token)
  await app.listen({ host: init.host, port: init.port })
  const addr = app.server.address()
  if (addr == null || typeof addr === 'string') throw new ShoalError('ERR_INTERNAL', 'API did not bind a TCP port')
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address
  return { url: `http://${host}:${addr.port}`, close: async () => { await app.close() } }
}

function authorize (req: FastifyRequest, token: string): void {
  const query = (req.query as { token?: unknown } | undefined)?.token
  if (!isAuthorized(req.headers.authorization, query, token)) throw unauthorized()
}

/** True when the bearer header, or else a single `?token=`, is the token (compared in constant time). */
function isAuthorized (header: string | undefined, query: unknown, token: string): boolean {
  const given = header?.startsWith('Bearer ') === true ? header.slice(7) : typeof query === 'string' ? query : ''
  const a = Buffer.from(given)
  const b = Buffer.from(token)
  return a.length === b.length && timingSafeEqual(a, b)
}

function unauthorized (): ShoalError {
  return new ShoalError('ERR_UNAUTHORIZED', 'missing or wrong API token (see api.token in the data dir)')
}

/** `?token=` of a raw URL, for requests that failed before fastify parsed their query. */
function rawQueryToken (url: string | undefined): unknown {
  const q = url?.indexOf('?') ?? -1
  return q < 0 ? undefined : parseQuery(url?.slice(q + 1) ?? '').token
}

/** The path part of a request URL, without its query string. */
function urlPath (url: string | undefined): string {
  return (url ?? '').split('?')[0] ?? ''
}

/** True when the node keeps a distribution record of `id` (its map answers rather than 404). */
function hasDistribution (node: ShoalNode, id: string): boolean {
  try {
    node.distributionView(id)
    return true
  } catch (err) {
    if (hasCode(err, 'ERR_FILE_NOT_FOUND')) return false
    throw err
  }
}
