/**
 * A backend on a node of the command's own, for when no node runs in the
 * data dir. Its own module so that commands going through a running node
 * never load the node, its catalog (SQLite) or its networking.
 */
import { ShoalNode } from '../node/node.js'
import { ShoalError } from '../errors.js'
import type { Backend } from './backend.js'
import type { ShoalConfig } from '../config/index.js'

/** Download events a follower wakes on. */
const DOWNLOAD_EVENTS = ['download:state', 'download:progress'] as const

/** Starts a node on `dataDir`; `networked` starts libp2p too. */
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
    watch: async (listener) => {
      const wake = (): void => { listener() }
      for (const event of DOWNLOAD_EVENTS) node.on(event, wake)
      return () => { for (const event of DOWNLOAD_EVENTS) node.off(event, wake) }
    },
    // The command's process exits right after (cli/main.ts).
    close: async () => { await node.stop({ exiting: true }) }
  }
}
