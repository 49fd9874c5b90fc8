// Writes lines, whole or in pieces, to <dir>/current and rotates it by size, keeping a bounded number of old files (SPEC 7).
import { closeSync, existsSync, fstatSync, lstatSync, readSync, readdirSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { endsLine, placePiece, rotatedName, stampOf, toPrune } from '../core/log-lines.js';
import { stampedWorkerLine } from './service-log.js';
import { openOwned } from './safe-file.js';
import { dirProblem } from './trusted-dir.js';

/** `current`, for appending and for reading its last byte: a file of the writer's own (SPEC 7, 12.2). */
function openCurrent(file: string): number {
  return openOwned(file, 0o600, process.getuid!(), true).fd;
}

export interface LogSettings {
  size: number;
  keep: number;
  stamp: boolean;
}

const STAMP_LENGTH = stampOf(0).length;

/** Bytes for one write, between two rotations. */
interface Batch {
  parts: Buffer[];
  length: number;
  /** Pieces in it that end a line. */
  lineEnds: number;
  /** It begins at the start of a line, where a line of the writer's own may go before it. */
  startsLine: boolean;
}

export class RotatingLog {
  private fd: number;
  private size: number;
  /** Lines that lost bytes to failed writes (a full disk): told when writing works again. */
  private dropped = 0;
  /** The line being written has lost bytes and is counted among the dropped already. */
  private lineCounted = false;
  /**
   * What was given ends inside a line: a long line streaming, or a stopped logger's last words
   * found in `current`. The rest of that line comes next, with no stamp and no rotation before it.
   */
  private continuing: boolean;

  /** Why rotation is held back: the directory failed its check, and the log says so once. */
  private unsafe?: string;

  /** `dir` is a checked log directory of the writer's (service-log.ts prepareServiceLogDir). */
  constructor(private readonly dir: string, private settings: LogSettings) {
    this.fd = openCurrent(join(dir, 'current'));
    this.size = fstatSync(this.fd).size;
    this.continuing = this.size > 0 && this.lastByte() !== 0x0a;
  }

  /** The log ends inside a line: nothing else may be written until its end comes. */
  get inLine(): boolean {
    return this.continuing;
  }

  configure(settings: LogSettings): void {
    this.settings = settings;
  }

  /** Appends pieces of lines (LineSplitter's); several at once cost one write between rotations. */
  write(pieces: readonly Buffer[]): void {
    let batch = this.batch();
    for (const piece of pieces) {
      const at = { size: this.size + batch.length, inLine: this.continuing };
      const place = placePiece(at, piece, this.settings.size, this.settings.stamp ? STAMP_LENGTH : 0);
      if (place.rotate) {
        this.append(batch);
        this.rotate();
        batch = this.batch();
      }
      if (place.stamp) this.add(batch, Buffer.from(stampOf(Date.now())));
      this.add(batch, piece);
      this.continuing = !endsLine(piece);
      if (!this.continuing) batch.lineEnds++;
    }
    this.append(batch);
  }

  /**
   * A line whose end has not come, written as it is: a logger that is stopped mid-line leaves it
   * for the next one, which reads the rest from the same pipe and completes it in this file.
   */
  writePartial(partial: Buffer | undefined): void {
    if (!partial?.length) return;
    const batch = this.batch();
    if (this.settings.stamp && !this.continuing) this.add(batch, Buffer.from(stampOf(Date.now())));
    this.add(batch, partial);
    this.continuing = true;
    this.append(batch);
  }

  close(): void {
    closeSync(this.fd);
  }

  private batch(): Batch {
    return { parts: [], length: 0, lineEnds: 0, startsLine: !this.continuing };
  }

  private add(batch: Batch, bytes: Buffer): void {
    batch.parts.push(bytes);
    batch.length += bytes.length;
  }

  /** Called with `continuing` already saying where the batch ends. */
  private append(batch: Batch): void {
    if (batch.length === 0) return;
    try {
      // The notice waits for the start of a line: it must not land inside one.
      if (this.dropped && batch.startsLine) this.tellDropped();
      this.writeAll(batch.parts.length === 1 ? batch.parts[0] : Buffer.concat(batch.parts, batch.length));
      if (batch.lineEnds) this.lineCounted = false;
    } catch {
      // A full disk must not stop the service or the worker: count the loss, say so when writing
      // works again. A long line may lose several pieces; it counts once.
      this.dropped += batch.lineEnds + (this.continuing ? 1 : 0) - (this.lineCounted ? 1 : 0);
      this.lineCounted = this.continuing;
    }
  }

  private tellDropped(): void {
    const notice = stampedWorkerLine(`${this.dropped} lines dropped: the log could not be written`, this.settings.stamp);
    // The lost bytes may have held the end of a line whose start is in the file: not after that.
    const cut = this.size > 0 && this.lastByte() !== 0x0a;
    this.writeAll(Buffer.from(cut ? `\n${notice}` : notice));
    this.dropped = 0;
  }

  private lastByte(): number {
    const byte = Buffer.alloc(1);
    readSync(this.fd, byte, 0, 1, this.size - 1);
    return byte[0];
  }

  /** `size` follows every byte written, also when a later write of the same data fails. */
  private writeAll(data: Buffer): void {
    for (let done = 0; done < data.length;) {
      const n = writeSync(this.fd, data, done, data.length - done);
      done += n;
      this.size += n;
    }
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
    // Readable too: tellDropped looks at the last byte. Should the new one fail its checks, the
    // lines go on into the file just renamed, rather than nowhere.
    const fresh = openCurrent(join(this.dir, 'current'));
    closeSync(this.fd);
    this.fd = fresh;
    this.size = 0;
    for (const old of toPrune(readdirSync(this.dir), this.settings.keep)) {
      const file = join(this.dir, old);
      // Only the files this writer made go: a link or a directory under such a name stays.
      if (lstatSync(file).isFile()) unlinkSync(file);
    }
  }
}

export function logSettingsOf(config: { logSize: number; logKeep: number; logStamp: number }): LogSettings {
  return { size: config.logSize, keep: config.logKeep, stamp: config.logStamp === 1 };
}
