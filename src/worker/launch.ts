// How a program of the service is run: its command line, and as whom (SPEC 5.2, 6 `start`, 8, 12.4).
import { dirname, join } from 'node:path';
import type { ServiceEntry } from '../io/service-dir.js';
import { accountOf, type Account } from '../io/accounts.js';
import { PACKAGE_ROOT } from '../io/package-root.js';
import { runAs } from '../io/run-check.js';
import { setpriv, sudo } from '../io/system-programs.js';
import { fail, ok, type Result } from '../core/result.js';
import { OWNER_PATH, ownerEnvironment } from '../core/owner-env.js';
import type { Exit } from '../core/policy.js';
import { signalNumber } from '../core/signals.js';

export interface Command {
  file: string;
  args: string[];
  argv0: string;
}

export interface Launch extends Command {
  /** Set only where no setpriv can switch groups too: Node's own switch keeps the primary group alone. */
  uid?: number;
  gid?: number;
  env: Record<string, string | undefined>;
  /** The uid the program runs as. */
  owner: number;
  /** As root, run as the owner without its supplementary groups: there is no setpriv. */
  withoutGroups?: boolean;
  /** Run through sudo for another owner: the process is sudo's, which cannot pass SIGKILL on. */
  viaSudo?: boolean;
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

function asOwnerByRoot(command: Command, owner: Account, env: Record<string, string>): Launch {
  const SETPRIV = setpriv();
  if (!SETPRIV) return { ...command, uid: owner.uid, gid: owner.gid, env, owner: owner.uid, withoutGroups: true };
  // setpriv execs the program itself, so the pid the worker records is the program's.
  return {
    file: SETPRIV,
    args: [`--reuid=${owner.uid}`, `--regid=${owner.gid}`, '--init-groups', '--', command.file, ...command.args],
    argv0: 'setpriv', env, owner: owner.uid,
  };
}

/**
 * `command`, held back until a byte arrives on its descriptor 3, which it then closes: the
 * worker's line about a start goes into a shared pipe before the service's first bytes do. The
 * shell execs the program, so the pid stays the program's.
 */
export function gated(launch: Launch, readyOn4 = false): Launch {
  // A readiness descriptor 3 (SPEC 14.1) waits on 4 meanwhile, then takes the gate's place.
  const after = readyOn4 ? 'exec 3>&4 4>&-' : 'exec 3<&-';
  return {
    ...launch,
    file: '/bin/sh',
    args: ['-c', `read -r _ <&3; ${after}; exec "$0" "$@"`, launch.file, ...launch.args],
    argv0: 'sh',
  };
}

/**
 * What every program of the service gets (SPEC 5.2): the worker's environment, the directories,
 * RERAISE_SERVICE, RERAISE_NODE (the node running reraise, so that a script can run JavaScript
 * wherever reraise runs) and PATH extended. Set in the worker's own environment, which is then
 * handed to spawn as it is: a copy of a large environment is memory an idle worker would hold.
 */
export function becomeServiceEnvironment(
  env: Record<string, string | undefined>, dirs: Readonly<Record<string, string>>, name: string,
): Record<string, string | undefined> {
  Object.assign(env, dirs, { RERAISE_SERVICE: name, RERAISE_NODE: process.execPath, PATH: servicePath(env.PATH) });
  return env;
}

/**
 * Decides, from the file about to run (SPEC 12.4), as whom `command` runs: as the worker's own
 * user with `env` (becomeServiceEnvironment); as root for another owner, that owner with their groups
 * and an environment of their own; otherwise through `sudo -n -u OWNER`.
 */
export function planLaunch(entry: ServiceEntry, command: Command, env: Record<string, string | undefined>): Result<Launch> {
  const checked = runAs(command.file);
  if (!checked.ok) return checked;
  const { uid } = checked.value;
  const me = process.getuid!();
  if (uid === me) return ok({ ...command, env, owner: uid });
  const owner = accountOf(uid);
  if (!owner) return fail(`${entry.name}: owned by uid ${uid}, which has no account to run it as (${command.file})`);
  if (me === 0) return ok(asOwnerByRoot(command, owner, ownerEnvironment(owner, env, servicePath(OWNER_PATH))));
  const SUDO = sudo();
  if (!SUDO) return fail(`${entry.name}: owned by ${owner.name}; running it as ${owner.name} needs sudo, which is not installed (${command.file})`);
  return ok({ file: SUDO, args: ['-n', '-u', owner.name, '--', command.file, ...command.args], argv0: 'sudo', env, owner: uid, viaSudo: true });
}
