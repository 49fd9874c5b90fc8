// The pipe between a service and its log: a FIFO whose every end the worker opens itself, then unlinks.
import { closeSync, constants, fstatSync, lstatSync, openSync, readlinkSync, realpathSync, statSync, unlinkSync } from 'node:fs';
import { mkfifo } from './system-programs.js';
import { tempFileName } from '../core/lock-names.js';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

export interface HeldPipe {
  /**
   * Read and write: while the worker holds it, a reader never sees EOF and a writer never gets
   * EPIPE. A service without a logger gets this end too, so that it outlives a killed worker.
   */
  holder: number;
  /** Read end: blocking for a logger's stdin, non-blocking for the worker's own reader. */
  readEnd: number;
  /** Blocking write end, for the service's stdout and stderr (a full pipe makes it wait, not lose). */
  writeEnd: number;
  /** Non-blocking write end, for the worker's own lines: a full pipe must never stall the worker. */
  messageEnd: number;
}

/**
 * Unlike an anonymous pipe per run, this one outlives every run of the service and of its logger,
 * so what either side has not read yet stays in the kernel's buffer across their restarts.
 */
export function openHeldPipe(dir: string, name: string, nonBlockingReader = false): HeldPipe {
  const file = join(dir, tempFileName(name, process.pid, 'fifo'));
  // The name holds this process's pid: what is there is a leftover of an earlier process of ours.
  removeOwnLeftover(file);
  // mkfifo fails when the name is taken: the FIFO opened below is the one just made.
  const MKFIFO = mkfifo();
  if (!MKFIFO) throw new Error(`unable to make the log pipe in ${dir} (RERAISE_PIDDIR): no mkfifo in /usr/bin or /bin`);
  // mkfifo needs no environment: copying the user's would cost the worker memory it keeps for life.
  const made = spawnSync(MKFIFO, ['-m', '600', file], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', env: {} });
  if (made.status !== 0) throw new Error(`unable to make the log pipe ${file} (RERAISE_PIDDIR): ${made.error?.message ?? made.stderr.trim()}`);
  try {
    const { O_RDWR, O_RDONLY, O_WRONLY, O_NONBLOCK, O_NOFOLLOW } = constants;
    // The O_RDWR end first: with it open, the other opens of the FIFO never block.
    const holder = openSync(file, O_RDWR | O_NOFOLLOW);
    const st = fstatSync(holder);
    if (!st.isFIFO() || st.uid !== process.getuid!()) {
      closeSync(holder);
      throw new Error(`${file}: not the FIFO just made`);
    }
    return {
      holder,
      readEnd: openSync(file, (nonBlockingReader ? O_RDONLY | O_NONBLOCK : O_RDONLY) | O_NOFOLLOW),
      writeEnd: openSync(file, O_WRONLY | O_NOFOLLOW),
      messageEnd: openSync(file, O_WRONLY | O_NONBLOCK | O_NOFOLLOW),
    };
  } finally {
    removeOwnLeftover(file);
  }
}

function removeOwnLeftover(file: string): void {
  try {
    const st = lstatSync(file, { throwIfNoEntry: false });
    if (st && (st.isFIFO() || st.isFile()) && st.uid === process.getuid!()) unlinkSync(file);
  } catch {
    // gone meanwhile
  }
}

export function closeQuietly(fd: number | undefined): void {
  if (fd === undefined) return;
  try {
    closeSync(fd);
  } catch {
    // already closed
  }
}

/** A pipe as the kernel knows it, whatever its name: what an orphan's descriptor leads to. */
export interface PipeId {
  dev: number;
  ino: number;
  /** The orphan's descriptor that holds it. */
  fd: number;
}

const escaped = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The log pipe a dead worker of the pid dir made, as orphan `pid` still holds it on its stdout
 * (or stderr): a FIFO named like one (`.NAME.PID.fifo`) in the pid dir, unlinked, as the kernel
 * names it (through the real path of the pid dir). Anything else (the service sent its output
 * elsewhere itself) is none.
 */
export function oldLogPipe(pid: number, pidDir: string): PipeId | undefined {
  let real: string;
  try {
    real = realpathSync.native(pidDir);
  } catch {
    return undefined;
  }
  const name = new RegExp(`^${escaped(real)}/\\.[^/]+\\.\\d+\\.fifo \\(deleted\\)$`);
  for (const fd of [1, 2]) {
    try {
      if (!name.test(readlinkSync(`/proc/${pid}/fd/${fd}`))) continue;
      const st = statSync(`/proc/${pid}/fd/${fd}`);
      if (st.isFIFO()) return { dev: st.dev, ino: st.ino, fd };
    } catch {
      // gone, or not ours to look at (a run through sudo)
    }
  }
  return undefined;
}

/** Opens that pipe for reading, through the orphan's descriptor, when it still is that pipe. */
export function openOldLogPipe(pid: number, id: PipeId): number | undefined {
  try {
    const fd = openSync(`/proc/${pid}/fd/${id.fd}`, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
    const st = fstatSync(fd);
    if (st.isFIFO() && st.dev === id.dev && st.ino === id.ino) return fd;
    closeSync(fd);
  } catch {
    // gone meanwhile
  }
  return undefined;
}
