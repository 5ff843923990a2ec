/**
 * "Did you mean …?" for mistyped commands: a prefix first, then the fewest
 * edits (a swap of two letters is one), ties all named, far words none.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { suggest, editDistance } from '../../src/cli/suggest.js'

const COMMANDS = ['start', 'share', 'get', 'ls', 'rm', 'verify', 'status', 'cancel', 'peers', 'swarm-key', 'tracker', 'completion', 'help']

test('a prefix wins over a closer edit distance: stat is status, not start', () => {
  assert.equal(editDistance('stat', 'start'), 1)
  assert.deepEqual(suggest('stat', COMMANDS), ['status'])
  assert.deepEqual(suggest('sta', COMMANDS), ['start', 'status'])
  assert.deepEqual(suggest('swarm', COMMANDS), ['swarm-key'])
  assert.deepEqual(suggest('STAT', COMMANDS), ['status'])
})

test('otherwise the fewest edits, swaps counting once; nothing when far', () => {
  assert.deepEqual(suggest('verfiy', COMMANDS), ['verify'])
  assert.deepEqual(suggest('stauts', COMMANDS), ['status'])
  assert.deepEqual(suggest('peer', COMMANDS), ['peers'])
  assert.deepEqual(suggest('gte', COMMANDS), ['get'])
  assert.deepEqual(suggest('frobnicate', COMMANDS), [])
  assert.deepEqual(suggest('x', COMMANDS), [])
})
