// Lines in pieces, where they go, stamps and rotation arithmetic of the log writer (SPEC 7).
import { describe, expect, it } from 'vitest';
import {
  endsLine, heldBound, LineSplitter, MAX_HELD, mustRotate, placePiece, rotatedName, rotatedOldestFirst, stampOf, toPrune, ROTATED,
  type LogPosition, type Placement,
} from '../../src/core/log-lines.js';
import { loggerRestartDelay } from '../../src/core/logger-policy.js';

const text = (pieces: Buffer[]): string[] => pieces.map((l) => l.toString());

/** What each push gives, then what flush gives. */
function split(bound: number, chunks: string[]): { pushes: string[][]; flush: string[] } {
  const s = new LineSplitter(bound);
  const pushes = chunks.map((chunk) => text(s.push(Buffer.from(chunk))));
  return { pushes, flush: text(s.flush()) };
}

describe('LineSplitter', () => {
  // A piece that does not end in a newline is the start or middle of a line whose rest follows.
  it.each<[string, number, string[], string[][], string[]]>([
    ['whole lines; a partial one is held until its end comes', 1024, ['a\nb', 'c', 'd\ne\n'], [['a\n'], [], ['bcd\n', 'e\n']], []],
    ['a line of the bound, its newline included, comes out whole', 8, ['1234567', '\n'], [[], ['1234567\n']], []],
    ['a held start and its end that fit the bound: one piece', 8, ['1234', '567\n'], [[], ['1234567\n']], []],
    ['a held start whose end takes it past the bound: two pieces', 8, ['1234', '56789\n'], [[], ['1234', '56789\n']], []],
    ['a partial line that reaches the bound comes out as it is', 8, ['1234', '5678', '9\n'], [[], ['1234', '5678'], ['9\n']], []],
    ['the rest of a long line is held no more', 8, ['123456789', 'ab', 'c\nd\n'], [['123456789'], ['ab'], ['c\n', 'd\n']], []],
    ['a long line within one chunk still starts with a piece that does not end it', 4, ['123456\nab\n'], [['123456', '\n', 'ab\n']], []],
    ['flush completes a long line with a newline alone', 4, ['12', '3456'], [[], ['12', '3456']], ['\n']],
    ['flush completes a held partial line', 1024, ['x\ntail'], [['x\n']], ['tail\n']],
    ['nothing to flush after a whole line', 1024, ['x\n'], [['x\n']], []],
  ])('%s', (_, bound, chunks, pushes, flush) => {
    expect(split(bound, chunks)).toEqual({ pushes, flush });
  });

  it('flush gives the last line once', () => {
    const s = new LineSplitter(4);
    s.push(Buffer.from('123456'));
    expect(text(s.flush())).toEqual(['\n']);
    expect(s.flush()).toEqual([]);
  });

  it('holds no more than the bound of a line fed a byte at a time, and lets every byte out in order', () => {
    const s = new LineSplitter(1024);
    const out: Buffer[] = [];
    let firstOut = 0;
    for (let i = 1; i <= 100_000; i++) {
      const pieces = s.push(Buffer.from('x'));
      if (pieces.length && !firstOut) firstOut = i;
      out.push(...pieces);
    }
    out.push(...s.push(Buffer.from('\n')));
    expect(firstOut).toBe(1024);
    expect(Buffer.concat(out).toString()).toBe(`${'x'.repeat(100_000)}\n`);
    expect(out.slice(0, -1).every((piece) => !endsLine(piece))).toBe(true);
    expect(endsLine(out.at(-1)!)).toBe(true);
  });

  it('hands a held partial line on as it is, for the next writer to complete', () => {
    const s = new LineSplitter(1024);
    s.push(Buffer.from('x\nhalf'));
    expect(s.takePartial()?.toString()).toBe('half');
    expect(s.takePartial()).toBeUndefined();
  });

  it('holds nothing of a long line it hands on: that line is in the file already; the next one starts afresh', () => {
    const s = new LineSplitter(4);
    expect(text(s.push(Buffer.from('123456')))).toEqual(['123456']);
    expect(s.takePartial()).toBeUndefined();
    expect(text(s.push(Buffer.from('ab\n')))).toEqual(['ab\n']);
    expect(s.flush()).toEqual([]);
  });

  it('a new bound holds the next lines to it', () => {
    const s = new LineSplitter(4);
    s.setBound(16);
    expect(text(s.push(Buffer.from('123456\n')))).toEqual(['123456\n']);
  });

  it('keeps empty lines and bytes that are not UTF-8', () => {
    const s = new LineSplitter(64);
    const lines = s.push(Buffer.from([0x0a, 0xff, 0xfe, 0x0a]));
    expect(lines.map((l) => [...l])).toEqual([[0x0a], [0xff, 0xfe, 0x0a]]);
  });

  it('holds at most config_log_size, and never more than 1 MiB', () => {
    expect(heldBound(1024)).toBe(1024);
    expect(heldBound(1 << 20)).toBe(MAX_HELD);
    expect(heldBound(2 ** 40)).toBe(1 << 20);
  });
});

describe('placePiece', () => {
  const line = (n: number): Buffer => Buffer.from(`${'a'.repeat(n - 1)}\n`);
  const open = (n: number): Buffer => Buffer.from('x'.repeat(n));
  it.each<[string, LogPosition, Buffer, number, number, Placement]>([
    ['a whole line that fits', { size: 1000, inLine: false }, line(24), 1024, 0, { rotate: false, stamp: false }],
    ['a whole line that would take current past the limit', { size: 1000, inLine: false }, line(25), 1024, 0, { rotate: true, stamp: false }],
    ['the stamp counts in the length', { size: 1000, inLine: false }, line(2), 1024, 25, { rotate: true, stamp: true }],
    ['a stamp before the start of a line', { size: 0, inLine: false }, line(2), 1024, 25, { rotate: false, stamp: true }],
    ['a line longer than the limit, in an empty current', { size: 0, inLine: false }, line(5000), 1024, 0, { rotate: false, stamp: false }],
    ['a long line starts a new file when current is not empty', { size: 1, inLine: false }, open(3), 1 << 30, 25, { rotate: true, stamp: true }],
    ['a long line in an empty current', { size: 0, inLine: false }, open(3), 1024, 25, { rotate: false, stamp: true }],
    ['the rest of a line: no new file, no stamp', { size: 5000, inLine: true }, line(3), 1024, 25, { rotate: false, stamp: false }],
    ['the middle of a line: no new file, no stamp', { size: 5000, inLine: true }, open(3), 1024, 25, { rotate: false, stamp: false }],
    ['after a long line past the limit, a new file', { size: 5000, inLine: false }, line(2), 1024, 0, { rotate: true, stamp: false }],
    ['after a long line within the limit, the same file', { size: 2 << 20, inLine: false }, line(2), 8 << 20, 0, { rotate: false, stamp: false }],
  ])('%s', (_, at, piece, limit, stampLength, placement) => {
    expect(placePiece(at, piece, limit, stampLength)).toEqual(placement);
  });

  /** The files a writer makes of these chunks, with `S ` for a stamp: splitter and placement together. */
  function files(chunks: string[], bound: number, limit: number): string[] {
    const s = new LineSplitter(bound);
    const out = [''];
    let inLine = false;
    for (const piece of [...chunks.flatMap((c) => s.push(Buffer.from(c))), ...s.flush()]) {
      const place = placePiece({ size: out.at(-1)!.length, inLine }, piece, limit, 2);
      if (place.rotate) out.push('');
      out[out.length - 1] += (place.stamp ? 'S ' : '') + piece.toString();
      inLine = !endsLine(piece);
    }
    return out;
  }

  const chunked = (text: string, size: number): string[] => text.match(new RegExp(`[^]{1,${size}}`, 'g'))!;
  const x40 = 'x'.repeat(40);

  it.each<[string, string, number, number, string[]]>([
    ['a line longer than the limit is alone in its file, stamped once', `a\nbb\n${x40}\nc\n`, 8, 16, ['S a\nS bb\n', `S ${x40}\n`, 'S c\n']],
    ['a line longer than the bound within the limit starts a file', `a\n${x40}\nc\n`, 8, 64, ['S a\n', `S ${x40}\nS c\n`]],
    ['a long line at the very start needs no new file', `${x40}\nc\n`, 8, 16, [`S ${x40}\n`, 'S c\n']],
    ['a long last line without its newline is completed', `a\n${x40}`, 8, 64, ['S a\n', `S ${x40}\n`]],
  ])('%s', (_, input, bound, limit, expected) => {
    for (const size of [1, 3, 5, 64]) expect(files(chunked(input, size), bound, limit), `chunks of ${size}`).toEqual(expected);
  });
});

describe('rotation', () => {
  it('names sort by time and say UTC to the microsecond slot', () => {
    const a = rotatedName(Date.UTC(2026, 10, 22, 4, 30, 12, 123));
    expect(a).toBe('20261122T043012.123000Z.log');
    expect(rotatedName(Date.UTC(2026, 10, 22, 4, 30, 12, 123), 7)).toBe('20261122T043012.123007Z.log');
    expect(ROTATED.test(a)).toBe(true);
    const later = rotatedName(Date.UTC(2027, 0, 1, 0, 0, 0, 0));
    expect([later, a].sort()).toEqual([a, later]);
  });

  it('a line goes to a new file when it would take a non-empty current past the limit', () => {
    expect(mustRotate(0, 5000, 1024)).toBe(false); // a long line alone in an empty file
    expect(mustRotate(1000, 24, 1024)).toBe(false);
    expect(mustRotate(1000, 25, 1024)).toBe(true);
  });

  it('prunes the oldest rotated files and nothing else', () => {
    const names = ['current', 'logger.log', '20261122T000003.000000Z.log', '20261122T000001.000000Z.log', '20261122T000002.000000Z.log'];
    expect(rotatedOldestFirst(names)).toEqual(['20261122T000001.000000Z.log', '20261122T000002.000000Z.log', '20261122T000003.000000Z.log']);
    expect(toPrune(names, 2)).toEqual(['20261122T000001.000000Z.log']);
    expect(toPrune(names, 0)).toHaveLength(3);
    expect(toPrune(names, 10)).toEqual([]);
  });

  it('stamps are ISO-8601 UTC with milliseconds and a space', () => {
    expect(stampOf(Date.UTC(2026, 10, 22, 4, 30, 12, 5))).toBe('2026-11-22T04:30:12.005Z ');
  });
});

describe('a dead logger is started again', () => {
  it.each([[0, 1000], [300, 700], [1000, 0], [60_000, 0]])('after a run of %i ms, in %i ms', (ran, delay) => {
    expect(loggerRestartDelay(ran)).toBe(delay);
  });
});
