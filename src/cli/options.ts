// Checks of options before yargs reads them, and yargs' wording put the way reraise speaks (SPEC 6 usage errors).

export const GLOBAL_OPTIONS = ['--help', '-h', '--version', '-V', '--color', '--no-color'];
const ACTION_OPTIONS: Readonly<Record<string, readonly string[]>> = {
  status: ['--json'], top: ['-d', '--delay'], log: ['-n', '--lines', '-f', '--follow', '--json', '--local'], start: ['--wait'], up: ['--wait'], export: ['--dir'],
};
/** Options that take a value, in every form yargs reads: `-n 5`, `-n5`, `--lines=5`, `-fn 5`. */
const VALUE_OPTIONS: Readonly<Record<string, readonly string[]>> = { log: ['-n', '--lines'], top: ['-d', '--delay'], export: ['--dir'] };

/**
 * Options are checked before yargs sees them: yargs would read `start --bogus web` as
 * bogus=web and then complain of a missing pattern instead of naming --bogus.
 */
export function unknownOption(args: readonly string[], action: string | undefined): string | undefined {
  const known = [...GLOBAL_OPTIONS, ...((action && ACTION_OPTIONS[action]) || [])];
  const valued = (action && VALUE_OPTIONS[action]) || [];
  const isValue = (a: string, i: number): boolean => valued.length > 0 && (valued.some((o) => a.startsWith(`${o}=`))
    || shortCluster(a, known, valued) !== undefined || valued.includes(args[i - 1]) || shortCluster(args[i - 1] ?? '', known, valued) === 'next');
  const bad = args.find((a, i) => a.startsWith('-') && a !== '-' && !known.includes(a) && !isValue(a, i));
  if (bad === undefined) return undefined;
  const name = bad.split('=')[0];
  if (known.includes(name)) return `option ${name} takes no value`;
  // A name that starts with a dash is no option once it comes after `--` (SPEC 6).
  const hint = /^-[^-]/.test(bad) && !/^-\d+$/.test(bad) ? ` (a service named "${bad}" goes after --: reraise ${action ?? 'ACTION'} -- ${bad})` : '';
  return action ? `unknown option "${bad}" for ${action}${hint}` : `unknown option "${bad}"${hint}`;
}

/** How yargs reads `-fn5`: known flags, then perhaps an option whose value is inside or next; undefined for anything else. */
function shortCluster(arg: string, known: readonly string[], valued: readonly string[]): 'flags' | 'inside' | 'next' | undefined {
  if (!/^-[^-]/.test(arg)) return undefined;
  for (let i = 1; i < arg.length; i++) {
    if (valued.includes(`-${arg[i]}`)) return i === arg.length - 1 ? 'next' : 'inside';
    if (!known.includes(`-${arg[i]}`)) return undefined;
  }
  return 'flags';
}

/** The actions whose one operand has a fixed set of values, and how a missing or unknown one is said. */
const FIXED_OPERANDS: Readonly<Record<string, { missing: string; unknown: string; choices: string }>> = {
  boot: { missing: 'what to do', unknown: '', choices: 'install, remove or show' },
  completion: { missing: 'SHELL', unknown: 'shell ', choices: 'bash, zsh or fish' },
};

/** yargs' wording for a missing positional, said the way the rest of reraise speaks. */
export function explain(message: string, action: string | undefined): string {
  const fixed = action === undefined ? undefined : FIXED_OPERANDS[action];
  if (fixed && (message.startsWith('Invalid values') || message.startsWith('Not enough non-option arguments'))) {
    const given = /Given: "([^"]*)"/.exec(message)?.[1];
    return given === undefined ? `${action}: missing ${fixed.missing}: ${fixed.choices}` : `${action}: unknown ${fixed.unknown}"${given}": ${fixed.choices}`;
  }
  if (!action || !message.startsWith('Not enough non-option arguments')) return message;
  if (action === 'signal' && message.includes(' got 0,')) return 'signal: missing SIG (a signal name like HUP or a number like 9)';
  return action === 'new' || action === 'log' ? `${action}: missing NAME` : `${action}: missing PATTERN (a service name or a glob like 'http-*')`;
}
