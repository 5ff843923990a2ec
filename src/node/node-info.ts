/**
 * `node.json` in the data dir tells other commands that a node runs there and
 * how to reach it: peer ID, listen addresses, API URL, token file and pid.
 * The API token lives in its own 0600 file, `api.token`.
 */
import { readFile, rename, rm, writeFile } from 'node:fs/promises'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { isProcessAlive } from '../util/pid.js'

export const NODE_INFO_FILE = 'node.json'
export const TOKEN_FILE = 'api.token'

/** What a running node publishes about itself. */
export interface NodeInfo {
  peerId: string
  addrs: string[]
  api: string
  tokenFile: string
  pid: number
  startedAt: string
}

/** Writes node.json atomically. */
export async function writeNodeInfo (dataDir: string, info: NodeInfo): Promise<void> {
  const path = join(dataDir, NODE_INFO_FILE)
  const tmp = `${path}.${process.pid}.tmp`
  await writeFile(tmp, JSON.stringify(info, null, 2) + '\n')
  await rename(tmp, path)
}

/** Reads node.json if a live process wrote it; a file left by a dead node reads as undefined. */
export async function readNodeInfo (dataDir: string): Promise<NodeInfo | undefined> {
  let info: NodeInfo
  try {
    info = JSON.parse(await readFile(join(dataDir, NODE_INFO_FILE), 'utf8')) as NodeInfo
  } catch {
    return undefined
  }
  if (typeof info.pid !== 'number' || !isProcessAlive(info.pid) || typeof info.api !== 'string') return undefined
  return info
}

/** Removes node.json if it is ours. */
export async function removeNodeInfo (dataDir: string): Promise<void> {
  const info = await readNodeInfo(dataDir)
  if (info == null || info.pid === process.pid) await rm(join(dataDir, NODE_INFO_FILE), { force: true })
}

/** The API token, created on first use. */
export async function loadOrCreateToken (dataDir: string): Promise<string> {
  const path = join(dataDir, TOKEN_FILE)
  try {
    const token = (await readFile(path, 'utf8')).trim()
    if (token.length >= 32) return token
  } catch (err) {
    // No token yet (or unreadable): a new one is written below, and a write error says why.
    if ((err as { code?: string }).code !== 'ENOENT') throw err
  }
  const token = randomBytes(32).toString('base64url')
  await writeFile(path, token + '\n', { mode: 0o600 })
  return token
}
