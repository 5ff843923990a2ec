/**
 * BoundedWriter and PeerBudget on real libp2p streams: two in-process nodes
 * over TCP on 127.0.0.1 (yamux), the writer on the serving side, the reader
 * pausing its stream (which stops yamux window updates, as a peer that
 * stops reading does).
 */
import '../../src/polyfill.js'
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { tmpdir } from 'node:os'
import { BoundedWriter } from '../../src/protocol/bounded-writer.js'
import { pauseStream } from '../../src/protocol/pause-stream.js'
import { YAMUX_MAX_STREAM_WINDOW } from '../../src/net/create-libp2p.js'
import { PeerBudget, PeerBudgets } from '../../src/protocol/peer-budget.js'
import { hasCode } from '../../src/errors.js'
import { startInProcessNode } from '../helpers/in-process-nodes.js'
import { waitFor } from '../helpers/cli.js'
import type { Stream } from '@libp2p/interface'
import type { TestContext } from 'node:test'

const KiB = 1024
const BLOCK = 256 * KiB
const PROTOCOL = '/shoal-test/bounded-writer/1.0.0'
/** Long enough that a loaded machine still delivers what was sent in time. */
const SETTLE_MS = 500

interface Pair {
  /** Our end: the writer writes here. */
  server: Stream
  /** The remote end, reading (or, paused, not). */
  client: Stream
  received: () => number
}

/** Two nodes, and `count` streams from one to the other, each counting what the reader got. */
async function streamPairs (t: TestContext, count: number): Promise<Pair[]> {
  const dir = await mkdtemp(join(tmpdir(), 'shoal-bw-'))
  const a = await startInProcessNode(t, dir, 'a')
  const b = await startInProcessNode(t, dir, 'b')
  t.after(async () => { await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 }) })
  const inbound: Stream[] = []
  const waiting: Array<() => void> = []
  await b.libp2p.handle(PROTOCOL, (stream) => {
    inbound.push(stream)
    waiting.shift()?.()
  })
  const pairs: Pair[] = []
  for (let i = 0; i < count; i++) {
    const arrived = new Promise<void>((resolve) => { waiting.push(resolve) })
    const client = await a.libp2p.dialProtocol(b.libp2p.getMultiaddrs(), PROTOCOL)
    // A stream is announced to the handler only once the dialer sends something.
    client.send(new Uint8Array([1]))
    await arrived
    let got = 0
    client.addEventListener('message', (evt) => { got += evt.data.byteLength })
    pairs.push({ server: inbound[i] as Stream, client, received: () => got })
  }
  return pairs
}

const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }

/** Whether `p` settles within `ms`. */
async function settles (p: Promise<unknown>, ms: number): Promise<boolean> {
  return await Promise.race([p.then(() => true, () => true), sleep(ms).then(() => false)])
}

const block = (): Uint8Array => new Uint8Array(BLOCK)

/** Most blocks a paused reader's window can take (yamux's largest window is 16 MiB). */
const MAX_WINDOW_BLOCKS = 64

/**
 * Writes blocks until one does not go out (the reader's yamux window, a few
 * hundred KiB when it paused, is full); returns that pending write and the
 * blocks written before it.
 */
async function fillWindow (writer: BoundedWriter): Promise<{ pending: Promise<void>, written: number }> {
  for (let written = 0; written < MAX_WINDOW_BLOCKS; written++) {
    const pending = writer.write(block())
    if (!await settles(pending, SETTLE_MS)) return { pending, written }
    await pending
  }
  throw new Error('every write went out to a paused reader')
}

test('a write waits for the stream to drain; at most one write waits in the stream', async (t) => {
  const [pair] = await streamPairs(t, 1)
  const { server, client, received } = pair as Pair
  client.pause()
  const budget = new PeerBudget(64 * BLOCK)
  const writer = new BoundedWriter(server, { budget, maxStreamBufferedBytes: BLOCK + KiB, inactivityTimeoutMs: 60_000 })
  t.after(() => { writer.dispose() })
  // Blocks fill the window the reader granted before it paused, one more waits in the
  // stream's buffer, and the next write waits for a drain that does not come.
  const { pending, written } = await fillWindow(writer)
  assert.ok(written <= 8, `${written} blocks went out to a paused reader`)
  await sleep(SETTLE_MS)
  assert.ok(server.writeBufferLength > 0 && server.writeBufferLength <= BLOCK, `${server.writeBufferLength} bytes buffered`)
  assert.equal(budget.used, server.writeBufferLength, 'the budget is charged with what the stream holds')
  client.resume()
  await pending
  await writer.flush()
  assert.equal(budget.used, 0)
  await sleep(SETTLE_MS)
  assert.equal(received(), (written + 1) * BLOCK)
})

test('one budget for all streams of a peer: a stalled stream holds back the others, up to the cap', async (t) => {
  const [stalled, other] = await streamPairs(t, 2) as [Pair, Pair]
  stalled.client.pause()
  const budgets = new PeerBudgets(BLOCK + BLOCK / 2)
  const lease1 = budgets.lease('peer')
  const lease2 = budgets.lease('peer')
  assert.equal(lease1.budget, lease2.budget)
  const w1 = new BoundedWriter(stalled.server, { budget: lease1.budget, maxStreamBufferedBytes: BLOCK + KiB, inactivityTimeoutMs: 60_000 })
  const w2 = new BoundedWriter(other.server, { budget: lease2.budget, maxStreamBufferedBytes: BLOCK + KiB, inactivityTimeoutMs: 60_000 })
  const { pending: stuck } = await fillWindow(w1)
  stuck.catch(() => {}) // rejected when the stalled stream is aborted below
  // Up to a block waits in the stalled stream's buffer, charged to the peer.
  assert.ok(lease1.budget.used > 0 && lease1.budget.used <= BLOCK, `${lease1.budget.used}`)
  // The other stream is reading, but the peer's budget has no room for a block.
  const blocked = w2.write(block())
  assert.equal(await settles(blocked, SETTLE_MS), false, 'the peer went over its budget')
  // A single write above the stream's cap is refused outright.
  await assert.rejects(w2.write(new Uint8Array(2 * BLOCK)), (err) => hasCode(err, 'ERR_INTERNAL'))
  // The stalled stream ends: what it held goes back to the peer, and the other proceeds.
  stalled.server.abort(new Error('test'))
  await blocked
  await w2.flush()
  assert.equal(lease2.budget.used, 0)
  w1.dispose()
  w2.dispose()
  lease1.done()
  lease2.done()
  assert.equal(budgets.size, 0)
})

test('prepaid writes are not charged; flush(upTo) waits for those bytes to leave the stream only', async (t) => {
  const [pair] = await streamPairs(t, 1)
  const { server, client, received } = pair as Pair
  client.pause()
  const budget = new PeerBudget(2 * BLOCK)
  const writer = new BoundedWriter(server, { budget, maxStreamBufferedBytes: BLOCK + KiB, inactivityTimeoutMs: 60_000 })
  t.after(() => { writer.dispose() })
  // The caller holds budget for what it writes prepaid (a chunk read ahead), so it is not charged twice.
  await budget.acquire(BLOCK)
  await writer.write(block(), { prepaid: true })
  assert.equal(budget.used, BLOCK)
  const mark = writer.written
  // Fill the paused reader's window: a prepaid block waits in the stream.
  const { pending, written } = await fillWindow(writer)
  assert.ok(server.writeBufferLength > 0)
  assert.equal(await settles(writer.flush(writer.written), SETTLE_MS), false, 'flushed with bytes still in the stream')
  await writer.flush(mark) // the first block left long ago
  client.resume()
  await pending
  await writer.flush()
  budget.release(BLOCK)
  assert.equal(budget.used, 0)
  await sleep(SETTLE_MS)
  assert.equal(received(), (written + 2) * BLOCK)
})

test('a write that makes no progress for the inactivity timeout aborts the stream and frees its budget', async (t) => {
  const [pair] = await streamPairs(t, 1)
  const { server, client } = pair as Pair
  client.pause()
  const budget = new PeerBudget(64 * BLOCK)
  const timeoutMs = 2 * SETTLE_MS
  const writer = new BoundedWriter(server, { budget, maxStreamBufferedBytes: BLOCK + KiB, inactivityTimeoutMs: timeoutMs })
  const closed = new Promise<Error | undefined>((resolve) => { server.addEventListener('close', (evt) => { resolve(evt.error) }, { once: true }) })
  const started = performance.now()
  const { pending } = await fillWindow(writer)
  await assert.rejects(pending, (err) => hasCode(err, 'ERR_ABORTED') || hasCode(err, 'ERR_TIMEOUT'))
  const waited = performance.now() - started
  const err = await closed
  assert.ok(hasCode(err, 'ERR_TIMEOUT'), `closed with ${String(err)}`)
  assert.ok(waited >= timeoutMs - 50, `aborted after ${waited.toFixed(0)} ms`)
  assert.equal(server.status, 'aborted')
  assert.equal(budget.used, 0, 'the aborted stream still holds budget')
  // The reader sees its stream reset.
  await sleep(SETTLE_MS)
  assert.ok(client.status === 'reset' || client.status === 'aborted' || client.status === 'closed', client.status)
})

test('a reader that keeps reading, however slowly, is never timed out', async (t) => {
  const [pair] = await streamPairs(t, 1)
  const { server, client, received } = pair as Pair
  const budget = new PeerBudget(64 * BLOCK)
  const timeoutMs = 3_000
  const writer = new BoundedWriter(server, { budget, maxStreamBufferedBytes: BLOCK + KiB, inactivityTimeoutMs: timeoutMs })
  t.after(() => { writer.dispose() })
  // The reader takes a little at a time: every 200 ms it resumes and takes one message, then
  // pauses again (each message taken grants window). Paused by the message itself, not by a
  // timer, so a loaded machine's late timers cannot make it take nothing for the whole timeout.
  let slow = true
  client.pause()
  client.addEventListener('message', () => { if (slow) pauseStream(client, () => slow) })
  const ticker = setInterval(() => { client.resume() }, 200)
  t.after(() => { clearInterval(ticker) })
  // Written for longer than the timeout, so the writer lives through several of them.
  const started = performance.now()
  let blocks = 0
  while (blocks < 8 || performance.now() - started < 2 * timeoutMs) {
    await writer.write(block())
    blocks++
  }
  await writer.flush()
  t.diagnostic(`${blocks} blocks out in ${(performance.now() - started).toFixed(0)} ms`)
  clearInterval(ticker)
  slow = false
  client.resume()
  // Flushed means out of the writer's stream buffer; the last bytes may still be on their way.
  await waitFor(() => received() === blocks * BLOCK, 10_000, 'every block at the reader')
  assert.equal(server.status, 'open')
})

test('a reader paused from its message listener while resume() hands it the buffered bytes stops the sender: its buffer stays within the window', async (t) => {
  const [pair] = await streamPairs(t, 1)
  const { server, client, received } = pair as Pair
  const total = 24 * 1024 * KiB
  let reading = true
  let mostBuffered = 0
  const sample = (): void => { mostBuffered = Math.max(mostBuffered, (client as unknown as { readBuffer: { byteLength: number } }).readBuffer.byteLength) }
  client.pause()
  client.addEventListener('message', () => { if (reading) pauseStream(client, () => reading) })
  // Resumed every 100 ms: each resume() dispatches what waited, and the listener pauses again.
  const ticker = setInterval(() => { sample(); if (client.status === 'open') client.resume() }, 100)
  t.after(() => { clearInterval(ticker) })
  for (let sent = 0; sent < total; sent += BLOCK) {
    if (!server.send(block())) await new Promise((resolve, reject) => { server.addEventListener('drain', resolve, { once: true }); server.addEventListener('close', reject, { once: true }) })
  }
  await waitFor(() => received() >= total || client.status !== 'open', 60_000, 'every byte at the reader')
  clearInterval(ticker)
  reading = false
  assert.equal(client.status, 'open', 'the stream was aborted: the sender did not stop')
  assert.ok(mostBuffered <= YAMUX_MAX_STREAM_WINDOW, `${mostBuffered} bytes waited in the paused stream`)
})
