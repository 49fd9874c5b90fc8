// As whom a program of a service runs, decided from the very file about to run, and whether nobody else can change it (SPEC 12.4).
import { accessSync, closeSync, constants, lstatSync, realpathSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fail, ok, type Result } from '../core/result.js';
import { canSearch } from '../core/trust.js';
import { accountOf, groupsOf, userName, type Account } from './accounts.js';
import type { ServiceEntry } from './service-dir.js';
import { openRegular } from './safe-file.js';
import { trustFor, walkDirs } from './trusted-dir.js';

export interface RunAs {
  uid: number;
  gid: number;
}

function who(uid: number): string {
  const name = userName(uid);
  return name === String(uid) ? `uid ${uid}` : `${name} (uid ${uid})`;
}

/**
 * The owner of `file` (followed through links, opened without blocking: a FIFO is refused), once
 * every directory on the way to it, as named and where it really is, belongs to root or that
 * owner and lets nobody else replace an entry. Then only root and the owner can change what
 * runs before the exec, and whatever they put there runs as the owner.
 */
export function runAs(file: string): Result<RunAs> {
  let uid: number;
  let gid: number;
  let ino: number;
  let dev: number;
  try {
    const { fd, st } = openRegular(file);
    closeSync(fd);
    ({ uid, gid, ino, dev } = st);
  } catch (error) {
    return fail(`cannot run ${file}: ${(error as Error).message.replace(`${file}: `, '')}`);
  }
  const trust = trustFor(uid);
  try {
    const real = realpathSync(file);
    for (const dir of new Set([dirname(file), dirname(real)])) {
      const walked = walkDirs(dir, trust);
      if (!walked.ok) return fail(`not safe to run ${file} as its owner ${who(uid)}: ${walked.message}`);
    }
    const now = lstatSync(real);
    if (now.ino !== ino || now.dev !== dev) return fail(`cannot run ${file}: it was replaced while being checked`);
  } catch (error) {
    return fail(`cannot run ${file}: ${(error as Error).message}`);
  }
  return ok({ uid, gid });
}

/** The first directory on the way to `path` that `account` may not pass, or undefined. */
export function unreachableBy(path: string, account: Account): string | undefined {
  const groups = groupsOf(account);
  let current = '/';
  for (const part of ['', ...realpathSync(path).split('/').filter(Boolean)]) {
    current = part === '' ? '/' : current === '/' ? `/${part}` : `${current}/${part}`;
    if (!canSearch(statSync(current), account.uid, groups)) return current;
  }
  return undefined;
}

/**
 * What keeps a service from running, checked before a worker is forked and by the worker itself:
 * the file it runs (runAs), an rc.log of another owner than rc.main, and, for an rc.log that runs
 * as someone else, whether its log directory can be theirs (SPEC 12.4).
 */
export function serviceProblem(entry: ServiceEntry, logDir: string): string | undefined {
  const main = runAs(entry.file);
  if (!main.ok) return main.message;
  const me = process.getuid!();
  const owner = main.value.uid;
  if (owner !== me && !accountOf(owner)) return `owned by uid ${owner}, which has no account to run it as (${entry.file})`;
  const log = loggerFile(entry);
  if (!log) return undefined;
  const logger = runAs(log);
  if (!logger.ok) return logger.message;
  if (logger.value.uid !== owner) {
    return `${log} is owned by ${who(logger.value.uid)} but ${entry.file} by ${who(owner)}: a service has one owner`;
  }
  if (owner === me) return undefined;
  const dir = join(logDir, entry.name);
  if (me !== 0) return `${log} would run as ${who(owner)} through sudo, and could not write its log in ${dir}: run the service as yourself, or as root`;
  const account = accountOf(owner)!;
  try {
    const blocked = unreachableBy(logDir, account);
    if (blocked) return `${log} runs as ${account.name}, who cannot reach ${dir}: ${blocked} does not let them through (RERAISE_LOGDIR)`;
    const st = lstatSync(dir, { throwIfNoEntry: false });
    if (st && st.uid !== owner) return `${log} runs as ${account.name}, but its log directory ${dir} belongs to ${who(st.uid)}: remove it or give it to ${account.name}`;
  } catch (error) {
    return `cannot check the log directory ${dir}: ${(error as Error).message}`;
  }
  return undefined;
}

/** The rc.log of a perp-style service, when it has an executable one. */
export function loggerFile(entry: ServiceEntry): string | undefined {
  if (entry.kind !== 'perp') return undefined;
  const file = join(entry.cwd, 'rc.log');
  try {
    accessSync(file, constants.X_OK);
    return file;
  } catch {
    return undefined;
  }
}
