// The actions: how yargs reads each one's arguments, and the command function it runs (SPEC 6-10).
import type { Argv, ArgumentsCamelCase } from 'yargs';
import type { Context } from './context.js';
import type { Report } from './report.js';

/** What an action returns: its report, a usage error (exit 2), or text it printed itself. */
export type Outcome = Report | { usage: string } | { printed: true };

export interface Action {
  /** yargs' command string, then aliases. */
  command: string | string[];
  describe: string;
  builder: (y: Argv) => Argv;
  /** Loads its module only when run: the others are never read. */
  run: (ctx: Context, a: ArgumentsCamelCase) => Promise<Outcome>;
  /**
   * What completes an operand that has no `choices` (SPEC 15.5); `patterns` complete service names
   * without being named here, any other operand completes nothing.
   */
  complete?: Readonly<Record<string, 'services' | 'skeleton-kinds' | readonly string[]>>;
}

export const SHELLS = ['bash', 'zsh', 'fish'] as const;
export type Shell = (typeof SHELLS)[number];

const patterns = (demand: boolean) => (y: Argv): Argv =>
  y.positional('patterns', { type: 'string', array: true, describe: demand ? 'service name globs' : 'service name globs (default: all)' });

/**
 * yargs reads every `-x` as an option, even after `--`: such an operand is handed to it behind a
 * character no name can hold (a control character), and taken out of it again here (SPEC 6,
 * `reraise stop -- -web`).
 */
const SHIELD = '\u0001';

export function shieldOperand(arg: string): string {
  return arg.startsWith('-') ? SHIELD + arg : arg;
}

function operand(value: unknown): string {
  const text = String(value);
  return text.startsWith(SHIELD) ? text.slice(SHIELD.length) : text;
}

const strings = (value: unknown): string[] => (Array.isArray(value) ? value.map(operand) : []);
const kindOption = (y: Argv): Argv => y.positional('kind', { type: 'string', describe: 'http (default), minimal or perp' });

export const ACTIONS: readonly Action[] = [
  {
    command: 'list', describe: 'list the services with kind, owner and group', builder: (y) => y,
    run: async (ctx) => (await import('./commands/list.js')).list(ctx),
  },
  {
    command: 'status [patterns..]', describe: 'show what each service is doing',
    builder: (y) => patterns(false)(y).option('json', { type: 'boolean', describe: 'print a JSON array of objects' }),
    run: async (ctx, a) => (await import('./commands/status.js')).status(ctx, strings(a.patterns), !!a.json),
  },
  {
    command: ['start <patterns..>', 'up'], describe: 'start a worker for each service not running',
    builder: (y) => patterns(true)(y).option('wait', {
      type: 'boolean', describe: 'return once each service has run config_start_sec (exit 0) or given up (exit 1)',
    }),
    run: async (ctx, a) => (await import('./commands/start.js')).start(ctx, strings(a.patterns), !!a.wait),
  },
  {
    command: ['stop <patterns..>', 'down'], describe: 'stop each service and wait until it is gone', builder: patterns(true),
    run: async (ctx, a) => (await import('./commands/stop.js')).stop(ctx, strings(a.patterns)),
  },
  {
    command: 'restart <patterns..>', describe: 'restart each running service (counts no failure)', builder: patterns(true),
    run: async (ctx, a) => (await import('./commands/restart.js')).restart(ctx, strings(a.patterns)),
  },
  {
    command: 'signal <sig> <patterns..>', describe: 'send SIG (HUP, usr1, 9) to the process group of each running service',
    builder: (y) => patterns(true)(y.positional('sig', { type: 'string', describe: 'a signal name or number, without a dash' })),
    run: async (ctx, a) => (await import('./commands/control.js')).sendSignal(ctx, operand(a.sig), strings(a.patterns)),
  },
  {
    command: 'pause <patterns..>', describe: 'stop each running service with SIGSTOP (status shows it paused)', builder: patterns(true),
    run: async (ctx, a) => (await import('./commands/control.js')).pause(ctx, strings(a.patterns)),
  },
  {
    command: 'cont <patterns..>', describe: 'continue each paused service with SIGCONT', builder: patterns(true),
    run: async (ctx, a) => (await import('./commands/control.js')).cont(ctx, strings(a.patterns)),
  },
  {
    command: 'once <patterns..>', describe: 'let each running service finish its run, and not start it again', builder: patterns(true),
    run: async (ctx, a) => (await import('./commands/once.js')).once(ctx, strings(a.patterns)),
  },
  {
    command: 'clean [patterns..]', describe: 'remove pid files whose worker and service are gone', builder: patterns(false),
    run: async (ctx, a) => (await import('./commands/clean.js')).clean(ctx, strings(a.patterns)),
  },
  {
    command: 'revive [patterns..]', describe: 'make each service match its want: start what should run, take over orphans (for cron)',
    builder: patterns(false),
    // bin/reraise runs revive without this parser (SPEC 13.2); this entry is for --help and for `reraise -- revive`.
    run: async (ctx, a) => (await import('./commands/revive.js')).revive(ctx, strings(a.patterns)),
  },
  {
    command: 'boot <what>', describe: 'install, remove or show the crontab lines that run revive at boot and every 5 minutes',
    builder: (y) => y.positional('what', { type: 'string', choices: ['install', 'remove', 'show'] }),
    run: async (ctx, a) => (await import('./commands/boot.js')).boot(ctx, String(a.what) as 'install' | 'remove' | 'show'),
  },
  {
    command: 'top [patterns..]', describe: 'a live panel: status every second, the selected log, keys to restart, stop, start',
    builder: (y) => patterns(false)(y).option('delay', { alias: 'd', type: 'string', describe: 'refresh every S seconds (default 1)' }),
    run: async (ctx, a) => (await import('./commands/top.js')).top(ctx, strings(a.patterns), a.delay),
  },
  {
    command: 'log <patterns..>', describe: 'print the last lines of services\' logs in time order; with -f, go on printing what is appended',
    builder: (y) => patterns(true)(y)
      .option('lines', { alias: 'n', type: 'string', describe: 'print the last N lines of each (default 10)' })
      .option('follow', { alias: 'f', type: 'boolean', describe: 'follow the logs across rotations until interrupted' })
      .option('json', { type: 'boolean', describe: 'print one JSON object per line: service, line, time' })
      .option('local', { type: 'boolean', describe: 'show the stamps in local time' }),
    run: async (ctx, a) => (await import('./commands/log.js')).log(ctx, strings(a.patterns), {
      lines: a.lines, follow: !!a.follow, json: !!a.json, local: !!a.local,
    }),
  },
  {
    command: 'skeleton [kind]', describe: 'print a starter script: reraise skeleton > $RERAISE_DIR/NAME', builder: kindOption,
    run: async (_ctx, a) => {
      const { skeleton, DEFAULT_KIND } = await import('./commands/skeleton.js');
      const result = skeleton(operand(a.kind ?? DEFAULT_KIND));
      if ('usage' in result) return result;
      process.stdout.write(result.text);
      return { printed: true };
    },
    complete: { kind: 'skeleton-kinds' },
  },
  {
    command: 'new <name> [kind]', describe: 'write a starter script (or perp directory) to the service dir; never overwrites',
    builder: (y) => kindOption(y.positional('name', { type: 'string' })),
    run: async (ctx, a) => {
      const { newService, DEFAULT_KIND } = await import('./commands/skeleton.js');
      return newService(ctx, operand(a.name), operand(a.kind ?? DEFAULT_KIND));
    },
    complete: { kind: 'skeleton-kinds' },
  },
  {
    command: 'completion <shell>', describe: 'print the completion script for bash, zsh or fish (see the README to install it)',
    builder: (y) => y.positional('shell', { type: 'string', choices: SHELLS }),
    run: async (_ctx, a) => {
      process.stdout.write((await import('./commands/completion.js')).completionScript(String(a.shell) as Shell));
      return { printed: true };
    },
  },
  {
    command: 'export [kind] [patterns..]', describe: 'write a systemd user unit for each service, to stdout or into --dir DIR',
    builder: (y) => patterns(false)(y.positional('kind', { type: 'string', describe: 'systemd' }))
      .option('dir', { type: 'string', describe: 'write each unit to DIR/reraise-NAME.service' }),
    complete: { kind: ['systemd'] },
    run: async (ctx, a) => (await import('./commands/export.js'))
      .exportUnits(ctx, a.kind === undefined ? undefined : operand(a.kind), strings(a.patterns), a.dir),
  },
  {
    // bin/reraise runs the logger itself, before this parser is loaded; this entry is for --help.
    command: 'logger <name>', describe: 'copy stdin into the rotating log of NAME (an rc.log: exec reraise logger "$2")',
    builder: (y) => y.positional('name', { type: 'string' }),
    run: async () => ({ printed: true }),
    complete: { name: 'services' },
  },
];

/** Every name an action answers to, the first word of its command and its aliases. */
export function actionNames(action: Action): string[] {
  const [main, ...aliases] = Array.isArray(action.command) ? action.command : [action.command];
  return [main.split(' ')[0], ...aliases];
}
