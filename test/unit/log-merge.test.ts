// The lines of many logs: stamps, time order, prefixes, JSON, local time (SPEC 15.3, 15.7).
import { describe, expect, it } from 'vitest';
import { paint, painter, serviceColour } from '../../src/core/colour.js';
import { localStamp, mergeByTime, renderLine, stampTime, timeLines, type LineView, type ServiceLine } from '../../src/core/log-merge.js';

const T0 = Date.parse('2026-11-22T04:30:12.123Z');
const at = (ms: number): string => new Date(T0 + ms).toISOString();
const lines = (service: string, texts: readonly string[], before = -Infinity): ServiceLine[] =>
  timeLines(service, texts.map((t) => Buffer.from(`${t}\n`)), before).lines;
const shown = (merged: readonly ServiceLine[]): string[] => merged.map((l) => `${l.service}:${l.line.toString()}`);
const PLAIN: LineView = { nameWidth: undefined, paint: painter(false), json: false, terminal: false, utcOffsetAt: undefined };

describe('stampTime', () => {
  it.each<[string, number | undefined]>([
    ['2026-11-22T04:30:12.123Z hello', T0],
    ['2026-11-22T04:30:12.123Z ', T0],
    ['2026-11-22T04:30:12.123Z', undefined],
    ['2026-11-22T04:30:12Z hello', undefined],
    [' 2026-11-22T04:30:12.123Z hello', undefined],
    ['2026-13-45T99:99:99.999Z x', undefined],
    ['hello', undefined],
    ['', undefined],
  ])('%j', (line, time) => {
    expect(stampTime(Buffer.from(line))).toBe(time);
  });
});

describe('timeLines', () => {
  it('a line without a stamp sorts with the line before it; the first with the key it is given', () => {
    const timed = timeLines('web', [`${at(0)} a\n`, 'b\n', `${at(5)} c\n`, 'd'].map((t) => Buffer.from(t)), 42);
    expect(timed.lines.map((l) => [l.line.toString(), l.time, l.sortKey])).toEqual([
      [`${at(0)} a`, T0, T0], ['b', undefined, T0], [`${at(5)} c`, T0 + 5, T0 + 5], ['d', undefined, T0 + 5],
    ]);
    expect(timed.sortKey).toBe(T0 + 5);
    expect(timeLines('web', [Buffer.from('x\n')], 42).lines[0].sortKey).toBe(42);
  });
});

describe('mergeByTime', () => {
  it.each<[string, string[][], string[]]>([
    ['interleaves by stamp', [[`${at(0)} a1`, `${at(20)} a2`], [`${at(10)} b1`, `${at(30)} b2`]],
      [`a:${at(0)} a1`, `b:${at(10)} b1`, `a:${at(20)} a2`, `b:${at(30)} b2`]],
    ['equal times keep the order of the logs as given', [[`${at(0)} a1`], [`${at(0)} b1`]], [`a:${at(0)} a1`, `b:${at(0)} b1`]],
    ['an unstamped line stays after the line before it in its own log', [[`${at(0)} a1`, 'a-cont', `${at(30)} a2`], [`${at(10)} b1`]],
      [`a:${at(0)} a1`, 'a:a-cont', `b:${at(10)} b1`, `a:${at(30)} a2`]],
    ['unstamped lines at the start come first', [[`${at(0)} a1`], ['b-old', `${at(10)} b1`]], ['b:b-old', `a:${at(0)} a1`, `b:${at(10)} b1`]],
    ['logs without stamps come one after the other', [['a1', 'a2'], ['b1']], ['a:a1', 'a:a2', 'b:b1']],
    ['a log in its own order is never reordered, even when its stamps go back', [[`${at(20)} a1`, `${at(0)} a2`], [`${at(10)} b1`]],
      [`b:${at(10)} b1`, `a:${at(20)} a1`, `a:${at(0)} a2`]],
    ['nothing', [[], []], []],
  ])('%s', (_, logs, expected) => {
    expect(shown(mergeByTime(logs.map((texts, i) => lines('ab'[i], texts))))).toEqual(expected);
  });
});

describe('renderLine', () => {
  const stamped = lines('web', [`${at(0)} hello`])[0];
  const bare = lines('web', ['hello'])[0];
  it.each<[string, ServiceLine, Partial<LineView>, string]>([
    ['as it is', stamped, {}, `${at(0)} hello\n`],
    ['with its name padded to the width', stamped, { nameWidth: 6 }, `web    | ${at(0)} hello\n`],
    ['a name as long as the width', bare, { nameWidth: 3 }, 'web | hello\n'],
    ['in local time', stamped, { utcOffsetAt: () => 60 }, '2026-11-22T05:30:12.123+01:00 hello\n'],
    ['in local time, with its name', stamped, { nameWidth: 4, utcOffsetAt: () => -330 }, 'web  | 2026-11-21T23:00:12.123-05:30 hello\n'],
    ['an unstamped line in local time is as it is', bare, { utcOffsetAt: () => 60 }, 'hello\n'],
    ['as JSON, stamped', stamped, { json: true }, `{"service":"web","line":"hello","time":"${at(0)}"}\n`],
    ['as JSON, unstamped', bare, { json: true }, '{"service":"web","line":"hello"}\n'],
    ['as JSON in local time', stamped, { json: true, utcOffsetAt: () => 0 }, '{"service":"web","line":"hello","time":"2026-11-22T04:30:12.123+00:00"}\n'],
    ['coloured: the name in its colour, padded after the codes', bare, { nameWidth: 5, paint: painter(true) }, `${paint(serviceColour('web'), 'web')}   | hello\n`],
    ['coloured, without a prefix: as it is', bare, { paint: painter(true) }, 'hello\n'],
    ['coloured, as JSON: never coloured', bare, { json: true, paint: painter(true) }, '{"service":"web","line":"hello"}\n'],
    ['on a terminal: the title a service sets is shown as ?', lines('web', ['\x1b]0;x\x07hi'])[0], { nameWidth: 3, terminal: true }, 'web | ?]0;x?hi\n'],
    ['on a terminal: its colours are kept, and reset', lines('web', ['\x1b[31mred'])[0], { terminal: true }, '\x1b[31mred\x1b[0m\n'],
    ['into a pipe: its bytes as they are', lines('web', ['\x1b]0;x\x07hi'])[0], { nameWidth: 3 }, 'web | \x1b]0;x\x07hi\n'],
    ['as JSON on a terminal: escaped by JSON', lines('web', ['\x1b]0;x\x07'])[0], { json: true, terminal: true }, '{"service":"web","line":"\\u001b]0;x\\u0007"}\n'],
  ])('%s', (_, line, view, expected) => {
    expect(renderLine(line, { ...PLAIN, ...view }).toString()).toBe(expected);
  });

  it('as JSON: quotes, control characters and bytes that are not UTF-8', () => {
    const line = lines('web', ['say "hi"\t\\'])[0];
    expect(JSON.parse(renderLine(line, { ...PLAIN, json: true }).toString())).toEqual({ service: 'web', line: 'say "hi"\t\\' });
    const bad: ServiceLine = { ...line, line: Buffer.from([0x61, 0xff, 0x62]) };
    expect(JSON.parse(renderLine(bad, { ...PLAIN, json: true }).toString()).line).toBe('a\ufffdb');
  });
});

describe('localStamp', () => {
  it.each<[number, number, string]>([
    [T0, 0, '2026-11-22T04:30:12.123+00:00'],
    [T0, 60, '2026-11-22T05:30:12.123+01:00'],
    [T0, 345, '2026-11-22T10:15:12.123+05:45'],
    [T0, -600, '2026-11-21T18:30:12.123-10:00'],
    [Date.parse('2026-12-31T23:59:59.999Z'), 60, '2027-01-01T00:59:59.999+01:00'],
  ])('%i at %i minutes east', (ms, offset, expected) => {
    expect(localStamp(ms, offset)).toBe(expected);
  });
});
