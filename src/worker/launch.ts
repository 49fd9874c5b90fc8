// How a program of the service is run: its command line, and as whom (SPEC 5.2, 6 `start`, 8, 12.4).
import { dirname, join } from 'node:path';
import type { ServiceEntry } from '../io/service-dir.js';
import { accountOf } from '../io/accounts.js';
import { PACKAGE_ROOT } from '../io/package-root.js';
import { fail, ok, type Result } from '../core/result.js';
import type { Exit } from '../core/policy.js';
import { signalNumber } from '../core/signals.js';

export interface Command {
  file: string;
  args: string[];
  argv0: string;
}

export interface Launch extends Command {
  uid?: number;
  gid?: number;
  env: Record<string, string | undefined>;
}

/** A script runs with no arguments; a perp-style service as `./rc.main start NAME` in its directory. */
export function mainCommand(entry: ServiceEntry): Command {
  return entry.kind === 'perp'
    ? { file: entry.file, args: ['start', entry.name], argv0: './rc.main' }
    : { file: entry.file, args: [], argv0: entry.file };
}

/** perp's exact argv: `reset NAME exit CODE` or `reset NAME signal SIGNUM SIGNAME`. */
export function resetCommand(entry: ServiceEntry, exit: Exit): Command {
  const how = exit.signal
    ? ['signal', String(signalNumber(exit.signal) ?? exit.code - 128), `SIG${exit.signal}`]
    : ['exit', String(exit.code)];
  return { file: entry.file, args: ['reset', entry.name, ...how], argv0: './rc.main' };
}

export function logCommand(entry: ServiceEntry): Command {
  return { file: join(entry.cwd, 'rc.log'), args: ['start', entry.name], argv0: './rc.log' };
}

const BIN_DIR = join(PACKAGE_ROOT, 'bin');

/**
 * PATH with reraise's bin dir and node's dir appended when missing, so that an rc.log's
 * `exec reraise logger "$2"` works even when reraise runs from a clone or from cron.
 */
export function servicePath(current: string | undefined): string {
  const dirs = (current ?? '/usr/bin:/bin').split(':');
  for (const dir of [dirname(process.execPath), BIN_DIR]) if (!dirs.includes(dir)) dirs.push(dir);
  return dirs.join(':');
}

export function planLaunch(entry: ServiceEntry, command: Command, baseEnv: Record<string, string | undefined>): Result<Launch> {
  // RERAISE_NODE: the node running reraise, so that a script can run JavaScript wherever reraise runs.
  const env = {
    ...baseEnv, RERAISE_SERVICE: entry.name, RERAISE_NODE: process.execPath, PATH: servicePath(baseEnv.PATH),
  };
  const me = process.getuid!();
  if (entry.uid === me) return ok({ ...command, env });
  const owner = accountOf(entry.uid);
  if (me === 0) {
    // As root the service itself becomes its owner, with the owner's own HOME, USER and LOGNAME.
    const home = owner?.home ?? '/';
    const user = owner?.name ?? String(entry.uid);
    return ok({
      ...command, uid: entry.uid, gid: owner?.gid ?? entry.gid,
      env: { ...env, HOME: home, USER: user, LOGNAME: user },
    });
  }
  if (!owner) return fail(`${entry.name}: owned by uid ${entry.uid}, which has no account to run it as (${entry.file})`);
  return ok({ file: 'sudo', args: ['-n', '-u', owner.name, '--', command.file, ...command.args], argv0: 'sudo', env });
}
