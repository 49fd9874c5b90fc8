// Lines out of a byte stream, in pieces when they are too long to hold; timestamps; the rotation arithmetic of the log writer (SPEC 7). Pure.

const NEWLINE = 0x0a;

/** A writer holds at most this much of one line, whatever config_log_size says (SPEC 7). */
export const MAX_HELD = 1 << 20;

/** How much of a line a writer with this config_log_size holds before it writes the line as it comes. */
export function heldBound(logSize: number): number {
  return Math.min(logSize, MAX_HELD);
}

/**
 * A piece ends its line when it ends with a newline. Any other piece is the start or the middle
 * of a line whose rest is still to come; pieces never hold a newline except at their end.
 */
export function endsLine(piece: Buffer): boolean {
  return piece.length > 0 && piece[piece.length - 1] === NEWLINE;
}

/**
 * Cuts a stream into pieces of lines. A line of at most `bound` bytes (its newline included) comes
 * out whole, as one piece; until its end comes it is held. A longer line is never held whole: it
 * comes out as it arrives, a first piece that does not end it, then the rest, so that memory stays
 * bounded whatever the service prints. Pieces may share memory with the chunk they came from.
 */
export class LineSplitter {
  /** The held start of a line: its own copy, so that it keeps no chunk alive. */
  private held = Buffer.alloc(0);
  private heldLength = 0;
  /** Pieces of the current line have come out: the rest of it follows as it comes, held no more. */
  private streaming = false;

  constructor(private bound: number) {}

  /** A new config_log_size: lines from now on are held up to the new bound. */
  setBound(bound: number): void {
    this.bound = bound;
  }

  push(chunk: Buffer): Buffer[] {
    const pieces: Buffer[] = [];
    let start = 0;
    for (let nl = chunk.indexOf(NEWLINE); nl >= 0; nl = chunk.indexOf(NEWLINE, start)) {
      this.end(chunk.subarray(start, nl + 1), pieces);
      start = nl + 1;
    }
    if (start < chunk.length) this.extend(chunk.subarray(start), pieces);
    return pieces;
  }

  /** The line being read, completed with a newline; [] when there is none. */
  flush(): Buffer[] {
    if (this.streaming) {
      this.streaming = false;
      return [Buffer.from('\n')];
    }
    const partial = this.takePartial();
    return partial ? [Buffer.concat([partial, Buffer.from('\n')])] : [];
  }

  /**
   * The held start of a line as it is, for a writer that hands the line on to the next one to
   * complete. A line that came out in pieces has nothing held: its start is in the file already.
   */
  takePartial(): Buffer | undefined {
    this.streaming = false;
    if (this.heldLength === 0) return undefined;
    return this.release();
  }

  /** `tail` ends the current line. */
  private end(tail: Buffer, pieces: Buffer[]): void {
    if (this.streaming) {
      pieces.push(tail);
    } else if (this.heldLength + tail.length <= this.bound) {
      pieces.push(this.heldLength ? Buffer.concat([this.release(), tail]) : tail);
    } else if (this.heldLength) {
      pieces.push(this.release(), tail);
    } else {
      // Too long, though it came in one chunk: it still comes out as a long line does, in two pieces.
      pieces.push(tail.subarray(0, tail.length - 1), tail.subarray(tail.length - 1));
    }
    this.streaming = false;
  }

  /** `part` continues the current line, whose end has not come. */
  private extend(part: Buffer, pieces: Buffer[]): void {
    if (this.streaming) {
      pieces.push(part);
    } else if (this.heldLength + part.length < this.bound) {
      this.hold(part);
    } else {
      // Its end, when it comes, takes the line past the bound: no use holding any of it.
      if (this.heldLength) pieces.push(this.release());
      pieces.push(part);
      this.streaming = true;
    }
  }

  private hold(part: Buffer): void {
    const needed = this.heldLength + part.length;
    if (needed > this.held.length) {
      // Grown by doubling, never past the bound: a line read a byte at a time costs no buffer per byte.
      const grown = Buffer.allocUnsafe(Math.min(this.bound, Math.max(needed, 2 * this.held.length, 256)));
      this.held.copy(grown, 0, 0, this.heldLength);
      this.held = grown;
    }
    part.copy(this.held, this.heldLength);
    this.heldLength = needed;
  }

  /** The held bytes, handed out: the next line is held in a buffer of its own. */
  private release(): Buffer {
    const bytes = this.held.subarray(0, this.heldLength);
    this.held = Buffer.alloc(0);
    this.heldLength = 0;
    return bytes;
  }
}

/** `2026-11-22T04:30:12.123Z ` */
export function stampOf(ms: number): string {
  return `${new Date(ms).toISOString()} `;
}

/** `20261122T043012.123000Z.log`: sorts by time; `seq` tells apart rotations within one millisecond. */
export function rotatedName(ms: number, seq = 0): string {
  const iso = new Date(ms).toISOString(); // 2026-11-22T04:30:12.123Z
  const micro = String(seq).padStart(3, '0').slice(-3);
  return `${iso.slice(0, 10).replace(/-/g, '')}T${iso.slice(11, 19).replace(/:/g, '')}.${iso.slice(20, 23)}${micro}Z.log`;
}

/** A rotated file's name; other files of a log's directory (logger.log) are no part of the log. */
export const ROTATED = /^\d{8}T\d{6}\.\d{6}Z\.log$/;

/** The rotated files among a log directory's entries, oldest first: their names sort by time. */
export function rotatedOldestFirst(names: readonly string[]): string[] {
  return names.filter((name) => ROTATED.test(name)).sort();
}

/** Rotated files to delete so that `keep` remain, oldest first. */
export function toPrune(names: readonly string[], keep: number): string[] {
  const rotated = rotatedOldestFirst(names);
  return rotated.slice(0, Math.max(0, rotated.length - keep));
}

/** A line goes to a fresh file when it would take a non-empty `current` past the limit. */
export function mustRotate(currentSize: number, lineLength: number, limit: number): boolean {
  return currentSize > 0 && currentSize + lineLength > limit;
}

/** Where a log writer stands: the bytes in `current`, and whether they end inside a line. */
export interface LogPosition {
  size: number;
  inLine: boolean;
}

/** What goes into the file before a piece: a new `current` first, a stamp. */
export interface Placement {
  rotate: boolean;
  stamp: boolean;
}

/**
 * Where a piece goes (SPEC 7). The rest of a line follows its start: no new file, no stamp.
 * A whole line goes to a new file when it would take a non-empty `current` past the limit. The
 * start of a line too long to hold goes to a new file whenever `current` is not empty, since its
 * length is not known yet; the line after it meets the first rule, so one longer than the limit
 * is alone in its file.
 */
export function placePiece(at: LogPosition, piece: Buffer, limit: number, stampLength: number): Placement {
  if (at.inLine) return { rotate: false, stamp: false };
  const rotate = endsLine(piece) ? mustRotate(at.size, stampLength + piece.length, limit) : at.size > 0;
  return { rotate, stamp: stampLength > 0 };
}
