// reraise status [PATTERN...] [--json]: a panel, one line a service, from the service dir and the pid dir (SPEC 6).
import { flagColour, painter, stateColour, type Painter } from '../../core/colour.js';
import { formatDuration, isLive, type ServiceStatus } from '../../core/status.js';
import type { Stored } from '../../io/pid-store.js';
import { prepare, type Context } from '../context.js';
import { inspect, viewPidDir, type Inspection } from '../inspect.js';
import { cpuShare, formatBytes, formatCpu, nextSample, type CpuShare, type GroupUsage, type UsageSample } from '../../core/usage.js';
import { readUsage } from '../../io/proc-usage.js';
import { readUsageSample, writeUsageSample } from '../../io/usage-sample.js';
import { failure, merge, print, type Report } from '../report.js';
import { resolveTargets } from '../targets.js';
import { seeWant } from '../wants.js';

/** The state words of the panel: `grep -E '^web +running'` keeps working. */
const LABELS: Record<ServiceStatus['state'], string> = {
  running: 'running',
  starting: 'starting',
  restarting: 'restarting',
  error: 'ERROR',
  down: 'not running',
  'not-executable': 'not executable',
  stale: 'stale',
  orphaned: 'orphaned',
  unknown: 'unknown',
  waiting: 'waiting',
};

// RESTART, not RESTARTS: with a 20-character name every column at its widest still fits 80.
// CPU and MEM last: the columns of 1.0 keep their places for the scripts that read them (SPEC 15.1).
const HEADER = ['NAME', 'STATE', 'PID', 'WORKER', 'UP', 'RESTART', 'EXIT', 'FLAGS', 'CPU', 'MEM'];
/** The columns, NOTE aside, get two spaces between them when they fit in this width, else one. */
const PANEL_WIDTH = 80;
const EMPTY = '-';
const STATE_COLUMN = HEADER.indexOf('STATE');
const FLAGS_COLUMN = HEADER.indexOf('FLAGS');

/** What the panel shows of one service. */
export interface StatusRow {
  name: string;
  status: ServiceStatus;
  /** The service dir's entry, when it has one: a want outlives its script only until revive drops it. */
  entry?: { kind: string };
  /** What its live run costs (SPEC 15.1). */
  usage?: RunUsage;
}

export interface RunUsage {
  cpu: CpuShare;
  group: GroupUsage;
  workerRss?: number;
}

function localTime(epoch: number): string {
  const d = new Date(epoch * 1000);
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

function uptime(s: ServiceStatus, now: number): number | undefined {
  return (s.state === 'running' || s.state === 'orphaned') && s.since !== undefined ? Math.max(0, now - s.since) : undefined;
}

/** `SIGKILL` for a death by signal, else the exit code. */
function lastExit(s: ServiceStatus): string | undefined {
  return s.signal ? `SIG${s.signal}` : s.exitCode?.toString();
}

export function flagWords(s: ServiceStatus): string[] {
  return [s.paused && 'paused', s.once && 'once', s.flapping && 'flapping', s.unhealthy && 'unhealthy'].filter((w): w is string => !!w);
}

/** The free text after the columns: what the state needs explained, then the want (SPEC 11). */
export function statusNote(name: string, s: ServiceStatus, now: number, scriptGone = false): string | undefined {
  const parts = [stateNote(name, s, now), wantNote(s, now, scriptGone)].filter((part): part is string => part !== undefined);
  return parts.length ? parts.join('; ') : undefined;
}

/** The want where the state disagrees with it, and what comes of that (SPEC 11, 13.2). */
function wantNote(s: ServiceStatus, now: number, scriptGone: boolean): string | undefined {
  const live = isLive(s);
  // A run flagged once is its last: it is wanted down from the moment once was asked (SPEC 10).
  if (s.wanted === 'down') return live && !s.once ? 'wanted: down, but running' : undefined;
  if (s.wanted === 'none') return undefined;
  if (scriptGone) return live ? undefined : 'wanted: up, but its script is gone: reraise revive drops the want';
  switch (s.state) {
    case 'down':
    case 'stale':
      return 'wanted: up, not running: reraise revive starts it';
    case 'not-executable':
      return 'wanted: up, but it cannot run';
    case 'orphaned':
      return 'wanted: up: reraise revive takes it over';
    case 'error':
      if (s.nextRevival === undefined) return 'wanted: up';
      return s.nextRevival > now ? `wanted: up: next revival in ${formatDuration(s.nextRevival - now)}` : 'wanted: up: revival due';
    default:
      return undefined;
  }
}

function stateNote(name: string, s: ServiceStatus, now: number): string | undefined {
  if (s.unhealthy) return `check failed ${s.failedChecks} in a row: ${s.lastCheck ?? 'failed'}`;
  switch (s.state) {
    case 'starting':
      return s.ready === false && s.since !== undefined ? `not ready yet (${formatDuration(Math.max(0, now - s.since))})` : undefined;
    case 'restarting':
      if (s.next === undefined) return 'between runs';
      return s.next > now ? `next try in ${formatDuration(s.next - now)}` : 'next try now';
    case 'error':
      return s.since === undefined ? 'gave up' : `gave up at ${localTime(s.since)} (${formatDuration(now - s.since)} ago)`;
    case 'orphaned':
      return `worker gone: reraise stop ${name}`;
    case 'stale':
      // clean removes only what it knows for a pid record (SPEC 6 `clean`).
      if (s.note?.startsWith('not a pid record')) return `${s.note}: remove it by hand`;
      return `${s.note ?? 'pid file left, no worker'}: reraise clean removes it`;
    case 'not-executable':
    case 'unknown':
    case 'waiting':
      return s.note;
    default:
      return undefined;
  }
}

/** Only rows that say (an inspection's) know whether the script is there. */
function isScriptGone(row: StatusRow): boolean {
  return 'entry' in row && row.entry === undefined;
}

function cells(row: StatusRow, now: number): string[] {
  const s = row.status;
  const up = uptime(s, now);
  const flags = flagWords(s);
  return [
    row.name,
    LABELS[s.state],
    s.pid?.toString(),
    s.workerPid?.toString(),
    up === undefined ? undefined : formatDuration(up),
    s.restarts?.toString(),
    lastExit(s),
    flags.length ? flags.join(',') : undefined,
    row.usage && formatCpu(row.usage.cpu.percent),
    row.usage && formatBytes(row.usage.group.rssBytes),
  ].map((cell) => cell ?? EMPTY);
}

/** The header and one line a service, states coloured when `paint` does (SPEC 15.4). */
export function renderStatusLines(rows: readonly StatusRow[], now: number, paint: Painter = painter(false)): string[] {
  if (rows.length === 0) return [];
  const notes = rows.map((r) => statusNote(r.name, r.status, now, isScriptGone(r)));
  const header = notes.some((n) => n) ? [...HEADER, 'NOTE'] : HEADER;
  const table = [HEADER, ...rows.map((r) => cells(r, now))];
  const widths = HEADER.map((_, col) => Math.max(...table.map((line) => line[col].length)));
  const total = widths.reduce((sum, w) => sum + w, 0);
  const gap = total + 2 * (widths.length - 1) <= PANEL_WIDTH ? '  ' : ' ';
  const lines = [header, ...table.slice(1).map((line, i) => (notes[i] ? [...line, notes[i]!] : line))];
  // Colour goes on after the padding: the codes take no room on the screen.
  const colourOf = (row: number, col: number, cell: string): string =>
    row === 0 ? cell : col === STATE_COLUMN ? paint(stateColour(rows[row - 1].status.state), cell)
      : col === FLAGS_COLUMN ? cell.split(',').map((flag) => paint(flagColour(flag), flag)).join(',') : cell;
  return lines.map((line, row) => line.map((cell, col) => {
    if (col >= widths.length) return cell;
    return colourOf(row, col, cell) + ' '.repeat(widths[col] - cell.length);
  }).join(gap).trimEnd());
}

/** Every field of the panel and more, for scripts. */
export function statusJson(seen: StatusRow & { stored: Stored }, now: number): Record<string, unknown> {
  const s = seen.status;
  return {
    name: seen.name,
    kind: seen.entry?.kind ?? null,
    state: s.state,
    text: LABELS[s.state],
    pid: s.pid ?? null,
    workerPid: s.workerPid ?? null,
    since: s.since ?? null,
    uptime: uptime(s, now) ?? null,
    restarts: s.restarts ?? null,
    exitCode: s.exitCode ?? null,
    signal: s.signal ?? null,
    paused: s.paused,
    once: s.once,
    flapping: s.flapping,
    ready: s.ready ?? null,
    health: s.unhealthy ? 'unhealthy' : s.ready === true ? 'ok' : null,
    failedChecks: s.failedChecks ?? 0,
    lastCheck: s.lastCheck ?? null,
    next: s.next ?? null,
    wanted: s.wanted,
    nextRevival: s.nextRevival ?? null,
    cpu: seen.usage?.cpu.percent ?? null,
    cpuSince: seen.usage?.cpu.since ?? null,
    rss: seen.usage?.group.rssBytes ?? null,
    processes: seen.usage?.group.processes ?? null,
    workerRss: seen.usage?.workerRss ?? null,
    note: statusNote(seen.name, s, now, isScriptGone(seen)) ?? null,
    pidFile: seen.stored.kind === 'none' ? null : seen.stored.text.replace(/\n$/, ''),
  };
}

/**
 * What each live run costs, from one pass over the processes, made only when one runs; CPU since
 * `before`, the last look at the same run (SPEC 15.1). Also the look to keep for next time.
 */
function usageOf(seen: readonly Inspection[], earlier: () => UsageSample): { usage: Map<string, RunUsage>; sample?: UsageSample } {
  const runs = seen.filter((i) => i.status.pid !== undefined && i.status.since !== undefined && isLive(i.status));
  if (runs.length === 0) return { usage: new Map() };
  const { groups, rssOf } = readUsage();
  const before = earlier();
  const now = Date.now();
  const looked: UsageSample = new Map();
  const usage = new Map<string, RunUsage>();
  for (const { name, status: s } of runs) {
    const group = groups.get(s.pid!);
    if (!group) continue;
    looked.set(s.pid!, { start: s.since!, ticks: group.ticks, at: now });
    const workerRss = s.workerPid === undefined ? undefined : rssOf.get(s.workerPid);
    usage.set(name, { cpu: cpuShare(group.ticks, s.since!, now, before.get(s.pid!)), group, workerRss });
  }
  return { usage, sample: nextSample(before, looked, new Set(groups.keys())) };
}

/** What `status` and `top` show: the rows, and what went wrong on the way. */
export interface Panel {
  rows: Array<StatusRow & { stored: Stored }>;
  /** Patterns that matched nothing, names that are not services: the command fails. */
  problems: Report;
  /** Said on stderr, the command does not fail for them. */
  warnings: string[];
  /** The look to keep, when a run was looked at. */
  sample?: UsageSample;
}

/**
 * The services of `patterns` as they are now, CPU averaged since the earlier look, which is
 * asked for only when a run is live: a panel of stopped services reads no sample.
 */
export function readPanel(ctx: Context, patterns: readonly string[], earlier: () => UsageSample): Panel {
  const { targets, problems } = resolveTargets(ctx, patterns, true);
  const view = viewPidDir(ctx);
  const wants = targets.map((t) => seeWant(ctx, t.name));
  const inspected = targets.map((t, i) => inspect(ctx, t.name, view, wants[i].want));
  const { usage, sample } = usageOf(inspected, earlier);
  // It cannot know what a worker could not write: said once, and `unknown` where it matters (SPEC 12.6).
  const unwritable = view.unwritable === undefined ? [] :
    [`warning: pid dir ${ctx.dirs.pid.path} (RERAISE_PIDDIR) cannot be written (${view.unwritable}): pid files may be out of date`];
  return {
    rows: inspected.map((i) => ({ ...i, usage: usage.get(i.name) })),
    problems: merge(problems),
    warnings: [...unwritable, ...wants.flatMap((w) => (w.problem ? [w.problem] : []))],
    sample,
  };
}

export async function status(ctx: Context, patterns: readonly string[], json: boolean): Promise<Report> {
  const ready = prepare(ctx, ['service', 'pid']);
  if (!ready.ok) return failure(ready.message);
  const panel = readPanel(ctx, patterns, () => readUsageSample(ctx.dirs.pid.path, ctx.uid));
  if (panel.sample) writeUsageSample(ctx.dirs.pid.path, ctx.uid, panel.sample);
  const now = Math.floor(Date.now() / 1000);
  const out = json ? [JSON.stringify(panel.rows.map((i) => statusJson(i, now)), null, 2)] : renderStatusLines(panel.rows, now, painter(ctx.colour));
  print(panel.problems);
  return { out, err: panel.warnings, failed: panel.problems.failed };
}
