// Writes whole lines to <dir>/current and rotates it by size, keeping a bounded number of old files (SPEC 7).
import { closeSync, constants, existsSync, fstatSync, openSync, readSync, readdirSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { mustRotate, rotatedName, stampOf, toPrune } from '../core/log-lines.js';
import { stampedWorkerLine } from './service-log.js';
import { NotRegularError, notRegular } from './safe-file.js';
import { dirProblem } from './trusted-dir.js';

/**
 * `current`, for appending and for reading its last byte: never through a link, never a FIFO, and
 * only a file of the writer's own with one link (SPEC 7, 12.2).
 */
function openCurrent(file: string): number {
  const { O_RDWR, O_APPEND, O_CREAT, O_NOFOLLOW, O_NONBLOCK } = constants;
  const fd = openSync(file, O_RDWR | O_APPEND | O_CREAT | O_NOFOLLOW | O_NONBLOCK, 0o600);
  const st = fstatSync(fd);
  const problem = !st.isFile() ? notRegular(st) : st.uid !== process.getuid!() ? `owned by uid ${st.uid}` : st.nlink !== 1 ? `${st.nlink} links to it` : undefined;
  if (problem) {
    closeSync(fd);
    throw new NotRegularError(`${file}: ${problem}`);
  }
  return fd;
}

export interface LogSettings {
  size: number;
  keep: number;
  stamp: boolean;
}

export class RotatingLog {
  private fd: number;
  private size: number;
  private dropped = 0;
  /** `current` ends inside a line (a stopped logger's last words): it is completed before any rotation. */
  private continuing: boolean;

  /** Why rotation is held back: the directory failed its check, and the log says so once. */
  private unsafe?: string;

  /** `dir` is a checked log directory of the writer's (service-log.ts prepareServiceLogDir). */
  constructor(private readonly dir: string, private settings: LogSettings) {
    this.fd = openCurrent(join(dir, 'current'));
    this.size = fstatSync(this.fd).size;
    this.continuing = this.size > 0 && this.lastByte() !== 0x0a;
  }

  configure(settings: LogSettings): void {
    this.settings = settings;
  }

  /** Appends whole lines; several at once cost one write between rotations. */
  write(lines: readonly Buffer[]): void {
    const batch: Buffer[] = [];
    let batchLength = 0;
    for (const raw of lines) {
      const stamped = this.settings.stamp && !this.continuing;
      const line = stamped ? Buffer.concat([Buffer.from(stampOf(Date.now())), raw]) : raw;
      if (!this.continuing && mustRotate(this.size + batchLength, line.length, this.settings.size)) {
        this.append(batch, batchLength);
        batch.length = 0;
        batchLength = 0;
        this.rotate();
      }
      batch.push(line);
      batchLength += line.length;
      this.continuing = false;
    }
    this.append(batch, batchLength);
  }

  /**
   * A line whose end has not come, written as it is: a logger that is stopped mid-line leaves it
   * for the next one, which reads the rest from the same pipe and completes it in this file.
   */
  writePartial(partial: Buffer | undefined): void {
    if (!partial?.length) return;
    const stamped = this.settings.stamp && !this.continuing;
    const bytes = stamped ? Buffer.concat([Buffer.from(stampOf(Date.now())), partial]) : partial;
    this.append([bytes], bytes.length);
    this.continuing = true;
  }

  close(): void {
    closeSync(this.fd);
  }

  private append(batch: readonly Buffer[], length: number): void {
    if (length === 0) return;
    try {
      if (this.dropped) {
        this.writeAll(Buffer.from(stampedWorkerLine(`${this.dropped} lines dropped: the log could not be written`, this.settings.stamp)));
      }
      this.dropped = 0;
      this.writeAll(Buffer.concat(batch as Buffer[], length));
    } catch {
      // A full disk must not stop the service or the worker: count the loss, say so when writing works again.
      this.dropped += batch.length;
    }
  }

  private lastByte(): number {
    const byte = Buffer.alloc(1);
    readSync(this.fd, byte, 0, 1, this.size - 1);
    return byte[0];
  }

  private writeAll(data: Buffer): void {
    for (let done = 0; done < data.length;) done += writeSync(this.fd, data, done, data.length - done);
    this.size += data.length;
  }

  private rotate(): void {
    try {
      this.rotateNow();
    } catch {
      // Cannot rename (the directory went away, say): keep appending to the open file.
    }
  }

  private rotateNow(): void {
    // Renames and removals go by path: the directory is checked again first (SPEC 7, 12.2).
    const problem = dirProblem(this.dir, { uid: process.getuid!() });
    if (problem) {
      if (this.unsafe !== problem) this.writeAll(Buffer.from(stampedWorkerLine(`warning: not rotating ${this.dir}: ${problem}`, this.settings.stamp)));
      this.unsafe = problem;
      return;
    }
    this.unsafe = undefined;
    const now = Date.now();
    let seq = 0;
    while (existsSync(join(this.dir, rotatedName(now, seq)))) seq++;
    // Rename first, then open a new `current`: a reader following by inode loses nothing.
    renameSync(join(this.dir, 'current'), join(this.dir, rotatedName(now, seq)));
    closeSync(this.fd);
    this.fd = openCurrent(join(this.dir, 'current'));
    this.size = 0;
    for (const old of toPrune(readdirSync(this.dir), this.settings.keep)) rmSync(join(this.dir, old), { force: true });
  }
}

export function logSettingsOf(config: { logSize: number; logKeep: number; logStamp: number }): LogSettings {
  return { size: config.logSize, keep: config.logKeep, stamp: config.logStamp === 1 };
}
