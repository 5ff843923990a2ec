import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { hasCode } from '../../src/errors.js'
import { parseHostPort } from '../../src/config/index.js'

describe('parseHostPort', () => {
  it('parses IPv4, host names and bracketed IPv6, port 0 included', () => {
    assert.deepEqual(parseHostPort('127.0.0.1:0'), { host: '127.0.0.1', port: 0 })
    assert.deepEqual(parseHostPort('127.0.0.1:7878'), { host: '127.0.0.1', port: 7878 })
    assert.deepEqual(parseHostPort('localhost:65535'), { host: 'localhost', port: 65535 })
    assert.deepEqual(parseHostPort('node-1.example.org:80'), { host: 'node-1.example.org', port: 80 })
    assert.deepEqual(parseHostPort('[::1]:7878'), { host: '::1', port: 7878 })
    assert.deepEqual(parseHostPort('[::]:0'), { host: '::', port: 0 })
  })

  it('rejects bad input with ERR_INVALID_ARGUMENT', () => {
    for (const [value, why] of [
      ['127.0.0.1', /expected host:port/],
      [':7878', /not a valid IPv4 address or host name/],
      ['999.0.0.1:80', /not a valid IPv4 address/],
      ['bad_host:80', /not a valid IPv4 address or host name/],
      ['::1:7878', /must be written in brackets/],
      ['[nope]:80', /not an IPv6 address/],
      ['127.0.0.1:65536', /port "65536"/],
      ['127.0.0.1:-1', /port "-1"/],
      ['127.0.0.1:', /port ""/],
      ['127.0.0.1:80x', /port "80x"/]
    ] as const) {
      assert.throws(() => parseHostPort(value),
        (err: unknown) => hasCode(err, 'ERR_INVALID_ARGUMENT') && why.test((err as Error).message), value)
    }
  })
})
