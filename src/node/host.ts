/**
 * The node's libp2p host as its config describes it: its identity from the
 * data dir, its peer store on disk there, and the network settings.
 */
import { join, resolve } from 'node:path'
import type { ShoalServices } from '../net/create-libp2p.js'
import type { ShoalConfig } from '../config/index.js'
import type { Libp2p, PrivateKey } from '@libp2p/interface'

/** Directory in the data dir holding libp2p's peer store (known peers, DHT routing table). */
export const PEERSTORE_DIR = 'peerstore'

/** Creates (does not start) the host of the node whose data dir is `dataDir`. */
export async function createHost (dataDir: string, config: ShoalConfig, n: typeof import('./networking.js')): Promise<{ libp2p: Libp2p<ShoalServices>, privateKey: PrivateKey }> {
  const privateKey = await n.loadOrCreateIdentity(dataDir)
  const datastore = new n.FsDatastore(join(dataDir, PEERSTORE_DIR))
  await datastore.open()
  const net = config.network
  const libp2p = await n.createShoalLibp2p({
    privateKey,
    listen: net.listen,
    announce: net.announce,
    maxConnections: net.maxConnections,
    maxConnectionsPerIp: net.maxConnectionsPerIp,
    // A relative key path in the config is relative to the data dir (the CLI makes flags absolute).
    swarmKeyFile: net.swarmKey === '' ? undefined : resolve(dataDir, net.swarmKey),
    dhtProtocol: net.dht ? net.dhtProtocol : undefined,
    mdns: net.mdns,
    bootstrap: net.bootstrap,
    datastore
  })
  return { libp2p, privateKey }
}
