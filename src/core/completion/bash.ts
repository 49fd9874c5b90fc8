// The bash completion script (SPEC 15.5): one function for the command line, case tables made from the actions.
import { operandsByIndex, shQuote, valuedFlags, type CompletionShape, type Offer } from './shape.js';

const words = (list: readonly string[]): string => list.map(shQuote).join(' ');

export function bashScript(shape: CompletionShape): string {
  const fn = `_${shape.program.replace(/\W/g, '_')}`;
  const offer = (offers: Offer): string =>
    offers === 'services' ? `${fn}_services` : offers.length ? `${fn}_offer ${words(offers)}` : ':';
  const pattern = (names: readonly string[], index: string): string => names.map((n) => `${shQuote(n)}:${index}`).join('|');

  const valued = shape.actions.flatMap((action) => {
    const flags = valuedFlags(action);
    return flags.length ? [`    ${action.names.flatMap((n) => flags.map((f) => `${shQuote(n)}:${shQuote(f)}`)).join('|')}) return 0 ;;`] : [];
  });
  const options = shape.actions.filter((a) => a.options.length).map((action) =>
    `      ${action.names.map(shQuote).join('|')}) ${fn}_offer ${words(action.options.flatMap((o) => o.flags))} ;;`);
  const operands = shape.actions.flatMap((action) => {
    const { fixed, rest } = operandsByIndex(action);
    // A variadic operand's `*` comes after the fixed ones, so it takes only the indices after them.
    const lines = fixed.filter(([, operand]) => rest || operand.offers.length)
      .map(([i, operand]) => `    ${pattern(action.names, String(i))}) ${offer(operand.offers)} ;;`);
    return rest ? [...lines, `    ${pattern(action.names, '*')}) ${offer(rest.offers)} ;;`] : lines;
  });

  return `# bash completion for ${shape.program}, printed by "${shape.program} completion bash" (SPEC 15.5).
# Its actions and options are those of the ${shape.program} that printed it; service names are read at each Tab.

# Adds to COMPREPLY each argument that starts with the word being completed (the caller's $cur).
${fn}_offer() {
  local word
  for word; do
    [[ $word == "$cur"* ]] && COMPREPLY+=("$word")
  done
  return 0
}

# The service names of the service dir as it resolves now. The shell lists it itself: a Tab starts no process.
${fn}_services() {
  local dir=\${RERAISE_DIR:-$HOME/reraise.d} entry name quoted failglob=
  shopt -q failglob && failglob=1 && shopt -u failglob
  for entry in "$dir"/*; do
    name=\${entry##*/}
    case $name in
      .*|${shape.ignoredSuffixes.map((s) => `*${shQuote(s)}`).join('|')}) continue ;;
    esac
    [[ $name == *[[:cntrl:]]* ]] && continue
    [[ -f $entry || -d $entry ]] || continue
    printf -v quoted %q "$name"
    # The word typed so far may be the name as typed (my\\ svc) or as read (my svc).
    [[ $name == "$cur"* || $quoted == "$cur"* ]] && COMPREPLY+=("$quoted")
  done
  [[ -n $failglob ]] && shopt -s failglob
  return 0
}

# Whether option $2 of action $1 takes a value: the next word is that value, not an operand.
${fn}_valued() {
  local flag=$2
  # In a cluster of short options (-fn) only the last can take the next word.
  [[ $flag == -[!-]?* ]] && flag=-\${flag: -1}
${valued.length ? `  case $1:$flag in\n${valued.join('\n')}\n  esac\n` : ''}  return 1
}

${fn}() {
  local cur=\${COMP_WORDS[COMP_CWORD]} prev=\${COMP_WORDS[COMP_CWORD-1]} word action= dashes= skip= operand=0 i
  COMPREPLY=()
  # A redirection's target is a file: bash's own completion.
  if [[ $prev == *[\\<\\>] ]]; then
    compopt -o default 2>/dev/null
    return 0
  fi
  for ((i = 1; i < COMP_CWORD; i++)); do
    word=\${COMP_WORDS[i]}
    if [[ -n $skip ]]; then
      # bash splits --lines=5 at the =: the value is the word after it.
      [[ $word == = ]] || skip=
      continue
    fi
    case $word in
      *[\\<\\>]) skip=1; continue ;;
    esac
    if [[ -z $dashes ]]; then
      case $word in
        --) dashes=1; continue ;;
        =) skip=1; continue ;;
        -*) [[ -n $action ]] && ${fn}_valued "$action" "$word" && skip=1; continue ;;
      esac
    fi
    if [[ -z $action ]]; then action=$word; else operand=$((operand + 1)); fi
  done
  [[ -n $skip || $cur == = ]] && return 0
  if [[ -z $action ]]; then
    if [[ -z $dashes && $cur == -* ]]; then
      ${fn}_offer ${words(shape.globalOptions)}
    else
      ${fn}_offer ${words(shape.actions.flatMap((a) => a.names))}
    fi
    return 0
  fi
  if [[ -z $dashes && $cur == -* ]]; then
${options.length ? `    case $action in\n${options.join('\n')}\n    esac\n` : ''}    ${fn}_offer ${words(shape.globalOptions)}
    return 0
  fi
${operands.length ? `  case $action:$operand in\n${operands.join('\n')}\n  esac\n` : ''}  return 0
}

complete -F ${fn} ${shape.program}
`;
}
