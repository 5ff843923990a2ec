/**
 * `shoal dashboard`: prints the address that opens the dashboard of the node
 * running on this data dir, logged in (the API's root with its token).
 */
import { readFile } from 'node:fs/promises'
import { dashboardUrl } from '../../api/dashboard.js'
import { readNodeInfo } from '../../node/node-info.js'
import { ShoalError } from '../../errors.js'
import { printResult } from '../output.js'
import type { GlobalOptions } from '../backend.js'

/** Prints the dashboard URL of the running node (`ERR_NODE_NOT_RUNNING` when none runs). */
export async function dashboardCommand (flags: GlobalOptions): Promise<void> {
  const info = await readNodeInfo(flags.dataDir)
  if (info == null) {
    throw new ShoalError('ERR_NODE_NOT_RUNNING', `no node runs in ${flags.dataDir}; start one with \`shoal start\`, which prints the dashboard address too`)
  }
  const token = (await readFile(info.tokenFile, 'utf8')).trim()
  const url = dashboardUrl(info.api, token)
  printResult(flags.json, { url }, () => url)
}
