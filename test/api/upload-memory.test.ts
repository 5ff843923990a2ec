/**
 * A 1 GiB upload to a real `shoal start` process is streamed to disk: the
 * node's resident memory grows by less than 100 MiB while it arrives and is
 * shared (the body is never held whole).
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { request } from 'node:http'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { startNode, tempDir } from '../helpers/cli.js'
import { multipartStream, MULTIPART_BOUNDARY } from '../helpers/multipart.js'
import { TOKEN_FILE } from '../../src/node/node-info.js'

const MIB = 1 << 20
const UPLOAD_BYTES = 1024 * MIB
/** Growth allowed over the idle node's RSS while the upload runs. */
const MAX_RSS_GROWTH_BYTES = 100 * MIB
const RSS_SAMPLE_MS = 100

/** Resident set size of a process, from /proc. */
async function rssOf (pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8')
  const kib = /VmRSS:\s+(\d+) kB/.exec(status)?.[1]
  if (kib == null) throw new Error(`no VmRSS for ${pid}`)
  return Number(kib) * 1024
}

test('a 1 GiB upload keeps the node\'s RSS growth under 100 MiB', { timeout: 600_000 }, async (t) => {
  const dir = await tempDir(t)
  // A lone node: 1 GiB is chunking.minFileSizeForDistribution's default, which would be refused for want of peers.
  const node = await startNode(t, join(dir, 'node'), { env: { SHOAL_CHUNKING_MIN_FILE_SIZE_FOR_DISTRIBUTION: String(2 ** 40) } })
  const token = (await readFile(join(node.dataDir, TOKEN_FILE), 'utf8')).trim()
  const pid = node.child.pid as number
  const baseline = await rssOf(pid)
  let peak = baseline
  const sampler = setInterval(() => {
    rssOf(pid).then((rss) => { peak = Math.max(peak, rss) }, (err: unknown) => { console.error('sampling RSS failed:', err) })
  }, RSS_SAMPLE_MS)
  t.after(() => { clearInterval(sampler) })

  const { stream, length } = multipartStream('big.bin', UPLOAD_BYTES)
  const url = new URL('/api/files/upload', node.api)
  const started = Date.now()
  const answer = await new Promise<{ status: number, body: string }>((resolve, reject) => {
    const req = request(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': `multipart/form-data; boundary=${MULTIPART_BOUNDARY}`, 'content-length': length }
    }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (d: string) => { body += d })
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, body }) })
      res.on('error', reject)
    })
    req.on('error', reject)
    pipeline(stream, req).catch(reject)
  })
  clearInterval(sampler)
  peak = Math.max(peak, await rssOf(pid))
  assert.equal(answer.status, 200, answer.body)
  const body = JSON.parse(answer.body) as { results: Array<{ filename: string, size: number }> }
  assert.equal(body.results[0]?.size, UPLOAD_BYTES)
  const growth = peak - baseline
  console.log(`# 1 GiB upload in ${((Date.now() - started) / 1000).toFixed(1)} s: RSS ${(baseline / MIB).toFixed(0)} MiB → peak ${(peak / MIB).toFixed(0)} MiB (+${(growth / MIB).toFixed(1)} MiB)`)
  assert.ok(growth < MAX_RSS_GROWTH_BYTES, `RSS grew by ${(growth / MIB).toFixed(1)} MiB`)
})
