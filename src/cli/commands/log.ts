// reraise log NAME [-n N] [-f]: the last lines of a service's log, across rotated files, then what is appended (SPEC 7).
import { closeSync, existsSync, fstatSync, readSync, readdirSync, statSync } from 'node:fs';
import { openRegular } from '../../io/safe-file.js';
import { once } from 'node:events';
import { join } from 'node:path';
import { rotatedOldestFirst } from '../../core/log-lines.js';
import { LineGate, nthNewlineFromEnd, parseLineCount } from '../../core/log-tail.js';
import { isServiceName, patternProblem } from '../../core/names.js';
import type { Context } from '../context.js';
import { emptyReport, failure, type Report } from '../report.js';

const BLOCK = 64 * 1024;
const POLL_MS = 150;
/** A line longer than this that is still being written is printed before its newline arrives. */
const MAX_HELD = 1 << 20;
const NEWLINE = 0x0a;

interface LogFile {
  fd: number;
  ino: number;
}

export async function log(ctx: Context, name: string, lines: unknown, follow: boolean): Promise<Report | { usage: string }> {
  const count = parseLineCount(lines);
  if (!count.ok) return { usage: count.message };
  const problem = patternProblem(name) ?? (isServiceName(name) ? undefined : 'a service name never ends in ~, .swp, .bak, .orig or .disabled');
  if (problem) return failure(`${name}: not a service name: ${problem}`);
  const dir = join(ctx.dirs.log.path, name);
  if (!isDir(dir) && !existsSync(join(ctx.dirs.service.path, name))) {
    const glob = /[*?[\]{}]/.test(name) ? ' (log takes one service name, not a pattern)' : '';
    return failure(`${name}: no such service in ${ctx.dirs.service.path} (RERAISE_DIR) and no log in ${dir} (RERAISE_LOGDIR)${glob}`);
  }
  const interrupt = follow ? onInterrupt() : undefined;
  try {
    const start = await printTail(dir, count.value, follow);
    if (interrupt) await followLog(dir, start, interrupt);
  } catch (error) {
    // EACCES, EISDIR, EIO: expected enough to be said plainly, not as an internal error.
    if (!(error as NodeJS.ErrnoException).code) throw error;
    return failure(`${name}: unable to read its log in ${dir}: ${(error as Error).message}`);
  } finally {
    interrupt?.dispose();
  }
  return emptyReport();
}

/** Where following goes on from: `current` (or what it was) read up to `pos`, and the newest rotated name already accounted for. */
interface FollowStart {
  file: LogFile | undefined;
  pos: number;
  floor: string;
}

type Sink = (...pieces: Uint8Array[]) => Promise<void>;

/** The last `wanted` lines of NAME's log, as text lines (for `start --wait` when a service gives up). */
export async function lastLogLines(logDir: string, name: string, wanted: number): Promise<string[]> {
  const pieces: Uint8Array[] = [];
  await printTail(join(logDir, name), wanted, false, async (...more) => {
    pieces.push(...more);
  });
  const text = Buffer.concat(pieces).toString('utf8');
  return text === '' ? [] : text.replace(/\n$/, '').split('\n');
}

/**
 * Prints the last `wanted` lines: from `current`, then back through the rotated files, newest first.
 * Only the ends of the files are read, from a few blocks back. When following, a last line of
 * `current` without its newline is left for the follower, which prints it once it is whole, and
 * `current` stays open for it.
 */
async function printTail(dir: string, wanted: number, follow: boolean, sink: Sink = write): Promise<FollowStart> {
  const current = openFile(join(dir, 'current'));
  const names = rotatedOldestFirst(readNames(dir));
  let older = names;
  const start: FollowStart = { file: current, pos: 0, floor: names[names.length - 1] ?? '' };
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
  if (current) {
    const size = fstatSync(current.fd).size;
    const end = follow ? lastLineEnd(current.fd, size) : size;
    start.pos = end;
    if (need > 0) need -= plan(current.fd, end, need, spans);
  }
  const opened: number[] = current && !follow ? [current.fd] : [];
  try {
    for (let i = older.length - 1; i >= 0 && need > 0; i--) {
      const file = openFile(join(dir, older[i]));
      if (!file) continue; // pruned a moment ago
      opened.push(file.fd);
      need -= plan(file.fd, fstatSync(file.fd).size, need, spans);
    }
    for (const span of spans.reverse()) await copySpan(span, sink);
  } finally {
    for (const fd of opened) closeSync(fd);
  }
  return start;
}

interface Span {
  fd: number;
  start: number;
  end: number;
}

/** Adds the span of the last `need` lines of [0, end) of a file; returns how many lines it holds. */
function plan(fd: number, end: number, need: number, spans: Span[]): number {
  if (end === 0) return 0;
  // The file's last newline ends its last line; the newlines before it start lines.
  const scanEnd = byteAt(fd, end - 1) === NEWLINE ? end - 1 : end;
  const found = scanBack(fd, scanEnd, need);
  if ('at' in found) {
    spans.push({ fd, start: found.at + 1, end });
    return need;
  }
  spans.push({ fd, start: 0, end });
  return found.count + 1;
}

/** Where the complete lines of [0, size) end: after the last newline. */
function lastLineEnd(fd: number, size: number): number {
  const found = scanBack(fd, size, 1);
  return 'at' in found ? found.at + 1 : 0;
}

/** The position of the `wanted`-th newline before `end`, reading backwards a block at a time, or how many there are. */
function scanBack(fd: number, end: number, wanted: number): { at: number } | { count: number } {
  const block = Buffer.allocUnsafe(BLOCK);
  let count = 0;
  for (let pos = end; pos > 0;) {
    const length = Math.min(BLOCK, pos);
    pos -= length;
    const n = readSync(fd, block, 0, length, pos);
    const found = nthNewlineFromEnd(block.subarray(0, n), wanted - count);
    if ('at' in found) return { at: pos + found.at };
    count += found.count;
  }
  return { count };
}

/** Copies a span to stdout a block at a time, completing a last line that has no newline. */
async function copySpan(span: Span, sink: Sink): Promise<void> {
  let last = NEWLINE;
  for (let pos = span.start; pos < span.end;) {
    const block = Buffer.allocUnsafe(Math.min(BLOCK, span.end - pos));
    const n = readSync(span.fd, block, 0, block.length, pos);
    if (n === 0) break; // truncated meanwhile
    await sink(block.subarray(0, n));
    last = block[n - 1];
    pos += n;
  }
  if (last !== NEWLINE) await sink(Buffer.from('\n'));
}

/**
 * Prints what is appended to `current` until interrupted. A rotation shows as `current` naming
 * another inode: the writer renames the file, writes nothing more to it once the new `current`
 * exists, so the old file is read to its end first, then every rotated file newer than the last
 * one seen (two rotations may fall between two polls), then the new `current` from its start.
 */
async function followLog(dir: string, start: FollowStart, interrupt: Interrupt): Promise<void> {
  const gate = new LineGate(MAX_HELD);
  let { file, pos, floor } = start;
  while (!interrupt.interrupted) {
    if (file) {
      pos = await readOn(file, pos, gate);
      const now = inoAt(join(dir, 'current'));
      // No `current` at all is the moment between the rename and the new file: the old one may still grow.
      if (now !== undefined && now !== file.ino) {
        pos = await readOn(file, pos, gate);
        await write(...gate.finish());
        // The finished file stays open while the directory is read, so its inode cannot be reused meanwhile.
        const next = await advance(dir, floor, file.ino, gate);
        closeSync(file.fd);
        ({ file, floor } = next);
        pos = 0;
        continue;
      }
    } else {
      ({ file, floor } = await advance(dir, floor, undefined, gate));
      pos = 0;
      if (file) continue;
    }
    await interrupt.sleep(POLL_MS);
  }
  if (file) closeSync(file.fd);
}

/**
 * After `current` changed: prints the rotated files newer than `floor` in full, oldest first, and
 * opens the new `current`. When that one is itself rotated already (two rotations between two
 * polls), the files after it are left for the next round, which finds it is no longer `current`.
 */
async function advance(dir: string, floor: string, finished: number | undefined, gate: LineGate): Promise<{ file: LogFile | undefined; floor: string }> {
  const next = openFile(join(dir, 'current'));
  for (const name of rotatedOldestFirst(readNames(dir)).filter((n) => n > floor)) {
    floor = name;
    const file = openFile(join(dir, name));
    if (!file) continue; // pruned: nothing left to print of it
    const isNext = next !== undefined && file.ino === next.ino;
    if (!isNext && file.ino !== finished) {
      await readOn(file, 0, gate);
      await write(...gate.finish());
    }
    closeSync(file.fd);
    if (isNext) break;
  }
  return { file: next, floor };
}

/** Reads a file from `pos` to its end, printing whole lines; returns the new position. */
async function readOn(file: LogFile, pos: number, gate: LineGate): Promise<number> {
  if (fstatSync(file.fd).size < pos) {
    // Truncated in place (not what reraise does, but `: > current` is): start over.
    gate.reset();
    pos = 0;
  }
  for (;;) {
    // A new buffer each time: what is written to stdout may still be queued.
    const block = Buffer.allocUnsafe(BLOCK);
    const n = readSync(file.fd, block, 0, BLOCK, pos);
    if (n === 0) return pos;
    pos += n;
    await write(...gate.push(block.subarray(0, n)));
  }
}

async function write(...pieces: Uint8Array[]): Promise<void> {
  for (const piece of pieces) {
    if (!process.stdout.write(piece)) await once(process.stdout, 'drain');
  }
}

interface Interrupt {
  interrupted: boolean;
  sleep(ms: number): Promise<void>;
  dispose(): void;
}

/** SIGINT and SIGTERM end following, with exit status 0; a sleep in progress ends at once. */
function onInterrupt(): Interrupt {
  let wake: (() => void) | undefined;
  const handler = (): void => {
    state.interrupted = true;
    wake?.();
  };
  const state: Interrupt = {
    interrupted: false,
    sleep: (ms) => new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        wake = undefined;
        resolve();
      }
      wake = done;
    }),
    dispose: () => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return state;
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

function readNames(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function isDir(dir: string): boolean {
  try {
    return statSync(dir).isDirectory();
  } catch {
    return false;
  }
}
