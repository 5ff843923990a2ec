/**
 * `shoal completion bash|zsh|fish`: scripts the shells accept, generated from
 * the command tree. The bash one is loaded into a real bash and asked to
 * complete, as the shell does on Tab (COMP_WORDS, COMP_CWORD, COMPREPLY).
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync, spawnSync } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { runShoal, tempDir } from '../helpers/cli.js'

/** Runs `_shoal` in bash on `words` (the last one is being completed) and returns COMPREPLY. */
function complete (script: string, words: string[]): string[] {
  const array = words.map(w => `'${w}'`).join(' ')
  const out = execFileSync('bash', ['-c', `source '${script}'; COMP_WORDS=(${array}); COMP_CWORD=${words.length - 1}; _shoal; printf '%s\\n' "\${COMPREPLY[@]}"`], { encoding: 'utf8' })
  return out.split('\n').filter(w => w !== '').sort()
}

test('the bash script parses and completes commands, subcommands, flags and choices', async (t) => {
  const dir = await tempDir(t)
  const r = await runShoal(['completion', 'bash'])
  assert.equal(r.code, 0, r.stderr)
  const script = join(dir, 'shoal.bash')
  await writeFile(script, r.stdout)
  execFileSync('bash', ['-n', script])

  assert.deepEqual(complete(script, ['shoal', 'st']), ['start', 'status'])
  assert.deepEqual(complete(script, ['shoal', 'co']), ['completion'])
  assert.ok(complete(script, ['shoal', '']).includes('get'))
  assert.deepEqual(complete(script, ['shoal', 'get', '--li']), ['--listen'])
  assert.deepEqual(complete(script, ['shoal', 'status', '--w']), ['--watch'])
  assert.deepEqual(complete(script, ['shoal', 'completion', '']), ['bash', 'fish', 'zsh'])
  assert.deepEqual(complete(script, ['shoal', 'swarm-key', '']), ['new'])
  assert.deepEqual(complete(script, ['shoal', 'swarm-key', 'new', '--fo']), ['--force'])
  assert.deepEqual(complete(script, ['shoal', 'help', 'ver']), ['verify'])
  // A path argument: nothing from shoal, so `complete -o default` offers file names.
  assert.deepEqual(complete(script, ['shoal', 'share', 'sr']), [])
  const registered = execFileSync('bash', ['-c', `source '${script}'; complete -p shoal`], { encoding: 'utf8' })
  assert.match(registered, /complete -o default -F _shoal shoal/)
})

const COMMANDS = ['share', 'get', 'ls', 'rm', 'verify', 'start', 'status', 'cancel', 'peers', 'dashboard', 'swarm-key', 'tracker', 'completion', 'help']

/** True when `shell` runs here (CI images may lack zsh and fish: their scripts are then checked for content only). */
function installed (shell: string): boolean {
  return spawnSync(shell, ['-c', 'exit 0']).status === 0
}

test('the zsh script names every command, parses, and dispatches as zsh asks', async (t) => {
  const dir = await tempDir(t)
  const r = await runShoal(['completion', 'zsh'])
  assert.equal(r.code, 0, r.stderr)
  assert.match(r.stdout, /^#compdef shoal$/m)
  for (const name of COMMANDS) assert.ok(r.stdout.includes(`'${name}:`), `zsh names ${name}`)
  if (!installed('zsh')) { t.diagnostic('zsh is not installed here: content checked only'); return }
  const script = join(dir, '_shoal')
  await writeFile(script, r.stdout)
  execFileSync('zsh', ['-n', script])
  // zsh's completion builtins stubbed to print what they are given: the script's own logic is what runs.
  const ask = (words: string[], current: number): string[] => execFileSync('zsh', ['-c', `
    compdef () { print -r -- "compdef $*" >&2 }
    _describe () { print -rl -- "\${(@P)2}" }
    compadd () { [[ $1 == -- ]] && shift; print -rl -- "$@" }
    _files () { print -r -- FILES }
    source '${script}'
    words=(${words.map(w => `'${w}'`).join(' ')}); CURRENT=${current}; PREFIX='${words[current - 1] ?? ''}'
    _shoal`], { encoding: 'utf8' }).trimEnd().split('\n')
  assert.ok(ask(['shoal', ''], 2).includes('status:show downloads with speed, ETA and peers'))
  assert.ok(ask(['shoal', 'get', '--li'], 3).includes('--listen'))
  assert.deepEqual(ask(['shoal', 'completion', ''], 3), ['bash', 'zsh', 'fish'])
  assert.deepEqual(ask(['shoal', 'swarm-key', ''], 3), ['new:make a fresh swarm key (kubo swarm.key format)'])
  assert.ok(ask(['shoal', 'swarm-key', 'new', '--f'], 4).includes('--force'))
  assert.deepEqual(ask(['shoal', 'share', ''], 3), ['FILES'])
})

test('the fish script names every command, parses, and completes in fish', async (t) => {
  const dir = await tempDir(t)
  const r = await runShoal(['completion', 'fish'])
  assert.equal(r.code, 0, r.stderr)
  for (const name of COMMANDS) assert.ok(r.stdout.includes(`-a ${name} `), `fish names ${name}`)
  if (!installed('fish')) { t.diagnostic('fish is not installed here: content checked only'); return }
  const script = join(dir, 'shoal.fish')
  await writeFile(script, r.stdout)
  execFileSync('fish', ['-n', script])
  const ask = (line: string): string[] => execFileSync('fish', ['-c', `source '${script}'; complete -C '${line}'`], { encoding: 'utf8' })
    .trimEnd().split('\n').map(l => l.split('\t')[0] as string).sort()
  assert.deepEqual(ask('shoal st'), ['start', 'status'])
  assert.deepEqual(ask('shoal get --li'), ['--listen'])
  assert.deepEqual(ask('shoal completion '), ['bash', 'fish', 'zsh'])
  assert.deepEqual(ask('shoal swarm-key new --fo'), ['--force'])
})
