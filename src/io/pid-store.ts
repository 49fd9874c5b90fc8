// The pid files of the pid dir (SPEC 4): read, atomic write (temp file + rename), careful removal.
import fs from 'node:fs';
import path from 'node:path';
import { decodePidRecord, encodePidRecord, type PidRecord } from '../core/pidfile.js';
import { isServiceName } from '../core/names.js';

export type Stored =
  | { kind: 'none' }
  | { kind: 'record'; record: PidRecord; text: string }
  | { kind: 'garbage'; message: string; text: string };

export function pidFilePath(pidDir: string, name: string): string {
  return path.join(pidDir, name);
}

export function readPidFile(pidDir: string, name: string): Stored {
  let text: string;
  try {
    text = fs.readFileSync(pidFilePath(pidDir, name), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'none' };
    return { kind: 'garbage', message: (error as Error).message, text: '' };
  }
  const decoded = decodePidRecord(text);
  return decoded.ok ? { kind: 'record', record: decoded.record, text } : { kind: 'garbage', message: decoded.message, text };
}

/** Readers never see half a line: the record is written whole to a temp file, then renamed over the pid file. */
export function writePidFile(pidDir: string, name: string, record: PidRecord): void {
  const temp = path.join(pidDir, `.${name}.${process.pid}.tmp`);
  fs.writeFileSync(temp, encodePidRecord(record), { mode: 0o644 });
  fs.renameSync(temp, pidFilePath(pidDir, name));
}

export function removePidFile(pidDir: string, name: string): void {
  fs.rmSync(pidFilePath(pidDir, name), { force: true });
}

/**
 * Removes the pid file only if it still holds `expected`, so that a record a new worker wrote
 * meanwhile survives: the file is moved aside, checked, and linked back when it changed.
 */
export function removePidFileIf(pidDir: string, name: string, expected: string): boolean {
  const file = pidFilePath(pidDir, name);
  const aside = path.join(pidDir, `.${name}.${process.pid}.clean`);
  try {
    fs.renameSync(file, aside);
  } catch {
    return false;
  }
  const seen = fs.readFileSync(aside, 'utf8');
  if (seen === expected) {
    fs.rmSync(aside, { force: true });
    return true;
  }
  try {
    // link() fails when a newer record already took the name: then the newer one stays.
    fs.linkSync(aside, file);
  } catch {
    // the newer record wins
  }
  fs.rmSync(aside, { force: true });
  return false;
}

/** Service names that have a pid file. */
export function listPidNames(pidDir: string): string[] {
  try {
    return fs.readdirSync(pidDir).filter(isServiceName).sort();
  } catch {
    return [];
  }
}
