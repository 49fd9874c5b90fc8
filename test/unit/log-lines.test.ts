// Whole lines, stamps and rotation arithmetic of the log writer (SPEC 7).
import { describe, expect, it } from 'vitest';
import { LineSplitter, mustRotate, rotatedName, rotatedOldestFirst, stampOf, toPrune, ROTATED } from '../../src/core/log-lines.js';
import { loggerRestartDelay } from '../../src/core/logger-policy.js';

const text = (lines: Buffer[]): string[] => lines.map((l) => l.toString());

describe('LineSplitter', () => {
  it('cuts chunks into whole lines, holding a partial one until its end comes', () => {
    const s = new LineSplitter(1024);
    expect(text(s.push(Buffer.from('a\nb')))).toEqual(['a\n']);
    expect(text(s.push(Buffer.from('c')))).toEqual([]);
    expect(text(s.push(Buffer.from('d\ne\n')))).toEqual(['bcd\n', 'e\n']);
    expect(s.flush()).toEqual([]);
  });

  it('completes a last line without newline on flush, once', () => {
    const s = new LineSplitter(1024);
    s.push(Buffer.from('tail'));
    expect(text(s.flush())).toEqual(['tail\n']);
    expect(s.flush()).toEqual([]);
  });

  it('hands a partial line on as it is, for the next writer to complete', () => {
    const s = new LineSplitter(1024);
    s.push(Buffer.from('x\nhalf'));
    expect(s.takePartial()?.toString()).toBe('half');
    expect(s.takePartial()).toBeUndefined();
  });

  it('lets a partial line out whole once it reaches the bound, so memory stays bounded', () => {
    const s = new LineSplitter(8);
    expect(text(s.push(Buffer.from('1234')))).toEqual([]);
    expect(text(s.push(Buffer.from('56789')))).toEqual(['123456789\n']);
  });

  it('keeps empty lines and bytes that are not UTF-8', () => {
    const s = new LineSplitter(64);
    const lines = s.push(Buffer.from([0x0a, 0xff, 0xfe, 0x0a]));
    expect(lines.map((l) => [...l])).toEqual([[0x0a], [0xff, 0xfe, 0x0a]]);
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
