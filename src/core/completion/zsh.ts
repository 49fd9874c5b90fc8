// The zsh completion script (SPEC 15.5): an autoloadable #compdef function that can also be sourced.
import { operandsByIndex, shQuote, valuedFlags, type CompletionShape, type Offer } from './shape.js';

const words = (list: readonly string[]): string => list.map(shQuote).join(' ');

export function zshScript(shape: CompletionShape): string {
  const fn = `_${shape.program.replace(/\W/g, '_')}`;
  const offer = (offers: Offer): string =>
    offers === 'services' ? `${fn}_services` : offers.length ? `compadd -- ${words(offers)}` : ':';
  const pattern = (names: readonly string[], index: string): string => names.map((n) => `${shQuote(n)}:${index}`).join('|');
  // _describe splits NAME:DESCRIPTION at the first colon that is not escaped.
  const described = shape.actions.flatMap((a) => a.names.map((n) => shQuote(`${n.replace(/:/g, '\\:')}:${a.describe}`)));

  const valued = shape.actions.flatMap((action) => {
    const flags = valuedFlags(action);
    return flags.length ? [`    ${action.names.flatMap((n) => flags.map((f) => `${shQuote(n)}:${shQuote(f)}`)).join('|')}) return 0 ;;`] : [];
  });
  const options = shape.actions.filter((a) => a.options.length).map((action) =>
    `      ${action.names.map(shQuote).join('|')}) compadd -- ${words(action.options.flatMap((o) => o.flags))} ;;`);
  const operands = shape.actions.flatMap((action) => {
    const { fixed, rest } = operandsByIndex(action);
    const lines = fixed.filter(([, operand]) => rest || operand.offers.length)
      .map(([i, operand]) => `    ${pattern(action.names, String(i))}) ${offer(operand.offers)} ;;`);
    return rest ? [...lines, `    ${pattern(action.names, '*')}) ${offer(rest.offers)} ;;`] : lines;
  });

  return `#compdef ${shape.program}
# zsh completion for ${shape.program}, printed by "${shape.program} completion zsh" (SPEC 15.5).
# Its actions and options are those of the ${shape.program} that printed it; service names are read at each Tab.

# The service names of the service dir as it resolves now. The shell lists it itself: a Tab starts no process.
# No emulate -L zsh here or below: the completion system has set the options it needs, and _describe needs them kept.
${fn}_services() {
  local dir=\${RERAISE_DIR:-$HOME/reraise.d} entry name
  local -a names
  for entry in $dir/*(N); do
    name=\${entry:t}
    case $name in
      .*|${shape.ignoredSuffixes.map((s) => `*${shQuote(s)}`).join('|')}) continue ;;
    esac
    [[ $name == *[[:cntrl:]]* ]] && continue
    [[ -f $entry || -d $entry ]] || continue
    names+=("$name")
  done
  compadd -a names
}

# Whether option $2 of action $1 takes a value: the next word is that value, not an operand.
${fn}_valued() {
  local flag=$2
  # In a cluster of short options (-fn) only the last can take the next word.
  [[ $flag == -[^-]?* ]] && flag=-\${flag[-1]}
${valued.length ? `  case $1:$flag in\n${valued.join('\n')}\n  esac\n` : ''}  return 1
}

${fn}() {
  local word action= dashes= skip= cur=\${words[CURRENT]}
  local -a actions
  integer operand=0 i
  for (( i = 2; i < CURRENT; i++ )); do
    word=\${words[i]}
    if [[ -n $skip ]]; then
      skip=
      continue
    fi
    if [[ -z $dashes ]]; then
      case $word in
        --) dashes=1; continue ;;
        -*) [[ -n $action ]] && ${fn}_valued "$action" "$word" && skip=1; continue ;;
      esac
    fi
    if [[ -z $action ]]; then action=$word; else operand=$(( operand + 1 )); fi
  done
  [[ -n $skip ]] && return 1
  if [[ -z $action ]]; then
    if [[ -z $dashes && $cur == -* ]]; then
      compadd -- ${words(shape.globalOptions)}
    else
      actions=(${described.join(' ')})
      _describe -t actions 'action' actions
    fi
    return
  fi
  if [[ -z $dashes && $cur == -* ]]; then
${options.length ? `    case $action in\n${options.join('\n')}\n    esac\n` : ''}    compadd -- ${words(shape.globalOptions)}
    return
  fi
${operands.length ? `  case $action:$operand in\n${operands.join('\n')}\n  esac\n` : ''}}

# Autoloaded from fpath, this file is the body of ${fn}: it defines the functions, then completes. Sourced, it registers ${fn}.
if [[ \${funcstack[1]} == ${fn} ]]; then
  ${fn} "$@"
else
  compdef ${fn} ${shape.program}
fi
`;
}
