// reraise ACTION [ARGS]: yargs wiring; each handler is a line of glue around a command function (SPEC 6).
import yargs, { type Argv } from 'yargs';
import { makeContext } from './context.js';
import { print, type Report } from './report.js';
import { helpEpilogue } from './help.js';

const ACTIONS = ['list', 'status', 'start', 'stop', 'restart', 'clean', 'skeleton', 'new', 'logger', 'once', 'log', 'signal', 'pause', 'cont', 'up', 'down'];

/** Raised by a handler for a usage error found after parsing (exit 2). */
class UsageError extends Error {}

export async function main(args: readonly string[], version: string): Promise<number> {
  // `reraise status | head -1`: a closed pipe ends the output, it is not an error.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
  const first = args.find((a) => !a.startsWith('-'));
  if (first !== undefined && !ACTIONS.includes(first)) return usage(`unknown action "${first}"`);
  const unknown = unknownOption(args, first);
  if (unknown) return usage(unknown);
  const ctx = makeContext();
  let exitCode = 0;
  const done = (report: Report): void => {
    print(report);
    if (report.failed) exitCode = 1;
  };
  const patterns = (y: Argv, demand: boolean): Argv =>
    y.positional('patterns', { type: 'string', array: true, describe: demand ? 'service name globs' : 'service name globs (default: all)' });

  const parser = yargs([...args])
    .scriptName('reraise')
    .usage('reraise [--help] [--version] ACTION [ARGS]\n\nA per-user service supervisor: keeps the scripts of a directory running.')
    .command('list', 'list the services with kind, owner and group', {}, async () =>
      done(await (await import('./commands/list.js')).list(ctx)))
    .command('status [patterns..]', 'show what each service is doing', (y) =>
      patterns(y, false).option('json', { type: 'boolean', describe: 'print a JSON array of objects' }), async (a) =>
      done(await (await import('./commands/status.js')).status(ctx, strings(a.patterns), !!a.json)))
    .command(['start <patterns..>', 'up'], 'start a worker for each service not running', (y) =>
      patterns(y, true).option('wait', { type: 'boolean', describe: 'return once each service has run config_start_sec (exit 0) or given up (exit 1)' }),
    async (a) => done(await (await import('./commands/start.js')).start(ctx, strings(a.patterns), !!a.wait)))
    .command(['stop <patterns..>', 'down'], 'stop each service and wait until it is gone', (y) => patterns(y, true), async (a) =>
      done(await (await import('./commands/stop.js')).stop(ctx, strings(a.patterns))))
    .command('restart <patterns..>', 'restart each running service (counts no failure)', (y) => patterns(y, true), async (a) =>
      done(await (await import('./commands/restart.js')).restart(ctx, strings(a.patterns))))
    .command('signal <sig> <patterns..>', 'send SIG (HUP, usr1, 9) to the process group of each running service', (y) =>
      patterns(y.positional('sig', { type: 'string', describe: 'a signal name or number, without a dash' }), true), async (a) => {
      const result = await (await import('./commands/control.js')).sendSignal(ctx, String(a.sig), strings(a.patterns));
      if ('usage' in result) throw new UsageError(result.usage);
      done(result);
    })
    .command('pause <patterns..>', 'stop each running service with SIGSTOP (status shows it paused)', (y) => patterns(y, true), async (a) =>
      done(await (await import('./commands/control.js')).pause(ctx, strings(a.patterns))))
    .command('cont <patterns..>', 'continue each paused service with SIGCONT', (y) => patterns(y, true), async (a) =>
      done(await (await import('./commands/control.js')).cont(ctx, strings(a.patterns))))
    .command('clean [patterns..]', 'remove pid files whose worker and service are gone', (y) => patterns(y, false), async (a) =>
      done(await (await import('./commands/clean.js')).clean(ctx, strings(a.patterns))))
    .command('skeleton [kind]', 'print a starter script: reraise skeleton > $RERAISE_DIR/NAME', (y) =>
      y.positional('kind', { type: 'string', describe: 'http (default) or minimal' }), async (a) => {
      const { skeleton, DEFAULT_KIND } = await import('./commands/skeleton.js');
      const result = skeleton(String(a.kind ?? DEFAULT_KIND));
      if ('usage' in result) throw new UsageError(result.usage);
      process.stdout.write(result.text);
    })
    .command('new <name> [kind]', 'write a starter script to the service dir (mode 0755, never overwrites)', (y) =>
      y.positional('name', { type: 'string' }).positional('kind', { type: 'string', describe: 'http (default) or minimal' }), async (a) => {
      const { newService, DEFAULT_KIND } = await import('./commands/skeleton.js');
      const result = await newService(ctx, String(a.name), String(a.kind ?? DEFAULT_KIND));
      if ('usage' in result) throw new UsageError(result.usage);
      done(result);
    })
    .command('log <name>', 'print the last lines of a service\'s log; with -f, go on printing what is appended', (y) =>
      y.positional('name', { type: 'string', describe: 'a service name (not a glob)' })
        .option('lines', { alias: 'n', type: 'string', describe: 'print the last N lines (default 10)' })
        .option('follow', { alias: 'f', type: 'boolean', describe: 'follow the log across rotations until interrupted' }), async (a) => {
      const result = await (await import('./commands/log.js')).log(ctx, String(a.name), a.lines, !!a.follow);
      if ('usage' in result) throw new UsageError(result.usage);
      done(result);
    })
    .command('once <patterns..>', 'let each running service finish its run, and not start it again', (y) => patterns(y, true), async (a) =>
      done(await (await import('./commands/once.js')).once(ctx, strings(a.patterns))))
    .command('logger <name>', 'copy stdin into the rotating log of NAME (an rc.log: exec reraise logger "$2")', (y) =>
      y.positional('name', { type: 'string' }), () => {
      // bin/reraise runs the logger itself, before this parser is loaded; this entry is for --help.
    })
    .demandCommand(1, 'no action given')
    .strict()
    .version(version)
    .alias('h', 'help')
    .alias('V', 'version')
    .wrap(Math.min(100, process.stdout.columns || 80))
    .exitProcess(false)
    .fail((message, error) => {
      throw error ?? new UsageError(explain(message, first));
    });
  if (args.includes('--help') || args.includes('-h')) parser.epilogue(helpEpilogue(ctx));

  try {
    await parser.parseAsync();
  } catch (error) {
    if (error instanceof UsageError || (error as Error).name === 'YError') return usage((error as Error).message);
    throw error;
  }
  return exitCode;
}

const GLOBAL_OPTIONS = ['--help', '-h', '--version', '-V'];
const ACTION_OPTIONS: Readonly<Record<string, readonly string[]>> = {
  status: ['--json'], log: ['-n', '--lines', '-f', '--follow'], start: ['--wait'], up: ['--wait'],
};
/** Options that take a value, in every form yargs reads: `-n 5`, `-n5`, `--lines=5`, `-fn 5`. */
const VALUE_OPTIONS: Readonly<Record<string, readonly string[]>> = { log: ['-n', '--lines'] };

/**
 * Options are checked before yargs sees them: yargs would read `start --bogus web` as
 * bogus=web and then complain of a missing pattern instead of naming --bogus.
 */
function unknownOption(args: readonly string[], action: string | undefined): string | undefined {
  const known = [...GLOBAL_OPTIONS, ...((action && ACTION_OPTIONS[action]) || [])];
  const valued = (action && VALUE_OPTIONS[action]) || [];
  const isValue = (a: string, i: number): boolean => valued.length > 0 && (valued.some((o) => a.startsWith(`${o}=`))
    || shortCluster(a, known, valued) !== undefined || valued.includes(args[i - 1]) || shortCluster(args[i - 1] ?? '', known, valued) === 'next');
  const bad = args.find((a, i) => a.startsWith('-') && a !== '-' && !known.includes(a) && !isValue(a, i));
  if (bad === undefined) return undefined;
  const name = bad.split('=')[0];
  if (known.includes(name)) return `option ${name} takes no value`;
  return action ? `unknown option "${bad}" for ${action}` : `unknown option "${bad}"`;
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

/** yargs' wording for a missing positional, said the way the rest of reraise speaks. */
function explain(message: string, action: string | undefined): string {
  if (!action || !message.startsWith('Not enough non-option arguments')) return message;
  if (action === 'signal' && message.includes(' got 0,')) return 'signal: missing SIG (a signal name like HUP or a number like 9)';
  return action === 'new' || action === 'log' ? `${action}: missing NAME` : `${action}: missing PATTERN (a service name or a glob like 'http-*')`;
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.map(String) : [];
}

function usage(message: string): number {
  process.stderr.write(`reraise: ${message}\nTry "reraise --help".\n`);
  return 2;
}
