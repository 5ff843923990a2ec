/**
 * The `shoal` command line. Every command takes --data-dir (or SHOAL_HOME)
 * and --json; errors end as one line on stderr and a non-zero exit code.
 */
import './heap-tuning.js'
import '../polyfill.js'
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'
import { Command, CommanderError, Option } from 'commander'
import { printError, EXIT_USAGE } from './output.js'
import type { GlobalOptions } from './backend.js'
import type { DeepPartial, ShoalConfig } from '../config/index.js'

const program = new Command('shoal')
  .description('Peer-to-peer file sharing: content-addressed, verified, multi-source.')
  .version('0.1.0')
  .exitOverride()
  .showHelpAfterError()

const controller = new AbortController()
let interrupted = 0
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    if (++interrupted > 1) process.exit(130)
    controller.abort()
  })
}

function collect (value: string, previous: string[]): string[] {
  return [...previous, value]
}

/** Adds --data-dir and --json to a command and resolves them. */
function common (cmd: Command): Command {
  return cmd
    .addOption(new Option('--data-dir <dir>', 'node data directory (default: $SHOAL_HOME or ~/.shoal)'))
    .option('--json', 'print machine-readable JSON', false)
}

/** Adds the discovery flags shared by start and get. */
function discovery (cmd: Command): Command {
  return cmd
    .option('--tracker <url>', 'a tracker to announce to and find peers through (repeatable)', collect, [])
    .option('--bootstrap <multiaddr>', 'a peer to join the swarm through (repeatable)', collect, [])
    .option('--no-mdns', 'do not discover peers on the LAN')
    .option('--no-dht', 'do not run the DHT')
    .option('--swarm-key <file>', 'join the private swarm of this key file (see `shoal swarm-key new`)')
}

/** Discovery flags as config overrides: only what was given on the command line. */
function discoveryOverrides (opts: DiscoveryFlags): NonNullable<DeepPartial<ShoalConfig>['network']> {
  return {
    ...(opts.tracker.length > 0 ? { trackers: opts.tracker } : {}),
    ...(opts.bootstrap.length > 0 ? { bootstrap: opts.bootstrap } : {}),
    ...(opts.mdns === false ? { mdns: false } : {}),
    ...(opts.dht === false ? { dht: false } : {}),
    // Relative to where the command runs, as any path on a command line.
    ...(opts.swarmKey != null ? { swarmKey: resolve(opts.swarmKey) } : {})
  }
}

interface DiscoveryFlags { tracker: string[], bootstrap: string[], mdns?: boolean, dht?: boolean, swarmKey?: string }

/** Adds the rate-limit flags shared by start and get. */
function rateLimits (cmd: Command): Command {
  return cmd
    .option('--upload-limit <rate>', 'upload limit over all peers, bytes/s (500K, 10M; 0 = none)')
    .option('--download-limit <rate>', 'download limit over all downloads, bytes/s')
    .option('--peer-upload-limit <rate>', 'upload limit to any one peer, bytes/s')
    .option('--peer-download-limit <rate>', 'download limit from any one peer, bytes/s')
}

interface RateFlags { uploadLimit?: string, downloadLimit?: string, peerUploadLimit?: string, peerDownloadLimit?: string }

/** Rate flags as config overrides: only what was given on the command line. */
async function rateOverrides (opts: RateFlags): Promise<NonNullable<DeepPartial<ShoalConfig>['transfer']>> {
  const { parseByteRate } = await import('./byte-rate.js')
  const out: Record<string, number> = {}
  const flags = [['uploadLimit', 'uploadRateLimit'], ['downloadLimit', 'downloadRateLimit'], ['peerUploadLimit', 'peerUploadRateLimit'], ['peerDownloadLimit', 'peerDownloadRateLimit']] as const
  for (const [flag, key] of flags) {
    const value = opts[flag]
    if (value != null) out[key] = parseByteRate(value, `--${flag.replace(/[A-Z]/g, c => `-${c.toLowerCase()}`)}`)
  }
  return out
}

function globals (opts: { dataDir?: string, json?: boolean }): GlobalOptions {
  const dir = opts.dataDir ?? process.env.SHOAL_HOME ?? join(homedir(), '.shoal')
  return { dataDir: resolve(dir), json: opts.json === true }
}

let jsonMode = false
function action<A extends unknown[]> (fn: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    const opts = args[args.length - 2] as { json?: boolean } | undefined
    jsonMode = opts?.json === true
    await fn(...args)
  }
}

rateLimits(discovery(common(program.command('start').description('run a node (libp2p + API) in the foreground'))))
  .option('--listen <multiaddr>', 'libp2p listen address (repeatable; port 0 picks one)', collect, [])
  .option('--api <host:port>', 'API listen address (port 0 picks one)')
  .action(action(async (opts: DiscoveryFlags & RateFlags & { listen: string[], api?: string, dataDir?: string, json?: boolean }) => {
    const { startCommand } = await import('./commands/start.js')
    await startCommand({ ...globals(opts), listen: opts.listen, api: opts.api, network: discoveryOverrides(opts), transfer: await rateOverrides(opts) }, controller.signal)
  }))

common(program.command('share').argument('<path>', 'file to share').description('hash a file and share it (served in place)'))
  .action(action(async (path: string, opts: { dataDir?: string, json?: boolean }) => {
    const { shareCommand } = await import('./commands/files.js')
    await shareCommand(path, globals(opts))
  }))

rateLimits(discovery(common(program.command('get').argument('<id-or-link>', 'file ID or shoal:// link').description('download a file, verified, from every peer that has it (discovery and rate flags apply when get runs its own node; a running node keeps its own)'))))
  .option('-o, --output <path>', 'destination file or directory')
  .option('--peer <multiaddr>', 'a peer to fetch from (repeatable)', collect, [])
  .option('--sequential', 'fetch chunks in order', false)
  .option('-q, --quiet', 'print nothing but errors (and the result with --json)', false)
  .option('-v, --verbose', 'also print peers as they are found and each peer\'s share at the end', false)
  .action(action(async (target: string, opts: DiscoveryFlags & RateFlags & { output?: string, peer: string[], sequential: boolean, quiet: boolean, verbose: boolean, dataDir?: string, json?: boolean }) => {
    const { getCommand } = await import('./commands/get.js')
    await getCommand(target, { ...globals(opts), output: opts.output, peer: opts.peer, sequential: opts.sequential, quiet: opts.quiet, verbose: opts.verbose && !opts.quiet, network: discoveryOverrides(opts), transfer: await rateOverrides(opts) }, controller.signal)
  }))

common(program.command('ls').description('list shared and downloaded files'))
  .action(action(async (opts: { dataDir?: string, json?: boolean }) => {
    const { lsCommand } = await import('./commands/files.js')
    await lsCommand(globals(opts))
  }))

common(program.command('rm').argument('<id>', 'file ID').description('stop sharing a file and forget it (the file on disk stays)'))
  .action(action(async (id: string, opts: { dataDir?: string, json?: boolean }) => {
    const { rmCommand } = await import('./commands/files.js')
    await rmCommand(id, globals(opts))
  }))

common(program.command('verify').argument('<id>', 'file ID').description('re-hash local copies of a file against its manifest'))
  .action(action(async (id: string, opts: { dataDir?: string, json?: boolean }) => {
    const { verifyCommand } = await import('./commands/files.js')
    await verifyCommand(id, globals(opts))
  }))

common(program.command('status').argument('[job]', 'download job ID').description('show downloads with speed, ETA and peers'))
  .action(action(async (job: string | undefined, opts: { dataDir?: string, json?: boolean }) => {
    const { statusCommand } = await import('./commands/downloads.js')
    await statusCommand(job, globals(opts))
  }))

common(program.command('cancel').argument('<job>', 'download job ID').description('cancel a download (verified chunks are kept)'))
  .action(action(async (job: string, opts: { dataDir?: string, json?: boolean }) => {
    const { cancelCommand } = await import('./commands/downloads.js')
    await cancelCommand(job, globals(opts))
  }))

common(program.command('peers').description('list peers: how they were found, addresses, latency, bytes exchanged'))
  .action(action(async (opts: { dataDir?: string, json?: boolean }) => {
    const { peersCommand } = await import('./commands/downloads.js')
    await peersCommand(globals(opts))
  }))

program.command('swarm-key').description('make and manage private swarm keys')
  .command('new')
  .description('make a fresh swarm key (kubo swarm.key format); nodes started with --swarm-key FILE (or network.swarmKey) connect only to nodes with the same key')
  .option('-o, --output <file>', 'write the key to this file, mode 0600 (default: print it)')
  .option('--force', 'replace an existing file', false)
  .option('--json', 'print machine-readable JSON', false)
  .action(action(async (opts: { output?: string, force: boolean, json?: boolean }) => {
    const { swarmKeyNewCommand } = await import('./commands/swarm-key.js')
    await swarmKeyNewCommand({ output: opts.output != null ? resolve(opts.output) : undefined, force: opts.force, json: opts.json === true })
  }))

program.command('tracker').description('run a tracker: peers announce the files they hold, anyone asks who holds one')
  .option('--listen <host:port>', 'where to listen (default 127.0.0.1:7070; port 0 picks one)')
  .option('--data-dir <dir>', 'keep the tracker\'s state (tracker.db) here; default: memory only')
  .option('--announce-interval <seconds>', 'how often nodes re-announce (default 60; they expire after 3 intervals)')
  .option('--json', 'print machine-readable JSON', false)
  .action(action(async (opts: { listen?: string, dataDir?: string, announceInterval?: string, json?: boolean }) => {
    const { trackerCommand } = await import('./commands/tracker.js')
    await trackerCommand({ listen: opts.listen, dataDir: opts.dataDir != null ? resolve(opts.dataDir) : undefined, announceInterval: opts.announceInterval, json: opts.json === true }, controller.signal)
  }))

try {
  await program.parseAsync(process.argv)
} catch (err) {
  if (err instanceof CommanderError) {
    process.exitCode = err.exitCode === 0 ? 0 : EXIT_USAGE
  } else {
    const quiet = (err as { details?: { quiet?: boolean } }).details?.quiet === true
    process.exitCode = quiet ? 1 : printError(err, jsonMode)
  }
}
// The command is over and its output written (stdout and stderr are
// synchronous on files and pipes). libp2p leaves debounce timers and a
// closing listener behind for about a second; a CLI need not wait for them.
process.exit()
