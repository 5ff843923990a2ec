/**
 * What the CLI commands act on: the node running in the data dir (through its
 * API) or, when none runs, a node of the CLI's own — offline for catalogue
 * work, networked for `get`. Both expose the same operations, so each command
 * has one code path.
 *
 * Through a running node a command loads no more than it needs to talk
 * HTTP: no config (YAML), no catalog (SQLite), no node, no libp2p — the node
 * of our own (`own-node.ts`) is imported only when none runs, so `shoal ls`
 * through a node costs no more than `shoal ls` without one.
 */
import { readFile } from 'node:fs/promises'
import { ApiClient } from './api-client.js'
import { readNodeInfo } from '../node/node-info.js'
import type { DeepPartial, ShoalConfig } from '../config/index.js'
import type { FileListing, GetOptions, PeerView, ShareOptions, ShareResult, StorageUsage } from '../node/node.js'
import type { DistributionView } from '../distribute/record.js'
import type { JobSnapshot } from '../transfer/download-job.js'
import type { VerifyReport } from '../node/verify.js'

/** The operations commands use, on either kind of node. */
export interface BackendOperations {
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
  /**
   * Calls `listener` whenever a download changes (state or progress), until
   * the returned function is called: followers wake at once instead of
   * polling on a timer.
   */
  watch: (listener: () => void) => Promise<() => void>
  /** The running node's events (`GET /api/events`) until `signal` aborts; absent on a node of the command's own. */
  follow?: (onEvent: (event: string, data: unknown) => void, signal: AbortSignal) => Promise<void>
  close: () => Promise<void>
}

/** What `rm --everywhere` did: holders asked, holders that released, chunks they dropped. */
export interface ReleaseSummary { holders: number, released: number, dropped: number }

/**
 * A backend: a node started by this command (`ownNode`, it ends with the
 * command; its config is known) or the running node's API (its config is
 * the node's own, not read here).
 */
export type Backend = BackendOperations & ({ readonly ownNode: true, readonly config: ShoalConfig } | { readonly ownNode: false })

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
export async function connectToRunningNode (dataDir: string, defaults: { downloadLimit?: number } = {}): Promise<Backend | undefined> {
  const info = await readNodeInfo(dataDir)
  if (info == null) return undefined
  const token = (await readFile(info.tokenFile, 'utf8')).trim()
  const api = new ApiClient(info.api, token)
  // `ls` wants the files and the storage, one answer of the node's: asked once per command.
  let files: Promise<{ files: FileListing[], storage: StorageUsage }> | undefined
  const catalogue = async (): Promise<{ files: FileListing[], storage: StorageUsage }> => await (files ??= api.request('GET', '/api/files'))
  return {
    ownNode: false,
    share: async (path, o = {}) => await api.request<ShareResult>('POST', '/api/files', { path, distribute: o.distribute, replicas: o.replicas, strategy: o.strategy }, { signal: o.signal }),
    list: async () => (await catalogue()).files,
    storage: async () => (await catalogue()).storage,
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
    watch: async (listener) => {
      const stream = await api.events((event) => { if (event.startsWith('download:')) listener() })
      return () => { stream.close() }
    },
    follow: async (onEvent, signal) => {
      if (signal.aborted) return
      const stream = await api.events((event, data) => {
        let parsed: unknown
        try {
          parsed = JSON.parse(data)
        } catch {
          return // not an event of ours (the node's own events are JSON): nothing to hand on
        }
        onEvent(event, parsed)
      })
      signal.addEventListener('abort', () => { stream.close() }, { once: true })
      await stream.ended
    },
    close: async () => {}
  }
}

/** Loads the config of `dataDir` with flag overrides. */
export async function configFor (dataDir: string, overrides: DeepPartial<ShoalConfig> = {}): Promise<ShoalConfig> {
  const { loadConfig } = await import('../config/index.js')
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
  const running = await connectToRunningNode(opts.dataDir, { downloadLimit: overrides.transfer?.downloadRateLimit })
  if (running == null) {
    const config = await configFor(opts.dataDir, overrides)
    const { startOwnNode } = await import('./own-node.js')
    return await startOwnNode(opts.dataDir, config, need.networked)
  }
  // Flags are still checked (a bad value is an error, node or not); the config itself is the node's.
  if (hasValues(overrides)) await configFor(opts.dataDir, overrides)
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

function hasValues (overrides: DeepPartial<ShoalConfig>): boolean {
  return Object.values(overrides).some(section => Object.values(section ?? {}).some(v => v !== undefined))
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
