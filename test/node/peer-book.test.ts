import { test } from 'node:test'
import assert from 'node:assert/strict'
import { PeerBook } from '../../src/node/peer-book.js'

test('a peer keeps every way it was found and its traffic both ways', () => {
  const book = new PeerBook()
  book.found('a', 'mdns')
  book.found('a', 'dht')
  book.found('a', 'mdns')
  book.uploaded('a', 10)
  book.downloaded('a', 7)
  book.downloaded('a', 3)
  const a = book.get('a')
  assert.deepEqual([...(a?.via ?? [])], ['mdns', 'dht'])
  assert.equal(a?.bytesUp, 10)
  assert.equal(a?.bytesDown, 10)
  assert.equal(book.get('b'), undefined)
})

test('past its limit the book forgets the oldest peer that never exchanged a byte', () => {
  const book = new PeerBook(3)
  book.found('traded', 'link')
  book.downloaded('traded', 1)
  book.found('old', 'dht')
  book.found('newer', 'dht')
  book.found('newest', 'dht')
  assert.deepEqual(book.ids(), ['traded', 'newer', 'newest'])
  book.uploaded('newer', 5)
  book.found('latest', 'pex')
  assert.deepEqual(book.ids(), ['traded', 'newer', 'latest'])
})
