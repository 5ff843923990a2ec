import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { ChunkTable } from '../../src/transfer/chunk-table.js'
import { ENDGAME_COPIES, ENDGAME_RACER_SPREAD, Endgame } from '../../src/transfer/endgame.js'
import { PeerStats, RATE_SAMPLE_MS } from '../../src/transfer/peer-stats.js'

const MiB = 1024 * 1024
const NOW = 10_000

/** Peers of one endgame over `chunkCount` 1 MiB chunks; a peer's handle in the chunk table is its position. */
class Swarm {
  readonly chunks: ChunkTable
  readonly peers: PeerStats[] = []
  readonly endgame: Endgame

  constructor (chunkCount: number) {
    this.chunks = new ChunkTable(chunkCount)
    this.endgame = new Endgame(this.chunks, MiB, () => this.peers)
  }

  /** A peer measured at `mibPerSecond` (0: unmeasured), last data at `lastDataAt`, with `requests` in flight. */
  add (mibPerSecond: number, requests: number[] = [], lastDataAt = NOW): PeerStats {
    const p = new PeerStats(`p${this.peers.length}`)
    if (mibPerSecond > 0) {
      p.startSample(lastDataAt - 1000)
      p.onData(mibPerSecond * MiB, lastDataAt)
    }
    p.lastDataAt = lastDataAt
    this.peers.push(p)
    for (const index of requests) this.request(p, index)
    return p
  }

  /** Records that `p` was asked for `index`, as the scheduler does. */
  request (p: PeerStats, index: number): void {
    p.inFlight.set(index, NOW)
    this.chunks.addHolder(index, this.peers.indexOf(p))
  }

  /** What `racer` races now, up to `room`, as the scheduler asks; the picks are requested. */
  race (racer: PeerStats, room: number, now = NOW, eligible: (index: number) => boolean = () => true): number[] {
    const picked: number[] = []
    if (!this.endgame.admits(racer, now)) return picked
    this.endgame.race(racer, room, now, picked, eligible)
    for (const index of picked) this.request(racer, index)
    return picked
  }
}

describe('Endgame', () => {
  it('admits only measured peers within ENDGAME_RACER_SPREAD of the fastest active one', () => {
    const w = new Swarm(4)
    const fastest = w.add(40)
    const unmeasured = w.add(0)
    const atSpread = w.add(40 / ENDGAME_RACER_SPREAD)
    const slower = w.add(9)
    assert.equal(w.endgame.admits(fastest, NOW), true)
    assert.equal(w.endgame.admits(unmeasured, NOW), false)
    assert.equal(w.endgame.admits(atSpread, NOW), true)
    assert.equal(w.endgame.admits(slower, NOW), false)
    fastest.state = 'stalled'
    assert.equal(w.endgame.admits(slower, NOW), false, 'the order is kept until the next sort')
    w.endgame.invalidate()
    assert.equal(w.endgame.admits(slower, NOW), true, 'a stalled peer is not the fastest')
    fastest.state = 'active'
    assert.equal(w.endgame.admits(slower, NOW + RATE_SAMPLE_MS), false, 'the sort is redone after RATE_SAMPLE_MS')
  })

  it('races the slowest holder\'s chunks first, up to `room`, never its own', () => {
    const w = new Swarm(8)
    w.add(1, [2, 3])
    w.add(0.1, [0, 1])
    const fast = w.add(50, [4])
    assert.deepEqual(w.race(fast, 1), [0])
    assert.deepEqual(w.race(fast, 8), [1, 2, 3])
    assert.deepEqual(w.race(fast, 8), [], 'every chunk in flight has its copies (its own is not raced)')
  })

  it(`makes at most ${ENDGAME_COPIES} copies of a chunk, and skips done and ineligible ones`, () => {
    const w = new Swarm(4)
    w.add(0.1, [0, 1, 2, 3])
    const a = w.add(50)
    const b = w.add(50)
    w.chunks.setDone(1)
    assert.deepEqual(w.race(a, 1), [0])
    assert.deepEqual(w.race(b, 4, NOW, i => i !== 2), [3], 'b skips 0 (two copies), 1 (done) and 2 (not eligible for b)')
    assert.equal(w.chunks.holderCount(0), ENDGAME_COPIES)
  })

  it('races only where the racer should deliver first, unless the holder is overdue', () => {
    const w = new Swarm(2)
    // The holder's first chunk is due 100 ms after its last data; the racer needs 200 ms.
    w.add(10, [0, 1])
    const racer = w.add(5)
    assert.deepEqual(w.race(racer, 2), [])
    // Overdue: nothing for longer than one of its chunks takes.
    const later = NOW + RATE_SAMPLE_MS
    assert.deepEqual(w.race(racer, 2, later), [0, 1])
  })

  it('skips holders found with nothing to race until the next sort', () => {
    const w = new Swarm(4)
    const holder = w.add(0.1, [0])
    const racer = w.add(50)
    assert.deepEqual(w.race(racer, 1), [0])
    assert.deepEqual(w.race(racer, 1), [], 'the holder\'s only chunk has its copies: it is dropped from the visit list')
    w.request(holder, 1)
    assert.deepEqual(w.race(racer, 1), [], 'its new request is not seen before the next sort')
    assert.deepEqual(w.race(racer, 1, NOW + RATE_SAMPLE_MS), [1])
  })
})
