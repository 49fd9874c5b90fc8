// What a service's process group costs, from /proc and ps text: sums, the CPU share since a sample, the panel's figures (SPEC 15.1).
import { describe, expect, it } from 'vitest';
import {
  cpuShare, formatBytes, formatCpu, formatSample, groupUsage, nextSample, parseProcStat, parsePsUsage, parseSample, type UsageSample,
} from '../../src/core/usage.js';

/** A /proc/PID/stat line: utime 14, stime 15, cutime 16, cstime 17, rss 24 (pages). */
const stat = (pid: number, comm: string, state: string, pgid: number, [ut, st, cut, cst]: number[], rss: number): string =>
  `${pid} (${comm}) ${state} 1 ${pgid} ${pgid} 0 -1 4194560 100 0 0 0 ${ut} ${st} ${cut} ${cst} 20 0 1 0 12345 10000000 ${rss} 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0`;

describe('parseProcStat', () => {
  it.each<[string, string, ReturnType<typeof parseProcStat>]>([
    ['a plain line', stat(42, 'node', 'S', 42, [10, 5, 2, 1], 100), { pid: 42, pgid: 42, ticks: 18, rssBytes: 409_600 }],
    ['a name with spaces and parentheses', stat(43, 'my (odd) name', 'R', 42, [1, 1, 0, 0], 1), { pid: 43, pgid: 42, ticks: 2, rssBytes: 4096 }],
    ['a zombie: no memory, reaped soon', stat(44, 'sh', 'Z', 42, [1, 1, 0, 0], 0), undefined],
    ['a dead one', stat(45, 'sh', 'X', 42, [1, 1, 0, 0], 0), undefined],
    ['a line cut short', '46 (sh) S 1 46', undefined],
    ['not a line at all', 'garbage', undefined],
  ])('%s', (_, text, usage) => {
    expect(parseProcStat(text, 4096)).toEqual(usage);
  });

  it('counts pages of the size given', () => {
    expect(parseProcStat(stat(42, 'x', 'S', 42, [0, 0, 0, 0], 3), 65536)?.rssBytes).toBe(3 * 65536);
  });
});

describe('parsePsUsage', () => {
  it('reads pid, pgid, rss in KiB and cumulative time in each of ps\'s forms', () => {
    expect(parsePsUsage('  101   101  2048 00:00:03\n  102   101   512 01:02:03\n  103 103 1 2-00:00:00\nnot a line\n')).toEqual([
      { pid: 101, pgid: 101, rssBytes: 2048 * 1024, ticks: 300 },
      { pid: 102, pgid: 101, rssBytes: 512 * 1024, ticks: 372_300 },
      { pid: 103, pgid: 103, rssBytes: 1024, ticks: 2 * 86400 * 100 },
    ]);
  });

  it.each([
    ['0:00.03', 3],
    ['1:02.50', 6250],
    ['12:00.00', 72_000],
  ])('reads the BSD and macOS form %s', (time, ticks) => {
    expect(parsePsUsage(`  7 7 100 ${time}\n`)).toEqual([{ pid: 7, pgid: 7, rssBytes: 102_400, ticks }]);
  });
});

describe('groupUsage', () => {
  it('sums each group over its processes', () => {
    const groups = groupUsage([
      { pid: 1, pgid: 1, ticks: 5, rssBytes: 100 }, { pid: 2, pgid: 1, ticks: 7, rssBytes: 50 }, { pid: 3, pgid: 3, ticks: 1, rssBytes: 10 },
    ]);
    expect(groups).toEqual(new Map([[1, { ticks: 12, rssBytes: 150, processes: 2 }], [3, { ticks: 1, rssBytes: 10, processes: 1 }]]));
  });
});

describe('the sample', () => {
  const sample: UsageSample = new Map([[42, { start: 1_700_000_000, ticks: 500, at: 1_700_000_100_000 }], [7, { start: 1_700_000_050, ticks: 0, at: 1_700_000_100_000 }]]);

  it('is written and read back whole', () => {
    expect(parseSample(formatSample(sample))).toEqual(sample);
    expect(parseSample(formatSample(new Map()))).toEqual(new Map());
  });

  it.each([
    ['another format', 'reraise usage 1 1700000100000\n42 1700000000 500\n'],
    ['a line that is not one', 'reraise usage 2\n42 1700000000 500 1\nrubbish\n'],
    ['empty', ''],
  ])('%s: as if there were none', (_, text) => {
    expect(parseSample(text)).toEqual(new Map());
  });

  it('keeps what was seen now, and of the rest only the groups that still live', () => {
    const before: UsageSample = new Map([[1, { start: 1, ticks: 1, at: 1 }], [2, { start: 2, ticks: 2, at: 2 }], [3, { start: 3, ticks: 3, at: 3 }]]);
    const seen: UsageSample = new Map([[1, { start: 1, ticks: 9, at: 9 }]]);
    expect(nextSample(before, seen, new Set([1, 2]))).toEqual(new Map([[2, { start: 2, ticks: 2, at: 2 }], [1, { start: 1, ticks: 9, at: 9 }]]));
  });
});

describe('cpuShare', () => {
  const START = 1_700_000_000;
  const NOW = (START + 100) * 1000;
  it.each<[string, number, Parameters<typeof cpuShare>[3], { percent: number; since: number }]>([
    ['no earlier look: over the run\'s life', 2500, undefined, { percent: 25, since: START }],
    ['since the earlier look at the same run', 2500, { start: START, ticks: 2000, at: NOW - 10_000 }, { percent: 50, since: START + 90 }],
    ['on several cores, more than 100%', 5000, { start: START, ticks: 3000, at: NOW - 10_000 }, { percent: 200, since: START + 90 }],
    ['an earlier look at another run of that pgid (a reused pid): over the life', 2500, { start: START - 5, ticks: 10, at: NOW - 10_000 }, { percent: 25, since: START }],
    ['fewer ticks than before (not the same run after all): over the life', 100, { start: START, ticks: 2000, at: NOW - 10_000 }, { percent: 1, since: START }],
    ['an earlier look from the future (a clock set back): over the life', 2500, { start: START, ticks: 2000, at: NOW + 1 }, { percent: 25, since: START }],
    ['a run that started this very moment', 0, undefined, { percent: 0, since: START + 100 }],
  ])('%s', (_, ticks, before, share) => {
    const start = share.since === START + 100 ? START + 100 : START;
    expect(cpuShare(ticks, start, NOW, before)).toEqual(share);
  });
});

describe('the figures of the panel', () => {
  it.each([[0, '0.0%'], [0.34, '0.3%'], [9.94, '9.9%'], [12.4, '12%'], [250, '250%']])('CPU %s: %s', (percent, shown) => {
    expect(formatCpu(percent)).toBe(shown);
  });
  it.each([[0, '0K'], [812 * 1024, '812K'], [1023 * 1024, '1023K'], [1024 * 1024, '1.0M'], [12.3 * 1024 * 1024, '12.3M'],
    [512 * 1024 * 1024, '512M'], [1.2 * 1024 ** 3, '1.2G']])('MEM %s bytes: %s', (bytes, shown) => {
    expect(formatBytes(bytes)).toBe(shown);
  });
});
