/**
 * `shoal completion bash|zsh|fish`: a completion script generated from the
 * command tree itself, so a new command or flag completes without editing
 * anything here. Commands, subcommands, flags and fixed choices complete;
 * anything else (paths, IDs) falls back to the shell's file completion.
 */
import type { Command } from 'commander'

/** Shells a script can be made for. */
export const SHELLS = ['bash', 'zsh', 'fish'] as const
export type Shell = typeof SHELLS[number]

/** What completion knows of one command. */
export interface CompletionSpec {
  name: string
  summary: string
  /** Flags, long (or short when there is no long one). */
  flags: Array<{ flag: string, short?: string, description: string, takesValue: boolean }>
  /** Words the first argument is one of (`completion bash`), if fixed. */
  choices: string[]
  subcommands: CompletionSpec[]
}

/** The tree of `cmd` as completion sees it; `help` completes command names. */
export function completionSpec (cmd: Command): CompletionSpec {
  const subcommands = cmd.commands.map(completionSpec)
  const help = subcommands.find(c => c.name === 'help')
  if (help != null) help.choices = cmd.commands.map(c => c.name()).filter(n => n !== 'help')
  const flags = cmd.options.map(o => ({
    flag: o.long ?? o.short ?? '',
    ...(o.long != null && o.short != null ? { short: o.short } : {}),
    description: o.description,
    takesValue: o.required || o.optional
  }))
  flags.push({ flag: '--help', short: '-h', description: 'show help and examples', takesValue: false })
  return { name: cmd.name(), summary: cmd.summary() !== '' ? cmd.summary() : cmd.description(), flags, choices: cmd.registeredArguments[0]?.argChoices ?? [], subcommands }
}

/** The completion script for `shell`. */
export function completionScript (shell: Shell, spec: CompletionSpec): string {
  if (shell === 'bash') return bashScript(spec)
  if (shell === 'zsh') return zshScript(spec)
  return fishScript(spec)
}

const words = (spec: CompletionSpec): string[] => [...spec.flags.flatMap(f => f.short != null ? [f.flag, f.short] : [f.flag])]

/** Quoted for a POSIX shell's single quotes. */
const sq = (s: string): string => `'${s.replaceAll('\'', '\'\\\'\'')}'`

function bashScript (root: CompletionSpec): string {
  const cases = root.subcommands.map(c => {
    const sub = c.subcommands.length > 0
      ? `if [[ -z "$sub" ]]; then words=${sq(c.subcommands.map(s => s.name).join(' '))}; else case "$sub" in ${c.subcommands.map(s => `${s.name}) words=${sq(words(s).join(' '))} ;;`).join(' ')} esac; fi`
      : `if [[ "$cur" == -* ]]; then words=${sq(words(c).join(' '))}; else words=${sq(c.choices.join(' '))}; fi`
    return `    ${c.name}) ${sub} ;;`
  })
  return `# bash completion for ${root.name}; load it with:  eval "$(${root.name} completion bash)"
# (or save it as /etc/bash_completion.d/${root.name}, or ~/.local/share/bash-completion/completions/${root.name})
_${root.name} () {
  local cur="\${COMP_WORDS[COMP_CWORD]}" cmd="" sub="" words="" i
  for ((i = 1; i < COMP_CWORD; i++)); do
    case "\${COMP_WORDS[i]}" in
      -*) ;;
      *) if [[ -z "$cmd" ]]; then cmd="\${COMP_WORDS[i]}"; elif [[ -z "$sub" ]]; then sub="\${COMP_WORDS[i]}"; fi ;;
    esac
  done
  case "$cmd" in
    "") words=${sq([...root.subcommands.map(c => c.name), ...words(root)].join(' '))} ;;
${cases.join('\n')}
  esac
  # No word matches (a path, an ID): -o default falls back to file names.
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -o default -F _${root.name} ${root.name}
`
}

function zshScript (root: CompletionSpec): string {
  const described = (list: CompletionSpec[]): string => list.map(c => `    ${sq(`${c.name}:${c.summary}`)}`).join('\n')
  const flagsOf = (c: CompletionSpec): string => words(c).map(sq).join(' ')
  const cases = root.subcommands.map(c => {
    if (c.subcommands.length > 0) {
      return `    ${c.name})
      if (( CURRENT == 3 )); then
        local -a subs; subs=(
${described(c.subcommands)}
        ); _describe 'subcommand' subs
      else
        case $words[3] in
${c.subcommands.map(s => `          ${s.name}) [[ $PREFIX == -* ]] && compadd -- ${flagsOf(s)} || _files ;;`).join('\n')}
        esac
      fi ;;`
    }
    const rest = c.choices.length > 0 ? `compadd -- ${c.choices.map(sq).join(' ')}` : '_files'
    return `    ${c.name}) [[ $PREFIX == -* ]] && compadd -- ${flagsOf(c)} || ${rest} ;;`
  })
  return `#compdef ${root.name}
# zsh completion for ${root.name}: save it as _${root.name} in a directory of $fpath
# (shoal completion zsh > "\${fpath[1]}/_${root.name}"), or load it now with:  source <(${root.name} completion zsh)
_${root.name} () {
  if (( CURRENT == 2 )); then
    local -a commands; commands=(
${described(root.subcommands)}
    )
    [[ $PREFIX == -* ]] && compadd -- ${flagsOf(root)} || _describe 'command' commands
    return
  fi
  case $words[2] in
${cases.join('\n')}
    *) _files ;;
  esac
}
if [[ "\${funcstack[1]}" == "_${root.name}" ]]; then _${root.name} "$@"; else compdef _${root.name} ${root.name}; fi
`
}

function fishScript (root: CompletionSpec): string {
  const n = root.name
  const lines = [
    `# fish completion for ${n}: ${n} completion fish > ~/.config/fish/completions/${n}.fish`,
    ...root.subcommands.map(c => `complete -c ${n} -n __fish_use_subcommand -f -a ${c.name} -d ${sq(c.summary)}`)
  ]
  for (const c of root.subcommands) {
    const when = `__fish_seen_subcommand_from ${c.name}`
    if (c.choices.length > 0) lines.push(`complete -c ${n} -n ${sq(when)} -f -a ${sq(c.choices.join(' '))}`)
    for (const s of c.subcommands) {
      lines.push(`complete -c ${n} -n ${sq(`${when}; and not __fish_seen_subcommand_from ${s.name}`)} -f -a ${s.name} -d ${sq(s.summary)}`)
      for (const f of s.flags) lines.push(fishFlag(n, `${when}; and __fish_seen_subcommand_from ${s.name}`, f))
    }
    for (const f of c.flags) lines.push(fishFlag(n, when, f))
  }
  return lines.join('\n') + '\n'
}

function fishFlag (n: string, when: string, f: CompletionSpec['flags'][number]): string {
  const long = f.flag.startsWith('--') ? ` -l ${f.flag.slice(2)}` : ` -s ${f.flag.slice(1)}`
  const short = f.short != null ? ` -s ${f.short.slice(1)}` : ''
  return `complete -c ${n} -n ${sq(when)}${long}${short}${f.takesValue ? ' -r' : ''} -d ${sq(f.description)}`
}
