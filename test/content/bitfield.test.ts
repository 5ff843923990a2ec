import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { Bitfield } from '../../src/content/bitfield.js'
import { hasCode } from '../../src/errors.js'

const isProtocolError = (err: unknown): boolean => hasCode(err, 'ERR_PROTOCOL')
const isInvalidArgument = (err: unknown): boolean => hasCode(err, 'ERR_INVALID_ARGUMENT')

describe('Bitfield', () => {
  it('starts empty and counts as bits are set and cleared', () => {
    const field = new Bitfield(10)
    assert.equal(field.length, 10)
    assert.equal(field.count, 0)
    assert.equal(field.isComplete, false)
    assert.equal(field.set(3), true)
    assert.equal(field.set(3), false)
    assert.equal(field.set(9), true)
    assert.equal(field.count, 2)
    assert.equal(field.get(3), true)
    assert.equal(field.get(4), false)
    assert.equal(field.clear(3), true)
    assert.equal(field.clear(3), false)
    assert.equal(field.count, 1)
  })

  it('lays bits out most significant first, like BitTorrent', () => {
    const field = new Bitfield(12)
    field.set(0)
    field.set(7)
    field.set(8)
    field.set(11)
    assert.deepEqual(field.toBytes(), new Uint8Array([0b1000_0001, 0b1001_0000]))
  })

  it('reads bytes from the wire, copying them', () => {
    const bytes = new Uint8Array([0b1010_0000, 0b0100_0000])
    const field = new Bitfield(10, bytes)
    bytes.fill(0)
    assert.equal(field.count, 3)
    assert.deepEqual([...field.present()], [0, 2, 9])
    assert.deepEqual([...field.missing()], [1, 3, 4, 5, 6, 7, 8])
    assert.deepEqual(new Bitfield(10, field.toBytes()).toBytes(), field.toBytes())
  })

  it('rejects a wrong byte length or spare bits set (ERR_PROTOCOL)', () => {
    assert.throws(() => new Bitfield(10, new Uint8Array(1)), isProtocolError)
    assert.throws(() => new Bitfield(10, new Uint8Array(3)), isProtocolError)
    assert.throws(() => new Bitfield(0, new Uint8Array(1)), isProtocolError)
    assert.throws(() => new Bitfield(10, new Uint8Array([0, 0b0010_0000])), isProtocolError)
    assert.throws(() => new Bitfield(10, new Uint8Array([0, 0b0000_0001])), isProtocolError)
    assert.doesNotThrow(() => new Bitfield(16, new Uint8Array([0xff, 0xff])))
    assert.equal(new Bitfield(0, new Uint8Array(0)).count, 0)
  })

  it('rejects bad lengths and indices (ERR_INVALID_ARGUMENT)', () => {
    for (const length of [-1, 1.5, Number.NaN]) assert.throws(() => new Bitfield(length), isInvalidArgument)
    const field = new Bitfield(8)
    for (const index of [-1, 8, 0.5, Number.NaN]) {
      assert.throws(() => field.get(index), isInvalidArgument)
      assert.throws(() => field.set(index), isInvalidArgument)
      assert.throws(() => field.clear(index), isInvalidArgument)
    }
  })

  it('builds full bitfields with clean spare bits', () => {
    const field = Bitfield.full(10)
    assert.equal(field.count, 10)
    assert.equal(field.isComplete, true)
    assert.deepEqual(field.toBytes(), new Uint8Array([0xff, 0b1100_0000]))
    assert.deepEqual([...field.missing()], [])
    assert.deepEqual([...field.present()], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    assert.equal(Bitfield.full(16).count, 16)
    assert.equal(Bitfield.full(0).isComplete, true)
    field.clear(9)
    assert.equal(field.isComplete, false)
    assert.deepEqual([...field.missing()], [9])
  })

  it('does not expose its bytes', () => {
    const field = new Bitfield(8)
    field.toBytes().fill(0xff)
    assert.equal(field.count, 0)
    assert.equal(field.get(0), false)
  })

  it('keeps count in step with the bits over many random operations', () => {
    const field = new Bitfield(1000)
    const model = new Set<number>()
    let seed = 42
    const random = (): number => { seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31; return seed }
    for (let i = 0; i < 5000; i++) {
      const index = random() % 1000
      if (random() % 3 === 0) { field.clear(index); model.delete(index) } else { field.set(index); model.add(index) }
    }
    assert.equal(field.count, model.size)
    assert.deepEqual([...field.present()], [...model].sort((a, b) => a - b))
    assert.equal(new Bitfield(1000, field.toBytes()).count, model.size)
  })
})
