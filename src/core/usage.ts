// What each service's process group costs: CPU ticks and resident memory summed over the group, the CPU share since a sample, and how the panel shows both (SPEC 15.1). Pure.

/** USER_HZ: 100 on every Linux platform Node runs on (and `ps` time is turned into it). */
export const TICKS_PER_SECOND = 100;

/** One process as /proc/PID/stat (or `ps`) tells it. */
export interface ProcessUsage {
  pid: number;
  pgid: number;
  /** Its own CPU ticks and those of the children it reaped. */
  ticks: number;
  rssBytes: number;
}

/** A process group's sum over its live processes. */
export interface GroupUsage {
  ticks: number;
  rssBytes: number;
  processes: number;
}

/**
 * A /proc/PID/stat line: undefined for a zombie (it holds no memory and will be reaped) or a line
 * that is not one. The command name may hold spaces and parentheses: the fields start after the
 * last `)`.
 */
export function parseProcStat(text: string, pageSize: number): ProcessUsage | undefined {
  const close = text.lastIndexOf(')');
  const pid = Number.parseInt(text, 10);
  if (close < 0 || !Number.isInteger(pid)) return undefined;
  // Field 3 (state) is index 0: pgrp is 5, utime..cstime 14..17, rss 24.
  const fields = text.slice(close + 2).trim().split(' ');
  if (fields.length < 22 || fields[0] === 'Z' || fields[0] === 'X') return undefined;
  const [pgid, utime, stime, cutime, cstime, rss] = [2, 11, 12, 13, 14, 21].map((i) => Number(fields[i]));
  if (![pgid, utime, stime, cutime, cstime, rss].every(Number.isFinite)) return undefined;
  return { pid, pgid, ticks: utime + stime + cutime + cstime, rssBytes: rss * pageSize };
}

/** `[[DD-]HH:]MM:SS` of procps's `ps -o time=`, or `M:SS.ss` of the BSDs' and macOS's, in ticks. */
function psTicks(time: string): number {
  const [days, clock] = time.includes('-') ? time.split('-') : ['0', time];
  const seconds = clock.split(':').reduce((sum, part) => sum * 60 + Number(part), 0) + Number(days) * 86400;
  return Math.round(seconds * TICKS_PER_SECOND);
}

/** The lines of `ps -A -o pid=,pgid=,rss=,time=` (rss in KiB). */
export function parsePsUsage(text: string): ProcessUsage[] {
  return text.split('\n').flatMap((line) => {
    const match = /^\s*(\d+)\s+(\d+)\s+(\d+)\s+([\d:.-]+)\s*$/.exec(line);
    if (!match) return [];
    const ticks = psTicks(match[4]);
    return Number.isFinite(ticks) ? [{ pid: Number(match[1]), pgid: Number(match[2]), rssBytes: Number(match[3]) * 1024, ticks }] : [];
  });
}

export function groupUsage(processes: Iterable<ProcessUsage>): Map<number, GroupUsage> {
  const groups = new Map<number, GroupUsage>();
  for (const p of processes) {
    const group = groups.get(p.pgid) ?? { ticks: 0, rssBytes: 0, processes: 0 };
    groups.set(p.pgid, { ticks: group.ticks + p.ticks, rssBytes: group.rssBytes + p.rssBytes, processes: group.processes + 1 });
  }
  return groups;
}

/** What a status saw of a run: its group's ticks at a moment (epoch milliseconds). */
export interface RunSample {
  start: number;
  ticks: number;
  at: number;
}

/** The last look at each run, by pgid. */
export type UsageSample = Map<number, RunSample>;

const SAMPLE_HEADER = 'reraise usage 2';

export function formatSample(sample: UsageSample): string {
  return [SAMPLE_HEADER, ...[...sample].map(([pgid, run]) => `${pgid} ${run.start} ${run.ticks} ${run.at}`)].join('\n') + '\n';
}

/** An empty sample for a file that is not one: it is then as if there were none. */
export function parseSample(text: string): UsageSample {
  const [first, ...rest] = text.split('\n');
  const sample: UsageSample = new Map();
  if (first !== SAMPLE_HEADER) return sample;
  for (const line of rest) {
    const match = /^(\d+) (\d+) (\d+) (\d+)$/.exec(line);
    if (match) sample.set(Number(match[1]), { start: Number(match[2]), ticks: Number(match[3]), at: Number(match[4]) });
    else if (line !== '') return new Map();
  }
  return sample;
}

/**
 * The sample to keep: what was seen now, and what an earlier look saw of a group that still
 * lives (a status of other services left it alone).
 */
export function nextSample(before: UsageSample, seen: UsageSample, live: ReadonlySet<number>): UsageSample {
  const kept: UsageSample = new Map([...before].filter(([pgid]) => live.has(pgid) && !seen.has(pgid)));
  for (const [pgid, run] of seen) kept.set(pgid, run);
  return kept;
}

/** A run's CPU share of one core (percent), and the epoch second its average starts from. */
export interface CpuShare {
  percent: number;
  since: number;
}

/**
 * Since the earlier look, when it saw this very run (same group, same start) with no more ticks
 * than now; else over the run's life, from `start` (epoch seconds). `now` in epoch milliseconds.
 */
export function cpuShare(ticks: number, start: number, now: number, before: RunSample | undefined): CpuShare {
  if (before && before.start === start && before.ticks <= ticks && before.at < now) {
    return { percent: percentOf(ticks - before.ticks, (now - before.at) / 1000), since: Math.floor(before.at / 1000) };
  }
  return { percent: percentOf(ticks, now / 1000 - start), since: start };
}

function percentOf(ticks: number, seconds: number): number {
  if (seconds <= 0) return 0;
  return Math.round((ticks / TICKS_PER_SECOND / seconds) * 1000) / 10;
}

/** `0.3%` under 10, `12%` from there. */
export function formatCpu(percent: number): string {
  return percent < 10 ? `${percent.toFixed(1)}%` : `${Math.round(percent)}%`;
}

/** `812K`, `12.3M`, `1.2G`: binary units, one decimal under 100. */
export function formatBytes(bytes: number): string {
  const units = ['K', 'M', 'G', 'T'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  if (unit === 0) return `${Math.round(value)}K`;
  return value < 100 ? `${value.toFixed(1)}${units[unit]}` : `${Math.round(value)}${units[unit]}`;
}
