/**
 * The one description of Shoal's configuration. Every key is declared once
 * here with its kind, range, default and doc; validation (`validate.ts`),
 * environment parsing (`env.ts`), documentation (`docs.ts`), `DEFAULT_CONFIG`
 * and the `ShoalConfig` type are all derived from it. Units are in the key
 * names where they are not obvious; sizes are bytes.
 */
import { HOST_PORT, HTTP_URL, MULTIADDR, OPTIONAL_FILE_PATH, PEER_MULTIADDR, PROTOCOL_ID, type Format } from './formats.js'

const KiB = 1024
const MiB = 1024 * KiB
const GiB = 1024 * MiB
const DAY_MS = 86_400_000
const DAY_S = 86_400
const NO_MAX = Number.MAX_SAFE_INTEGER

interface FieldBase<K extends string, T> {
  readonly kind: K
  readonly default: T
  readonly doc: string
}

/** A safe integer within `[min, max]`. */
export interface IntegerField extends FieldBase<'integer', number> {
  readonly min: number
  readonly max: number
}
/** `true` or `false`. */
export interface BooleanField extends FieldBase<'boolean', boolean> {}
/** One string of a given format. */
export interface StringField extends FieldBase<'string', string> {
  readonly format: Format
}
/** A list of strings, each of a given format (comma-separated in the environment). */
export interface ListField extends FieldBase<'string[]', readonly string[]> {
  readonly format: Format
}
/** One of a fixed set of strings; `aliases` map accepted spellings to canonical values. */
export interface EnumField<V extends string = string> extends FieldBase<'enum', V> {
  readonly values: readonly V[]
  readonly aliases: Readonly<Record<string, V>>
}
/** The declaration of one config key. */
export type Field = IntegerField | BooleanField | StringField | ListField | EnumField

type Spec<F extends Field> = Omit<F, 'kind'>

const integer = (spec: Omit<Spec<IntegerField>, 'max'> & { max?: number }): IntegerField =>
  ({ kind: 'integer', max: NO_MAX, ...spec })
const boolean = (spec: Spec<BooleanField>): BooleanField => ({ kind: 'boolean', ...spec })
const string = (spec: Spec<StringField>): StringField => ({ kind: 'string', ...spec })
const list = (spec: Spec<ListField>): ListField => ({ kind: 'string[]', ...spec })
const oneOf = <const V extends string>(spec: {
  values: readonly V[]
  aliases?: Record<string, NoInfer<V>>
  default: NoInfer<V>
  doc: string
}): EnumField<V> => ({ kind: 'enum', aliases: {}, ...spec })

/** Every config section and key, with its declaration. */
export const SCHEMA = {
  chunking: {
    chunkSize: integer({ min: 16 * KiB, max: 256 * MiB, default: MiB, doc: 'Base chunk size in bytes; very large files use a larger one so the chunk count stays bounded.' }),
    minFileSizeForDistribution: integer({ min: 0, default: GiB, doc: 'Files of at least this many bytes are pushed out across the swarm when shared.' }),
    minPeersForDistribution: integer({ min: 1, default: 2, doc: 'Online peers needed to distribute a file; with fewer, the share is refused.' }),
    distributionStrategy: oneOf({ values: ['round-robin', 'weighted'], aliases: { round_robin: 'round-robin' }, default: 'round-robin', doc: 'How pushed chunks are placed: round-robin, or weighted by peer capacity and bandwidth.' }),
    autoResumeDownloads: boolean({ default: true, doc: 'Resume unfinished downloads when the node starts and when sources come back.' }),
    resumeCheckInterval: integer({ min: 1, max: DAY_S, default: 30, doc: 'Seconds between checks for stalled downloads that can resume.' })
  },
  network: {
    listen: list({ format: MULTIADDR, default: ['/ip4/0.0.0.0/tcp/0'], doc: 'Multiaddrs the libp2p node listens on.' }),
    announce: list({ format: MULTIADDR, default: [], doc: 'Multiaddrs to advertise instead of the listen addresses (empty: advertise those).' }),
    bootstrap: list({ format: PEER_MULTIADDR, default: [], doc: 'Peers dialled at start to join the swarm.' }),
    mdns: boolean({ default: true, doc: 'Discover peers on the local network with mDNS.' }),
    dht: boolean({ default: true, doc: 'Run the Kademlia DHT to find peers and providers.' }),
    dhtProtocol: string({ format: PROTOCOL_ID, default: '/shoal/kad/1.0.0', doc: 'DHT protocol ID; only nodes using the same one share a DHT.' }),
    trackers: list({ format: HTTP_URL, default: [], doc: 'Tracker URLs to announce to and query for peers.' }),
    maxConnections: integer({ min: 1, max: 100_000, default: 300, doc: 'Most open peer connections.' }),
    maxConnectionsPerIp: integer({ min: 1, max: 100_000, default: 32, doc: 'Most inbound peer connections (open or in their handshake) from one IP address; more are refused.' }),
    direct: boolean({ default: true, doc: 'Move chunk data over a direct TLS connection between two nodes (certificates bound to their peer IDs, opened with a one-time ticket from the libp2p connection) when one can be made; otherwise over libp2p.' }),
    directPort: integer({ min: 0, max: 65_535, default: 0, doc: 'TCP port of the direct TLS data path, on the host of the first TCP listen address; 0 picks a free port.' }),
    swarmKey: string({ format: OPTIONAL_FILE_PATH, default: '', doc: 'Swarm key file (kubo `swarm.key` format, made by `shoal swarm-key new`): only nodes with the same key can connect. Relative to the data dir; empty: a public swarm.' })
  },
  api: {
    listen: string({ format: HOST_PORT, default: '127.0.0.1:7878', doc: 'Address of the HTTP API and dashboard; port 0 picks a free port.' })
  },
  transfer: {
    requestsInFlightPerPeer: integer({ min: 1, max: 1024, default: 16, doc: 'Most chunk requests in flight to one peer while downloading.' }),
    chunkRetries: integer({ min: 0, max: 100, default: 3, doc: 'Times a failed chunk is retried, from another source when there is one.' }),
    requestTimeoutMs: integer({ min: 1, max: DAY_MS, default: 30_000, doc: 'Milliseconds a chunk request may take before it fails.' }),
    stallTimeoutMs: integer({ min: 1, max: DAY_MS, default: 15_000, doc: 'Milliseconds without data after which a peer counts as stalled.' }),
    maxUploadsPerPeer: integer({ min: 1, max: 1024, default: 16, doc: 'Most chunk uploads served to one peer at once.' }),
    maxUploadsTotal: integer({ min: 1, max: 65_536, default: 64, doc: 'Most chunk uploads served at once, over all peers.' }),
    uploadRateLimit: integer({ min: 0, default: 0, doc: 'Upload limit in bytes per second, over all peers; 0 means unlimited.' }),
    downloadRateLimit: integer({ min: 0, default: 0, doc: 'Download limit in bytes per second, over all downloads and peers; 0 means unlimited.' }),
    peerUploadRateLimit: integer({ min: 0, default: 0, doc: 'Upload limit in bytes per second to any one peer; 0 means unlimited.' }),
    peerDownloadRateLimit: integer({ min: 0, default: 0, doc: 'Download limit in bytes per second from any one peer; 0 means unlimited.' }),
    uploadStallTimeoutMs: integer({ min: 100, max: DAY_MS, default: 30_000, doc: 'Milliseconds an upload to a peer may make no progress (the peer stopped reading) before its stream is closed.' }),
    peerUploadBufferBytes: integer({ min: 64 * KiB, max: GiB, default: 4 * MiB, doc: 'Most bytes of outgoing data held in memory for one peer at once (chunks read for it and not yet sent), over all its streams.' }),
    noProviderTimeoutMs: integer({ min: 1, max: DAY_MS, default: 20_000, doc: 'Milliseconds `get` looks for a peer with the file before failing with ERR_NO_PROVIDERS.' })
  },
  storage: {
    chunkQuotaBytes: integer({ min: 0, default: 10 * GiB, doc: 'Most bytes of chunks that other peers may push to this node.' }),
    chunkQuotaPerUploaderPercent: integer({ min: 1, max: 100, default: 50, doc: 'Most of `chunkQuotaBytes`, in percent, that the files of any one uploader may take, so one peer cannot fill the whole quota.' })
  },
  distribution: {
    // MAX_RECORD_REPLICAS (src/distribute/record-codec.ts): a record cannot name more.
    replicas: integer({ min: 1, max: 32, default: 2, doc: 'Copies of every chunk a distributed file gets, each on a distinct peer.' }),
    repairDelaySeconds: integer({ min: 1, max: 30 * DAY_S, default: 600, doc: 'Seconds a holder of distributed chunks may stay unreachable before its copies are made again elsewhere.' }),
    acceptPushes: boolean({ default: true, doc: 'Take chunks that other peers push to this node for storage (within `storage.chunkQuotaBytes`).' })
  }
} satisfies Record<string, Record<string, Field>>

type ValueOf<F> = F extends FieldBase<string, infer T> ? T : never
type ConfigOf<S> = { readonly [Sec in keyof S]: { readonly [K in keyof S[Sec]]: ValueOf<S[Sec][K]> } }

/** A complete, validated, deep-frozen configuration; see `SCHEMA` for each key. */
export interface ShoalConfig extends ConfigOf<typeof SCHEMA> {}

/** Any subset of a config, two levels deep: the shape of CLI flag overrides. */
export type DeepPartial<T> = {
  [K in keyof T]?: T[K] extends readonly unknown[] ? T[K] : T[K] extends object ? DeepPartial<T[K]> : T[K]
}

/** One declared key, addressed by its dotted path (`chunking.chunkSize`). */
export interface FieldEntry {
  readonly section: string
  readonly key: string
  readonly path: string
  readonly field: Field
}

/** Every declared key by dotted path, in declaration order. */
export const FIELDS: ReadonlyMap<string, FieldEntry> = new Map(
  Object.entries(SCHEMA).flatMap(([section, keys]) => Object.entries(keys).map(([key, field]): [string, FieldEntry] =>
    [`${section}.${key}`, { section, key, path: `${section}.${key}`, field }]))
)

/** The section names. */
export const SECTIONS: ReadonlySet<string> = new Set(Object.keys(SCHEMA))

/** What a valid value of `field` is, as a noun phrase for errors and docs. */
export function describeField (field: Field): string {
  switch (field.kind) {
    case 'integer':
      return field.max === NO_MAX ? `an integer ≥ ${field.min}` : `an integer from ${field.min} to ${field.max}`
    case 'boolean':
      return 'true or false'
    case 'string':
      return field.format.expected
    case 'string[]':
      return `a list, each item ${field.format.expected}`
    case 'enum':
      return `one of ${field.values.map(v => `"${v}"`).join(', ')}`
  }
}
