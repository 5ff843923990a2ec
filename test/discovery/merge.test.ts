import { test } from 'node:test'
import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { mergeAsync } from '../../src/discovery/merge.js'

async function * values<T> (...items: T[]): AsyncGenerator<T> {
  for (const item of items) yield item
}

/** A source that yields nothing until its signal fires, like a DHT query on an empty network. */
async function * stuckUntil (signal: AbortSignal): AsyncGenerator<string> {
  await new Promise(resolve => { signal.addEventListener('abort', resolve, { once: true }) })
}

test('values from every source come through, each once', async () => {
  const out: number[] = []
  for await (const v of mergeAsync([values(1, 2), values(3), values<number>()])) out.push(v)
  assert.deepEqual(out.sort(), [1, 2, 3])
})

test('a source that throws ends quietly; the others carry on', async () => {
  async function * broken (): AsyncGenerator<number> { yield 1; throw new Error('lookup failed') }
  const out: number[] = []
  for await (const v of mergeAsync([broken(), values(2, 3)])) out.push(v)
  assert.deepEqual(out.sort(), [1, 2, 3])
})

test('leaving early does not wait for a source stuck in an await', async () => {
  const stop = new AbortController()
  const started = Date.now()
  const timer = setTimeout(() => { stop.abort() }, 2_000)
  let got: string | undefined
  for await (const v of mergeAsync([stuckUntil(stop.signal), (async function * () { await sleep(10); yield 'found' })()])) {
    got = v
    break
  }
  const waited = Date.now() - started
  clearTimeout(timer)
  stop.abort()
  assert.equal(got, 'found')
  assert.ok(waited < 1_000, `left after ${waited} ms; the stuck source would have held it 2 s`)
})
