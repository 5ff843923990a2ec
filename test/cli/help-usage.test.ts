/**
 * Help and usage errors of the real `shoal`: a usage error is the error and
 * a pointer to the command's help (not the whole help), exits 2, and with
 * --json is also an {"error": …} line on stdout; `shoal --help` groups the
 * commands; each command's help has examples; --version names three versions.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { runShoal, REPO, type RunResult } from '../helpers/cli.js'

const COMMANDS = ['share', 'get', 'ls', 'rm', 'verify', 'start', 'status', 'cancel', 'peers', 'dashboard', 'swarm-key', 'tracker', 'completion', 'help']

/** A usage error: exit 2, nothing on stdout, at most 3 lines on stderr naming `help`. */
function assertUsageError (r: RunResult, help: string): void {
  assert.equal(r.code, 2, r.stderr)
  assert.equal(r.stdout, '')
  const lines = r.stderr.trimEnd().split('\n')
  assert.ok(lines.length <= 3, `at most 3 lines, got ${lines.length}: ${r.stderr}`)
  assert.match(lines[0] ?? '', /^shoal: /)
  assert.ok(r.stderr.includes(`see '${help}'`), r.stderr)
}

test('a mistyped command suggests the command it begins: stat → status', async () => {
  const r = await runShoal(['stat'])
  assertUsageError(r, 'shoal --help')
  assert.match(r.stderr, /unknown command 'stat' \(did you mean status\?\)/)
  assert.doesNotMatch(r.stderr, /start/)
  // Edit distance still works when nothing begins with the word.
  assert.match((await runShoal(['verfiy'])).stderr, /did you mean verify\?/)
})

test('usage errors are two lines naming the command\'s help, exit 2', async () => {
  assertUsageError(await runShoal(['get']), 'shoal get --help')
  const unknown = await runShoal(['get', 'ID', '--listn', '/ip4/127.0.0.1/tcp/0'])
  assertUsageError(unknown, 'shoal get --help')
  assert.match(unknown.stderr, /unknown option '--listn' \(did you mean --listen\?\)/)
  assertUsageError(await runShoal(['ls', 'extra']), 'shoal ls --help')
  assertUsageError(await runShoal(['swarm-key', 'new', '--bogus']), 'shoal swarm-key new --help')
  assertUsageError(await runShoal(['completion', 'tcsh']), 'shoal completion --help')
})

test('with --json a usage error is also a JSON error on stdout', async () => {
  for (const args of [['stat', '--json'], ['get', '--json'], ['status', '--json', '--bogus']]) {
    const r = await runShoal(args)
    assert.equal(r.code, 2, r.stderr)
    const lines = r.stdout.trim().split('\n')
    assert.equal(lines.length, 1, r.stdout)
    const body = JSON.parse(lines[0] as string) as { error: { code: string, message: string } }
    assert.equal(body.error.code, 'ERR_INVALID_ARGUMENT')
    assert.equal(typeof body.error.message, 'string')
    assert.ok(body.error.message.length > 0)
  }
  const stat = await runShoal(['stat', '--json'])
  assert.match(JSON.parse(stat.stdout).error.message, /did you mean status/)
})

test('shoal --help lists every command under topics; help COMMAND shows examples', async () => {
  const root = await runShoal(['--help'])
  assert.equal(root.code, 0)
  for (const title of ['SHARE AND FETCH', 'NODE AND DOWNLOADS', 'NETWORK', 'TOOLS']) assert.match(root.stdout, new RegExp(`^${title}$`, 'm'))
  for (const name of COMMANDS) assert.match(root.stdout, new RegExp(`^  ${name}\\b`, 'm'), `${name} listed`)
  assert.match(root.stdout, /Exit codes: 0 success, 1 failure, 2 bad usage, 130 interrupted/)

  const get = await runShoal(['help', 'get'])
  assert.equal(get.code, 0, get.stderr)
  assert.match(get.stdout, /^EXAMPLES$/m)
  assert.match(get.stdout, /\$ shoal get ID --listen \/ip4\/127\.0\.0\.1\/tcp\/0 --no-mdns/)
  assert.equal((await runShoal(['get', '--help'])).stdout, get.stdout, 'help get is get --help')
  for (const name of COMMANDS.filter(c => c !== 'swarm-key')) {
    assert.match((await runShoal(['help', name])).stdout, /^EXAMPLES$/m, `${name} has examples`)
  }
  assert.match((await runShoal(['swarm-key', 'new', '--help'])).stdout, /\$ shoal swarm-key new -o swarm\.key/)
})

test('--version prints shoal\'s, libp2p\'s and Node\'s versions', async () => {
  const r = await runShoal(['--version'])
  assert.equal(r.code, 0)
  const pkg = JSON.parse(await readFile(join(REPO, 'package.json'), 'utf8')) as { version: string }
  const libp2p = JSON.parse(await readFile(join(REPO, 'node_modules', 'libp2p', 'package.json'), 'utf8')) as { version: string }
  assert.equal(r.stdout, `shoal ${pkg.version}\nlibp2p ${libp2p.version}\nnode ${process.versions.node}\n`)
})

test('start --help shows the real default of --listen; get takes the network flags', async () => {
  const start = await runShoal(['start', '--help'])
  assert.match(start.stdout.replace(/\s+/g, ' '), /--listen <multiaddr> .*\(default: \/ip4\/0\.0\.0\.0\/tcp\/0\)/)
  assert.doesNotMatch(start.stdout, /default: \[\]/)
  const get = await runShoal(['get', '--help'])
  for (const flag of ['--listen', '--announce', '--tracker', '--bootstrap', '--no-mdns', '--no-dht', '--swarm-key', '--download-limit']) {
    assert.ok(get.stdout.includes(flag), `get --help has ${flag}`)
  }
  assert.doesNotMatch(get.stdout, /default: \[\]/)
})

test('help of an unknown command is a usage error with a suggestion', async () => {
  const r = await runShoal(['help', 'stat'])
  assertUsageError(r, 'shoal --help')
  assert.match(r.stderr, /unknown command 'stat' \(did you mean status\?\)/)
})
