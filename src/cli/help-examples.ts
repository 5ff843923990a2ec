/**
 * What `shoal help COMMAND` shows under EXAMPLES, per command path, and the
 * topic each command is listed under in `shoal --help` (kubo's grouped help).
 */

/** One example: the command line and what it does. */
export interface Example { run: string, does: string }

/** Topics of `shoal --help`, in order; commands not listed here go under OTHER. */
export const HELP_GROUPS: ReadonlyArray<{ title: string, commands: readonly string[] }> = [
  { title: 'SHARE AND FETCH', commands: ['share', 'get', 'ls', 'rm', 'verify', 'map'] },
  { title: 'NODE AND DOWNLOADS', commands: ['start', 'status', 'cancel', 'peers', 'dashboard'] },
  { title: 'NETWORK', commands: ['swarm-key', 'tracker'] },
  { title: 'TOOLS', commands: ['completion', 'help'] }
]

/** Examples by command path (`swarm-key new`). */
export const EXAMPLES: Readonly<Record<string, readonly Example[]>> = {
  share: [
    { run: 'shoal share ./video.mp4', does: 'hash a file and print its ID and shoal:// link' },
    { run: 'shoal share ./video.mp4 --json', does: 'the same as JSON: {"id", "link", "size", "chunks"}' },
    { run: 'shoal share ./backup.tar --distribute --replicas 3', does: 'push it out: 3 copies of every chunk on distinct peers (a running node)' }
  ],
  map: [
    { run: 'shoal map ID', does: 'the holders of a distributed file, chunks each, under-replicated chunks flagged' },
    { run: 'shoal map ID --json', does: 'the same as JSON: {"id", "replicas", "holders", "chunks"}' }
  ],
  get: [
    { run: 'shoal get shoal://bafk…?name=video.mp4', does: 'download into the current directory' },
    { run: 'shoal get ID -o ~/Downloads/', does: 'into a directory (made if missing)' },
    { run: 'shoal get ID --peer /ip4/192.0.2.7/tcp/4001/p2p/12D3Koo…', does: 'fetch from a peer you know' },
    { run: 'shoal get ID --listen /ip4/127.0.0.1/tcp/0 --no-mdns', does: 'keep the node get runs for itself on loopback' },
    { run: 'shoal get ID --download-limit 2M', does: 'at most 2 MiB/s (when get runs its own node)' }
  ],
  ls: [
    { run: 'shoal ls', does: 'files with size, complete or partial, and where they are' },
    { run: 'shoal ls | cut -f1', does: 'piped: tab-separated, no header (here: the IDs)' }
  ],
  rm: [
    { run: 'shoal rm ID', does: 'stop sharing ID and forget it; the file stays on disk' },
    { run: 'shoal rm ID --everywhere', does: 'also release every copy pushed to peers (the uploader)' }
  ],
  verify: [{ run: 'shoal verify ID', does: 're-hash every local copy; exit 1 if one does not match' }],
  start: [
    { run: 'shoal start', does: 'run a node with the config defaults (all interfaces, mDNS, DHT)' },
    { run: 'shoal start --listen /ip4/0.0.0.0/tcp/4001 --api 127.0.0.1:7878', does: 'fixed ports' },
    { run: 'shoal start --tracker http://tracker.example:7070 --no-mdns', does: 'find peers through a tracker' },
    { run: 'shoal start --swarm-key ./swarm.key', does: 'join a private swarm' }
  ],
  status: [
    { run: 'shoal status', does: 'every download: state, progress, speed, ETA' },
    { run: 'shoal status JOB', does: 'one download with its peers' },
    { run: 'shoal status --watch', does: 'redraw every second until Ctrl-C (a line per second when piped)' }
  ],
  cancel: [{ run: 'shoal cancel JOB', does: 'stop a download; the same get resumes it later' }],
  dashboard: [
    { run: 'shoal dashboard', does: 'print http://127.0.0.1:<port>/?token=… for the node of this data dir; open it in a browser' },
    { run: 'xdg-open "$(shoal dashboard)"', does: 'open it at once (Linux)' }
  ],
  peers: [{ run: 'shoal peers', does: 'peers with how they were found, latency and bytes exchanged' }],
  'swarm-key new': [
    { run: 'shoal swarm-key new -o swarm.key', does: 'write a fresh key (mode 0600)' },
    { run: 'shoal start --swarm-key swarm.key', does: 'then start every member with it' }
  ],
  tracker: [{ run: 'shoal tracker --listen 0.0.0.0:7070 --data-dir ./tracker', does: 'a tracker keeping its state on disk' }],
  completion: [
    { run: 'eval "$(shoal completion bash)"', does: 'bash, this shell (add it to ~/.bashrc to keep it)' },
    { run: 'shoal completion zsh > "${fpath[1]}/_shoal"', does: 'zsh' },
    { run: 'shoal completion fish > ~/.config/fish/completions/shoal.fish', does: 'fish' }
  ],
  help: [{ run: 'shoal help get', does: 'the options and examples of get' }]
}

/** The EXAMPLES section of a command's help, or '' when it has none. */
export function examplesText (path: string): string {
  const examples = EXAMPLES[path]
  if (examples == null || examples.length === 0) return ''
  return ['', 'EXAMPLES', ...examples.flatMap(e => [`  # ${e.does}`, `  $ ${e.run}`])].join('\n')
}
