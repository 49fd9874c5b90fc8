// `.NAME.waiting` in the pid dir: a start that waits for what NAME needs says so there, for status (SPEC 14.3).
import { lstatSync, readdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { tempFileName, waitingFileName } from '../core/lock-names.js';
import { isAlive } from './probe.js';
import { isOwnRegularFile, readOwnSmallFile, replaceFile } from './safe-file.js';

export interface Waiting {
  /** The start that waits. */
  pid: number;
  needs: string[];
}

function markPath(pidDir: string, name: string): string {
  return join(pidDir, waitingFileName(name));
}

function decode(text: string): Waiting | undefined {
  const [pid, ...needs] = text.trim().split(' ');
  return /^\d{1,10}$/.test(pid) && Number(pid) > 0 ? { pid: Number(pid), needs } : undefined;
}

/** Written whole and renamed into place: what is at the name (a link of someone else's) is replaced, never followed. */
export function markWaiting(pidDir: string, name: string, needs: readonly string[]): void {
  replaceFile(markPath(pidDir, name), join(pidDir, tempFileName(name, process.pid, 'wtmp')), `${process.pid} ${needs.join(' ')}\n`, 0o644);
}

/** Removes this process's own mark only. */
export function unmarkWaiting(pidDir: string, name: string): void {
  const path = markPath(pidDir, name);
  const read = readOwnSmallFile(path, 4096);
  if (read.kind === 'text' && decode(read.text)?.pid === process.pid) {
    try {
      unlinkSync(path);
    } catch {
      // gone meanwhile
    }
  }
}

/** A mark of the user's whose start still runs; a stale one, another user's, or garbage is none. */
export function readWaiting(pidDir: string, name: string): Waiting | undefined {
  const path = markPath(pidDir, name);
  if (!lstatSync(path, { throwIfNoEntry: false })) return undefined;
  const read = readOwnSmallFile(path, 4096);
  const mark = read.kind === 'text' ? decode(read.text) : undefined;
  return mark && isAlive(mark.pid) ? mark : undefined;
}

/** Removes the user's marks whose start is gone (`clean`); returns the names of the files removed. */
export function removeStaleMarks(pidDir: string): string[] {
  const removed: string[] = [];
  for (const file of readdirSync(pidDir)) {
    if (!file.startsWith('.') || !file.endsWith('.waiting')) continue;
    const path = join(pidDir, file);
    if (!isOwnRegularFile(path)) continue;
    const read = readOwnSmallFile(path, 4096);
    const mark = read.kind === 'text' ? decode(read.text) : undefined;
    if (!mark || isAlive(mark.pid)) continue;
    try {
      unlinkSync(path);
      removed.push(file);
    } catch {
      // gone meanwhile
    }
  }
  return removed;
}
