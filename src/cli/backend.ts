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
import { ShoalNode, type FileListing, type GetOptions, type PeerView, type ShareResult } from '../node/node.js'
import { ShoalError } from '../errors.js'
import type { JobSnapshot } from '../transfer/download-job.js'
import type { VerifyReport } from '../node/verify.js'

/** The operations commands use. */
export interface Backend {
  /** True when the backend is a node started by this command (it ends with the command). */
  readonly ownNode: boolean
  readonly config: ShoalConfig
  share: (path: string) => Promise<ShareResult>
  list: () => Promise<FileListing[]>
  remove: (id: string) => Promise<void>
  verify: (id: string) => Promise<VerifyReport[]>
  startDownload: (target: string, options: GetOptions) => Promise<JobSnapshot>
  download: (id: string) => Promise<JobSnapshot>
  downloads: () => Promise<JobSnapshot[]>
  cancel: (id: string) => Promise<void>
  peers: () => Promise<PeerView[]>
  close: () => Promise<void>
}

/** Options every command shares. */
export interface GlobalOptions {
  dataDir: string
  json: boolean
}

/** The running node's backend, or undefined when no node runs in `dataDir`. */
export async function connectToRunningNode (dataDir: string, config: ShoalConfig): Promise<Backend | undefined> {
  const info = await readNodeInfo(dataDir)
  if (info == null) return undefined
  const token = (await readFile(info.tokenFile, 'utf8')).trim()
  const api = new ApiClient(info.api, token)
  return {
    ownNode: false,
    config,
    share: async (path) => await api.request<ShareResult>('POST', '/api/files', { path }),
    list: async () => (await api.request<{ files: FileListing[] }>('GET', '/api/files')).files,
    remove: async (id) => { await api.request('DELETE', `/api/files/${encodeURIComponent(id)}`) },
    verify: async (id) => (await api.request<{ copies: VerifyReport[] }>('POST', `/api/files/${encodeURIComponent(id)}/verify`)).copies,
    startDownload: async (target, o) => await api.request<JobSnapshot>('POST', '/api/downloads', {
      target, output: o.output, cwd: o.cwd, peers: o.peers, sequential: o.sequential
    }, { signal: o.signal }),
    download: async (id) => await api.request<JobSnapshot>('GET', `/api/downloads/${encodeURIComponent(id)}`),
    downloads: async () => (await api.request<{ downloads: JobSnapshot[] }>('GET', '/api/downloads')).downloads,
    cancel: async (id) => { await api.request('DELETE', `/api/downloads/${encodeURIComponent(id)}`) },
    peers: async () => (await api.request<{ peers: PeerView[] }>('GET', '/api/peers')).peers,
    close: async () => {}
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
    share: async (path) => await node.share(path),
    list: async () => node.list(),
    remove: async (id) => { await node.remove(id) },
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

/** The running node if any, else a node of our own. */
export async function openBackend (opts: GlobalOptions, need: { networked: boolean }, overrides: DeepPartial<ShoalConfig> = {}): Promise<Backend> {
  const config = await configFor(opts.dataDir, overrides)
  return await connectToRunningNode(opts.dataDir, config) ?? await startOwnNode(opts.dataDir, config, need.networked)
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
