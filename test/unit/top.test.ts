// reraise top's pure part: keys, order, selection, safe text, fitting, the frame (SPEC 15.2).
import { describe, expect, it } from 'vitest';
import { plainText } from '../../src/core/terminal-text.js';
import { fitWidth, moveSelection, nextOrder, parseDelay, parseKeys, renderFrame, sortRows, type Frame } from '../../src/core/top.js';

describe('parseKeys', () => {
  it.each([
    ['q', [{ kind: 'quit', soft: true }]],
    ['\x03', [{ kind: 'quit', soft: false }]],
    ['\x1b[A\x1b[A', [{ kind: 'move', by: -1 }, { kind: 'move', by: -1 }]],
    ['\x1bOB', [{ kind: 'move', by: 1 }]],
    ['jk', [{ kind: 'move', by: 1 }, { kind: 'move', by: -1 }]],
    ['\x1b[6~', [{ kind: 'move', by: 10 }]],
    ['o', [{ kind: 'order' }]],
    ['f', [{ kind: 'follow' }]],
    ['\r', [{ kind: 'follow' }]],
    ['r', [{ kind: 'act', verb: 'restart' }]],
    ['x', [{ kind: 'act', verb: 'stop' }]],
    ['u', [{ kind: 'act', verb: 'start' }]],
    // An unknown sequence is skipped whole: its letters are not keys.
    ['\x1b[1;5Cq', [{ kind: 'quit', soft: true }]],
    ['\x1b[24~r', [{ kind: 'act', verb: 'restart' }]],
    ['zZ', []],
    ['\x1b', []],
  ])('%j', (input, expected) => {
    expect(parseKeys(input)).toEqual(expected);
  });
});

describe('order and selection', () => {
  const rows = [{ name: 'web', cpu: 1, rss: 300 }, { name: 'api', cpu: 50, rss: 100 }, { name: 'idle' }, { name: 'db', cpu: 50, rss: 900 }];
  it.each([
    ['name', ['api', 'db', 'idle', 'web']],
    ['cpu', ['api', 'db', 'web', 'idle']],
    ['mem', ['db', 'web', 'api', 'idle']],
  ] as const)('by %s', (order, names) => {
    expect(sortRows(rows, order).map((r) => r.name)).toEqual(names);
  });

  it('o goes name, cpu, mem, name', () => {
    expect([nextOrder('name'), nextOrder('cpu'), nextOrder('mem')]).toEqual(['cpu', 'mem', 'name']);
  });

  it.each([[0, -1, 3, 0], [0, 1, 3, 1], [2, 1, 3, 2], [1, 10, 3, 2], [-1, 1, 3, 0], [0, 1, 0, 0]])('from %i by %i of %i: %i', (at, by, count, expected) => {
    expect(moveSelection(at, by, count)).toBe(expected);
  });
});

describe('text for the screen', () => {
  it.each([
    ['plain', 'plain'],
    ['\x1b]0;owned\x07title', '?]0;owned?title'],
    ['\x1b[2J\x1b[Hclear', '?[2J?[Hclear'],
    ['a\tb', 'a    b'],
    ['\r\x00\x7f\x9b', '????'],
    ['héllo ✓', 'héllo ✓'],
  ])('plainText(%j)', (input, expected) => {
    expect(plainText(input)).toBe(expected);
  });

  it.each([
    ['abcdef', 3, 'abc'],
    ['abc', 10, 'abc'],
    ['\x1b[32mrunning\x1b[0m x', 4, '\x1b[32mrunn\x1b[0m'],
    ['\x1b[32mok\x1b[0m rest', 3, '\x1b[32mok\x1b[0m '],
    ['', 5, ''],
  ])('fitWidth(%j, %i)', (line, width, expected) => {
    expect(fitWidth(line, width)).toBe(expected);
  });
});

describe('renderFrame', () => {
  const frame = (over: Partial<Frame>): Frame => ({
    title: 'reraise top', header: 'NAME STATE', rows: ['a running', 'b running', 'c running'], selected: 0,
    log: [], message: '', help: 'q quit', width: 40, height: 12, ...over,
  });

  it('is as high as the screen and no line is wider', () => {
    for (const height of [5, 8, 12, 30]) {
      const lines = renderFrame(frame({ height, log: Array.from({ length: 50 }, (_, i) => `line ${i} ${'x'.repeat(60)}`) }));
      expect(lines.length).toBeLessThanOrEqual(height);
      for (const line of lines) expect(line.replace(/\x1b\[[0-9;]*m/g, '').length).toBeLessThanOrEqual(40);
    }
  });

  it('puts the keys last, the message above them, the newest log lines that fit under the rule', () => {
    const lines = renderFrame(frame({ message: 'web: restarted', log: ['old', 'mid', 'new'] }));
    expect(lines.at(-1)).toBe('q quit');
    expect(lines.at(-2)).toBe('web: restarted');
    expect(lines.slice(0, 8)).toEqual(['reraise top', 'NAME STATE', `\x1b[7m${'a running'.padEnd(40)}\x1b[0m`, 'b running', 'c running', '─'.repeat(40), 'old', 'mid']);
    expect(lines[8]).toBe('new');
  });

  it('keeps the selection in view when the rows do not fit', () => {
    const rows = Array.from({ length: 20 }, (_, i) => `s${i}`);
    const lines = renderFrame(frame({ rows, selected: 15, height: 10, log: ['x'] }));
    expect(lines.some((l) => l.includes('s15') && l.startsWith('\x1b[7m'))).toBe(true);
    expect(lines.some((l) => l === 's0')).toBe(false);
  });

  it('takes colours off the selected row so that its reverse video reaches the end', () => {
    const lines = renderFrame(frame({ rows: ['a \x1b[32mrunning\x1b[0m'], selected: 0 }));
    expect(lines[2]).toBe(`\x1b[7m${'a running'.padEnd(40)}\x1b[0m`);
  });
});

describe('parseDelay', () => {
  it.each([[undefined, 1000], ['1', 1000], ['0.5', 500], ['2.25', 2250], ['0.1', 100]])('%j is %i ms', (value, ms) => {
    expect(parseDelay(value)).toEqual({ ok: true, ms });
  });
  it.each(['0', '0.05', '-1', 'x', '', ' ', 'Infinity', 'NaN'])('%j is refused', (value) => {
    expect(parseDelay(value)).toMatchObject({ ok: false, message: expect.stringContaining(`(got "${value}")`) });
  });
});
