// Reading a service's log from its end: which files hold it, where its last lines begin, what a follower may print (SPEC 7). Pure.
import { fail, ok, type Result } from './result.js';

export const DEFAULT_LINES = 10;

const NEWLINE = 0x0a;



/** The value of `-n`, as yargs hands it over: text (the option is typed string, so that `-n ''` or `-n x` is not read as 0 or NaN), the last one when given twice. */
export function parseLineCount(value: unknown): Result<number> {
  if (value === undefined) return ok(DEFAULT_LINES);
  const text = Array.isArray(value) ? value[value.length - 1] : value;
  if (typeof text === 'string' && /^\d+$/.test(text) && Number.isSafeInteger(Number(text))) return ok(Number(text));
  return fail(`log: -n wants a whole number of lines, not "${String(text)}"`);
}

/**
 * One step of a scan backwards through a file: the index in `block` of the `wanted`-th newline
 * counted from the block's end, or how many newlines the block holds when it holds fewer.
 */
export function nthNewlineFromEnd(block: Uint8Array, wanted: number): { at: number } | { count: number } {
  let count = 0;
  for (let i = block.length - 1; i >= 0; i--) {
    if (block[i] !== NEWLINE) continue;
    if (++count === wanted) return { at: i };
  }
  return { count };
}

/**
 * What a follower may print of the bytes it has read: everything up to the last newline. The
 * rest, a line still being written, waits for its newline; one that grows past `maxHeld` bytes
 * goes out as it is, so that memory stays bounded (its bytes still come out once and in order).
 */
export class LineGate {
  private held: Uint8Array[] = [];
  private heldLength = 0;
  /** The last byte let out was not a newline: a runaway line is half printed. */
  private open = false;

  constructor(private readonly maxHeld: number) {}

  push(chunk: Uint8Array): Uint8Array[] {
    if (chunk.length === 0) return [];
    const last = chunk.lastIndexOf(NEWLINE);
    if (last < 0) {
      this.hold(chunk);
      return this.heldLength > this.maxHeld ? this.release(false) : [];
    }
    const out = [...this.release(false), chunk.subarray(0, last + 1)];
    this.open = false;
    if (last + 1 < chunk.length) this.hold(chunk.subarray(last + 1));
    return out;
  }

  /** The end of a file that nobody writes to any more: its last line, completed with a newline. */
  finish(): Uint8Array[] {
    return this.heldLength > 0 || this.open ? this.release(true) : [];
  }

  /** The file was truncated: what was held is gone from it and is never printed. */
  reset(): void {
    this.held = [];
    this.heldLength = 0;
  }

  private hold(bytes: Uint8Array): void {
    // A copy: a few bytes held must not keep the reader's whole block alive.
    this.held.push(new Uint8Array(bytes));
    this.heldLength += bytes.length;
  }

  private release(complete: boolean): Uint8Array[] {
    const out = this.held;
    if (this.heldLength > 0) this.open = true;
    this.held = [];
    this.heldLength = 0;
    if (complete) {
      out.push(Uint8Array.of(NEWLINE));
      this.open = false;
    }
    return out;
  }
}
