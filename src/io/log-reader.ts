// Reading a service's log: its last lines, back across rotated files, then what is appended, across rotations (SPEC 7, 15.3).
import { closeSync, fstatSync, readSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { MAX_HELD, rotatedOldestFirst } from '../core/log-lines.js';
import { LineGate, nthNewlineFromEnd } from '../core/log-tail.js';
import { openRegular } from './safe-file.js';

const BLOCK = 64 * 1024;
/** How often a follower looks for more. */
export const POLL_MS = 150;
const NEWLINE = 0x0a;

/** What a reader yields: bytes of the log, in order, or (when following) word that the last lines are all out. */
export type LogRead = { bytes: Uint8Array } | { caughtUp: true };

const CAUGHT_UP: LogRead = { caughtUp: true };

export interface ReadOptions {
  /** How many of the last lines to give first. */
  lines: number;
  /**
   * At most this many bytes of them, counted back from the end: a line longer than what is left
   * is given from where the bound falls. A log of the user's may hold a line of any length (a
   * sparse file of 20 GB takes no disk), and a panel shows only the end of it.
   */
  maxBytes?: number;
  /** Go on with what is appended, until `signal` aborts. */
  follow: boolean;
  signal?: AbortSignal;
}

interface LogFile {
  fd: number;
  ino: number;
}

/**
 * The log in `dir` (a service's `<log dir>/NAME`): its last lines, then, when following, what is
 * appended, until the signal aborts. Every line comes out whole and with its newline, except one
 * still being written that grows past 1 MiB (SPEC 7): its pieces come out as they are read. A file
 * of the log that is a link or not a regular file is an error, thrown with its errno code.
 */
export async function* readLog(dir: string, options: ReadOptions): AsyncGenerator<LogRead> {
  const start: FollowStart = { file: undefined, pos: 0, floor: '' };
  try {
    yield* tail(dir, options.lines, options.maxBytes ?? Infinity, options.follow, start);
    if (!options.follow) return;
    yield CAUGHT_UP;
    yield* follow(dir, start, options.signal);
  } finally {
    if (start.file) closeSync(start.file.fd);
  }
}

/**
 * The last `wanted` lines of NAME's log, as text lines, from its last `maxBytes` at most (for
 * `start --wait` when a service gives up, and for `top`).
 */
export async function lastLogLines(logDir: string, name: string, wanted: number, maxBytes: number): Promise<string[]> {
  const pieces: Uint8Array[] = [];
  for await (const read of readLog(join(logDir, name), { lines: wanted, maxBytes, follow: false })) {
    if ('bytes' in read) pieces.push(read.bytes);
  }
  const text = Buffer.concat(pieces).toString('utf8');
  return text === '' ? [] : text.replace(/\n$/, '').split('\n');
}

/** Where following goes on from: `current` (or what it was) read up to `pos`, and the newest rotated name already accounted for. */
interface FollowStart {
  file: LogFile | undefined;
  pos: number;
  floor: string;
}

/**
 * The last `wanted` lines: from `current`, then back through the rotated files, newest first.
 * Only the ends of the files are read, from a few blocks back. When following, a last line of
 * `current` without its newline is left for the follower, which gives it once it is whole, and
 * `current` stays open for it (in `start`).
 */
async function* tail(dir: string, wanted: number, maxBytes: number, following: boolean, start: FollowStart): AsyncGenerator<LogRead> {
  const current = openFile(join(dir, 'current'));
  const names = rotatedOldestFirst(readNames(dir));
  let older = names;
  start.floor = names[names.length - 1] ?? '';
  if (current && inoAt(join(dir, 'current')) !== current.ino) {
    // Rotated between open and readdir: the files named after it are newer, left for the follower.
    const index = names.findIndex((n) => inoAt(join(dir, n)) === current.ino);
    if (index >= 0) {
      older = names.slice(0, index);
      start.floor = names[index];
    }
  }
  const spans: Span[] = [];
  let need = wanted;
  const budget = { left: maxBytes };
  const opened: number[] = [];
  if (current) {
    if (following) start.file = current;
    else opened.push(current.fd);
  }
  try {
    if (current) {
      const size = fstatSync(current.fd).size;
      const end = following ? lastLineEnd(current.fd, size) : size;
      start.pos = end;
      if (need > 0) need -= plan(current.fd, end, need, spans, budget);
    }
    for (let i = older.length - 1; i >= 0 && need > 0 && budget.left > 0; i--) {
      const file = openFile(join(dir, older[i]));
      if (!file) continue; // pruned a moment ago
      opened.push(file.fd);
      need -= plan(file.fd, fstatSync(file.fd).size, need, spans, budget);
    }
    for (const span of spans.reverse()) yield* copySpan(span);
  } finally {
    for (const fd of opened) closeSync(fd);
  }
}

interface Span {
  fd: number;
  start: number;
  end: number;
}

/**
 * Adds the span of the last `need` lines of [0, end) of a file, within what is left of the
 * budget, and takes the span from it; returns how many lines it holds (all that are wanted, once
 * the budget is spent).
 */
function plan(fd: number, end: number, need: number, spans: Span[], budget: { left: number }): number {
  if (end === 0) return 0;
  const floor = Math.max(0, end - budget.left);
  // The file's last newline ends its last line; the newlines before it start lines.
  const scanEnd = byteAt(fd, end - 1) === NEWLINE ? end - 1 : end;
  const found = scanBack(fd, scanEnd, need, floor);
  const start = 'at' in found ? found.at + 1 : floor;
  spans.push({ fd, start, end });
  budget.left -= end - start;
  return 'at' in found || floor > 0 ? need : found.count + 1;
}

/**
 * Where the complete lines of [0, size) end: after the last newline. A last line longer than a
 * follower holds (1 MiB) counts as given up to the end, as a follower would give it in pieces.
 */
function lastLineEnd(fd: number, size: number): number {
  const floor = Math.max(0, size - MAX_HELD);
  const found = scanBack(fd, size, 1, floor);
  return 'at' in found ? found.at + 1 : floor > 0 ? size : 0;
}

/**
 * The position of the `wanted`-th newline before `end`, reading backwards a block at a time down
 * to `floor`, or how many there are in [floor, end).
 */
function scanBack(fd: number, end: number, wanted: number, floor: number): { at: number } | { count: number } {
  const block = Buffer.allocUnsafe(BLOCK);
  let count = 0;
  for (let pos = end; pos > floor;) {
    const length = Math.min(BLOCK, pos - floor);
    pos -= length;
    const n = readSync(fd, block, 0, length, pos);
    const found = nthNewlineFromEnd(block.subarray(0, n), wanted - count);
    if ('at' in found) return { at: pos + found.at };
    count += found.count;
  }
  return { count };
}

/** A span a block at a time, completing a last line that has no newline. */
function* copySpan(span: Span): Generator<LogRead> {
  let last = NEWLINE;
  for (let pos = span.start; pos < span.end;) {
    const block = Buffer.allocUnsafe(Math.min(BLOCK, span.end - pos));
    const n = readSync(span.fd, block, 0, block.length, pos);
    if (n === 0) break; // truncated meanwhile
    yield { bytes: block.subarray(0, n) };
    last = block[n - 1];
    pos += n;
  }
  if (last !== NEWLINE) yield { bytes: Buffer.from('\n') };
}

/**
 * What is appended to `current` until the signal aborts. A rotation shows as `current` naming
 * another inode: the writer renames the file, writes nothing more to it once the new `current`
 * exists, so the old file is read to its end first, then every rotated file newer than the last
 * one seen (two rotations may fall between two polls), then the new `current` from its start.
 * `start.file` is always the file open now, so that the caller's `finally` closes it.
 */
async function* follow(dir: string, start: FollowStart, signal: AbortSignal | undefined): AsyncGenerator<LogRead> {
  const gate = new LineGate(MAX_HELD);
  let { pos, floor } = start;
  while (!signal?.aborted) {
    const file = start.file;
    if (file) {
      pos = yield* readOn(file, pos, gate);
      const now = inoAt(join(dir, 'current'));
      // No `current` at all is the moment between the rename and the new file: the old one may still grow.
      if (now !== undefined && now !== file.ino) {
        pos = yield* readOn(file, pos, gate);
        yield* pieces(gate.finish());
        // The finished file stays open while the directory is read, so its inode cannot be reused meanwhile.
        const next = yield* advance(dir, floor, file.ino, gate);
        start.file = undefined;
        closeSync(file.fd);
        ({ file: start.file, floor } = next);
        pos = 0;
        continue;
      }
    } else {
      ({ file: start.file, floor } = yield* advance(dir, floor, undefined, gate));
      pos = 0;
      if (start.file) continue;
    }
    try {
      await sleep(POLL_MS, undefined, { signal });
    } catch {
      return; // aborted: following ends
    }
  }
}

/**
 * After `current` changed: the rotated files newer than `floor` in full, oldest first; returns the
 * new `current`, open. When that one is itself rotated already (two rotations between two polls),
 * the files after it are left for the next round, which finds it is no longer `current`.
 */
function* advance(dir: string, floor: string, finished: number | undefined, gate: LineGate): Generator<LogRead, { file: LogFile | undefined; floor: string }> {
  const next = openFile(join(dir, 'current'));
  let handedOver = false;
  try {
    for (const name of rotatedOldestFirst(readNames(dir)).filter((n) => n > floor)) {
      floor = name;
      const file = openFile(join(dir, name));
      if (!file) continue; // pruned: nothing left to print of it
      const isNext = next !== undefined && file.ino === next.ino;
      try {
        if (!isNext && file.ino !== finished) {
          yield* readOn(file, 0, gate);
          yield* pieces(gate.finish());
        }
      } finally {
        closeSync(file.fd);
      }
      if (isNext) break;
    }
    handedOver = true;
    return { file: next, floor };
  } finally {
    // A reader stopped half way (its consumer is done) leaves nothing open.
    if (!handedOver && next) closeSync(next.fd);
  }
}

/** A file from `pos` to its end, in whole lines, a block at a time; returns the new position. */
function* readOn(file: LogFile, pos: number, gate: LineGate): Generator<LogRead, number> {
  if (fstatSync(file.fd).size < pos) {
    // Truncated in place (not what reraise does, but `: > current` is): start over.
    gate.reset();
    pos = 0;
  }
  for (;;) {
    // A new buffer each time: what is handed out may still be queued for writing.
    const block = Buffer.allocUnsafe(BLOCK);
    const n = readSync(file.fd, block, 0, BLOCK, pos);
    if (n === 0) return pos;
    pos += n;
    yield* pieces(gate.push(block.subarray(0, n)));
  }
}

function pieces(parts: Uint8Array[]): LogRead[] {
  return parts.map((bytes) => ({ bytes }));
}

/** A file of the log, never through a link and never a FIFO someone put there (SPEC 7, 12.6). */
function openFile(file: string): LogFile | undefined {
  try {
    const { fd, st } = openRegular(file, false);
    return { fd, ino: st.ino };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'ELOOP') throw Object.assign(new Error(`${file}: a symbolic link`), { code });
    throw error;
  }
}

function inoAt(file: string): number | undefined {
  try {
    return statSync(file).ino;
  } catch {
    return undefined;
  }
}

function byteAt(fd: number, pos: number): number {
  const one = Buffer.alloc(1);
  return readSync(fd, one, 0, 1, pos) === 1 ? one[0] : -1;
}

/** The directories of a log dir: the services that have (or had) a log there. */
export function logDirs(logDir: string): string[] {
  return readNames(logDir).filter((name) => {
    try {
      return statSync(join(logDir, name)).isDirectory();
    } catch {
      return false;
    }
  });
}

function readNames(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
