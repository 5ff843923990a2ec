/**
 * Runs a command in a real pseudo-terminal of a given size (python3's pty
 * module), optionally resizing it mid-run the way a terminal does (the
 * kernel sends SIGWINCH), and returns everything the terminal received.
 * (util-linux `script` cannot resize its terminal mid-run.)
 */
import { spawn } from 'node:child_process'
import { collect, TEST_ENV } from './cli.js'

const DRIVER = String.raw`
import fcntl, json, os, pty, select, struct, sys, termios, time
cols, resize_to, resize_after = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
cmd = sys.argv[4:]
def winsize(fd, c): fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack('HHHH', 30, c, 0, 0))
pid, fd = pty.fork()
if pid == 0:
    winsize(0, cols)
    os.execvp(cmd[0], cmd)
out, start, resized_at = bytearray(), time.time(), -1
while True:
    if resize_to > 0 and resized_at < 0 and time.time() - start >= resize_after:
        winsize(fd, resize_to)
        resized_at = len(out)
    r, _, _ = select.select([fd], [], [], 0.05)
    if not r: continue
    try:
        data = os.read(fd, 65536)
    except OSError:
        break
    if not data: break
    out += data
_, status = os.waitpid(pid, 0)
text = bytes(out).decode('utf-8', 'replace')
at = -1 if resized_at < 0 else len(bytes(out[:resized_at]).decode('utf-8', 'replace'))
sys.stdout.write(json.dumps({'code': os.waitstatus_to_exitcode(status), 'resizedAt': at, 'output': text}))
`

/** What the terminal received, and where (in characters) a resize happened. */
export interface PtyRun { code: number, output: string, resizedAt: number }

/** Runs `argv` in a `columns`-wide terminal; with `resize`, makes it `resize.columns` wide after `resize.afterMs`. */
export async function runInPty (argv: string[], options: { columns: number, env?: Record<string, string>, resize?: { columns: number, afterMs: number } }): Promise<PtyRun> {
  const env: Record<string, string | undefined> = { ...process.env, ...TEST_ENV, TERM: 'xterm-256color', ...options.env }
  // The test decides about colour; the runner's own settings must not.
  if (options.env?.FORCE_COLOR == null) delete env.FORCE_COLOR
  if (options.env?.NO_COLOR == null) delete env.NO_COLOR
  const child = spawn('python3', ['-c', DRIVER, String(options.columns), String(options.resize?.columns ?? 0), String((options.resize?.afterMs ?? 0) / 1000), ...argv], { env, stdio: ['ignore', 'pipe', 'pipe'] })
  const r = await collect(child)
  if (r.code !== 0) throw new Error(`pty driver failed (${r.code}): ${r.stderr}`)
  return JSON.parse(r.stdout) as PtyRun
}
