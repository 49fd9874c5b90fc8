// Where the service's output goes: through the held pipe to the worker's own writer, or to rc.log (SPEC 7, 8).
import { closeSync, fchownSync, lstatSync, readSync, renameSync, writeSync } from 'node:fs';
import { Socket } from 'node:net';
import { constants } from 'node:os';
import { join } from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { heldBound, LineSplitter } from '../core/log-lines.js';
import { WaitingLines } from '../core/waiting-lines.js';
import { closeQuietly, oldLogPipe, openHeldPipe, openOldLogPipe, type HeldPipe } from '../io/fifo.js';
import { RotatingLog, type LogSettings } from '../io/log-writer.js';
import { appendOwnedLine, prepareServiceLogDir, workerLine, type LogWriter } from '../io/service-log.js';
import { openOwned } from '../io/safe-file.js';
import type { Result } from '../core/result.js';
import { stopGroup } from '../io/terminate.js';
import { until } from '../io/poll.js';
import { isAlive, stdinReaders } from '../io/probe.js';
import type { Launch } from './launch.js';

export interface Output {
  /** The descriptor the service gets as stdout and stderr. */
  serviceFd: number;
  /**
   * The worker's lines share the pipe with the service's output (an rc.log reads it): the
   * service must not write before the worker's line about its start is in, or that line could
   * land inside one of the service's (SPEC 7).
   */
  sharesPipe: boolean;
  say(message: string): void;
  configure(settings: LogSettings): void;
  /** A run (or a reset) is over and its group gone: its last line is complete, even without a newline. */
  endOfRun(): void;
  /** Closes the writer ends, lets the reader take what is left, and ends it (bounded by `graceMs`). */
  drain(graceMs: number): Promise<void>;
  /**
   * Starts the rc.log after `delayMs` (SPEC 8): the policy decides when, at the first run (after an
   * orphan's old one has finished) and after each of its exits, which `onLoggerExit` reports.
   */
  startLogger(delayMs: number): void;
  onLoggerExit(listener: (ranMs: number, why: string) => void): void;
  /** A line about the rc.log itself, into logger.log: the service's log may be what is broken. */
  noteLogger(message: string): void;
  /**
   * Takes over the output of orphan `pid` (of `uid`) on its dead worker's log pipe (SPEC 13.2):
   * what it wrote and nobody read goes into the log at once and as it comes, or its old rc.log
   * finishes it. `gone` settles once that is done, after the orphan is gone (bounded by `graceMs`).
   */
  follow(pid: number, uid: number | undefined): { gone(graceMs: number): Promise<void> };
  /**
   * Calls `found` once what the service writes from now on holds `text` (config_ready_log, SPEC
   * 14.1); returns what stops looking. Only the worker's own log sees the lines: with an rc.log
   * the policy never asks.
   */
  watchText(text: string, found: () => void): () => void;
}

const MAX_LOGGER_LOG = 1 << 20;

function lineOf(message: string): Buffer {
  return Buffer.from(workerLine(message));
}

/** The worker's line goes into the pipe with the service's output, so both keep their order. */
function sayThroughPipe(pipe: HeldPipe, message: string, fallback: (line: Buffer) => void): void {
  const line = lineOf(message);
  try {
    if (writeSync(pipe.messageEnd, line) === line.length) return;
  } catch {
    // EAGAIN: the pipe is full; the line takes the other way
  }
  fallback(line);
}

/** A search for `text` across the pieces of output as they come: it may be cut between two of them. */
function textWatch(text: Buffer, found: () => void): (pieces: Buffer[]) => void {
  let tail = Buffer.alloc(0);
  return (pieces) => {
    for (const piece of pieces) {
      const seen = Buffer.concat([tail, piece]);
      if (seen.includes(text)) return found();
      // A copy: a view would hold on to the whole of a long piece.
      tail = Buffer.from(seen.subarray(Math.max(0, seen.length - text.length + 1)));
    }
  };
}

function closeWriters(pipe: HeldPipe): void {
  closeQuietly(pipe.holder);
  closeQuietly(pipe.writeEnd);
  closeQuietly(pipe.messageEnd);
}

/**
 * The worker itself reads the pipe and writes the rotating log. `adopting`: an orphan's pipe,
 * which holds the rest of a line left open, is about to be read (SPEC 13.2).
 */
export function ownLog(logDir: string, pidDir: string, name: string, settings: LogSettings, adopting = false): Output {
  const dir = prepareServiceLogDir(logDir, name, { uid: process.getuid!(), gid: process.getgid!() });
  if (!dir.ok) throw new Error(dir.message);
  const log = new RotatingLog(dir.value, settings);
  // A line left open by a killed worker: its rest was in that worker's pipe, which nobody reads now.
  if (log.inLine && !adopting) log.write([Buffer.from('\n')]);
  const pipe = openHeldPipe(pidDir, name, true);
  const splitter = new LineSplitter(heldBound(settings.size));
  // The worker's lines wait while a long line streams into the file, and follow its end (SPEC 7).
  const waiting = new WaitingLines();
  let watch: ((pieces: Buffer[]) => void) | undefined;
  const write = (pieces: Buffer[]): void => {
    watch?.(pieces);
    log.write(pieces);
    if (!log.inLine) log.write(waiting.take().map(lineOf));
  };
  const reader = new Socket({ fd: pipe.readEnd, readable: true, writable: false });
  /** Takes what the pipe holds right now, without waiting: the reader's events would come too late. */
  const pump = (): void => {
    while (readAvailable(pipe.readEnd, write, splitter) > 0);
  };
  let ended = false;
  reader.on('data', (chunk: Buffer) => write(splitter.push(chunk)));
  reader.on('end', () => {
    ended = true;
    write(splitter.flush());
  });
  reader.on('error', () => {
    ended = true;
  });
  return {
    // Read-write, so the service holds a reader of its own: if the worker is killed with SIGKILL,
    // the orphaned service keeps running (its output waits in the pipe) instead of dying of SIGPIPE.
    serviceFd: pipe.holder,
    sharesPipe: false,
    // Its own lines go straight to the file, after what the service wrote before them.
    say: (message) => {
      pump();
      if (log.inLine) waiting.add(message);
      else log.write([lineOf(message)]);
    },
    configure: (next) => {
      log.configure(next);
      splitter.setBound(heldBound(next.size));
    },
    endOfRun: () => {
      pump();
      write(splitter.flush());
    },
    async drain(graceMs) {
      closeWriters(pipe);
      // A process that escaped the group may still hold a write end: do not wait for it forever.
      await until(() => ended, Date.now() + graceMs);
      if (!ended) write(splitter.flush());
      reader.destroy();
      log.close();
    },
    startLogger: () => {},
    onLoggerExit: () => {},
    noteLogger: () => {},
    watchText: (text, found) => {
      watch = textWatch(Buffer.from(text), () => {
        watch = undefined;
        found();
      });
      return () => {
        watch = undefined;
      };
    },
    follow: (pid) => {
      const id = oldLogPipe(pid, pidDir);
      const old = id && openOldLogPipe(pid, id);
      if (old === undefined) {
        // The rest of a line left open is out of reach (a run through sudo, output sent elsewhere).
        if (log.inLine) log.write([Buffer.from('\n')]);
        return { gone: async () => {} };
      }
      // What is there now goes in before the worker says anything of the takeover.
      while (readAvailable(old, write, splitter) > 0);
      let oldEnded = false;
      const oldReader = new Socket({ fd: old, readable: true, writable: false });
      oldReader.on('data', (chunk: Buffer) => write(splitter.push(chunk)));
      oldReader.on('end', () => {
        oldEnded = true;
      });
      oldReader.on('error', () => {
        oldEnded = true;
      });
      return {
        async gone(graceMs) {
          // With the orphan and its group gone, nothing holds a write end: the end comes at once.
          await until(() => oldEnded, Date.now() + graceMs);
          oldReader.destroy();
          write(splitter.flush());
        },
      };
    },
  };
}

/** One read of what a non-blocking pipe holds now, through the splitter into the log; 0 when empty. */
function readAvailable(fd: number, write: (pieces: Buffer[]) => void, splitter: LineSplitter): number {
  const chunk = Buffer.allocUnsafe(64 * 1024);
  let n: number;
  try {
    n = readSync(fd, chunk, 0, chunk.length, null);
  } catch {
    return 0; // EAGAIN: empty
  }
  if (n > 0) write(splitter.push(chunk.subarray(0, n)));
  return n;
}

/**
 * `./rc.log start NAME` reads the pipe; the worker restarts it whenever it dies, after at least
 * a second since its last start, deciding each time as whom it runs (`plan`, SPEC 12.4). Its own
 * stdout and stderr go to logger.log beside the log, in the directory of whoever it runs as.
 */
export function rcLog(
  logDir: string, pidDir: string, name: string, plan: () => Result<Launch>, cwd: string, writer: LogWriter,
): Output {
  const dir = prepareServiceLogDir(logDir, name, writer);
  if (!dir.ok) throw new Error(dir.message);
  const pipe = openHeldPipe(pidDir, name);
  const loggerLog = join(dir.value, 'logger.log');
  let logger: ChildProcess | undefined;
  let loggerGone = true;
  let stopping = false;
  let timer: NodeJS.Timeout | undefined;
  let exitListener: (ranMs: number, why: string) => void = () => {};
  const note = (line: Buffer): void => {
    try {
      appendOwnedLine(loggerLog, line.toString(), writer);
    } catch {
      // nowhere left to say it
    }
  };
  const gone = (startedAt: number, why: string): void => {
    if (loggerGone) return;
    loggerGone = true;
    if (!stopping) exitListener(Date.now() - startedAt, why);
  };
  const start = (): void => {
    if (stopping) return;
    const startedAt = Date.now();
    loggerGone = false;
    const launch = plan();
    if (!launch.ok) {
      gone(startedAt, `not started: ${launch.message}`);
      return;
    }
    try {
      // Bounded: logger.log is the logger's own complaints, not the service's log.
      if (lstatSync(loggerLog).size > MAX_LOGGER_LOG) renameSync(loggerLog, `${loggerLog}.old`);
    } catch {
      // no logger.log yet
    }
    let out: number;
    try {
      const opened = openOwned(loggerLog, 0o600, writer.uid);
      out = opened.fd;
      if (opened.created && writer.uid !== process.getuid!()) fchownSync(out, writer.uid, writer.gid);
    } catch (error) {
      gone(startedAt, `not started: cannot open ${loggerLog}: ${(error as Error).message}`);
      return;
    }
    const { value } = launch;
    try {
      logger = spawn(value.file, value.args, {
        argv0: value.argv0, cwd, env: value.env, uid: value.uid, gid: value.gid,
        detached: true, stdio: [pipe.readEnd, out, out],
      });
    } catch (error) {
      gone(startedAt, `cannot run: ${(error as Error).message}`);
      return;
    } finally {
      closeSync(out);
    }
    // 'error' and 'exit' may both come for one failed start: the first one counts.
    logger.once('error', (error) => gone(startedAt, `cannot run: ${error.message}`));
    logger.once('exit', (code, signal) => gone(startedAt, signal ? `killed by ${signal}` : `exited with code ${code}`));
  };
  return {
    serviceFd: pipe.writeEnd,
    sharesPipe: true,
    say: (message) => sayThroughPipe(pipe, message, note),
    configure: () => {},
    // The logger sees one stream, as under perp: where a run ends is not its business.
    endOfRun: () => {},
    startLogger: (delayMs) => {
      clearTimeout(timer);
      if (delayMs === 0) start();
      else timer = setTimeout(start, delayMs);
    },
    onLoggerExit: (listener) => {
      exitListener = listener;
    },
    noteLogger: (message) => note(lineOf(message)),
    // The rc.log reads the output; config_ready_log is refused for such a service (SPEC 14.1).
    watchText: () => () => {},
    follow: (pid, uid) => {
      // Found now, while the orphan still holds its end: the pipe, and the old rc.log of its owner reading it.
      const id = oldLogPipe(pid, pidDir);
      const readers = id ? stdinReaders(id, uid ?? process.getuid!()) : [];
      return {
        // The old rc.log reads what is left of its pipe and exits at its end, unless it hangs.
        async gone(graceMs) {
          const over = (): boolean => readers.every((reader) => !isAlive(reader));
          if (await until(over, Date.now() + graceMs)) return;
          // Each was spawned in a group of its own, as the new one will be.
          await Promise.all(readers.map((reader) => stopGroup(reader, constants.signals.SIGTERM, 1000, () => !isAlive(reader))));
        },
      };
    },
    async drain(graceMs) {
      stopping = true;
      clearTimeout(timer);
      closeWriters(pipe);
      // With every write end closed, the logger reads what is left, sees EOF and exits by itself.
      const pid = logger?.pid;
      if (pid !== undefined && !loggerGone) {
        const exited = await until(() => loggerGone, Date.now() + graceMs);
        if (!exited) await stopGroup(pid, constants.signals.SIGTERM, 1000, () => loggerGone);
      }
      closeQuietly(pipe.readEnd);
    },
  };
}
