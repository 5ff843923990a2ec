/**
 * Option groups several commands share (data dir and --json; network,
 * discovery and rate flags of `start` and `get`) and their translation into
 * config overrides: only what was given on the command line overrides.
 */
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'
import { Option, type Command } from 'commander'
import { SCHEMA, type DeepPartial, type ShoalConfig } from '../config/schema.js'
import type { GlobalOptions } from './backend.js'

/** Appends a repeated flag's values (`--peer A --peer B`). */
export function collect (value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value]
}

/** Adds --data-dir and --json to a command. */
export function common (cmd: Command): Command {
  return cmd
    .addOption(new Option('--data-dir <dir>', 'node data directory (default: $SHOAL_HOME or ~/.shoal)'))
    .option('--json', 'print machine-readable JSON', false)
}

/** --data-dir and --json resolved: the flag, else $SHOAL_HOME, else ~/.shoal. */
export function globals (opts: { dataDir?: string, json?: boolean }): GlobalOptions {
  const dir = opts.dataDir ?? process.env.SHOAL_HOME ?? join(homedir(), '.shoal')
  return { dataDir: resolve(dir), json: opts.json === true }
}

/** Network flags of start and get, as commander gives them. */
export interface NetworkFlags {
  listen?: string[]
  announce?: string[]
  tracker?: string[]
  bootstrap?: string[]
  mdns?: boolean
  dht?: boolean
  swarmKey?: string
}

/**
 * Adds the listen, discovery and private-swarm flags. Repeatable flags have
 * no commander default: help shows the config default instead of `[]`.
 */
export function network (cmd: Command): Command {
  const listen = SCHEMA.network.listen.default.join(', ')
  return cmd
    .option('--listen <multiaddr>', `libp2p listen address (repeatable; port 0 picks one) (default: ${listen})`, collect)
    .option('--announce <multiaddr>', 'address to advertise instead of the listen addresses (repeatable)', collect)
    .option('--tracker <url>', 'a tracker to announce to and find peers through (repeatable)', collect)
    .option('--bootstrap <multiaddr>', 'a peer to join the swarm through (repeatable)', collect)
    .option('--no-mdns', 'do not discover peers on the LAN')
    .option('--no-dht', 'do not run the DHT')
    .option('--swarm-key <file>', 'join the private swarm of this key file (see `shoal swarm-key new`)')
}

/** Network flags as config overrides. */
export function networkOverrides (opts: NetworkFlags): NonNullable<DeepPartial<ShoalConfig>['network']> {
  return {
    ...(opts.listen != null ? { listen: opts.listen } : {}),
    ...(opts.announce != null ? { announce: opts.announce } : {}),
    ...(opts.tracker != null ? { trackers: opts.tracker } : {}),
    ...(opts.bootstrap != null ? { bootstrap: opts.bootstrap } : {}),
    ...(opts.mdns === false ? { mdns: false } : {}),
    ...(opts.dht === false ? { dht: false } : {}),
    // Relative to where the command runs, as any path on a command line.
    ...(opts.swarmKey != null ? { swarmKey: resolve(opts.swarmKey) } : {})
  }
}

/** Rate flags, as commander gives them. */
export interface RateFlags { uploadLimit?: string, downloadLimit?: string, peerUploadLimit?: string, peerDownloadLimit?: string }

/** Adds the rate-limit flags. */
export function rateLimits (cmd: Command): Command {
  return cmd
    .option('--upload-limit <rate>', 'upload limit over all peers, bytes/s (500K, 10M; 0 = none)')
    .option('--download-limit <rate>', 'download limit over all downloads, bytes/s')
    .option('--peer-upload-limit <rate>', 'upload limit to any one peer, bytes/s')
    .option('--peer-download-limit <rate>', 'download limit from any one peer, bytes/s')
}

/** Rate flags as config overrides. */
export async function rateOverrides (opts: RateFlags): Promise<NonNullable<DeepPartial<ShoalConfig>['transfer']>> {
  const { parseByteRate } = await import('./byte-rate.js')
  const out: Record<string, number> = {}
  const flags = [['uploadLimit', 'uploadRateLimit'], ['downloadLimit', 'downloadRateLimit'], ['peerUploadLimit', 'peerUploadRateLimit'], ['peerDownloadLimit', 'peerDownloadRateLimit']] as const
  for (const [flag, key] of flags) {
    const value = opts[flag]
    if (value != null) out[key] = parseByteRate(value, `--${flag.replace(/[A-Z]/g, c => `-${c.toLowerCase()}`)}`)
  }
  return out
}
