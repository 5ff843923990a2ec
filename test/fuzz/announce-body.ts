/**
 * Generators of tracker announce bodies for the fuzz tests: mostly
 * well-formed (real peer IDs, CIDs and multiaddrs, so validation past the
 * schema is reached), some with wrong types, extra keys or junk in any field.
 * The tracker test signs them (or not, or tampers after signing) with the
 * helpers' keys of the peer IDs.
 */
import fc from 'fast-check'
import * as C from '../../src/tracker/constants.js'

/** Real IDs the generators mix with hostile ones. */
export interface Ids { peers: string[], files: string[] }

/** Hostile strings for any ID or address field. */
export const junk = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 60 }),
  fc.constantFrom('', ' ', '../', '%00', 'bafy', 'Qm', '12D3KooW', 'x'.repeat(C.MAX_ID_LENGTH + 1), '/ip4/1.2.3.4', '/p2p-circuit', '/unix/%2Ftmp', '/dns4/' + 'a'.repeat(300) + '/tcp/1')
)

/** Multiaddrs: valid, with a /p2p suffix (ours or another peer's), or hostile. */
export function address (ids: Ids, self: string): fc.Arbitrary<string> {
  const transport = fc.oneof(
    fc.tuple(fc.ipV4(), fc.integer({ min: 0, max: 65535 })).map(([ip, port]) => `/ip4/${ip}/tcp/${port}`),
    fc.constantFrom('/ip6/::1/tcp/4001', '/dns4/example.com/tcp/443/wss', '/ip4/1.2.3.4/udp/1/quic-v1')
  )
  return fc.oneof(transport, transport.map(a => `${a}/p2p/${self}`), fc.tuple(transport, fc.constantFrom(...ids.peers)).map(([a, p]) => `${a}/p2p/${p}`), fc.constant(`/p2p/${self}`), junk)
}

/**
 * Announce bodies: mostly well-formed (so validation past the schema is
 * reached), some with wrong types, extra keys or junk in any field.
 */
export function announceBody (ids: Ids): fc.Arbitrary<unknown> {
  return fc.constantFrom(...ids.peers).chain((self) => {
    const peerId = fc.oneof({ weight: 4, arbitrary: fc.constant(self) }, { weight: 1, arbitrary: junk }, { weight: 1, arbitrary: fc.constant(self.toLowerCase()) })
    const fileList = fc.array(fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...ids.files) }, { weight: 1, arbitrary: junk }), { maxLength: 8 })
    const body = fc.record({
      peerId,
      addrs: fc.array(address(ids, self), { maxLength: 6 }),
      files: fileList,
      left: fileList,
      event: fc.oneof(fc.constantFrom('started', 'stopped', 'update'), junk)
    }, { requiredKeys: [] })
    return fc.oneof(
      { weight: 6, arbitrary: body },
      { weight: 1, arbitrary: fc.tuple(body, fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 1 })).map(([b, k, v]) => ({ ...b, [k]: v })) },
      { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) }
    )
  })
}
