/**
 * `POST /api/files/upload` — seed 000's upload: a multipart body with one or
 * more files in fields named `file`, each streamed to a temp file in
 * `<dataDir>/uploads/` (never held whole in memory), then, once the whole
 * request has arrived, moved to `<dataDir>/uploads/<name>` and shared in
 * place like `POST /api/files`.
 *
 * All or nothing: a bad file name, a file over the cap, or a request cut off
 * half-way removes every temp file of that request and registers nothing.
 * Multipart parsing is registered in this route's own scope, so no other
 * route accepts a multipart body.
 *
 * Distribution: each file is shared like `POST /api/files`, so a file of at
 * least `chunking.minFileSizeForDistribution` bytes is pushed out, and the
 * query options `distribute=true|false`, `replicas=N` and
 * `strategy=round-robin|weighted` apply to every file of the request. A file
 * refused for too few peers (seed 000's 400 `distribution_required` body)
 * leaves nothing: its file in `uploads/` is removed and it is not
 * catalogued; files of the request shared before it stay shared.
 *
 * Hashing: `node.share()` hashes the file from disk, so an upload is read a
 * second time after it is written (TODO for node/library: accept the chunk
 * hashes computed while the upload streams in, and skip the second read).
 */
import multipart, { type MultipartFile } from '@fastify/multipart'
import type { FastifyInstance } from 'fastify'
import { randomBytes } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { link, mkdir, open, readdir, rm } from 'node:fs/promises'
import { extname, join } from 'node:path'
import { Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { ShoalError, hasCode } from '../errors.js'
import { isPlacementStrategy } from '../distribute/placement.js'
import { distributionRequiredBody, replicasInput } from './distribution.js'
import { assertSafeFileName } from '../content/file-name.js'
import { MAX_CHUNK_SIZE_BYTES, MAX_CHUNKS_PER_MANIFEST } from '../content/chunk-size.js'
import { logger } from '../util/log.js'
import type { ShareOptions, ShoalNode } from '../node/node.js'

const log = logger('api-upload')

/** Folder of the data dir that uploaded files are kept in (and served from). */
export const UPLOADS_DIR = 'uploads'
/** Prefix of an upload still arriving; such files are never shared and are swept at start. */
export const UPLOAD_TEMP_PREFIX = '.tmp-'
/** Largest file one upload may carry: the biggest file a manifest can describe. */
export const MAX_UPLOAD_FILE_BYTES = MAX_CHUNKS_PER_MANIFEST * MAX_CHUNK_SIZE_BYTES
/** Most files in one request. */
export const MAX_UPLOAD_FILES = 64
/** Most non-file fields in one request (none are read; a few are tolerated from form builders). */
export const MAX_UPLOAD_FIELDS = 8
/** Most parts of any kind in one request. */
export const MAX_UPLOAD_PARTS = MAX_UPLOAD_FILES + MAX_UPLOAD_FIELDS
/** The multipart field that carries files (seed 000's name). */
export const UPLOAD_FIELD = 'file'
/** Query options of an upload (`token` is the API's own). */
const UPLOAD_QUERY_KEYS = ['distribute', 'replicas', 'strategy', 'token']
/** Piece size when comparing an upload with a file of the same name. */
const COMPARE_PIECE_BYTES = 1 << 20
/** Most names tried when `<name>` is taken (`name (1).ext` … ). */
const MAX_NAME_SUFFIX = 1000

/** One file in the answer, in the seed's shape. */
export interface UploadResult {
  filename: string
  size: number
  distributed: boolean
  chunks_count: number
  distribution_summary: Record<string, number>
}

/** The upload route's typing: its query options. */
interface UploadRoute { Querystring: Record<string, string | undefined> }

/** A file fully received into a temp file, not yet moved or shared. */
interface Received { name: string, temp: string, size: number }

/** Registers the upload route, with multipart parsing limited to its own scope. */
export function registerUpload (app: FastifyInstance, node: ShoalNode): void {
  const dir = join(node.dataDir, UPLOADS_DIR)
  // Registered without await: fastify loads plugins in order at ready()/listen().
  void app.register(async (scope) => {
    await mkdir(dir, { recursive: true })
    await sweepTemps(dir)
    await scope.register(multipart, {
      throwFileSizeLimit: true,
      // Busboy would cut `../../x` down to `x`; the name is checked as sent, and refused.
      preservePath: true,
      limits: {
        fileSize: MAX_UPLOAD_FILE_BYTES,
        files: MAX_UPLOAD_FILES,
        fields: MAX_UPLOAD_FIELDS,
        parts: MAX_UPLOAD_PARTS,
        fieldNameSize: 100,
        fieldSize: 1024,
        headerPairs: 100
      }
    })
    scope.post<UploadRoute>('/api/files/upload', async (req, reply) => {
      const options = uploadOptions(req.query)
      const abort = new AbortController()
      // 'close' also comes after a request read to its end; only one cut short is an abort.
      const onClose = (): void => { if (!req.raw.readableEnded) abort.abort(new ShoalError('ERR_ABORTED', 'the upload was cut off')) }
      req.raw.on('close', onClose)
      const received: Received[] = []
      try {
        for await (const part of req.parts()) {
          if (part.type !== 'file') continue
          received.push(await receive(part, dir, abort.signal))
        }
        if (abort.signal.aborted) throw new ShoalError('ERR_ABORTED', 'the upload was cut off')
        if (received.length === 0) throw new ShoalError('ERR_INVALID_ARGUMENT', `no file in a field named "${UPLOAD_FIELD}"`)
        const results: UploadResult[] = []
        for (const file of received) {
          const path = await placeFile(dir, file)
          file.temp = ''
          let shared
          try {
            shared = await node.share(path, { ...options, signal: abort.signal })
          } catch (err) {
            // Refused before anything was pushed: its file goes too (a push under way keeps it, to resume).
            const body = distributionRequiredBody(err)
            if (body != null || hasCode(err, 'ERR_INVALID_ARGUMENT') || hasCode(err, 'ERR_NODE_NOT_RUNNING')) await removeQuietly(path)
            if (body != null) return await reply.status(400).type('application/json; charset=utf-8').send(body)
            throw err
          }
          const distribution = shared.distribution
          results.push({ filename: shared.name, size: shared.size, distributed: distribution != null, chunks_count: shared.chunks, distribution_summary: distribution?.holders ?? {} })
        }
        return { success: true, uploaded_count: results.length, distributed_count: results.filter((r) => r.distributed).length, results }
      } finally {
        req.raw.off('close', onClose)
        await Promise.all(received.filter(f => f.temp !== '').map(async f => { await removeQuietly(f.temp) }))
      }
    })
  })
}

/** The distribution options of an upload, from its query string; bad ones refused before anything is received. */
function uploadOptions (query: Record<string, string | undefined>): ShareOptions {
  for (const key of Object.keys(query)) {
    if (!UPLOAD_QUERY_KEYS.includes(key)) throw new ShoalError('ERR_INVALID_ARGUMENT', `unknown query option ${JSON.stringify(key.slice(0, 64))} (known: ${UPLOAD_QUERY_KEYS.join(', ')})`)
  }
  const { distribute, strategy } = query
  if (distribute !== undefined && distribute !== 'true' && distribute !== 'false') throw new ShoalError('ERR_INVALID_ARGUMENT', 'distribute must be true or false')
  if (strategy !== undefined && !isPlacementStrategy(strategy)) throw new ShoalError('ERR_INVALID_ARGUMENT', 'strategy must be round-robin or weighted')
  return { distribute: distribute === undefined ? undefined : distribute === 'true', replicas: replicasInput(query.replicas), strategy }
}

/**
 * Streams one file part to a fresh temp file; checks its field and name
 * first, so a refused part writes nothing. On any failure the temp is removed.
 */
async function receive (part: MultipartFile, dir: string, signal: AbortSignal): Promise<Received> {
  if (part.fieldname !== UPLOAD_FIELD) {
    throw new ShoalError('ERR_INVALID_ARGUMENT', `files go in fields named "${UPLOAD_FIELD}", not ${JSON.stringify(part.fieldname.slice(0, 64))}`)
  }
  assertSafeFileName(part.filename, 'ERR_INVALID_ARGUMENT', 'file name', { allowLeadingDot: false, hint: 'send a plain name, without folders' })
  const temp = join(dir, `${UPLOAD_TEMP_PREFIX}${randomBytes(8).toString('hex')}`)
  let size = 0
  const count = new Transform({ transform (chunk: Buffer, _enc, done) { size += chunk.length; done(null, chunk) } })
  try {
    await pipeline(part.file, count, createWriteStream(temp, { flags: 'wx' }), { signal })
    if (part.file.truncated) throw new ShoalError('ERR_MESSAGE_TOO_LARGE', `a file is larger than ${MAX_UPLOAD_FILE_BYTES} bytes`)
  } catch (err) {
    await removeQuietly(temp)
    throw err
  }
  return { name: part.filename, temp, size }
}

/** Moves a received file to `<dir>/<name>`, or `<name> (n).<ext>` when that is taken; returns its path. */
async function placeFile (dir: string, file: Received): Promise<string> {
  const ext = extname(file.name)
  const stem = file.name.slice(0, file.name.length - ext.length)
  for (let n = 0; n < MAX_NAME_SUFFIX; n++) {
    const name = n === 0 ? file.name : `${stem} (${n})${ext}`
    const path = join(dir, name)
    // link() fails when the name is taken (rename() would replace it), so
    // two uploads of one name at the same moment both keep their file.
    try {
      await link(file.temp, path)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
      // The same bytes under the same name (two uploads of one file): one file, one share, one distribution.
      if (await sameContent(path, file.temp, file.size)) {
        await removeQuietly(file.temp)
        return path
      }
      continue
    }
    await removeQuietly(file.temp)
    return path
  }
  throw new ShoalError('ERR_INVALID_ARGUMENT', `too many uploads named ${JSON.stringify(file.name.slice(0, 80))}`)
}

/** True when the file at `path` holds exactly the `size` bytes of `other`; compared a piece at a time, never whole in memory. */
async function sameContent (path: string, other: string, size: number): Promise<boolean> {
  const [a, b] = await Promise.all([open(path, 'r'), open(other, 'r')])
  try {
    if ((await a.stat()).size !== size) return false
    const pa = Buffer.alloc(COMPARE_PIECE_BYTES)
    const pb = Buffer.alloc(COMPARE_PIECE_BYTES)
    for (let at = 0; at < size; at += COMPARE_PIECE_BYTES) {
      const [ra, rb] = await Promise.all([a.read(pa, 0, COMPARE_PIECE_BYTES, at), b.read(pb, 0, COMPARE_PIECE_BYTES, at)])
      if (ra.bytesRead !== rb.bytesRead || !pa.subarray(0, ra.bytesRead).equals(pb.subarray(0, rb.bytesRead))) return false
    }
    return true
  } finally {
    await Promise.all([a.close(), b.close()])
  }
}

/** Removes the temp files a crash or a kill left behind (no API runs on this data dir then). */
async function sweepTemps (dir: string): Promise<void> {
  for (const name of await readdir(dir)) {
    if (name.startsWith(UPLOAD_TEMP_PREFIX)) await removeQuietly(join(dir, name))
  }
}

async function removeQuietly (path: string): Promise<void> {
  await rm(path, { force: true }).catch((err: unknown) => { log.error('could not remove %s: %s', path, err) })
}
