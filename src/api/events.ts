/**
 * `GET /api/events` — the node's events as Server-Sent Events. Progress
 * events are coalesced per job to at most a few per second; the stream ends
 * when the client goes away.
 *
 * Besides the node's own events, the stream carries two the dashboard draws
 * from (additive: a client that ignores them loses nothing):
 * - `download:chunks`: chunk state changes of running jobs, batched every
 *   CHUNK_FLUSH_MS (see chunk-batch.ts for the shape);
 * - `node:stats`: every STATS_INTERVAL_MS, the peers (as `GET /api/peers`),
 *   byte totals and storage, so a page draws rates without polling.
 */
import type { FastifyInstance } from 'fastify'
import type { NodeEvents, ShoalNode } from '../node/node.js'
import { ChunkBatcher } from './chunk-batch.js'
import { nodeStats } from './node-stats.js'
import { logger } from '../util/log.js'

const log = logger('api-events')

const FORWARDED: Array<keyof NodeEvents> = [
  'file:added', 'file:removed', 'file:changed', 'download:started', 'download:progress', 'download:state',
  // Distribution (issue 10): a push's progress, its end or refusal, and repairs.
  'distribution:progress', 'distribution:done', 'distribution:refused', 'repair:started', 'repair:done'
]
/** Comment line sent periodically so proxies and clients keep the connection. */
export const KEEPALIVE_MS = 15_000
/** How often chunk state changes are sent, batched. */
export const CHUNK_FLUSH_MS = 250
/** How often `node:stats` is sent (each one pings the connected peers). */
export const STATS_INTERVAL_MS = 3_000

/** Registers the SSE route on `app`. */
export function registerEventStream (app: FastifyInstance, node: ShoalNode): void {
  app.get('/api/events', (req, reply) => {
    reply.hijack()
    const res = reply.raw
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      connection: 'keep-alive'
    })
    res.write(': shoal events\n\n')
    const send = (event: string, data: unknown): void => {
      res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`)
    }
    const chunks = new ChunkBatcher(node, (batch) => { send('download:chunks', batch) })
    const listeners = FORWARDED.map((event) => {
      const listener = (data: unknown): void => {
        if (event === 'download:started') chunks.follow((data as { id: string }).id)
        // Chunk changes that led to a state change arrive before it.
        if (event === 'download:state') chunks.flush()
        send(event, data)
      }
      node.on(event, listener as never)
      return { event, listener }
    })
    for (const d of node.downloads()) chunks.follow(d.id)
    const flusher = setInterval(() => { chunks.flush() }, CHUNK_FLUSH_MS).unref()
    let closed = false
    const sendStats = (): void => {
      nodeStats(node).then((stats) => { if (!closed) send('node:stats', stats) }, (err: unknown) => { log.error('node stats failed: %s', err) })
    }
    sendStats()
    const stats = setInterval(sendStats, STATS_INTERVAL_MS).unref()
    const keepalive = setInterval(() => { res.write(': keepalive\n\n') }, KEEPALIVE_MS).unref()
    req.raw.on('close', () => {
      closed = true
      clearInterval(keepalive)
      clearInterval(flusher)
      clearInterval(stats)
      chunks.close()
      for (const { event, listener } of listeners) node.off(event, listener as never)
    })
  })
}
