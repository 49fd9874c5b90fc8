// The wants of the want dir (SPEC 13.1): read without following a link or blocking, written whole and renamed.
import { readdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { decodeWant, encodeWant, type Want } from '../core/want.js';
import { tempFileName } from '../core/lock-names.js';
import { isServiceName } from '../core/names.js';
import { isOwnRegularFile, readOwnSmallFile, replaceFile } from './safe-file.js';

export type WantRead =
  | { kind: 'none' }
  | { kind: 'want'; want: Want }
  /** The file is there but cannot be used: taken as no want. */
  | { kind: 'unusable'; message: string };

/** `down\n` and a little slack: anything longer is no want, and is not read whole. */
const MAX_WANT = 16;

export function wantPath(wantDir: string, name: string): string {
  return join(wantDir, name);
}

export function readWant(wantDir: string, name: string): WantRead {
  const read = readOwnSmallFile(wantPath(wantDir, name), MAX_WANT + 1);
  if (read.kind !== 'text') return read;
  if (read.text.length > MAX_WANT) return { kind: 'unusable', message: 'too long for a want' };
  const decoded = decodeWant(read.text);
  return decoded.ok ? { kind: 'want', want: decoded.value } : { kind: 'unusable', message: decoded.message };
}

/**
 * Written like a pid file, a reader sees the old want or the new one, never half; and it is on
 * disk before it takes the name, since it is what a reboot leaves to go by (SPEC 13.1).
 */
export function writeWant(wantDir: string, name: string, want: Want): void {
  replaceFile(wantPath(wantDir, name), join(wantDir, tempFileName(name, process.pid, 'tmp')), encodeWant(want), 0o600, true);
}

/** Removes a want that is a regular file of the user's; anything else in its place stays. */
export function dropWant(wantDir: string, name: string): boolean {
  const file = wantPath(wantDir, name);
  if (!isOwnRegularFile(file)) return false;
  unlinkSync(file);
  return true;
}

/** Service names that have something in the want dir. */
export function listWantNames(wantDir: string): string[] {
  try {
    return readdirSync(wantDir).filter(isServiceName);
  } catch {
    return [];
  }
}
