// The pid files of the pid dir (SPEC 4): read, atomic write (temp file + rename), careful removal.
import { closeSync, fstatSync, linkSync, openSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodePidRecord, encodePidRecord, type PidRecord } from '../core/pidfile.js';
import { isServiceName } from '../core/names.js';

export type Stored =
  | { kind: 'none' }
  | { kind: 'record'; record: PidRecord; text: string }
  | { kind: 'garbage'; message: string; text: string };

export function pidFilePath(pidDir: string, name: string): string {
  return join(pidDir, name);
}

export function readPidFile(pidDir: string, name: string): Stored {
  let text: string;
  try {
    text = readFileSync(pidFilePath(pidDir, name), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'none' };
    return { kind: 'garbage', message: (error as Error).message, text: '' };
  }
  const decoded = decodePidRecord(text);
  return decoded.ok ? { kind: 'record', record: decoded.record, text } : { kind: 'garbage', message: decoded.message, text };
}

/** Readers never see half a line: the record is written whole to a temp file, then renamed over the pid file. */
export function writePidFile(pidDir: string, name: string, record: PidRecord): void {
  const temp = join(pidDir, `.${name}.${process.pid}.tmp`);
  writeFileSync(temp, encodePidRecord(record), { mode: 0o644 });
  renameSync(temp, pidFilePath(pidDir, name));
}

export function removePidFile(pidDir: string, name: string): void {
  rmSync(pidFilePath(pidDir, name), { force: true });
}

/**
 * Removes the pid file only if it still holds `expected`, so that a record a new worker wrote
 * meanwhile survives: the file is moved aside, checked, and linked back when it changed.
 */
export function removePidFileIf(pidDir: string, name: string, expected: string): boolean {
  const file = pidFilePath(pidDir, name);
  const aside = join(pidDir, `.${name}.${process.pid}.clean`);
  try {
    renameSync(file, aside);
  } catch {
    return false;
  }
  const seen = readFileSync(aside, 'utf8');
  if (seen === expected) {
    rmSync(aside, { force: true });
    return true;
  }
  try {
    // link() fails when a newer record already took the name: then the newer one stays.
    linkSync(aside, file);
  } catch {
    // the newer record wins
  }
  rmSync(aside, { force: true });
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
    fd = openSync(file, 'r');
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
