/**
 * What the CLI commands act on: the node running in the data dir (through its
 * API) or, when none runs, a node of the CLI's own — offline for catalogue
 * work, networked for `get`. Both expose the same operations, so each command
 * has one code path.
 */
import { readFile } from 'node:fs/promises'
import { ApiClient } from './api-client.js'
import { readNodeInfo } from '../node/node-info.js'
import { loadConfig, type DeepPartial, type ShoalConfig } from '../config/index.js'
import { ShoalNode, type FileListing, type GetOptions, type PeerView, type ShareOptions, type ShareResult, type StorageUsage } from '../node/node.js'
import type { DistributionView } from '../distribute/record.js'
import { ShoalError } from '../errors.js'
import type { JobSnapshot } from '../transfer/download-job.js'
import type { VerifyReport } from '../node/verify.js'

/** The operations commands use. */
export interface Backend {
  /** True when the backend is a node started by this command (it ends with the command). */
  readonly ownNode: boolean
  readonly config: ShoalConfig
  share: (path: string, options?: ShareOptions) => Promise<ShareResult>
  list: () => Promise<FileListing[]>
  /** Pushed chunks held here against the quota. */
  storage: () => Promise<StorageUsage>
  remove: (id: string, options?: { everywhere?: boolean }) => Promise<ReleaseSummary | undefined>
  /** The distribution map of a file this node distributed or holds chunks of. */
  distribution: (id: string) => Promise<DistributionView>
  verify: (id: string) => Promise<VerifyReport[]>
  startDownload: (target: string, options: GetOptions) => Promise<JobSnapshot>
  download: (id: string) => Promise<JobSnapshot>
  downloads: () => Promise<JobSnapshot[]>
  cancel: (id: string) => Promise<void>
  peers: () => Promise<PeerView[]>
  /** The running node's events (`GET /api/events`) until `signal` aborts; absent on a node of the command's own. */
  follow?: (onEvent: (event: string, data: unknown) => void, signal: AbortSignal) => Promise<void>
  close: () => Promise<void>
}

/** What `rm --everywhere` did: holders asked, holders that released, chunks they dropped. */
export interface ReleaseSummary { holders: number, released: number, dropped: number }

/** Options every command shares. */
export interface GlobalOptions {
  dataDir: string
  json: boolean
}

/**
 * The running node's backend, or undefined when no node runs in `dataDir`.
 * `downloadLimit` (bytes/s) is given to every download started through it
 * that names none: that download's own limit, on top of the node's.
 */
export async function connectToRunningNode (dataDir: string, config: ShoalConfig, defaults: { downloadLimit?: number } = {}): Promise<Backend | undefined> {
  const info = await readNodeInfo(dataDir)
  if (info == null) return undefined
  const token = (await readFile(info.tokenFile, 'utf8')).trim()
  const api = new ApiClient(info.api, token)
  return {
    ownNode: false,
    config,
    share: async (path, o = {}) => await api.request<ShareResult>('POST', '/api/files', { path, distribute: o.distribute, replicas: o.replicas, strategy: o.strategy }, { signal: o.signal }),
    list: async () => (await api.request<{ files: FileListing[] }>('GET', '/api/files')).files,
    storage: async () => (await api.request<{ storage: StorageUsage }>('GET', '/api/files')).storage,
    remove: async (id, o = {}) => (await api.request<{ released?: ReleaseSummary }>('DELETE', `/api/files/${encodeURIComponent(id)}${o.everywhere === true ? '?everywhere=true' : ''}`)).released,
    distribution: async (id) => await api.request<DistributionView>('GET', `/api/files/${encodeURIComponent(id)}/distribution`),
    verify: async (id) => (await api.request<{ copies: VerifyReport[] }>('POST', `/api/files/${encodeURIComponent(id)}/verify`)).copies,
    startDownload: async (target, o) => await api.request<JobSnapshot>('POST', '/api/downloads', {
      target, output: o.output, cwd: o.cwd, peers: o.peers, sequential: o.sequential, downloadLimit: o.downloadLimit ?? defaults.downloadLimit
    }, { signal: o.signal }),
    download: async (id) => await api.request<JobSnapshot>('GET', `/api/downloads/${encodeURIComponent(id)}`),
    downloads: async () => (await api.request<{ downloads: JobSnapshot[] }>('GET', '/api/downloads')).downloads,
    cancel: async (id) => { await api.request('DELETE', `/api/downloads/${encodeURIComponent(id)}`) },
    peers: async () => (await api.request<{ peers: PeerView[] }>('GET', '/api/peers')).peers,
    follow: async (onEvent, signal) => { await followEvents(info.api, token, onEvent, signal) },
    close: async () => {}
  }
}

/** Reads the API's Server-Sent Events, handing each (event, JSON data) to `onEvent`, until `signal` aborts or the stream ends. */
async function followEvents (api: string, token: string, onEvent: (event: string, data: unknown) => void, signal: AbortSignal): Promise<void> {
  const res = await fetch(`${api.replace(/\/$/, '')}/api/events`, { headers: { authorization: `Bearer ${token}` }, signal })
  if (!res.ok || res.body == null) return
  const decoder = new TextDecoder()
  let buffered = ''
  for await (const bytes of res.body) {
    buffered += decoder.decode(bytes as Uint8Array, { stream: true })
    let end
    while ((end = buffered.indexOf('\n\n')) >= 0) {
      const message = buffered.slice(0, end)
      buffered = buffered.slice(end + 2)
      const event = /^event: (.*)$/m.exec(message)?.[1]
      const data = /^data: (.*)$/m.exec(message)?.[1]
      if (event !== undefined && data !== undefined) onEvent(event, JSON.parse(data))
    }
  }
}

/** A backend on a node of the command's own; `networked` starts libp2p too. */
export async function startOwnNode (dataDir: string, config: ShoalConfig, networked: boolean): Promise<Backend> {
  const node = new ShoalNode({ dataDir, config })
  await node.start({ offline: !networked, resume: false })
  const running = (id: string): never => { throw new ShoalError('ERR_NODE_NOT_RUNNING', `no node runs in ${dataDir}, so no download ${id} is running; start one with \`shoal start\``) }
  return {
    ownNode: true,
    config,
    share: async (path, o) => await node.share(path, o),
    list: async () => node.list(),
    storage: async () => node.storageUsage(),
    remove: async (id, o) => await node.remove(id, o),
    distribution: async (id) => node.distributionView(id),
    verify: async (id) => await node.verify(id),
    startDownload: async (target, o) => (await node.startDownload(target, o)).job.snapshot(),
    download: async (id) => node.download(id) ?? running(id),
    downloads: async () => node.downloads(),
    cancel: async (id) => { if (node.job(id) == null) running(id); node.cancel(id) },
    peers: async () => networked ? await node.peers() : running('(peers)'),
    close: async () => { await node.stop() }
  }
}

/** Loads the config of `dataDir` with flag overrides. */
export async function configFor (dataDir: string, overrides: DeepPartial<ShoalConfig> = {}): Promise<ShoalConfig> {
  return await loadConfig({ dataDir, overrides })
}

/**
 * The running node if any, else a node of our own. `overrides` are the
 * command's flags: a node of our own starts with them; a running node keeps
 * its own settings, except the download limit, which becomes the download's
 * own (see connectToRunningNode). Every other flag is then ignored, and a
 * one-line warning on stderr says so and why (`warn` replaces it in tests).
 */
export async function openBackend (opts: GlobalOptions, need: { networked: boolean }, overrides: DeepPartial<ShoalConfig> = {}, warn = warnOnStderr): Promise<Backend> {
  const config = await configFor(opts.dataDir, overrides)
  const running = await connectToRunningNode(opts.dataDir, config, { downloadLimit: overrides.transfer?.downloadRateLimit })
  if (running == null) return await startOwnNode(opts.dataDir, config, need.networked)
  const ignored = startOnlyFlags(overrides)
  if (ignored.length > 0) {
    warn(`${ignored.join(', ')} ignored: a node already runs in ${opts.dataDir} and keeps the settings it started with ` +
      '(give them to `shoal start`, or stop that node so this command runs its own)')
  }
  return running
}

/** Flags named by the config key they override. */
const FLAG_OF: Record<string, string> = {
  'transfer.uploadRateLimit': '--upload-limit',
  'transfer.peerUploadRateLimit': '--peer-upload-limit',
  'transfer.peerDownloadRateLimit': '--peer-download-limit',
  'network.trackers': '--tracker',
  'network.bootstrap': '--bootstrap',
  'network.mdns': '--no-mdns',
  'network.dht': '--no-dht',
  'network.swarmKey': '--swarm-key',
  'network.listen': '--listen',
  'network.announce': '--announce'
}

/** The flags in `overrides` that only a node's start can apply (all but the download limit). */
export function startOnlyFlags (overrides: DeepPartial<ShoalConfig>): string[] {
  const out: string[] = []
  for (const [section, values] of Object.entries(overrides)) {
    for (const [key, value] of Object.entries(values ?? {})) {
      const path = `${section}.${key}`
      if (value === undefined || path === 'transfer.downloadRateLimit') continue
      out.push(FLAG_OF[path] ?? path)
    }
  }
  return out
}

function warnOnStderr (message: string): void {
  process.stderr.write(`shoal: warning: ${message}\n`)
}

/** Runs `fn` on the right backend and closes it afterwards, however `fn` ends. */
export async function withBackend<T> (opts: GlobalOptions, need: { networked: boolean }, fn: (backend: Backend) => Promise<T>, overrides: DeepPartial<ShoalConfig> = {}): Promise<T> {
  const backend = await openBackend(opts, need, overrides)
  try {
    return await fn(backend)
  } finally {
    await backend.close()
  }
}
