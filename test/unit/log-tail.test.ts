// Reading a log from its end: rotated names, -n values, the backwards newline scan, what a follower may print (SPEC 7).
import { describe, expect, it } from 'vitest';
import { rotatedOldestFirst } from '../../src/core/log-lines.js';
import { LineGate, nthNewlineFromEnd, parseLineCount } from '../../src/core/log-tail.js';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const text = (pieces: readonly Uint8Array[]): string => pieces.map((p) => new TextDecoder().decode(p)).join('');

describe('rotatedOldestFirst', () => {
  it('keeps only rotated names, sorted by time', () => {
    expect(rotatedOldestFirst([
      'current', 'logger.log', '20260102T000000.000000Z.log', '20251231T235959.999999Z.log',
      '20260101T120000.000001Z.log', '20260101T120000.000000Z.log',
      '20260101T120000Z.log', '20260101T120000.000000Z.log.gz', 'x20260101T120000.000000Z.log', '.20260101T120000.000000Z.log',
    ])).toEqual([
      '20251231T235959.999999Z.log', '20260101T120000.000000Z.log', '20260101T120000.000001Z.log', '20260102T000000.000000Z.log',
    ]);
  });

  it('is empty for a directory without rotated files', () => {
    expect(rotatedOldestFirst([])).toEqual([]);
    expect(rotatedOldestFirst(['current'])).toEqual([]);
  });
});

describe('parseLineCount (-n)', () => {
  it.each([
    [undefined, 10], ['0', 0], ['5', 5], ['007', 7], ['123456789', 123456789], [['3', '4'], 4],
  ])('%j is %j', (value, lines) => {
    expect(parseLineCount(value)).toEqual({ ok: true, value: lines });
  });

  it.each([[''], ['abc'], ['-1'], ['1.5'], ['1e2'], [' 5'], ['5x'], ['0x10'], ['99999999999999999999'], [5], [true]])('%j is refused', (value) => {
    const result = parseLineCount(value);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message).toMatch(/-n .*whole number/);
  });
});

describe('nthNewlineFromEnd', () => {
  it.each([
    ['a\nb\nc', 1, { at: 3 }],
    ['a\nb\nc', 2, { at: 1 }],
    ['a\nb\nc', 3, { count: 2 }],
    ['a\nb\n', 1, { at: 3 }],
    ['\n\n', 2, { at: 0 }],
    ['abc', 1, { count: 0 }],
    ['', 1, { count: 0 }],
  ])('%j, newline %j from the end: %j', (block, wanted, expected) => {
    expect(nthNewlineFromEnd(bytes(block), wanted)).toEqual(expected);
  });
});

describe('LineGate', () => {
  it('lets out whole lines and holds a partial one until its newline', () => {
    const gate = new LineGate(100);
    expect(text(gate.push(bytes('one\ntw')))).toBe('one\n');
    expect(text(gate.push(bytes('o')))).toBe('');
    expect(text(gate.push(bytes('\nthree\n')))).toBe('two\nthree\n');
    expect(gate.finish()).toEqual([]);
  });

  it('completes the last line of a finished file with a newline', () => {
    const gate = new LineGate(100);
    expect(text(gate.push(bytes('a\nlast')))).toBe('a\n');
    expect(text(gate.finish())).toBe('last\n');
    expect(gate.finish()).toEqual([]);
  });

  it('keeps its own copy of what it holds', () => {
    const gate = new LineGate(100);
    const block = bytes('a\nbc');
    gate.push(block);
    block.fill(0x78);
    expect(text(gate.push(bytes('d\n')))).toBe('bcd\n');
  });

  it('lets out a runaway line before its end, every byte once, and completes it at the end of the file', () => {
    const gate = new LineGate(4);
    expect(text(gate.push(bytes('abc')))).toBe('');
    expect(text(gate.push(bytes('def')))).toBe('abcdef');
    expect(text(gate.push(bytes('gh')))).toBe('');
    expect(text(gate.finish())).toBe('gh\n');
    expect(text(gate.push(bytes('abcdef')))).toBe('abcdef');
    expect(text(gate.finish())).toBe('\n');
  });

  it('forgets a held partial line when the file is truncated', () => {
    const gate = new LineGate(100);
    gate.push(bytes('half'));
    gate.reset();
    expect(text(gate.push(bytes('new\n')))).toBe('new\n');
  });
});
