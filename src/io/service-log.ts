// The service's log directory, <log dir>/NAME, who writes in it, and the worker's lines before its log writer runs (SPEC 5.3, 7, 12.4).
import { chownSync, closeSync, fchownSync, lstatSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { stampOf } from '../core/log-lines.js';
import { fail, ok, type Result } from '../core/result.js';
import { openOwned } from './safe-file.js';
import { dirProblem, errnoText, makeDir } from './trusted-dir.js';

/** Who writes a service's log: the worker's own user, or the owner its rc.log runs as (SPEC 12.4). */
export interface LogWriter {
  uid: number;
  gid: number;
}

export function serviceLogDir(logDir: string, name: string): string {
  return join(logDir, name);
}

export function serviceLogPath(logDir: string, name: string): string {
  return join(logDir, name, 'current');
}

/** A line of the worker's own, as every writer puts it in the log. */
export function workerLine(message: string): string {
  return `auto-reraise[${process.pid}]: ${message}\n`;
}

/** A worker line written straight to the file, outside the writer that stamps the others (config_log_stamp=1). */
export function stampedWorkerLine(message: string, stamp: boolean): string {
  const line = workerLine(message);
  return stamp ? stampOf(Date.now()) + line : line;
}

/**
 * Makes <log dir>/NAME when missing (mode 0700; as root for an rc.log of another owner, given to
 * that owner) and checks it as SPEC 12.2 says, for `writer`. `<log dir>` itself must exist.
 */
export function prepareServiceLogDir(logDir: string, name: string, writer: LogWriter): Result<string> {
  const dir = serviceLogDir(logDir, name);
  let missing: boolean;
  try {
    missing = lstatSync(dir, { throwIfNoEntry: false }) === undefined;
  } catch (error) {
    return fail(`unable to use log directory ${dir}: ${errnoText(error)}`);
  }
  if (missing) {
    try {
      // Made inside a checked directory of root's: nobody can have swapped it before the chown.
      if (makeDir(dir, 0o700) && writer.uid !== process.getuid!()) chownSync(dir, writer.uid, writer.gid);
    } catch (made) {
      return fail(`unable to create log directory ${dir}: ${errnoText(made)}`);
    }
  }
  const problem = dirProblem(dir, { uid: writer.uid });
  return problem ? fail(`unable to use log directory ${dir} (RERAISE_LOGDIR): ${problem}`) : ok(dir);
}

/**
 * Appends one whole line to `file`, a file of `writer`'s: never through a link, never into a
 * file of someone else's (SPEC 12.4); one that root makes is given to the writer.
 */
export function appendOwnedLine(file: string, line: string, writer: LogWriter): void {
  const { fd, created } = openOwned(file, 0o600, writer.uid);
  try {
    if (created && writer.uid !== process.getuid!()) fchownSync(fd, writer.uid, writer.gid);
    const bytes = Buffer.from(line);
    for (let done = 0; done < bytes.length;) done += writeSync(fd, bytes, done);
  } finally {
    closeSync(fd);
  }
}

/** For the few lines a worker writes before (or instead of) supervising: appended whole. */
export function appendWorkerLine(logDir: string, name: string, message: string, stamp: boolean, writer: LogWriter): void {
  try {
    const dir = prepareServiceLogDir(logDir, name, writer);
    if (dir.ok) appendOwnedLine(join(dir.value, 'current'), stampedWorkerLine(message, stamp), writer);
  } catch {
    // A log that cannot be written must not change what the worker does.
  }
}
