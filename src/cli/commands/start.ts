/**
 * `shoal start`: runs a node in the foreground with its API, publishes
 * node.json for the other commands, and shuts down cleanly on SIGINT/SIGTERM.
 */
import { join } from 'node:path'
import { ShoalNode } from '../../node/node.js'
import { startApi } from '../../api/server.js'
import { dashboardUrl } from '../../api/dashboard.js'
import { loadOrCreateToken, readNodeInfo, removeNodeInfo, writeNodeInfo, TOKEN_FILE } from '../../node/node-info.js'
import { configFor, type GlobalOptions } from '../backend.js'
import { parseHostPort, type DeepPartial, type ShoalConfig } from '../../config/index.js'
import { printResult } from '../output.js'
import { ShoalError } from '../../errors.js'

/** Flags of `start`. */
export interface StartFlags extends GlobalOptions {
  api?: string
  /** Listen, announce and discovery overrides from flags. */
  network: NonNullable<DeepPartial<ShoalConfig>['network']>
  /** Rate-limit overrides from flags. */
  transfer: NonNullable<DeepPartial<ShoalConfig>['transfer']>
}

/** Runs `shoal start` until `signal` aborts. */
export async function startCommand (flags: StartFlags, signal: AbortSignal): Promise<void> {
  const running = await readNodeInfo(flags.dataDir)
  if (running != null) {
    throw new ShoalError('ERR_NODE_ALREADY_RUNNING', `a node already runs in ${flags.dataDir} (pid ${running.pid}, API ${running.api})`)
  }
  const config = await configFor(flags.dataDir, {
    network: flags.network,
    api: flags.api != null ? { listen: flags.api } : undefined,
    transfer: flags.transfer
  })
  const { host, port } = parseHostPort(config.api.listen)
  const node = new ShoalNode({ dataDir: flags.dataDir, config })
  await node.start()
  let api
  let token
  try {
    token = await loadOrCreateToken(node.dataDir)
    api = await startApi({ node, token, host, port })
    await writeNodeInfo(node.dataDir, {
      peerId: node.peerId,
      addrs: node.addrs,
      api: api.url,
      tokenFile: join(node.dataDir, TOKEN_FILE),
      pid: process.pid,
      startedAt: new Date().toISOString()
    })
  } catch (err) {
    await api?.close()
    await node.stop()
    throw err
  }
  const dashboard = dashboardUrl(api.url, token)
  printResult(flags.json, { peerId: node.peerId, addrs: node.addrs, api: api.url, dataDir: node.dataDir, dashboard }, () => [
    `Shoal node ${node.peerId}`,
    ...node.addrs.map(a => `  listening on ${a}`),
    `  API: ${api.url}/api  (token in ${join(node.dataDir, TOKEN_FILE)})`,
    `  data dir: ${node.dataDir}`,
    `Dashboard: ${dashboard}`,
    'Press Ctrl-C to stop.'
  ].join('\n'))
  await new Promise<void>(resolve => {
    if (signal.aborted) resolve()
    signal.addEventListener('abort', () => { resolve() }, { once: true })
  })
  // Shutdown order: stop taking API calls, then stop the node (downloads pause
  // and keep their chunks), then withdraw node.json.
  await api.close()
  await node.stop()
  await removeNodeInfo(node.dataDir)
}
