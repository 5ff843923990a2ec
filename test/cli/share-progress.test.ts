/**
 * `share --distribute`'s progress bar text: pure, so checked directly.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { distributionBar } from '../../src/cli/share-progress.js'

test('the distribution bar shows copies confirmed of chunks × replicas, the share filled, and bytes sent', () => {
  assert.equal(distributionBar({ confirmed: 0, total: 64, bytesSent: 0 }), `distributing [${'-'.repeat(30)}]   0%  0/64 copies  0 B sent`)
  assert.equal(distributionBar({ confirmed: 32, total: 64, bytesSent: 2 * 1024 * 1024 }), `distributing [${'#'.repeat(15)}${'-'.repeat(15)}]  50%  32/64 copies  2.0 MiB sent`)
  assert.equal(distributionBar({ confirmed: 64, total: 64, bytesSent: 4 * 1024 * 1024 }), `distributing [${'#'.repeat(30)}] 100%  64/64 copies  4.0 MiB sent`)
  assert.match(distributionBar({ confirmed: 0, total: 0, bytesSent: 0 }), /100%/, 'an empty file is done at once')
})
