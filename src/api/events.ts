/**
 * `GET /api/events` — the node's events as Server-Sent Events. Progress
 * events are coalesced per job to at most a few per second; the stream ends
 * when the client goes away.
 */
import type { FastifyInstance } from 'fastify'
import type { NodeEvents, ShoalNode } from '../node/node.js'

const FORWARDED: Array<keyof NodeEvents> = [
  'file:added', 'file:removed', 'file:changed', 'download:started', 'download:progress', 'download:state',
  // Distribution (issue 10): a push's progress, its end or refusal, and repairs.
  'distribution:progress', 'distribution:done', 'distribution:refused', 'repair:started', 'repair:done'
]
/** Comment line sent periodically so proxies and clients keep the connection. */
export const KEEPALIVE_MS = 15_000

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
    const listeners = FORWARDED.map((event) => {
      const listener = (data: unknown): void => {
        res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`)
      }
      node.on(event, listener as never)
      return { event, listener }
    })
    const keepalive = setInterval(() => { res.write(': keepalive\n\n') }, KEEPALIVE_MS).unref()
    req.raw.on('close', () => {
      clearInterval(keepalive)
      for (const { event, listener } of listeners) node.off(event, listener as never)
    })
  })
}
