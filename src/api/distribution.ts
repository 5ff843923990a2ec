/**
 * Routes for sharing and distribution (issue 10): `POST /api/files` (share,
 * pushed out when asked or when big), `DELETE /api/files/:id` (with
 * `?everywhere=true`, the uploader releases every pushed copy), `GET
 * /api/files/:id/distribution` (the map) and seed 000's `POST
 * /api/chunks/store` (multipart, one chunk under a known record).
 *
 * One documented exception to the API's one error shape: a share or upload
 * refused for too few peers answers seed 000's body exactly,
 * `{"success": false, "error": "distribution_required", "message",
 * "file_size_gb", "available_peers"}` with status 400.
 */
import multipart from '@fastify/multipart'
import type { FastifyInstance, FastifyReply } from 'fastify'
import { ShoalError, hasCode } from '../errors.js'
import { MAX_CHUNK_SIZE_BYTES } from '../content/chunk-size.js'
import { PLACEMENT_STRATEGIES, type PlacementStrategy } from '../distribute/placement.js'
import { parseReplicas } from '../distribute/replicas.js'
import { MAX_PARAM_LENGTH } from './errors.js'
import { assertPathInput } from './path-input.js'
import type { ShoalNode } from '../node/node.js'

/** Seed 000's body for ERR_DISTRIBUTION_REQUIRED. */
export interface DistributionRequiredBody {
  success: false
  error: 'distribution_required'
  message: string
  file_size_gb: number
  available_peers: number
}

/** Seed 000's 400 body for a refusal, or undefined for any other error. */
export function distributionRequiredBody (err: unknown): DistributionRequiredBody | undefined {
  if (!hasCode(err, 'ERR_DISTRIBUTION_REQUIRED')) return undefined
  const details = (err as ShoalError).details ?? {}
  return {
    success: false,
    error: 'distribution_required',
    message: (err as Error).message,
    file_size_gb: Number(details.fileSizeGb ?? 0),
    available_peers: Math.trunc(Number(details.availablePeers ?? 0))
  }
}

/** Runs `fn`; a distribution refusal is sent as seed 000's 400 body, anything else thrown on. */
export async function withSeedRefusal<T> (reply: FastifyReply, fn: () => Promise<T>): Promise<T | FastifyReply> {
  try {
    return await fn()
  } catch (err) {
    const body = distributionRequiredBody(err)
    if (body == null) throw err
    return await reply.status(400).type('application/json; charset=utf-8').send(body)
  }
}

const idParam = { type: 'object', properties: { id: { type: 'string', maxLength: MAX_PARAM_LENGTH } }, required: ['id'] } as const
/** Multipart fields of `POST /api/chunks/store` (seed 000's names). */
const STORE_FIELDS = ['file_id', 'chunk_index', 'chunk_hash'] as const

/** Registers the routes on `app`. */
export function registerDistributionRoutes (app: FastifyInstance, node: ShoalNode): void {
  app.post<{ Body: { path: string, distribute?: boolean, replicas?: number, strategy?: PlacementStrategy } }>('/api/files', {
    schema: {
      body: {
        type: 'object',
        properties: {
          path: { type: 'string', minLength: 1, maxLength: 4096 },
          distribute: { type: 'boolean' },
          replicas: { type: 'integer' },
          strategy: { type: 'string', enum: [...PLACEMENT_STRATEGIES] }
        },
        required: ['path'],
        additionalProperties: false
      }
    }
  }, async (req, reply) => {
    assertPathInput('path', req.body.path)
    const { path, ...options } = req.body
    return await withSeedRefusal(reply, async () => await reply.status(201).send(await node.share(path, options)))
  })

  app.delete<{ Params: { id: string }, Querystring: { everywhere?: string } }>('/api/files/:id', {
    schema: { params: idParam, querystring: { type: 'object', properties: { everywhere: { type: 'string', enum: ['true', 'false'] } } } }
  }, async (req) => {
    const everywhere = req.query.everywhere === 'true'
    const released = await node.remove(req.params.id, { everywhere })
    return { success: true, id: req.params.id, ...(released == null ? {} : { released }) }
  })

  app.get<{ Params: { id: string } }>('/api/files/:id/distribution', { schema: { params: idParam } }, async (req) => {
    return node.distributionView(req.params.id)
  })

  void app.register(async (scope) => {
    await scope.register(multipart, { limits: { fileSize: MAX_CHUNK_SIZE_BYTES, files: 1, fields: STORE_FIELDS.length, parts: STORE_FIELDS.length + 1, fieldSize: 256 } })
    scope.post('/api/chunks/store', async (req) => {
      const fields: Record<string, string> = {}
      let data: Buffer | undefined
      for await (const part of req.parts()) {
        if (part.type === 'file') {
          if (part.fieldname !== 'chunk_data') throw new ShoalError('ERR_INVALID_ARGUMENT', 'the chunk goes in a field named "chunk_data"')
          data = await part.toBuffer()
        } else if ((STORE_FIELDS as readonly string[]).includes(part.fieldname)) {
          fields[part.fieldname] = String(part.value)
        } else {
          throw new ShoalError('ERR_INVALID_ARGUMENT', `unknown field ${JSON.stringify(part.fieldname.slice(0, 64))}`)
        }
      }
      for (const name of STORE_FIELDS) if (fields[name] === undefined) throw new ShoalError('ERR_INVALID_ARGUMENT', `the field "${name}" is missing`)
      if (data == null) throw new ShoalError('ERR_INVALID_ARGUMENT', 'the field "chunk_data" is missing')
      const index = /^[0-9]{1,9}$/.test(fields.chunk_index ?? '') ? Number(fields.chunk_index) : NaN
      if (!Number.isSafeInteger(index)) throw new ShoalError('ERR_INVALID_ARGUMENT', 'chunk_index must be a non-negative integer')
      if (!/^[0-9a-fA-F]{64}$/.test(fields.chunk_hash ?? '')) throw new ShoalError('ERR_INVALID_ARGUMENT', 'chunk_hash must be 64 hex digits (SHA-256)')
      const fileId = fields.file_id as string
      await node.storeChunk(fileId, index, fields.chunk_hash as string, data)
      return { success: true, file_id: fileId, chunk_index: index, size: data.byteLength }
    })
  })
}

/** Options of a share or upload that distributes, as the API takes them (query or body). */
export function replicasInput (value: unknown): number | undefined {
  return value === undefined ? undefined : parseReplicas(value)
}
