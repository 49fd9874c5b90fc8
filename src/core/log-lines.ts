// Whole lines out of a byte stream, timestamps, and the rotation arithmetic of the log writer (SPEC 7). Pure.

const NEWLINE = 0x0a;

/**
 * Cuts a stream into whole lines (each ending in "\n"). A partial line waits for its end;
 * one that grows past `maxPartial` bytes is let out whole as it is, so memory stays bounded.
 */
export class LineSplitter {
  private partial: Buffer[] = [];
  private partialLength = 0;

  constructor(private readonly maxPartial: number) {}

  push(chunk: Buffer): Buffer[] {
    const lines: Buffer[] = [];
    let start = 0;
    for (let nl = chunk.indexOf(NEWLINE); nl >= 0; nl = chunk.indexOf(NEWLINE, start)) {
      const piece = chunk.subarray(start, nl + 1);
      lines.push(this.partialLength ? Buffer.concat([...this.partial, piece]) : piece);
      this.partial = [];
      this.partialLength = 0;
      start = nl + 1;
    }
    if (start < chunk.length) {
      this.partial.push(chunk.subarray(start));
      this.partialLength += chunk.length - start;
      if (this.partialLength >= this.maxPartial) lines.push(...this.flush());
    }
    return lines;
  }

  /** The partial line, completed with a newline; [] when there is none. */
  flush(): Buffer[] {
    const partial = this.takePartial();
    return partial ? [Buffer.concat([partial, Buffer.from('\n')])] : [];
  }

  /** The partial line as it is, for a writer that hands it on to the next one to complete. */
  takePartial(): Buffer | undefined {
    if (this.partialLength === 0) return undefined;
    const partial = Buffer.concat(this.partial);
    this.partial = [];
    this.partialLength = 0;
    return partial;
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
