// Opening files that someone else may have replaced: never blocking on a FIFO, never opening a device, never writing through a link (SPEC 12.2, 12.6).
import { closeSync, constants, fstatSync, fsyncSync, lstatSync, openSync, readSync, renameSync, statSync, unlinkSync, writeSync, type Stats } from 'node:fs';

const { O_RDONLY, O_WRONLY, O_RDWR, O_APPEND, O_CREAT, O_EXCL, O_NOFOLLOW, O_NONBLOCK, O_NOCTTY } = constants;
/** Linux's O_PATH (the same on every architecture Node runs on there): an fd that opens nothing. */
const O_PATH = process.platform === 'linux' ? 0o10000000 : 0;

/** What stands where a regular file was expected, in the words of an error. */
export function notRegular(st: Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isSymbolicLink()) return 'a symbolic link';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  return 'not a regular file';
}

export class NotRegularError extends Error {
  readonly code = 'ENOTREG';
}

function refuse(path: string, why: string): never {
  throw new NotRegularError(`${path}: ${why}`);
}

/**
 * The facts of a regular file, found without opening it: opening a FIFO may wait forever, a
 * terminal may become the caller's controlling one, some devices act when opened. On Linux from
 * an O_PATH descriptor, which is returned open for a reopen of that very file.
 */
function regularFacts(path: string): { st: Stats; pathFd?: number } {
  if (O_PATH) {
    const pathFd = openSync(path, O_PATH);
    const st = fstatSync(pathFd);
    if (!st.isFile()) {
      closeSync(pathFd);
      refuse(path, notRegular(st));
    }
    return { st, pathFd };
  }
  const st = statSync(path);
  if (!st.isFile()) refuse(path, notRegular(st));
  return { st };
}

/** Whether a file (followed through links) is a regular one, and who owns it, without opening it (see regularFacts). */
export function statRegular(path: string): Stats {
  const { st, pathFd } = regularFacts(path);
  if (pathFd !== undefined) closeSync(pathFd);
  return st;
}

/**
 * Opens a regular file for reading; anything else in its place is refused. One followed through
 * links is refused before it is opened. One that is not (`follow` false: a pid file, a log file,
 * named in a directory that passed its checks, where nobody else can have put a device) is
 * opened at once, without blocking and never as a controlling terminal, then checked: one system
 * call fewer for every record that `status` reads.
 */
export function openRegular(path: string, follow = true): { fd: number; st: Stats } {
  if (!follow) {
    const fd = openSync(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_NOFOLLOW);
    const st = fstatSync(fd);
    if (!st.isFile()) {
      closeSync(fd);
      refuse(path, notRegular(st));
    }
    return { fd, st };
  }
  const { st, pathFd } = regularFacts(path);
  const flags = O_RDONLY | O_NONBLOCK | O_NOCTTY;
  if (pathFd !== undefined) {
    // The very file checked, reopened through its descriptor, not its name.
    try {
      return { fd: openSync(`/proc/self/fd/${pathFd}`, flags), st };
    } finally {
      closeSync(pathFd);
    }
  }
  const fd = openSync(path, flags);
  const now = fstatSync(fd);
  if (now.ino !== st.ino || now.dev !== st.dev) {
    closeSync(fd);
    refuse(path, 'replaced while being opened');
  }
  return { fd, st: now };
}

/** At most `limit` bytes from the start of an open file; fewer when it ends first. */
export function readStart(fd: number, limit: number): Buffer {
  const buffer = Buffer.alloc(limit);
  let n = 0;
  while (n < buffer.length) {
    const got = readSync(fd, buffer, n, buffer.length - n, n);
    if (got === 0) break;
    n += got;
  }
  return buffer.subarray(0, n);
}

/** At most `limit` bytes from the start of a regular file. */
export function readRegular(path: string, limit: number, follow = true): Buffer {
  const { fd, st } = openRegular(path, follow);
  try {
    return readStart(fd, Math.min(limit, Math.max(0, st.size)));
  } finally {
    closeSync(fd);
  }
}

/** A new file, never one that exists and never through a link (O_EXCL does not follow one). */
export function createNew(path: string, mode: number): number {
  return openSync(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NOCTTY, mode);
}

/** What readOwnSmallFile found: nothing, the start of the file, or why it may not be used. */
export type SmallFile = { kind: 'none' } | { kind: 'text'; text: string } | { kind: 'unusable'; message: string };

function unusableReason(error: unknown): string {
  if (error instanceof NotRegularError) return error.message.slice(error.message.lastIndexOf(': ') + 2);
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ELOOP') return 'a symbolic link';
  if (code === 'EACCES') return 'permission denied';
  return (error as Error).message;
}

/**
 * The start of a short file of the user's (a pid record, a want), up to `limit` bytes: never
 * through a link, never from a FIFO or device, never a file of someone else's (another user of a
 * shared directory may put one there). A missing file is found without an exception.
 */
export function readOwnSmallFile(path: string, limit: number): SmallFile {
  try {
    if (!lstatSync(path, { throwIfNoEntry: false })) return { kind: 'none' };
    const { fd, st } = openRegular(path, false);
    try {
      if (st.uid !== process.getuid!()) return { kind: 'unusable', message: `owned by uid ${st.uid}, not by you` };
      return { kind: 'text', text: readStart(fd, limit).toString('utf8') };
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'none' };
    return { kind: 'unusable', message: unusableReason(error) };
  }
}

/** A regular file of this process's user, not followed through a link. */
export function isOwnRegularFile(path: string): boolean {
  try {
    const st = lstatSync(path);
    return st.isFile() && st.uid === process.getuid!();
  } catch {
    return false;
  }
}

/**
 * Replaces `path` with `text` so that a reader never sees half of it: written whole to `temp`
 * (made new), then renamed over `path`. A `temp` that is taken can only be the caller's own
 * leftover (its name holds the caller's pid): a regular file is removed and made again;
 * anything else is an error.
 */
export function replaceFile(path: string, temp: string, text: string, mode: number, durable = false): void {
  let fd: number;
  try {
    fd = createNew(temp, mode);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || !isOwnRegularFile(temp)) throw error;
    unlinkSync(temp);
    fd = createNew(temp, mode);
  }
  try {
    const bytes = Buffer.from(text);
    for (let done = 0; done < bytes.length;) done += writeSync(fd, bytes, done);
    // On disk before the rename: a power cut must not leave an empty file under the name.
    if (durable) fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    unlinkSync(temp);
    throw error;
  }
  closeSync(fd);
  try {
    renameSync(temp, path);
  } catch (error) {
    unlinkSync(temp);
    throw error;
  }
}

/**
 * Opens a file for appending (and reading, with `readable`), making it when missing: not a
 * link, a regular file of `uid`'s with one link (a hard link to a file of someone else's would
 * have another owner or more links). `created` tells the caller to give a new one to `uid`.
 */
export function openOwned(path: string, mode: number, uid: number, readable = false): { fd: number; created: boolean } {
  const access = (readable ? O_RDWR : O_WRONLY) | O_APPEND | O_NONBLOCK | O_NOFOLLOW | O_NOCTTY;
  let fd: number;
  let created = false;
  try {
    // Made new when missing (looked at first: no exception for the usual case). A FIFO opened for
    // writing without a reader fails (ENXIO) rather than waits; a device is refused below.
    if (lstatSync(path, { throwIfNoEntry: false })) {
      fd = openSync(path, access);
    } else {
      fd = openSync(path, access | O_CREAT | O_EXCL, mode);
      created = true;
    }
  } catch (error) {
    // Made or removed between the look and the open: the other way then.
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') fd = openSync(path, access);
    else if (code === 'ENOENT') {
      fd = openSync(path, access | O_CREAT | O_EXCL, mode);
      created = true;
    } else throw error;
  }
  const st = fstatSync(fd);
  const problem = !st.isFile() ? notRegular(st)
    : !created && st.uid !== uid ? `owned by uid ${st.uid}, not by uid ${uid}`
      : st.nlink !== 1 ? `${st.nlink} links to it` : undefined;
  if (problem) {
    closeSync(fd);
    refuse(path, problem);
  }
  return { fd, created };
}
