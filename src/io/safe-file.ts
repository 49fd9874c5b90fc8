// Opening files that someone else may have replaced: never blocking on a FIFO, never writing through a link (SPEC 12.2, 12.6).
import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';

const { O_RDONLY, O_WRONLY, O_APPEND, O_CREAT, O_EXCL, O_NOFOLLOW, O_NONBLOCK } = constants;

/** What stands where a regular file was expected, in the words of an error. */
export function notRegular(st: Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  return 'not a regular file';
}

export class NotRegularError extends Error {
  readonly code = 'ENOTREG';
}

/**
 * Opens a regular file for reading. O_NONBLOCK: opening a FIFO with no writer would wait for
 * one forever; a FIFO or device is refused before anything is read from it.
 */
export function openRegular(path: string, follow = true): { fd: number; st: Stats } {
  const fd = openSync(path, O_RDONLY | O_NONBLOCK | (follow ? 0 : O_NOFOLLOW));
  const st = fstatSync(fd);
  if (!st.isFile()) {
    closeSync(fd);
    throw new NotRegularError(`${path}: ${notRegular(st)}`);
  }
  return { fd, st };
}

/** At most `limit` bytes from the start of a regular file. */
export function readRegular(path: string, limit: number, follow = true): Buffer {
  const { fd, st } = openRegular(path, follow);
  try {
    const buffer = Buffer.alloc(Math.min(limit, Math.max(0, st.size)));
    let n = 0;
    while (n < buffer.length) {
      const got = readSync(fd, buffer, n, buffer.length - n, n);
      if (got === 0) break;
      n += got;
    }
    return buffer.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

/** A new file, never one that exists and never through a link (O_EXCL does not follow one). */
export function createNew(path: string, mode: number): number {
  return openSync(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode);
}

/**
 * Opens a file of a directory that its owner `uid` controls, for appending: not a link, a
 * regular file of `uid`'s with one link (a hard link to a file of someone else's would have
 * another owner or more links). `created` tells the caller to give it to `uid`.
 */
export function openForAppend(path: string, mode: number, uid: number): { fd: number; created: boolean } {
  let fd: number;
  let created = false;
  try {
    fd = openSync(path, O_WRONLY | O_APPEND | O_NONBLOCK | O_NOFOLLOW);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    fd = openSync(path, O_WRONLY | O_APPEND | O_CREAT | O_EXCL | O_NOFOLLOW, mode);
    created = true;
  }
  const st = fstatSync(fd);
  const problem = !st.isFile() ? notRegular(st)
    : !created && st.uid !== uid ? `owned by uid ${st.uid}, not by uid ${uid}`
      : st.nlink !== 1 ? `${st.nlink} links to it` : undefined;
  if (problem) {
    closeSync(fd);
    throw new NotRegularError(`${path}: ${problem}`);
  }
  return { fd, created };
}
