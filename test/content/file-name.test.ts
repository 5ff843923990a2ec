import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { assertSafeFileName, fileNameProblem, isSafeFileName, quoteName, MAX_FILE_NAME_BYTES, RESERVED_SUFFIXES } from '../../src/content/file-name.js'
import { createManifest, decodeManifest, isSafeFileName as fromManifest } from '../../src/content/manifest.js'
import { PART_SUFFIX } from '../../src/store/partial-file.js'
import { LOCK_SUFFIX } from '../../src/store/download-lock.js'
import { MIB } from '../../src/content/chunk-size.js'
import { hasCode } from '../../src/errors.js'
import * as dagCbor from '@ipld/dag-cbor'

/** Names the rule accepts (leading dots included: manifests may carry them). */
const GOOD = [
  'a',
  'report.pdf',
  'holiday photos.tar',
  'été 2024 🎉.mkv',
  '日本語のファイル.txt',
  'family 👨\u200d👩\u200d👧.jpg', // ZWJ emoji sequence
  'می\u200cخواهم.txt', // Persian with ZWNJ
  'x'.repeat(MAX_FILE_NAME_BYTES),
  'é'.repeat(127), // 254 bytes
  '.hidden',
  '...',
  '.config.shoal-partial', // only the exact reserved suffixes are refused
  'shoal-part',
  'a.shoal-part.txt'
]

/** Names the rule refuses, with a word of the reason given. */
const BAD: Array<[unknown, RegExp]> = [
  ['', /empty/],
  ['.', /"\."/],
  ['..', /"\.\."/],
  ['../x', /separator/],
  ['../../etc/passwd', /separator/],
  ['a/b', /separator/],
  ['/etc/passwd', /separator/],
  ['a\\b', /separator/],
  ['..\\x', /separator/],
  ['a\0b', /control/],
  ['a\nb', /control/],
  ['a\rb', /control/],
  ['tab\there', /control/],
  ['bell\u0007', /control/],
  ['esc\u001b[31mred', /control/],
  ['del\u007f', /control/],
  ['c1 \u0085 next line', /control/],
  ['csi \u009b', /control/],
  ['line\u2028sep', /control/],
  ['para\u2029sep', /control/],
  ['lone \ud800 surrogate', /control/],
  ['invoice\u202eexe.txt', /bidirectional/], // RLO: shows as "invoicetxt.exe"
  ['a\u202ab', /bidirectional/],
  ['a\u202bb', /bidirectional/],
  ['a\u202cb', /bidirectional/],
  ['a\u202db', /bidirectional/],
  ['a\u2066b', /bidirectional/],
  ['a\u2067b', /bidirectional/],
  ['a\u2068b', /bidirectional/],
  ['a\u2069b', /bidirectional/],
  ['a\u200eb', /bidirectional/],
  ['a\u200fb', /bidirectional/],
  ['a\u061cb', /bidirectional/],
  ['zero\u200bwidth', /invisible/],
  ['word\u2060joiner', /invisible/],
  ['\ufeffbom.txt', /invisible/],
  ['soft\u00adhyphen', /invisible/],
  ['x.shoal-part', /\.shoal-part/],
  ['x.shoal-lock', /\.shoal-lock/],
  ['X.SHOAL-LOCK', /\.shoal-lock/],
  ['.shoal-lock', /\.shoal-lock/],
  ['x'.repeat(MAX_FILE_NAME_BYTES + 1), /255 bytes/],
  ['é'.repeat(128), /255 bytes/], // 128 characters, 256 bytes
  ['🎉'.repeat(64), /255 bytes/], // 64 characters, 256 bytes
  [42, /not a string/],
  [null, /not a string/],
  [undefined, /not a string/]
]

describe('the file name rule', () => {
  it('accepts ordinary names in any script, and leading dots by default', () => {
    for (const name of GOOD) {
      assert.equal(fileNameProblem(name), undefined, JSON.stringify(name))
      assert.equal(isSafeFileName(name), true, JSON.stringify(name))
    }
  })

  it('refuses separators, dot names, controls, bidi and invisible characters, reserved suffixes and long names, saying why', () => {
    for (const [name, why] of BAD) {
      assert.equal(isSafeFileName(name), false, JSON.stringify(name))
      assert.match(fileNameProblem(name) ?? 'accepted', why, JSON.stringify(name))
    }
  })

  it('refuses leading dots only when asked (where Shoal picks the path itself)', () => {
    for (const name of ['.bashrc', '.ssh', '...', '.x.txt']) {
      assert.equal(fileNameProblem(name, { allowLeadingDot: true }), undefined)
      assert.match(fileNameProblem(name, { allowLeadingDot: false }) ?? 'accepted', /starts with a dot/)
    }
    assert.equal(fileNameProblem('a.b', { allowLeadingDot: false }), undefined)
  })

  it('reserves exactly the suffixes of the files a download writes', () => {
    assert.deepEqual([...RESERVED_SUFFIXES].sort(), [LOCK_SUFFIX, PART_SUFFIX].sort())
  })

  it('is the rule manifests use, with the error code the caller chooses', () => {
    assert.equal(fromManifest, isSafeFileName)
    const hashes = new Uint8Array(32)
    for (const [name] of BAD) {
      assert.throws(() => createManifest({ name: name as string, size: 1, chunkSize: MIB, hashes }),
        (err: unknown) => hasCode(err, 'ERR_INVALID_MANIFEST'), JSON.stringify(name))
      if (typeof name !== 'string' || name.includes('\ud800')) continue
      const bytes = dagCbor.encode({ v: 1, name, size: 1, chunkSize: MIB, hashes })
      assert.throws(() => decodeManifest(bytes), (err: unknown) => hasCode(err, 'ERR_INVALID_MANIFEST'), JSON.stringify(name))
    }
    assert.throws(() => { assertSafeFileName('a/b', 'ERR_INVALID_ARGUMENT', 'the file name', { hint: 'rename it' }) },
      (err: unknown) => hasCode(err, 'ERR_INVALID_ARGUMENT') && /^the file name "a\/b" contains a path separator .*; rename it$/.test((err as Error).message))
  })

  it('quotes names so that none can draw on a terminal', () => {
    for (const [name] of BAD) {
      const quoted = quoteName(name)
      assert.doesNotMatch(quoted, /[\p{Cc}\u2028\u2029\u202a-\u202e\u2066-\u2069\u200b-\u200f\u061c\ufeff\u00ad]/u, JSON.stringify(name))
    }
    assert.equal(quoteName('invoice\u202eexe.txt'), '"invoice\\u202eexe.txt"')
  })
})
