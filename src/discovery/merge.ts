import { logger } from '../util/log.js'

const log = logger('finders')

/**
 * Interleaves several async iterables, yielding each value as soon as any
 * source produces it. A source that throws ends quietly (logged): finders are hints.
 */
export async function * mergeAsync<T> (sources: Array<AsyncIterable<T>>): AsyncGenerator<T> {
  const iterators = sources.map(s => s[Symbol.asyncIterator]())
  const next = (i: number): Promise<{ i: number, r: IteratorResult<T> | undefined }> =>
    (iterators[i] as AsyncIterator<T>).next().then(r => ({ i, r }), (err: unknown) => { log('a finder failed: %s', err); return { i, r: undefined } })
  const pending = new Map(iterators.map((_, i) => [i, next(i)]))
  try {
    while (pending.size > 0) {
      const { i, r } = await Promise.race(pending.values())
      if (r == null || r.done === true) {
        pending.delete(i)
        continue
      }
      pending.set(i, next(i))
      yield r.value
    }
  } finally {
    // A source suspended in an await (a DHT query waiting on the network)
    // finishes its return() only when that await settles; waiting for it
    // would hold the consumer hostage. Callers stop such sources with the
    // signal they gave them.
    for (const it of iterators) it.return?.().catch((err: unknown) => { log('a finder failed while closing: %s', err) })
  }
}

/** One-shot async iterable of a promise's value (nothing, logged, if it rejects). */
export async function * settled<T> (promise: Promise<T>): AsyncGenerator<T> {
  let value: T
  try {
    value = await promise
  } catch (err) {
    log('a finder step failed: %s', err)
    return
  }
  yield value
}
