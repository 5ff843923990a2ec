import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { hasCode } from '../../src/errors.js'
import { Scheduler, type HaveView, type SchedulerOptions } from '../../src/transfer/scheduler.js'
import { NOOP_TARGET, SchedulerTrace, type ReplayTarget } from '../../src/transfer/scheduler-trace.js'
import { mbitps, randomPeers, seededRandom, simulate, type SimOptions } from '../../src/transfer/simulate.js'

const MiB = 1024 * 1024
const OPTS: Omit<SchedulerOptions, 'random'> = { chunkCount: 8, chunkSize: MiB, maxRequestsPerPeer: 4, maxRetries: 2, stallTimeoutMs: 1000 }
const full = (length: number): HaveView => ({ length, count: length, get: () => true })
const internal = (err: unknown): boolean => hasCode(err, 'ERR_INTERNAL')

/** A scheduler whose every call (of the traced kinds) is recorded in `trace`. */
function recorded (trace: SchedulerTrace, random = seededRandom(1)): ReplayTarget {
  const s = new Scheduler({ ...trace.options, random: trace.recordRandom(random) })
  return {
    addPeer: (id, have, now) => { s.addPeer(id, have, now); trace.record('addPeer', [id, have, now], undefined) },
    onRtt: (id, ms) => { s.onRtt(id, ms); trace.record('onRtt', [id, ms], undefined) },
    onData: (id, bytes, now) => { s.onData(id, bytes, now); trace.record('onData', [id, bytes, now], undefined) },
    assign: (id, now, limit) => { const out = s.assign(id, now, limit); trace.record('assign', limit === undefined ? [id, now] : [id, now, limit], out); return out },
    onChunkDone: (id, index, now) => { const out = s.onChunkDone(id, index, now); trace.record('onChunkDone', [id, index, now], out); return out },
    onChunkCorrupt: (id, index, now) => { s.onChunkCorrupt(id, index, now); trace.record('onChunkCorrupt', [id, index, now], undefined) },
    tick: (now) => { const out = s.tick(now); trace.record('tick', [now], out); return out },
    unavailableChunks: () => { const out = s.unavailableChunks(); trace.record('unavailableChunks', [], out); return out }
  }
}

/** A short session with every kind of call. */
function session (s: ReplayTarget): void {
  s.addPeer('a', full(8), 0)
  s.addPeer('b', { length: 8, get: (i: number) => i < 4 }, 0)
  s.onRtt('a', 20)
  const a = s.assign('a', 0)
  const b = s.assign('b', 0)
  s.onData('a', MiB, 100)
  s.onChunkDone('a', a[0] as number, 100)
  s.onChunkCorrupt('b', b[0] as number, 150)
  s.assign('a', 150, 1)
  s.assign('a', 160)
  s.tick(5000)
  s.unavailableChunks()
}

describe('SchedulerTrace', () => {
  it('replays recorded calls into a fresh scheduler that decides the same', () => {
    const trace = new SchedulerTrace(OPTS)
    session(recorded(trace))
    assert.equal(trace.length, 12)
    const d = trace.replay(trace.newScheduler(Scheduler))
    assert.equal(trace.replay(trace.newScheduler(Scheduler)), d, 'every replay decides the same')
  })

  it('throws when a replay decides differently', () => {
    const trace = new SchedulerTrace(OPTS)
    session(recorded(trace))
    assert.throws(() => trace.replay(NOOP_TARGET), internal)
    assert.doesNotThrow(() => trace.replay(NOOP_TARGET, false), 'unless told not to check')
    const other = new SchedulerTrace({ ...OPTS, sequential: true })
    session(recorded(other))
    assert.throws(() => trace.replay(other.newScheduler(Scheduler)), internal, 'a sequential scheduler picks other chunks')
  })

  it('hands a replayed scheduler the recorded random numbers, and no more', () => {
    const trace = new SchedulerTrace(OPTS)
    session(recorded(trace, seededRandom(5)))
    const again = new SchedulerTrace(OPTS)
    session(recorded(again, seededRandom(6)))
    assert.throws(() => again.replay(trace.newScheduler(Scheduler)), internal, 'other draws, other picks')
    const unrecorded = new SchedulerTrace(OPTS)
    assert.throws(() => unrecorded.newScheduler(Scheduler), internal, 'the constructor shuffles, and nothing was recorded')
    assert.equal(new SchedulerTrace({ ...OPTS, sequential: true }).newScheduler(Scheduler).missingCount, 8, 'sequential: no draws needed')
  })

  it('is recorded by a simulation on request, every call the simulation timed', () => {
    const opts: SimOptions = { peers: randomPeers(20, 3, [mbitps(1), mbitps(100)], [1, 100]), chunkCount: 100, chunkSize: MiB, seed: 2 }
    assert.equal(simulate(opts).trace, undefined)
    const r = simulate({ ...opts, trace: true })
    assert.equal(r.outcome, 'complete')
    const calls = Object.values(r.cpuByCall).reduce((n, c) => n + c.calls, 0)
    assert.equal(r.trace?.length, calls)
    assert.doesNotThrow(() => r.trace?.replay(r.trace.newScheduler(Scheduler)))
    assert.deepEqual(r.trace?.options, { chunkCount: 100, chunkSize: MiB, sequential: false, maxRequestsPerPeer: 16, maxRetries: 3, stallTimeoutMs: 15_000 })
  })
})
