// The fish completion script (SPEC 15.5): one function prints the candidates for the command line, fish filters them.
import { operandsByIndex, valuedFlags, type CompletionShape, type Offer } from './shape.js';

/** Inside fish's single quotes only \\ and ' are special. */
function fishQuote(word: string): string {
  return `'${word.replace(/[\\']/g, '\\$&')}'`;
}

const words = (list: readonly string[]): string => list.map(fishQuote).join(' ');
const regexEscape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export function fishScript(shape: CompletionShape): string {
  const fn = `__${shape.program.replace(/\W/g, '_')}`;
  const offer = (offers: Offer): string =>
    offers === 'services' ? `${fn}_services` : offers.length ? `printf '%s\\n' ${words(offers)}` : 'true';
  const cases = (names: readonly string[], index: string): string => names.map((n) => fishQuote(`${n}:${index}`)).join(' ');
  const suffixes = `(${shape.ignoredSuffixes.map(regexEscape).join('|')})$`;

  const valued = shape.actions.flatMap((action) => {
    const flags = valuedFlags(action);
    return flags.length ? [`        case ${action.names.flatMap((n) => flags.map((f) => fishQuote(`${n}:${f}`))).join(' ')}\n            return 0`] : [];
  });
  const options = shape.actions.filter((a) => a.options.length).map((action) =>
    `            case ${words(action.names)}\n                printf '%s\\n' ${words(action.options.flatMap((o) => o.flags))}`);
  const operands = shape.actions.flatMap((action) => {
    const { fixed, rest } = operandsByIndex(action);
    const lines = fixed.filter(([, operand]) => rest || operand.offers.length)
      .map(([i, operand]) => `        case ${cases(action.names, String(i))}\n            ${offer(operand.offers)}`);
    return rest ? [...lines, `        case ${cases(action.names, '*')}\n            ${offer(rest.offers)}`] : lines;
  });
  const actions = shape.actions.flatMap((a) => a.names.map((n) => fishQuote(`${n}\t${a.describe}`)));

  return `# fish completion for ${shape.program}, printed by "${shape.program} completion fish" (SPEC 15.5).
# Its actions and options are those of the ${shape.program} that printed it; service names are read at each Tab.

# The service names of the service dir as it resolves now. The shell lists it itself: a Tab starts no process.
function ${fn}_services
    set -l dir $RERAISE_DIR
    test -n "$dir"; or set dir $HOME/reraise.d
    for entry in $dir/*
        # Checked on the whole path, one argument: a name cut out by a command substitution would be split at its newlines.
        string match -q -r -- ${fishQuote(suffixes)} $entry; and continue
        string match -q -r -- '/[^/]*[\\x00-\\x1f\\x7f][^/]*$' $entry; and continue
        test -f $entry; or test -d $entry; or continue
        string replace -r -- '.*/' '' $entry
    end
end

# Whether option $argv[2] of action $argv[1] takes a value: the next word is that value, not an operand.
function ${fn}_valued
    set -l flag $argv[2]
    # In a cluster of short options (-fn) only the last can take the next word.
    string match -q -r -- '^-[^-].' $flag; and set flag -(string sub -s -1 -- $flag)
${valued.length ? `    switch "$argv[1]:$flag"\n${valued.join('\n')}\n    end\n` : ''}    return 1
end

function ${fn}_complete
    set -l tokens (commandline -opc)
    set -l cur (commandline -ct)
    set -l action
    set -l dashes
    set -l skip
    set -l operand 0
    for word in $tokens[2..-1]
        if test -n "$skip"
            set skip
            continue
        end
        if test -z "$dashes"
            switch $word
                case --
                    set dashes 1
                    continue
                case '-*'
                    test -n "$action"; and ${fn}_valued $action $word; and set skip 1
                    continue
            end
        end
        if test -z "$action"
            set action $word
        else
            set operand (math $operand + 1)
        end
    end
    test -n "$skip"; and return
    if test -z "$action"
        if test -z "$dashes"; and string match -q -- '-*' "$cur"
            printf '%s\\n' ${words(shape.globalOptions)}
        else
            printf '%s\\n' ${actions.join(' ')}
        end
        return
    end
    if test -z "$dashes"; and string match -q -- '-*' "$cur"
${options.length ? `        switch $action\n${options.join('\n')}\n        end\n` : ''}        printf '%s\\n' ${words(shape.globalOptions)}
        return
    end
${operands.length ? `    switch "$action:$operand"\n${operands.join('\n')}\n    end\n` : ''}end

complete -c ${shape.program} -f -a '(${fn}_complete)'
`;
}
