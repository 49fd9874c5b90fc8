// reraise ACTION [ARGS]: yargs reads and checks the arguments; the action's own function does the work (SPEC 6).
import { ACTIONS, actionNames, shieldOperand, type Action } from './commands.js';
import { makeContext } from './context.js';
import { helpEpilogue } from './help.js';
import { explain, unknownOption } from './options.js';
import { print } from './report.js';

/** --color (true) or --no-color (false), the last one given winning as with any flag; undefined for neither. */
function colourFlagOf(args: readonly string[]): boolean | undefined {
  const last = [...args].reverse().find((a) => a === '--color' || a === '--no-color');
  return last === undefined ? undefined : last === '--color';
}

/** Raised from yargs' fail() for a usage error (exit 2). */
class UsageError extends Error {}

/** `reraise status | head -1`: a closed pipe ends the output, it is not an error. */
function quietOnClosedPipe(): void {
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}

/**
 * `reraise revive PATTERN...`, as cron runs it every few minutes for years: without yargs, which
 * is loaded only by main (SPEC 13.2). bin/reraise sends anything with an option through main.
 */
export async function reviveMain(patterns: readonly string[]): Promise<number> {
  quietOnClosedPipe();
  const { revive } = await import('./commands/revive.js');
  const report = await revive(makeContext(), patterns);
  print(report);
  return report.failed ? 1 : 0;
}

/**
 * `reraise status [--json] [PATTERN...]`, the command people and scripts run most: without yargs,
 * whose load alone (its Unicode tables) costs a third of a status (SPEC 15.1). bin/reraise sends
 * only plain names, patterns, `--json`, `--color` and `--no-color` here; anything else goes through
 * main, with its checks and its wording.
 */
export async function statusMain(args: readonly string[]): Promise<number> {
  quietOnClosedPipe();
  const ctx = makeContext(process.env, colourFlagOf(args));
  const { status } = await import('./commands/status.js');
  const report = await status(ctx, args.filter((a) => !a.startsWith('-')), args.includes('--json'));
  print(report);
  return report.failed ? 1 : 0;
}

export async function main(args: readonly string[], version: string): Promise<number> {
  quietOnClosedPipe();
  // After `--` every argument is a name or a pattern, even one that starts with `-` (SPEC 6).
  const dashes = args.indexOf('--');
  const options = dashes < 0 ? args : args.slice(0, dashes);
  const first = options.find((a) => !a.startsWith('-'));
  const byName = new Map<string, Action>(ACTIONS.flatMap((action) => actionNames(action).map((n) => [n, action] as const)));
  if (first !== undefined && !byName.has(first)) return usage(`unknown action "${first}"`);
  const unknown = unknownOption(options, first);
  if (unknown) return usage(unknown);
  const ctx = makeContext(process.env, colourFlagOf(options));

  const { default: yargs } = await import('yargs');
  // Commands without handlers: yargs would build the whole help text after starting each handler.
  let parser = yargs(dashes < 0 ? [...args] : [...options, ...args.slice(dashes + 1).map(shieldOperand)])
    .scriptName('reraise')
    .usage('reraise [--help] [--version] ACTION [ARGS]\n\nA per-user service supervisor: keeps the scripts of a directory running.');
  for (const action of ACTIONS) parser = parser.command(action.command, action.describe, action.builder);
  parser = parser
    .demandCommand(1, 'no action given')
    .strict()
    .version(version)
    .alias('h', 'help')
    .alias('V', 'version')
    .option('color', { type: 'boolean', describe: 'colour the output (default: on a terminal, off with NO_COLOR)' })
    .wrap(Math.min(100, process.stdout.columns || 80))
    .exitProcess(false)
    .fail((message, error) => {
      throw error ?? new UsageError(explain(message, first));
    });
  if (options.includes('--help') || options.includes('-h')) parser.epilogue(helpEpilogue(ctx));

  let argv: Awaited<ReturnType<typeof parser.parseAsync>>;
  try {
    argv = await parser.parseAsync();
  } catch (error) {
    if (error instanceof UsageError || (error as Error).name === 'YError') return usage((error as Error).message);
    throw error;
  }
  const action = byName.get(String(argv._[0]));
  // --help and --version print and leave no action to run.
  if (!action || options.some((a) => ['--help', '-h', '--version', '-V'].includes(a))) return 0;
  const outcome = await action.run(ctx, argv);
  if ('usage' in outcome) return usage(outcome.usage);
  if ('printed' in outcome) return 0;
  print(outcome);
  return outcome.failed ? 1 : 0;
}

function usage(message: string): number {
  process.stderr.write(`reraise: ${message}\nTry "reraise --help".\n`);
  return 2;
}
