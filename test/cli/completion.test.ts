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

test('the zsh and fish scripts name every command and parse where the shell is installed', async (t) => {
  const dir = await tempDir(t)
  const commands = ['share', 'get', 'ls', 'rm', 'verify', 'start', 'status', 'cancel', 'peers', 'swarm-key', 'tracker', 'completion', 'help']
  for (const shell of ['zsh', 'fish']) {
    const r = await runShoal(['completion', shell])
    assert.equal(r.code, 0, r.stderr)
    assert.ok(r.stdout.length > 0)
    for (const name of commands) assert.ok(r.stdout.includes(shell === 'zsh' ? `'${name}:` : `-a ${name} `), `${shell} names ${name}`)
    const file = join(dir, `shoal.${shell}`)
    await writeFile(file, r.stdout)
    // zsh -n / fish -n only parse: what can be checked without an interactive shell.
    const check = spawnSync(shell, ['-n', file], { encoding: 'utf8' })
    if (check.error == null) assert.equal(check.status, 0, `${shell} -n: ${check.stderr}`)
    else t.diagnostic(`${shell} is not installed here: its script was checked for content only`)
  }
  assert.match((await runShoal(['completion', 'zsh'])).stdout, /^#compdef shoal$/m)
})
