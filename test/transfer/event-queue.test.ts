import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { EventQueue } from '../../src/transfer/event-queue.js'
import { seededRandom } from '../../src/transfer/simulate.js'

/** Everything left in `q`, in the order it comes out. */
function drain<T> (q: EventQueue<T>): Array<{ at: number, value: T }> {
  const out: Array<{ at: number, value: T }> = []
  for (let e = q.pop(); e != null; e = q.pop()) out.push(e)
  return out
}

describe('EventQueue', () => {
  it('is empty at first', () => {
    assert.equal(new EventQueue<string>().pop(), undefined)
  })

  it('gives events earliest first, equal times in the order pushed', () => {
    const q = new EventQueue<string>()
    for (const [at, value] of [[5, 'a'], [1, 'b'], [5, 'c'], [0, 'd'], [1, 'e'], [5, 'f']] as const) q.push(at, value)
    assert.deepEqual(drain(q).map(e => `${e.at}${e.value}`), ['0d', '1b', '1e', '5a', '5c', '5f'])
    assert.equal(q.pop(), undefined)
  })

  it('stays ordered when pushes and pops interleave', () => {
    const random = seededRandom(9)
    const q = new EventQueue<number>()
    let seq = 0
    let last = { at: -Infinity, value: -1 }
    for (let n = 0; n < 2000; n++) {
      if (random() < 0.6) q.push(Math.max(last.at, 0) + Math.floor(random() * 50), seq++)
      else {
        const e = q.pop()
        if (e == null) continue
        assert.ok(e.at > last.at || (e.at === last.at && e.value > last.value), `${e.at}/${e.value} after ${last.at}/${last.value}`)
        last = e
      }
    }
    for (const e of drain(q)) {
      assert.ok(e.at > last.at || (e.at === last.at && e.value > last.value))
      last = e
    }
  })
})
