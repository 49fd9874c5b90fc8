// `.NAME.waiting` in the pid dir: a start that waits for what NAME needs says so there, for status (SPEC 14.3).
import { readdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { tempFileName, waitingFileName } from '../core/lock-names.js';
import { processInfo } from './probe.js';
import { dirItselfProblem } from './trusted-dir.js';
import { readOwnSmallFile, replaceFile } from './safe-file.js';

export interface Waiting {
  /** The start that waits, and when it started (epoch seconds): a pid alone may be another process by now. */
  pid: number;
  since: number;
  needs: string[];
}

function markPath(pidDir: string, name: string): string {
  return join(pidDir, waitingFileName(name));
}

/** The mark at `path` when it is a file of the user's that says what a mark says; else none (missing, a link, another user's, garbage). */
function readMark(path: string): Waiting | undefined {
  const read = readOwnSmallFile(path, 4096);
  return read.kind === 'text' ? decode(read.text) : undefined;
}

function decode(text: string): Waiting | undefined {
  const [pid, since, ...needs] = text.trim().split(' ');
  if (!/^\d{1,10}$/.test(pid) || Number(pid) === 0 || !/^\d{1,12}$/.test(since ?? '')) return undefined;
  return { pid: Number(pid), since: Number(since), needs };
}

/** The start that wrote the mark still runs: the same pid, started when the mark says, the user's. */
function writerLives(mark: Waiting): boolean {
  const info = processInfo(mark.pid);
  return info !== undefined && info.state !== 'Z' && info.uid === process.getuid!() && Math.abs(info.startEpoch - mark.since) <= 2;
}

/** The pid dir as it is now, not as the command found it when it began: the wait may be long (SPEC 12.2). */
function usable(pidDir: string): boolean {
  return dirItselfProblem(pidDir, { uid: process.getuid!(), shared: true }) === undefined;
}

/** Written whole and renamed into place: what is at the name (a link of someone else's) is replaced, never followed. */
export function markWaiting(pidDir: string, name: string, needs: readonly string[]): void {
  const since = processInfo(process.pid)?.startEpoch;
  if (since === undefined || !usable(pidDir)) throw new Error(`unable to use ${pidDir} (RERAISE_PIDDIR)`);
  const text = `${process.pid} ${Math.round(since)} ${needs.join(' ')}\n`;
  replaceFile(markPath(pidDir, name), join(pidDir, tempFileName(name, process.pid, 'wtmp')), text, 0o644);
}

/** Removes this process's own mark only. */
export function unmarkWaiting(pidDir: string, name: string): void {
  const path = markPath(pidDir, name);
  if (readMark(path)?.pid === process.pid && usable(pidDir)) {
    try {
      unlinkSync(path);
    } catch {
      // gone meanwhile
    }
  }
}

/** A mark of the user's whose start still runs; a stale one, another user's, or garbage is none. */
export function readWaiting(pidDir: string, name: string): Waiting | undefined {
  const mark = readMark(markPath(pidDir, name));
  return mark && writerLives(mark) ? mark : undefined;
}

/** Removes the user's marks whose start is gone (`clean`). */
export function removeStaleMarks(pidDir: string): void {
  for (const file of readdirSync(pidDir)) {
    if (!file.startsWith('.') || !file.endsWith('.waiting')) continue;
    const path = join(pidDir, file);
    const mark = readMark(path);
    if (!mark || writerLives(mark)) continue;
    try {
      unlinkSync(path);
    } catch {
      // gone meanwhile
    }
  }
}
