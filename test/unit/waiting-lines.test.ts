// The worker's own lines that wait for the end of a long line: bounded, the oldest dropped and counted (SPEC 7).
import { describe, expect, it } from 'vitest';
import { MAX_WAITING, WaitingLines } from '../../src/core/waiting-lines.js';

describe('WaitingLines', () => {
  const notice = (n: number): string => `${n} lines dropped: too many came while a long line was written`;
  it.each<[string, number, string[], string[]]>([
    ['nothing waits', 3, [], []],
    ['a few wait, in order', 3, ['a', 'b'], ['a', 'b']],
    ['as many as it holds', 3, ['a', 'b', 'c'], ['a', 'b', 'c']],
    ['more: the oldest are dropped, and counted before the rest', 3, ['a', 'b', 'c', 'd', 'e'], [notice(2), 'c', 'd', 'e']],
  ])('%s', (_, max, added, taken) => {
    const waiting = new WaitingLines(max);
    for (const message of added) waiting.add(message);
    expect(waiting.take()).toEqual(taken);
    expect(waiting.take()).toEqual([]);
  });

  it('holds MAX_WAITING by default', () => {
    const waiting = new WaitingLines();
    for (let i = 0; i <= MAX_WAITING; i++) waiting.add(String(i));
    expect(waiting.take()).toEqual([notice(1), ...Array.from({ length: MAX_WAITING }, (_, i) => String(i + 1))]);
  });
});
