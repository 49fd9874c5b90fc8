// The three directories (SPEC 1, 2, 12.2): where they are, creating them, and refusing unsafe ones.
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { fail, ok, type Result } from '../core/result.js';
import { dirProblem, errnoText } from './trusted-dir.js';

export interface Dir {
  path: string;
  /** The variable that named it, or the default it came from. */
  variable: string;
  named: boolean;
}

export interface Dirs {
  service: Dir;
  pid: Dir;
  log: Dir;
  /** Where the wants are kept (SPEC 13.1): with the logs, not in the pid dir that tmp cleaners empty. */
  want: Dir;
}

type Env = Readonly<Record<string, string | undefined>>;

function pick(env: Env, variable: string, fallback: () => string): Dir {
  const value = env[variable];
  if (value) return { path: resolve(value), variable, named: true };
  return { path: fallback(), variable, named: false };
}

export function defaultPidDir(uid: number): string {
  return `/var/tmp/reraise-${uid}`;
}

export function resolveDirs(env: Env, uid: number, home: string): Dirs {
  const log = pick(env, 'RERAISE_LOGDIR', () =>
    // The XDG spec: a relative path is invalid, and is ignored.
    join(env.XDG_STATE_HOME && isAbsolute(env.XDG_STATE_HOME) ? env.XDG_STATE_HOME : join(home, '.local', 'state'), 'reraise'));
  return {
    service: pick(env, 'RERAISE_DIR', () => join(home, 'reraise.d')),
    pid: pick(env, 'RERAISE_PIDDIR', () => defaultPidDir(uid)),
    log,
    // A dot name is never a service's, so it cannot meet a service's log directory.
    want: pick(env, 'RERAISE_WANTDIR', () => join(log.path, '.want')),
  };
}

/** The environment that hands resolved directories on to a worker and its service. */
export function dirsEnv(dirs: Dirs): Record<string, string> {
  return { RERAISE_DIR: dirs.service.path, RERAISE_PIDDIR: dirs.pid.path, RERAISE_LOGDIR: dirs.log.path, RERAISE_WANTDIR: dirs.want.path };
}

function label(dir: Dir, what: string): string {
  return `${what} ${dir.path} (${dir.variable}${dir.named ? '' : ', default'})`;
}

/** Writable by others without the sticky bit: anyone could replace its scripts (SPEC 2). */
function serviceDirProblem(path: string): string | undefined {
  try {
    const st = statSync(path);
    if (!st.isDirectory()) return 'not a directory';
    return st.mode & 0o1000 || !(st.mode & 0o002) ? undefined : 'writable by others without the sticky bit';
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? 'no such directory' : errnoText(error);
  }
}

/**
 * The service dir must exist when named; only the default one is created. It is the user's own
 * to arrange (it may be a link), and reraise writes in it only new files (`new`).
 */
export function prepareServiceDir(dir: Dir): Result<void> {
  if (!dir.named && !existsSync(dir.path)) {
    try {
      mkdirSync(dir.path, { recursive: true, mode: 0o755 });
    } catch (error) {
      return fail(`unable to create ${label(dir, 'service dir')}: ${errnoText(error)}`);
    }
  }
  const problem = serviceDirProblem(dir.path);
  return problem ? fail(`unable to use ${label(dir, 'service dir')}: ${problem}`) : ok(undefined);
}

/** Reads the service dir without creating or checking it (for --help and read-only listings). */
export function serviceDirExists(dir: Dir): boolean {
  try {
    return statSync(dir.path).isDirectory();
  } catch {
    return false;
  }
}

/** The pid dir (SPEC 2, 12.2): made 0700 when missing; a sticky one may be shared. */
export function preparePidDir(dir: Dir, uid: number): Result<void> {
  const problem = dirProblem(dir.path, { uid, shared: true, createMode: 0o700 });
  return problem ? fail(`unable to use ${label(dir, 'pid dir')}: ${problem}`) : ok(undefined);
}

/** The log dir (SPEC 2, 12.2): made 0700 when missing, and the user's alone. */
export function prepareLogDir(dir: Dir, uid: number): Result<void> {
  const problem = dirProblem(dir.path, { uid, createMode: 0o700 });
  return problem ? fail(`unable to use ${label(dir, 'log dir')}: ${problem}`) : ok(undefined);
}

/** The want dir (SPEC 13.1): made 0700 when missing, and the user's alone, like the log dir. */
export function prepareWantDir(dir: Dir, uid: number): Result<void> {
  const problem = dirProblem(dir.path, { uid, createMode: 0o700 });
  return problem ? fail(`unable to use ${label(dir, 'want dir')}: ${problem}`) : ok(undefined);
}
