/**
 * The direct path's ticket book alone, on a fake clock: one use, one peer,
 * a few seconds, and bounded however many a peer asks for.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { TicketBook } from '../../src/net/direct/tickets.js'
import { MAX_TICKETS_PER_PEER, TICKET_BYTES, TICKET_TTL_MS } from '../../src/net/direct/constants.js'

test('a ticket is good once, for its peer, until it expires', () => {
  let now = 1_000
  const book = new TicketBook({ now: () => now })
  const a = book.issue('peer-a') as Uint8Array
  assert.equal(a.byteLength, TICKET_BYTES)
  assert.equal(book.redeem(a, 'peer-a'), undefined)
  assert.equal(book.redeem(a, 'peer-a'), 'unknown', 'used up')

  const b = book.issue('peer-a') as Uint8Array
  assert.equal(book.redeem(b, 'peer-b'), 'wrong-peer')
  assert.equal(book.redeem(b, 'peer-a'), 'unknown', 'a wrong presentation uses it up too')

  const c = book.issue('peer-a') as Uint8Array
  now += TICKET_TTL_MS
  assert.equal(book.redeem(c, 'peer-a'), 'expired')
  assert.equal(book.redeem(new Uint8Array(TICKET_BYTES), 'peer-a'), 'unknown')
})

test('tickets outstanding are capped per peer, and expired ones stop counting', () => {
  let now = 0
  const book = new TicketBook({ now: () => now })
  for (let i = 0; i < MAX_TICKETS_PER_PEER; i++) assert.ok(book.issue('greedy') != null)
  assert.equal(book.issue('greedy'), undefined, 'over the cap')
  assert.ok(book.issue('other') != null, 'others are not held up by it')
  now += TICKET_TTL_MS
  assert.equal(book.size, 0, 'all expired')
  assert.ok(book.issue('greedy') != null)
})
