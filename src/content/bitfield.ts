/**
 * Which chunks of a file a peer holds, one bit per chunk. The byte layout is
 * BitTorrent's (BEP 3, "bitfield"): bit i is in byte ⌊i/8⌋, most significant
 * bit first, and the spare bits of the last byte are zero. Bitfields arrive
 * from the network, so bytes that do not fit the length are a protocol error.
 */
import { ShoalError } from '../errors.js'

/** Set bits in each byte value, so counting is a table lookup per byte. */
const POPCOUNT = Uint8Array.from({ length: 256 }, (_, byte) => {
  let bits = 0
  for (let b = byte; b !== 0; b >>= 1) bits += b & 1
  return bits
})

/** A fixed-length set of chunk indices with an O(1) count. */
export class Bitfield {
  /** Number of bits (chunks). */
  readonly length: number
  readonly #bytes: Uint8Array
  #count = 0

  /**
   * An empty bitfield of `length` bits, or one read from `bytes` (copied).
   * Throws ERR_PROTOCOL when `bytes` is not ⌈length/8⌉ bytes long or has a
   * spare trailing bit set.
   */
  constructor (length: number, bytes?: Uint8Array) {
    if (!Number.isSafeInteger(length) || length < 0) {
      throw new ShoalError('ERR_INVALID_ARGUMENT', `invalid bitfield length: ${String(length)}`)
    }
    this.length = length
    const byteLength = Math.ceil(length / 8)
    if (bytes === undefined) {
      this.#bytes = new Uint8Array(byteLength)
      return
    }
    if (bytes.byteLength !== byteLength) {
      throw new ShoalError('ERR_PROTOCOL', `a bitfield of ${length} bits is ${byteLength} bytes, got ${bytes.byteLength}`)
    }
    const spareBits = byteLength * 8 - length
    if (spareBits > 0 && (bytes[byteLength - 1]! & ((1 << spareBits) - 1)) !== 0) {
      throw new ShoalError('ERR_PROTOCOL', 'bitfield has bits set past its length')
    }
    this.#bytes = new Uint8Array(bytes)
    for (const byte of this.#bytes) this.#count += POPCOUNT[byte]!
  }

  /** A bitfield with every bit set (a peer holding the whole file). */
  static full (length: number): Bitfield {
    const field = new Bitfield(length)
    field.#bytes.fill(0xff)
    const spareBits = field.#bytes.byteLength * 8 - length
    if (spareBits > 0) field.#bytes[field.#bytes.byteLength - 1] = (0xff << spareBits) & 0xff
    field.#count = length
    return field
  }

  /** Number of set bits. */
  get count (): number {
    return this.#count
  }

  /** True when every bit is set (an empty bitfield is complete). */
  get isComplete (): boolean {
    return this.#count === this.length
  }

  /** Whether bit `index` is set. */
  get (index: number): boolean {
    this.#check(index)
    return (this.#bytes[byteIndex(index)]! & bitMask(index)) !== 0
  }

  /** Sets bit `index`; returns true when it was not set before. */
  set (index: number): boolean {
    if (this.get(index)) return false
    this.#bytes[byteIndex(index)]! |= bitMask(index)
    this.#count++
    return true
  }

  /** Clears bit `index`; returns true when it was set before. */
  clear (index: number): boolean {
    if (!this.get(index)) return false
    this.#bytes[byteIndex(index)]! &= ~bitMask(index)
    this.#count--
    return true
  }

  /** The wire form (a copy). */
  toBytes (): Uint8Array {
    return new Uint8Array(this.#bytes)
  }

  /** Indices of set bits, ascending. */
  * present (): Generator<number> {
    yield * this.#scan(true)
  }

  /** Indices of clear bits, ascending. */
  * missing (): Generator<number> {
    yield * this.#scan(false)
  }

  * #scan (wanted: boolean): Generator<number> {
    // Whole bytes with nothing wanted are skipped, so sparse scans stay fast.
    const skip = wanted ? 0x00 : 0xff
    for (let i = 0; i < this.#bytes.byteLength; i++) {
      const byte = this.#bytes[i]!
      if (byte === skip) continue
      const end = Math.min(8, this.length - i * 8)
      for (let bit = 0; bit < end; bit++) {
        if (((byte & (0x80 >> bit)) !== 0) === wanted) yield i * 8 + bit
      }
    }
  }

  #check (index: number): void {
    if (!Number.isInteger(index) || index < 0 || index >= this.length) {
      throw new ShoalError('ERR_INVALID_ARGUMENT', `bit ${String(index)} is out of range (0..${this.length - 1})`)
    }
  }
}

function byteIndex (index: number): number {
  return Math.floor(index / 8)
}

/** Most significant bit first, as in BitTorrent. */
function bitMask (index: number): number {
  return 0x80 >> (index % 8)
}
