/**
 * The `shoal` command line. Every command takes --data-dir (or SHOAL_HOME)
 * and --json; errors end as one line on stderr and a non-zero exit code;
 * usage errors as two lines (the error, then which help to read) and exit 2.
 * Commands load their modules on use: `ls` never loads the networking stack.
 */
import './heap-tuning.js'
import '../polyfill.js'
import { resolve } from 'node:path'
import { Argument, Command, Option } from 'commander'
import { printError } from './output.js'
import { collect, common, globals, network, networkOverrides, rateLimits, rateOverrides, type NetworkFlags, type RateFlags } from './flags.js'
import { addHelpCommand, reportUsage, setUpHelp, UsageError, wantsJson } from './help.js'
import { versionText } from './version.js'
import { completionScript, completionSpec, SHELLS, type Shell } from './completion.js'
import { SCHEMA } from '../config/schema.js'

const program = new Command('shoal')
  .description('Peer-to-peer file sharing: content-addressed, verified, multi-source.')
  .version(versionText(), '-V, --version', 'print the versions of shoal, libp2p and Node')
  // Set before the commands are added: they inherit it.
  .helpOption('-h, --help', 'show help and examples')

const controller = new AbortController()
let interrupted = 0
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    if (++interrupted > 1) process.exit(130)
    controller.abort()
  })
}

interface Common { dataDir?: string, json?: boolean }

let jsonMode = false
function action<A extends unknown[]> (fn: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    // Commander passes (...arguments, options, command).
    const opts = args[args.length - 2] as { json?: boolean } | undefined
    jsonMode = opts?.json === true
    await fn(...args)
  }
}

rateLimits(network(common(program.command('start').description('run a node (libp2p + API) in the foreground'))))
  .option('--api <host:port>', `API listen address (port 0 picks one) (default: ${SCHEMA.api.listen.default})`)
  .action(action(async (opts: NetworkFlags & RateFlags & Common & { api?: string }) => {
    const { startCommand } = await import('./commands/start.js')
    await startCommand({ ...globals(opts), api: opts.api, network: networkOverrides(opts), transfer: await rateOverrides(opts) }, controller.signal)
  }))

common(program.command('share').argument('<path>', 'file to share')
  .summary('hash a file and share it (served in place); big files are pushed out to peers')
  .description('hash a file and share it (served in place); a file of at least chunking.minFileSizeForDistribution bytes, or any with --distribute, is pushed out so every chunk has N copies on distinct peers (needs a running node)'))
  .option('--distribute', 'push the file out to peers whatever its size', false)
  .addOption(new Option('--replicas <n>', 'copies of every chunk, each on a distinct peer (default: distribution.replicas)'))
  .addOption(new Option('--strategy <strategy>', 'how chunks are placed (default: chunking.distributionStrategy)').choices(['round-robin', 'weighted']))
  .action(action(async (path: string, opts: Common & { distribute: boolean, replicas?: string, strategy?: string }) => {
    const { shareCommand } = await import('./commands/files.js')
    await shareCommand(path, { ...globals(opts), distribute: opts.distribute, replicas: opts.replicas, strategy: opts.strategy }, controller.signal)
  }))

common(program.command('map').argument('<id>', 'file ID').description('show where the chunks of a distributed file are: holders, chunks each, under-replicated chunks'))
  .action(action(async (id: string, opts: Common) => {
    const { mapCommand } = await import('./commands/map.js')
    await mapCommand(id, globals(opts))
  }))

rateLimits(network(common(program.command('get').argument('<id-or-link>', 'file ID or shoal:// link')
  .summary('download a file, verified, from every peer that has it')
  .description('download a file, verified, from every peer that has it (network, discovery and rate flags apply when get runs its own node; a running node keeps its own)'))))
  .option('-o, --output <path>', 'destination file or directory')
  .option('--peer <multiaddr>', 'a peer to fetch from (repeatable)', collect)
  .option('--sequential', 'fetch chunks in order', false)
  .option('-q, --quiet', 'print nothing but errors (and the result with --json)', false)
  .option('-v, --verbose', 'also print peers as they are found and each peer\'s share at the end', false)
  .action(action(async (target: string, opts: NetworkFlags & RateFlags & Common & { output?: string, peer?: string[], sequential: boolean, quiet: boolean, verbose: boolean }) => {
    const { getCommand } = await import('./commands/get.js')
    await getCommand(target, { ...globals(opts), output: opts.output, peer: opts.peer ?? [], sequential: opts.sequential, quiet: opts.quiet, verbose: opts.verbose && !opts.quiet, network: networkOverrides(opts), transfer: await rateOverrides(opts) }, controller.signal)
  }))

common(program.command('ls').description('list files: size, complete or partial, and where'))
  .action(action(async (opts: Common) => {
    const { lsCommand } = await import('./commands/files.js')
    await lsCommand(globals(opts))
  }))

common(program.command('rm').argument('<id>', 'file ID').description('stop sharing a file and forget it (the file on disk stays)'))
  .option('--everywhere', 'also release every copy pushed to peers (the uploader only, through its running node)', false)
  .action(action(async (id: string, opts: Common & { everywhere: boolean }) => {
    const { rmCommand } = await import('./commands/files.js')
    await rmCommand(id, { ...globals(opts), everywhere: opts.everywhere })
  }))

common(program.command('verify').argument('<id>', 'file ID').description('re-hash local copies of a file against its manifest'))
  .action(action(async (id: string, opts: Common) => {
    const { verifyCommand } = await import('./commands/files.js')
    await verifyCommand(id, globals(opts))
  }))

common(program.command('status').argument('[job]', 'download job ID').description('show downloads with speed, ETA and peers'))
  .option('-w, --watch', 'redraw every second until Ctrl-C (piped: a line per job each second)', false)
  .action(action(async (job: string | undefined, opts: Common & { watch: boolean }) => {
    const { statusCommand } = await import('./commands/downloads.js')
    await statusCommand(job, { ...globals(opts), watch: opts.watch }, controller.signal)
  }))

common(program.command('cancel').argument('<job>', 'download job ID').description('cancel a download (verified chunks are kept)'))
  .action(action(async (job: string, opts: Common) => {
    const { cancelCommand } = await import('./commands/downloads.js')
    await cancelCommand(job, globals(opts))
  }))

common(program.command('peers').description('list peers: how they were found, addresses, latency, bytes exchanged'))
  .action(action(async (opts: Common) => {
    const { peersCommand } = await import('./commands/downloads.js')
    await peersCommand(globals(opts))
  }))

common(program.command('dashboard').description('print the address that opens the running node\'s dashboard in a browser, logged in'))
  .action(action(async (opts: Common) => {
    const { dashboardCommand } = await import('./commands/dashboard.js')
    await dashboardCommand(globals(opts))
  }))

program.command('swarm-key').description('make and manage private swarm keys')
  .command('new')
  .summary('make a fresh swarm key (kubo swarm.key format)')
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

program.command('completion').addArgument(new Argument('<shell>', 'the shell').choices(SHELLS))
  .description('print a shell completion script (bash, zsh or fish)')
  .action(action(async (shell: Shell) => {
    process.stdout.write(completionScript(shell, completionSpec(program)))
  }))

addHelpCommand(program)
setUpHelp(program)

try {
  await program.parseAsync(process.argv)
} catch (err) {
  if (err instanceof UsageError) {
    process.exitCode = reportUsage(err, wantsJson(process.argv))
  } else {
    const quiet = (err as { details?: { quiet?: boolean } }).details?.quiet === true
    // A bad value a command finds itself (a bad rate or multiaddr) stays one line naming the flag.
    process.exitCode = quiet ? 1 : printError(err, jsonMode)
  }
}
// The command is over and its output written (stdout and stderr are
// synchronous on files and pipes). libp2p leaves debounce timers and a
// closing listener behind for about a second; a CLI need not wait for them.
process.exit()
