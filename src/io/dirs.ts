// The three directories (SPEC 1, 2): where they are, creating them, and refusing unsafe ones.
import { Stats, chmodSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fail, ok, type Result } from '../core/result.js';

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
}

type Env = Readonly<Record<string, string | undefined>>;

function pick(env: Env, variable: string, fallback: () => string): Dir {
  const value = env[variable];
  if (value) return { path: resolve(value), variable, named: true };
  return { path: fallback(), variable, named: false };
}

export function resolveDirs(env: Env, uid: number, home: string): Dirs {
  return {
    service: pick(env, 'RERAISE_DIR', () => join(home, 'reraise.d')),
    pid: pick(env, 'RERAISE_PIDDIR', () => `/var/tmp/reraise-${uid}`),
    log: pick(env, 'RERAISE_LOGDIR', () =>
      join(env.XDG_STATE_HOME ? resolve(env.XDG_STATE_HOME) : join(home, '.local', 'state'), 'reraise')),
  };
}

/** The environment that hands resolved directories on to a worker and its service. */
export function dirsEnv(dirs: Dirs): Record<string, string> {
  return { RERAISE_DIR: dirs.service.path, RERAISE_PIDDIR: dirs.pid.path, RERAISE_LOGDIR: dirs.log.path };
}

function label(dir: Dir, what: string): string {
  return `${what} ${dir.path} (${dir.variable}${dir.named ? '' : ', default'})`;
}

function errorText(error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  switch (e.code) {
    case 'ENOENT': return 'no such directory';
    case 'EACCES': return 'permission denied';
    case 'ENOTDIR': return 'not a directory';
    case 'EROFS': return 'read-only file system';
    default: return e.message;
  }
}

/** Writable by group or others without the sticky bit: anyone in that set could replace its files. */
function looseMode(mode: number, groupToo: boolean): string | undefined {
  if (mode & 0o1000) return undefined;
  if (mode & 0o002) return 'writable by others without the sticky bit';
  if (groupToo && mode & 0o020) return 'writable by its group without the sticky bit';
  return undefined;
}

function existingDir(dir: Dir, what: string): Result<Stats> {
  try {
    const st = statSync(dir.path);
    if (!st.isDirectory()) return fail(`unable to use ${label(dir, what)}: not a directory`);
    return ok(st);
  } catch (error) {
    return fail(`unable to use ${label(dir, what)}: ${errorText(error)}`);
  }
}

function make(dir: Dir, what: string, mode: number): Result<void> {
  try {
    mkdirSync(dir.path, { recursive: true, mode });
    return ok(undefined);
  } catch (error) {
    return fail(`unable to create ${label(dir, what)}: ${errorText(error)}`);
  }
}

/** The service dir must exist when named; only the default one is created. */
export function prepareServiceDir(dir: Dir): Result<void> {
  if (!dir.named && !existsSync(dir.path)) {
    const made = make(dir, 'service dir', 0o755);
    if (!made.ok) return made;
  }
  const st = existingDir(dir, 'service dir');
  if (!st.ok) return st;
  const loose = looseMode(st.value.mode, false);
  return loose ? fail(`unable to use ${label(dir, 'service dir')}: ${loose}`) : ok(undefined);
}

/** Reads the service dir without creating or checking it (for --help and read-only listings). */
export function serviceDirExists(dir: Dir): boolean {
  try {
    return statSync(dir.path).isDirectory();
  } catch {
    return false;
  }
}

export function preparePidDir(dir: Dir, uid: number): Result<void> {
  if (!existsSync(dir.path)) {
    const made = make(dir, 'pid dir', 0o700);
    if (!made.ok) return made;
    // mkdir's mode is filtered by the umask; the pid dir must be 0700 whatever it is.
    try {
      chmodSync(dir.path, 0o700);
    } catch (error) {
      return fail(`unable to use ${label(dir, 'pid dir')}: ${errorText(error)}`);
    }
  }
  const st = existingDir(dir, 'pid dir');
  if (!st.ok) return st;
  if (st.value.uid !== uid) return fail(`unable to use ${label(dir, 'pid dir')}: owned by uid ${st.value.uid}, not by you (uid ${uid})`);
  const loose = looseMode(st.value.mode, true);
  return loose ? fail(`unable to use ${label(dir, 'pid dir')}: ${loose}`) : ok(undefined);
}

export function prepareLogDir(dir: Dir): Result<void> {
  const made = make(dir, 'log dir', 0o700);
  if (!made.ok) return made;
  const st = existingDir(dir, 'log dir');
  return st.ok ? ok(undefined) : st;
}
