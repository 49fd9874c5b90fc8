// As whom a program of a service runs, decided from the very file about to run, and whether nobody else can change it (SPEC 12.4).
import { accessSync, constants, lstatSync, realpathSync, statSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { fail, ok, type Result } from '../core/result.js';
import { canSearch, runnableFileProblem } from '../core/trust.js';
import { accountOf, groupsOf, userName, type Account } from './accounts.js';
import type { ServiceEntry } from './service-dir.js';
import { NotRegularError, statRegular } from './safe-file.js';
import { errnoText, trustFor, walkDirs } from './trusted-dir.js';

export interface RunAs {
  uid: number;
  gid: number;
}

function who(uid: number): string {
  const name = userName(uid);
  return name === String(uid) ? `uid ${uid}` : `${name} (uid ${uid})`;
}

/**
 * The owner of `file` (followed through links, looked at without opening it: a FIFO or a device
 * is refused), once every component on the way to it, every link and the directory each link
 * sits in included, belongs to root or that owner and lets nobody else replace an entry, and the
 * file itself is writable by nobody else. Then only root and the owner can change what runs
 * before the exec, and whatever they put there runs as the owner.
 */
export function runAs(file: string): Result<RunAs> {
  let st: Stats;
  try {
    st = statRegular(file);
  } catch (error) {
    return fail(`cannot run ${file}: ${reasonOf(error, file)}`);
  }
  const trust = trustFor(st.uid);
  const loose = runnableFileProblem(st, trust);
  if (loose) return fail(`not safe to run ${file} as its owner ${who(st.uid)}: it is ${loose}`);
  let walked;
  try {
    walked = walkDirs(file, trust, { file: true });
  } catch (error) {
    return fail(`cannot run ${file}: ${reasonOf(error, file)}`);
  }
  if (!walked.ok) return fail(`not safe to run ${file} as its owner ${who(st.uid)}: ${walked.message}`);
  // What the walk found last is what was opened: nothing was switched in between.
  if (walked.ino !== st.ino || walked.dev !== st.dev) return fail(`cannot run ${file}: it was replaced while being checked`);
  return ok({ uid: st.uid, gid: st.gid });
}

function reasonOf(error: unknown, file: string): string {
  return error instanceof NotRegularError ? error.message.replace(`${file}: `, '') : errnoText(error);
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
 * as someone else, whether its log directory can be theirs (SPEC 12.4). Gives the owner, and the
 * logger's writer: the owner when root runs the owner's rc.log, else the user.
 */
export function checkService(entry: ServiceEntry, logDir: string): Result<{ owner: RunAs; logWriter: RunAs }> {
  const main = runAs(entry.file);
  if (!main.ok) return main;
  const me = process.getuid!();
  const owner = main.value;
  const self = { uid: me, gid: process.getgid!() };
  if (owner.uid !== me && !accountOf(owner.uid)) return fail(`owned by uid ${owner.uid}, which has no account to run it as (${entry.file})`);
  const log = loggerFile(entry);
  if (!log) return ok({ owner, logWriter: self });
  const logger = runAs(log);
  if (!logger.ok) return logger;
  if (logger.value.uid !== owner.uid) {
    return fail(`${log} is owned by ${who(logger.value.uid)} but ${entry.file} by ${who(owner.uid)}: a service has one owner`);
  }
  if (owner.uid === me) return ok({ owner, logWriter: self });
  const dir = join(logDir, entry.name);
  if (me !== 0) return fail(`${log} would run as ${who(owner.uid)} through sudo, and could not write its log in ${dir}: run the service as yourself, or as root`);
  const account = accountOf(owner.uid)!;
  try {
    const blocked = unreachableBy(logDir, account);
    if (blocked) return fail(`${log} runs as ${account.name}, who cannot reach ${dir}: ${blocked} does not let them through (RERAISE_LOGDIR)`);
    const st = lstatSync(dir, { throwIfNoEntry: false });
    if (st && st.uid !== owner.uid) return fail(`${log} runs as ${account.name}, but its log directory ${dir} belongs to ${who(st.uid)}: remove it or give it to ${account.name}`);
  } catch (error) {
    return fail(`cannot check the log directory ${dir}: ${errnoText(error)}`);
  }
  return ok({ owner, logWriter: owner });
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
