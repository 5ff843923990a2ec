/**
 * Issue 13, item 2: no timer on the path of a download that has everything
 * it needs. `shoal get` follows its job woken by the backend's change events;
 * with every timer frozen (mock timers), a job that ends is still seen to end
 * — the old follower, which slept 100 ms between looks, never returns here.
 * A fake backend stands in for the node: what is tested is the follower.
 */
import { describe, it, mock } from 'node:test'
import assert from 'node:assert/strict'
import { follow } from '../../src/cli/follow-job.js'
import type { Backend } from '../../src/cli/backend.js'
import type { JobSnapshot } from '../../src/transfer/download-job.js'

function snapshot (state: JobSnapshot['state']): JobSnapshot {
  return {
    id: 'job1', fileId: 'f', name: 'x.bin', dest: '/tmp/x.bin', state, size: 4096, bytesDone: state === 'completed' ? 4096 : 0,
    chunkCount: 1, chunksDone: state === 'completed' ? 1 : 0, speed: 0, etaSeconds: null, peers: [], peersUsed: 0,
    missingPeers: [], bannedPeers: [], error: null, errorCode: null
  }
}

/** A backend whose job is `state`, and a way to change it (with the event a node sends). */
function fakeBackend (): { backend: Backend, set: (state: JobSnapshot['state']) => void, looks: () => number } {
  let state: JobSnapshot['state'] = 'running'
  let looks = 0
  const listeners = new Set<() => void>()
  const unused = async (): Promise<never> => { throw new Error('not used by follow') }
  const backend: Backend = {
    ownNode: false,
    share: unused,
    list: unused,
    storage: unused,
    remove: unused,
    distribution: unused,
    verify: unused,
    startDownload: unused,
    download: async () => { looks++; return snapshot(state) },
    downloads: unused,
    cancel: unused,
    peers: unused,
    watch: async (listener) => {
      listeners.add(listener)
      return () => { listeners.delete(listener) }
    },
    close: async () => {}
  }
  return { backend, set: (s) => { state = s; for (const l of listeners) l() }, looks: () => looks }
}

const display = { update: () => {}, note: () => {} }

describe('get follows its job', () => {
  it('returns as soon as the job completes, with no timer firing', { timeout: 10_000 }, async () => {
    mock.timers.enable({ apis: ['setTimeout', 'setInterval'] })
    try {
      const { backend, set, looks } = fakeBackend()
      const followed = follow(backend, 'job1', new AbortController().signal, display, false)
      // Let the follower look once and settle into its wait.
      for (let i = 0; i < 20 && looks() === 0; i++) await new Promise(resolve => setImmediate(resolve))
      assert.equal(looks(), 1)
      set('completed')
      const done = await followed
      assert.equal(done.state, 'completed')
      assert.equal(looks(), 2, 'one look for the start, one for the change')
    } finally {
      mock.timers.reset()
    }
  })

  it('a change that comes between two looks is not missed', { timeout: 10_000 }, async () => {
    mock.timers.enable({ apis: ['setTimeout', 'setInterval'] })
    try {
      const { backend, set } = fakeBackend()
      // The job completes while the first look is on its way back.
      const download = backend.download
      let first = true
      backend.download = async (id) => {
        const s = await download(id)
        if (first) { first = false; set('completed') }
        return s
      }
      assert.equal((await follow(backend, 'job1', new AbortController().signal, display, false)).state, 'completed')
    } finally {
      mock.timers.reset()
    }
  })
})
