// The pid files of the pid dir (SPEC 4, 6 `clean`): read without following a link, atomic write, careful removal.
import { accessSync, closeSync, constants, fstatSync, linkSync, lstatSync, readdirSync, renameSync, statSync, statfsSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { decodePidRecord, encodePidRecord, type PidRecord } from '../core/pidfile.js';
import { isServiceName } from '../core/names.js';
import { parseAnyLockFile, tempFileName } from '../core/lock-names.js';
import { isOwnRegularFile, openRegular, readOwnSmallFile, readRegular, replaceFile } from './safe-file.js';

export type Stored =
  | { kind: 'none' }
  | { kind: 'record'; record: PidRecord; text: string }
  | { kind: 'garbage'; message: string; text: string };

/** A record is one short line; anything longer is not one, and is not read whole. */
const MAX_RECORD = 4096;

export function pidFilePath(pidDir: string, name: string): string {
  return join(pidDir, name);
}

/**
 * Reads what is at NAME: never through a link, never from a FIFO, never more than a record can
 * be, and never a file of someone else's (another user of a shared pid dir may put one there).
 */
export function readPidFile(pidDir: string, name: string): Stored {
  const read = readOwnSmallFile(pidFilePath(pidDir, name), MAX_RECORD + 1);
  if (read.kind === 'none') return read;
  if (read.kind === 'unusable') return { kind: 'garbage', message: read.message, text: '' };
  const { text } = read;
  if (text.length > MAX_RECORD) return { kind: 'garbage', message: 'too long for a pid record', text: '' };
  const decoded = decodePidRecord(text);
  return decoded.ok ? { kind: 'record', record: decoded.record, text } : { kind: 'garbage', message: decoded.message, text };
}

/** `.NAME.PID.tmp`: the writer's own temporary name, which `clean` knows as a leftover once PID is gone. */
function tempPath(pidDir: string, name: string): string {
  return join(pidDir, tempFileName(name, process.pid, 'tmp'));
}

/** Readers never see half a line (SPEC 4): a new temp file, renamed over the pid file. */
export function writePidFile(pidDir: string, name: string, record: PidRecord): void {
  replaceFile(pidFilePath(pidDir, name), tempPath(pidDir, name), encodePidRecord(record), 0o644);
}

/** The worker's own record, at its stop: only a regular file is removed, never what else took the name. */
export function removePidFile(pidDir: string, name: string): void {
  const file = pidFilePath(pidDir, name);
  if (isOwnRegularFile(file)) unlinkSync(file);
}

/**
 * Removes the pid file only if it is a regular file that still holds `expected`, so that a record
 * a new worker wrote meanwhile survives: the file is moved aside, checked, and linked back when
 * it changed. A directory or a link is never moved (SPEC 6 `clean`).
 */
export function removePidFileIf(pidDir: string, name: string, expected: string): boolean {
  const file = pidFilePath(pidDir, name);
  const aside = join(pidDir, tempFileName(name, process.pid, 'clean'));
  let before;
  try {
    before = lstatSync(file);
  } catch {
    return false;
  }
  if (!before.isFile()) return false;
  try {
    renameSync(file, aside);
  } catch {
    return false;
  }
  let seen: string | undefined;
  try {
    const st = lstatSync(aside);
    // Replaced between the lstat and the rename (only the user or root can): put it back untouched.
    if (st.ino === before.ino && st.dev === before.dev && st.isFile()) seen = readRegular(aside, MAX_RECORD + 1, false).toString('utf8');
  } catch {
    // unreadable: put back
  }
  if (seen === expected) {
    unlinkSync(aside);
    return true;
  }
  if (isOwnRegularFile(aside)) {
    try {
      // link() fails when a newer record already took the name: then the newer one stays.
      linkSync(aside, file);
    } catch {
      // the newer record wins
    }
    unlinkSync(aside);
  } else {
    try {
      renameSync(aside, file);
    } catch {
      // only the user can have put it there; it stays under the leftover name
    }
  }
  return false;
}

export interface HeldPidFile {
  /** Whether the pid file has been rewritten (or removed) since it was held. */
  rewritten(): boolean;
  release(): void;
}

/**
 * Holds the pid file as it is now. Every write is a rename, so a rewrite shows as another inode;
 * holding the old one open keeps its number from being reused by the very next write.
 */
export function holdPidFile(pidDir: string, name: string): HeldPidFile {
  const file = pidFilePath(pidDir, name);
  let fd: number | undefined;
  try {
    fd = openRegular(file, false).fd;
  } catch {
    // no record yet: any record that appears is a rewrite
  }
  const inode = fd === undefined ? undefined : fstatSync(fd).ino;
  return {
    rewritten: () => {
      try {
        return statSync(file).ino !== inode;
      } catch {
        return inode !== undefined;
      }
    },
    release: () => {
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
    },
  };
}

/** Service names that have a pid file. */
export function listPidNames(pidDir: string): string[] {
  try {
    return readdirSync(pidDir).filter(isServiceName).sort();
  } catch {
    return [];
  }
}

/**
 * The pids in the names of the user's lock sockets in the pid dir, by lock prefix
 * (core/lock-names.ts): the workers that hold (or held) each service's lock, read in one listing
 * for a whole status. A socket of someone else's (a shared pid dir) is no lock of ours.
 */
export function listLockHolders(pidDir: string): Map<string, number[]> {
  const holders = new Map<string, number[]>();
  let files: string[];
  try {
    files = readdirSync(pidDir);
  } catch {
    return holders;
  }
  for (const file of files) {
    const parsed = parseAnyLockFile(file);
    if (!parsed || parsed.pending) continue;
    const st = lstatSync(join(pidDir, file), { throwIfNoEntry: false });
    if (!st?.isSocket() || st.uid !== process.getuid!()) continue;
    const prefix = file.slice(0, file.length - String(parsed.pid).length);
    holders.set(prefix, [...(holders.get(prefix) ?? []), parsed.pid]);
  }
  return holders;
}

/** Why records cannot be written in the pid dir now (read-only, full), or undefined when they can. */
export function pidDirUnwritable(pidDir: string): string | undefined {
  try {
    accessSync(pidDir, constants.W_OK);
    const fs = statfsSync(pidDir);
    // Root may write into the blocks kept for it; everyone else only into the available ones.
    if ((process.getuid!() === 0 ? fs.bfree : fs.bavail) === 0) return 'no space left on device';
    if (fs.ffree === 0) return 'no free inodes left';
    return undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'EROFS' ? 'read-only file system' : code === 'EACCES' ? 'permission denied' : undefined;
  }
}
