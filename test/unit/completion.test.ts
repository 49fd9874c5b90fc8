// Completion (SPEC 15.5): what each action declares, read from the table of actions, and the scripts made from it.
import { describe, expect, it } from 'vitest';
import { ACTIONS, actionNames } from '../../src/cli/commands.js';
import { actionShape } from '../../src/cli/declared.js';
import { bashScript } from '../../src/core/completion/bash.js';
import { fishScript } from '../../src/core/completion/fish.js';
import { operandsByIndex, shQuote, valuedFlags, type ActionShape, type CompletionShape } from '../../src/core/completion/shape.js';
import { zshScript } from '../../src/core/completion/zsh.js';

const KINDS = ['http', 'minimal', 'perp'];
const shapeOf = (name: string): ActionShape => {
  const action = ACTIONS.find((a) => actionNames(a).includes(name));
  if (!action) throw new Error(`no action ${name}`);
  return actionShape(action, KINDS);
};

describe('actionShape: the operands and options each action declares', () => {
  it.each([
    ['list', [], []],
    ['status', [{ offers: 'services', variadic: true }], ['--json']],
    ['start', [{ offers: 'services', variadic: true }], ['--wait']],
    ['down', [{ offers: 'services', variadic: true }], []],
    ['signal', [{ offers: [], variadic: false }, { offers: 'services', variadic: true }], []],
    ['revive', [{ offers: 'services', variadic: true }], []],
    ['boot', [{ offers: ['install', 'remove', 'show'], variadic: false }], []],
    ['log', [{ offers: 'services', variadic: true }], ['--lines', '-n', '--follow', '-f', '--json', '--local']],
    ['top', [{ offers: 'services', variadic: true }], ['--delay', '-d']],
    ['export', [{ offers: ['systemd'], variadic: false }, { offers: 'services', variadic: true }], ['--dir']],
    ['skeleton', [{ offers: KINDS, variadic: false }], []],
    ['new', [{ offers: [], variadic: false }, { offers: KINDS, variadic: false }], []],
    ['completion', [{ offers: ['bash', 'zsh', 'fish'], variadic: false }], []],
    ['logger', [{ offers: 'services', variadic: false }], []],
  ])('%s', (name, operands, flags) => {
    const shape = shapeOf(name);
    expect(shape.operands).toEqual(operands);
    expect(shape.options.flatMap((o) => o.flags)).toEqual(flags);
  });

  it('knows which options take a value', () => {
    expect(valuedFlags(shapeOf('log'))).toEqual(['--lines', '-n']);
    expect(valuedFlags(shapeOf('start'))).toEqual([]);
  });

  it('gives every action of the table, with its aliases', () => {
    expect(ACTIONS.map((a) => actionShape(a, KINDS).names)).toEqual(ACTIONS.map(actionNames));
    expect(shapeOf('up').names).toEqual(['start', 'up']);
  });
});

describe('operandsByIndex', () => {
  const words = (offers: string[]) => ({ offers, variadic: false });
  const rest = { offers: 'services' as const, variadic: true };
  it.each([
    ['no operand', [], { fixed: [] }],
    ['one fixed', [words(['a'])], { fixed: [[0, words(['a'])]] }],
    ['only a variadic one', [rest], { fixed: [], rest }],
    ['fixed, then variadic', [words([]), rest], { fixed: [[0, words([])]], rest }],
  ])('%s', (_, operands, expected) => {
    expect(operandsByIndex({ names: ['x'], describe: '', options: [], operands })).toEqual(expected);
  });
});

describe('shQuote', () => {
  it.each([
    ['web', "'web'"],
    ['', "''"],
    ["it's", "'it'\\''s'"],
    ['$HOME `x` *', "'$HOME `x` *'"],
  ])('%j', (word, quoted) => {
    expect(shQuote(word)).toBe(quoted);
  });
});

describe('the scripts: made from the shape they are given', () => {
  const shape: CompletionShape = {
    program: 'reraise',
    globalOptions: ['--help'],
    ignoredSuffixes: ['~', '.bak'],
    actions: [
      { names: ['frob', 'fr'], describe: "frob it's all", options: [{ flags: ['--depth', '-d'], takesValue: true }], operands: [
        { offers: ['red', "it's"], variadic: false }, { offers: 'services', variadic: true }] },
      { names: ['plain'], describe: 'no operands', options: [], operands: [] },
    ],
  };

  it.each([
    ['bash', bashScript(shape), [
      "_reraise_offer 'frob' 'fr' 'plain'",
      "'frob':0|'fr':0) _reraise_offer 'red' 'it'\\''s' ;;",
      "'frob':*|'fr':*) _reraise_services ;;",
      "'frob':'--depth'|'frob':'-d'|'fr':'--depth'|'fr':'-d') return 0 ;;",
      ".*|*'~'|*'.bak') continue ;;",
      'complete -F _reraise reraise',
    ], "'plain':"],
    ['zsh', zshScript(shape), [
      '#compdef reraise',
      "actions=('frob:frob it'\\''s all' 'fr:frob it'\\''s all' 'plain:no operands')",
      "'frob':0|'fr':0) compadd -- 'red' 'it'\\''s' ;;",
      "'frob':*|'fr':*) _reraise_services ;;",
      ".*|*'~'|*'.bak') continue ;;",
      'compdef _reraise reraise',
    ], "'plain':"],
    ['fish', fishScript(shape), [
      "printf '%s\\n' 'frob\tfrob it\\'s all' 'fr\tfrob it\\'s all' 'plain\tno operands'",
      "case 'frob:0' 'fr:0'\n            printf '%s\\n' 'red' 'it\\'s'",
      "case 'frob:*' 'fr:*'\n            __reraise_services",
      "case 'frob:--depth' 'frob:-d' 'fr:--depth' 'fr:-d'",
      "'(~|\\\\.bak)$'",
      "complete -c reraise -f -a '(__reraise_complete)'",
    ], "'plain:"],
  ])('%s, with no operand case for an action without operands', (_, script, lines, noOperands) => {
    for (const line of lines) expect(script).toContain(line);
    expect(script).not.toContain(noOperands);
  });
});
