import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { SPREAD_WINDOW_MS, UploadSpread } from '../../src/transfer/upload-spread.js'

describe('UploadSpread', () => {
  it('defers a chunk just started for another peer, for the window only', () => {
    let now = 1_000
    const spread = new UploadSpread({ now: () => now, connected: () => true })
    assert.equal(spread.shouldDefer('f', 3, 'b'), false, 'never sent: serve it')
    spread.started('f', 3, 'a')
    assert.equal(spread.shouldDefer('f', 3, 'b'), true, 'b should get it from a')
    assert.equal(spread.shouldDefer('f', 3, 'a'), false, 'a asking again (a retry) is served')
    assert.equal(spread.shouldDefer('f', 4, 'b'), false, 'other chunks are served')
    assert.equal(spread.shouldDefer('g', 3, 'b'), false, 'files are apart')
    now += SPREAD_WINDOW_MS
    assert.equal(spread.shouldDefer('f', 3, 'b'), false, 'after the window nobody waits on a')
  })

  it('never defers to a peer that has gone', () => {
    const here = new Set(['a', 'b'])
    const spread = new UploadSpread({ now: () => 0, connected: (peer) => here.has(peer) })
    spread.started('f', 0, 'a')
    assert.equal(spread.shouldDefer('f', 0, 'b'), true, 'a is still here and will have it')
    here.delete('a')
    assert.equal(spread.shouldDefer('f', 0, 'b'), false, 'a left (a finished `shoal get`): serve b now')
  })

  it('keeps only recent uploads', () => {
    let now = 0
    const spread = new UploadSpread({ windowMs: 10, now: () => now, connected: () => true })
    for (let i = 0; i < 10_000; i++) {
      spread.started('f', i, 'a')
      now += 1
    }
    // Everything older than the window is swept: only the last ~window + sweep interval remain deferrable.
    assert.equal(spread.shouldDefer('f', 0, 'b'), false)
    assert.equal(spread.shouldDefer('f', 9_995, 'b'), true)
  })
})
