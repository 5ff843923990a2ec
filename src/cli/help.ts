/**
 * Help and usage errors. `shoal --help` lists commands grouped by topic
 * (kubo's model); each command's help ends with EXAMPLES. A usage error is
 * two lines, the error and where to read more, never the whole help (which
 * scrolled the error off small terminals); with --json it is also an
 * `{"error": …}` line on stdout, like every other error; it exits 2.
 */
import { Help, CommanderError, type Command } from 'commander'
import { EXAMPLES, HELP_GROUPS, examplesText } from './help-examples.js'
import { suggest } from './suggest.js'
import { EXIT_USAGE } from './output.js'

/** `get`, or `swarm-key new`: the command's words after `shoal`. */
export function commandPath (cmd: Command): string {
  const names: string[] = []
  for (let c: Command | null = cmd; c?.parent != null; c = c.parent) names.unshift(c.name())
  return names.join(' ')
}

/** Every command under `root` (itself included), depth first. */
export function allCommands (root: Command): Command[] {
  return [root, ...root.commands.flatMap(allCommands)]
}

/** The root's help: commands grouped by topic, then the global options. */
function rootHelp (cmd: Command, helper: Help): string {
  const commands = helper.visibleCommands(cmd)
  const term = (c: Command): string => [c.name(), ...c.registeredArguments.map(a => a.required ? `<${a.name()}>` : `[${a.name()}]`), ...(c.commands.length > 0 ? [c.commands.map(s => s.name()).join('|')] : [])].join(' ')
  const width = Math.max(...commands.map(c => term(c).length)) + 2
  const line = (c: Command): string => `  ${term(c).padEnd(width)}${helper.subcommandDescription(c)}`
  const grouped = new Set(HELP_GROUPS.flatMap(g => g.commands))
  const sections = HELP_GROUPS.map(g => ({ title: g.title, list: g.commands.flatMap(n => commands.filter(c => c.name() === n)) }))
  sections.push({ title: 'OTHER', list: commands.filter(c => !grouped.has(c.name())) })
  const options = helper.visibleOptions(cmd).map(o => `  ${helper.optionTerm(o).padEnd(width)}${helper.optionDescription(o)}`)
  return [
    'USAGE',
    `  ${cmd.name()} <command> [options]`,
    '',
    `  ${cmd.description()}`,
    '',
    ...sections.filter(s => s.list.length > 0).flatMap(s => [s.title, ...s.list.map(line), '']),
    'OPTIONS',
    ...options,
    '',
    `Run '${cmd.name()} help <command>' (or '${cmd.name()} <command> --help') for its options and examples.`,
    'Exit codes: 0 success, 1 failure, 2 bad usage, 130 interrupted (the README lists them all).',
    ''
  ].join('\n')
}

/**
 * Adds `help [command...]`: the help of `shoal help swarm-key new` is that of
 * `shoal swarm-key new --help`, on stdout; an unknown name is a usage error
 * with a suggestion (commander's own help command printed the whole root help).
 */
export function addHelpCommand (program: Command): void {
  program.helpCommand(false)
  program.command('help').argument('[command...]', 'the command (and subcommand)')
    .description('show a command\'s help and examples')
    .action((words: string[]) => {
      let target = program
      for (const word of words) {
        const next = target.commands.find(c => c.name() === word || c.aliases().includes(word))
        if (next == null) throw new UsageError(target, new CommanderError(EXIT_USAGE, 'commander.unknownCommand', `error: unknown command '${word}'`))
        target = next
      }
      target.outputHelp()
    })
}

/**
 * Sets up help on the whole tree: grouped root help, EXAMPLES on each
 * command, and usage errors thrown as {@link UsageError} instead of printed.
 * Call after every command is defined.
 */
export function setUpHelp (program: Command): void {
  program.configureHelp({
    formatHelp: (cmd, helper) => cmd === program ? rootHelp(cmd, helper) : Help.prototype.formatHelp.call(helper, cmd, helper)
  })
  for (const cmd of allCommands(program)) {
    const path = commandPath(cmd)
    if (EXAMPLES[path] != null) cmd.addHelpText('after', examplesText(path))
    cmd.configureHelp(program.configureHelp())
    // Commander prints the error itself, then the help: both are ours to print.
    cmd.showHelpAfterError(false)
    cmd.configureOutput({ outputError: () => {} })
    cmd.exitOverride((err) => { throw new UsageError(cmd, err) })
  }
}

/** A commander outcome (usage error, or help or version shown) and the command it concerns. */
export class UsageError extends Error {
  readonly command: Command
  readonly commander: CommanderError

  constructor (command: Command, err: CommanderError) {
    super(err.message)
    this.command = command
    this.commander = err
  }
}

/** The one-line text of a usage error, with our own suggestion for a mistyped command. */
export function usageMessage (err: UsageError): string {
  const message = err.commander.message.replace(/^error: /, '')
  const unknown = /^unknown command '(.*)'/.exec(message)?.[1]
  if (err.commander.code === 'commander.unknownCommand' && unknown != null) {
    const names = err.command.commands.flatMap(c => [c.name(), ...c.aliases()])
    const similar = suggest(unknown, names)
    return `unknown command '${unknown}'${similar.length > 0 ? ` (did you mean ${similar.join(' or ')}?)` : ''}`
  }
  // Commander's own suggestion for a mistyped option comes on a line of its own.
  return message.split('\n').map(l => l.trim()).filter(l => l !== '').join(' ').replace(/\(Did you mean/, '(did you mean')
}

/** Where to read more about `cmd`: `see 'shoal get --help'`. */
export function helpHint (cmd: Command): string {
  const path = commandPath(cmd)
  return `see 'shoal ${path === '' ? '' : path + ' '}--help'`
}

/**
 * Prints a usage error (two lines on stderr; JSON on stdout with `json`) and
 * returns the exit code; help and version shown are a success.
 */
export function reportUsage (err: UsageError, json: boolean): number {
  const c = err.commander
  if (c.exitCode === 0) return 0
  // `shoal` alone (or `shoal swarm-key`): commander has printed the help, to stderr.
  if (c.code === 'commander.help') return EXIT_USAGE
  const message = usageMessage(err)
  if (json) process.stdout.write(JSON.stringify({ error: { code: 'ERR_INVALID_ARGUMENT', message } }) + '\n')
  process.stderr.write(`shoal: ${message}\n${helpHint(err.command)}\n`)
  return EXIT_USAGE
}

/** True when the command line asks for JSON (before any `--`). */
export function wantsJson (argv: readonly string[]): boolean {
  const end = argv.indexOf('--')
  return (end < 0 ? argv : argv.slice(0, end)).includes('--json')
}

