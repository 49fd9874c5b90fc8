// One worker per service: a Unix socket in the pid dir, which only the user can make there, freed by the kernel when its holder dies (SPEC 12.3).
import { closeSync, lstatSync, openSync, readSync, readdirSync, renameSync, unlinkSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { lockFileName, parseAnyLockFile, parseLockFile, pendingLockFileName } from '../core/lock-names.js';
import { dirProblem } from './trusted-dir.js';

/** Longest socket path bound as it is; a longer one is bound relative to the pid dir. */
const MAX_SOCKET_PATH = 100;
const ATTEMPTS = 20;

export type Liveness = 'live' | 'stale' | 'gone';

/** Runs `fn` with the pid dir as working directory when `file` is too long for a socket path. */
function within<T>(dir: string, file: string, fn: (path: string) => T): T {
  const full = join(dir, file);
  if (Buffer.byteLength(full) <= MAX_SOCKET_PATH) return fn(full);
  const back = process.cwd();
  process.chdir(dir);
  try {
    // The connect or bind itself happens inside this call; only its answer comes later.
    return fn(file);
  } finally {
    process.chdir(back);
  }
}

/** Does anybody answer on the socket? Only a refused connection proves that its holder is gone. */
export function probeLock(dir: string, file: string): Promise<Liveness> {
  return new Promise((resolve) => {
    const socket = within(dir, file, (path) => connect(path));
    socket.once('connect', () => {
      socket.destroy();
      resolve('live');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      resolve(error.code === 'ECONNREFUSED' ? 'stale' : error.code === 'ENOENT' ? 'gone' : 'live');
    });
  });
}

function listen(dir: string, file: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer((socket) => socket.destroy());
    server.unref();
    server.once('error', reject);
    within(dir, file, (path) => server.listen(path, () => {
      server.off('error', reject);
      resolve(server);
    }));
  });
}

/** Lock sockets of `name` owned by the user: a socket of someone else in a shared pid dir is no lock of ours. */
function ownLocks(dir: string, name: string): { file: string; pid: number }[] {
  const uid = process.getuid!();
  const found: { file: string; pid: number }[] = [];
  for (const file of readdirSync(dir)) {
    const parsed = parseLockFile(file, name);
    if (!parsed || parsed.pending) continue;
    try {
      const st = lstatSync(join(dir, file));
      if (st.isSocket() && st.uid === uid) found.push({ file, pid: parsed.pid });
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

/** Removes what is there, if anything (looked at first: a missing file costs no exception). */
function unlinkQuietly(path: string): void {
  try {
    if (lstatSync(path, { throwIfNoEntry: false })) unlinkSync(path);
  } catch {
    // gone meanwhile
  }
}

/**
 * The pids in the names of the lock sockets bound in `pidDir`, by lock prefix, as the kernel
 * lists them in /proc/net/unix: a socket is listed there under the path it was bound to as long
 * as it lives, even once a cleaner has removed its file, or a mount hides it. Each worker binds
 * its pending name first, so that is the name listed. Linux only; elsewhere, none.
 */
export function boundLocks(pidDir: string): Map<string, number[]> {
  const found = new Map<string, number[]>();
  const add = (file: string): void => {
    const parsed = file.includes('/') ? undefined : parseAnyLockFile(file);
    if (!parsed) return;
    const prefix = file.slice(0, file.length - `${parsed.pid}${parsed.pending ? '.new' : ''}`.length);
    found.set(prefix, [...(found.get(prefix) ?? []), parsed.pid]);
  };
  try {
    socketPathsUnder(pidDir, add);
  } catch {
    // no /proc/net/unix: none found
  }
  return found;
}

const LINE_FEED = 0x0a;

/**
 * Calls `found` with what follows `dir/` on each line of /proc/net/unix that names a path in
 * `dir`. The table may hold thousands of sockets: it is read in 16 KiB steps into one buffer, and
 * only the lines that name `dir` become strings, so that a busy host costs a worker no memory.
 * (`table` and `step` are for the tests.)
 */
export function socketPathsUnder(dir: string, found: (file: string) => void, table = '/proc/net/unix', step = 16 * 1024): void {
  const needle = Buffer.from(` ${dir}/`, 'latin1');
  const fd = openSync(table, 'r');
  try {
    const buffer = Buffer.allocUnsafe(step);
    let kept = 0;
    for (;;) {
      const read = readSync(fd, buffer, kept, buffer.length - kept, null);
      const end = kept + read;
      // The last line may go on in the next read: it is looked at then, unless this is the end.
      const whole = read === 0 ? end : buffer.lastIndexOf(LINE_FEED, end - 1) + 1;
      const lines = buffer.subarray(0, whole);
      for (let at = lines.indexOf(needle); at >= 0; at = lines.indexOf(needle, at + needle.length)) {
        const stop = lines.indexOf(LINE_FEED, at);
        found(lines.toString('latin1', at + needle.length, stop < 0 ? whole : stop));
      }
      if (read === 0) return;
      buffer.copy(buffer, 0, whole, end);
      // A line longer than the buffer names no lock (a socket path is at most 108 bytes): skipped.
      kept = whole === 0 && end === buffer.length ? 0 : end - whole;
    }
  } finally {
    closeSync(fd);
  }
}

export interface ServiceLock {
  /** Gives the lock up now (it also goes when the process exits, however it exits). */
  release(): void;
}

/**
 * Takes the lock of service `name` in `pidDir`. Each worker binds a socket of its own, which
 * appears under its lock name only once it answers; then it looks for any other that answers,
 * and backs off if there is one. Two takers may both back off (they try again), but two can
 * never both hold it: the later one to look always sees the earlier one answering. A socket
 * that refuses connections under a lock name has lost its holder, and is removed by whoever
 * meets it.
 */
export async function lockService(pidDir: string, name: string): Promise<ServiceLock | 'busy'> {
  const own = lockFileName(name, process.pid);
  const pending = pendingLockFileName(name, process.pid);
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    if (attempt > 0) await new Promise((r) => setTimeout(r, 5 + Math.random() * 20 * attempt));
    let holder = false;
    for (const lock of ownLocks(pidDir, name)) {
      const state = lock.file === own ? 'stale' : await probeLock(pidDir, lock.file);
      if (state === 'live') holder = true;
      else if (state === 'stale') unlinkQuietly(join(pidDir, lock.file));
    }
    if (holder) return 'busy';
    unlinkQuietly(join(pidDir, pending));
    const server = await listen(pidDir, pending);
    renameSync(join(pidDir, pending), join(pidDir, own));
    // Only in the pid dir checked: one made again meanwhile by someone else is not to be touched (SPEC 12.2).
    const unlinkOwn = (): void => {
      if (dirProblem(pidDir, { uid: process.getuid!(), shared: true }) === undefined) unlinkQuietly(join(pidDir, own));
    };
    const release = (): void => {
      server.close();
      unlinkOwn();
    };
    let rival = false;
    for (const lock of ownLocks(pidDir, name)) {
      if (lock.file !== own && (await probeLock(pidDir, lock.file)) === 'live') rival = true;
    }
    if (!rival) {
      const atExit = unlinkOwn;
      process.once('exit', atExit);
      return {
        release: () => {
          process.off('exit', atExit);
          release();
        },
      };
    }
    release();
  }
  return 'busy';
}
