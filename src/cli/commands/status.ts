// reraise status [PATTERN...] [--json]: one line a service, from the service dir and the pid dir (SPEC 6).
import { formatDuration, type ServiceStatus } from '../../core/status.js';
import { prepare, type Context } from '../context.js';
import { inspect, type Inspection } from '../inspect.js';
import { failure, merge, print, type Report } from '../report.js';
import { resolveTargets } from '../targets.js';

const LABELS: Record<ServiceStatus['state'], string> = {
  running: 'running',
  starting: 'starting',
  restarting: 'restarting',
  error: 'ERROR',
  down: 'not running',
  'not-executable': 'not executable',
  stale: 'stale',
  orphaned: 'orphaned',
};

function localTime(epoch: number): string {
  const d = new Date(epoch * 1000);
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

function lastExit(s: ServiceStatus): string {
  return s.signal ? `killed by SIG${s.signal} (exit code ${s.exitCode})` : `exit code ${s.exitCode}`;
}

function details(name: string, s: ServiceStatus, now: number): string {
  const ago = (epoch: number): string => `${formatDuration(now - epoch)} ago`;
  switch (s.state) {
    case 'running':
      return `pid ${s.pid}, worker ${s.workerPid}, up ${formatDuration(now - s.since!)}, restarts ${s.restarts ?? 0}`;
    case 'starting':
      return `worker ${s.workerPid}`;
    case 'restarting':
      return [
        s.exitCode !== undefined ? `last ${lastExit(s)}` : 'between runs',
        s.next !== undefined ? (s.next > now ? `next try in ${formatDuration(s.next - now)}` : 'next try now') : '',
        `worker ${s.workerPid}`,
      ].filter(Boolean).join(', ');
    case 'error':
      return `${lastExit(s)}, gave up at ${localTime(s.since!)} (${ago(s.since!)}), restarts ${s.restarts ?? 0}`;
    case 'orphaned':
      return `pid ${s.pid} still running, its worker is gone: reraise stop ${name}`;
    case 'stale':
      return `${s.note ?? 'pid file left, no worker'}: reraise clean removes it`;
    case 'not-executable':
      return s.note ?? '';
    case 'down':
      return '';
  }
}

export function statusJson(seen: Inspection, now: number): Record<string, unknown> {
  const s = seen.status;
  return {
    name: seen.name,
    kind: seen.entry?.kind ?? null,
    state: s.state,
    text: LABELS[s.state],
    pid: s.pid ?? null,
    workerPid: s.workerPid ?? null,
    since: s.since ?? null,
    uptime: s.state === 'running' || s.state === 'orphaned' ? Math.max(0, now - s.since!) : null,
    exitCode: s.exitCode ?? null,
    signal: s.signal ?? null,
    restarts: s.restarts ?? null,
    next: s.next ?? null,
    note: s.note ?? null,
    pidFile: seen.stored.kind === 'none' ? null : seen.stored.text.replace(/\n$/, ''),
  };
}

export function renderStatusLines(seen: readonly Inspection[], now: number): string[] {
  const nameWidth = Math.max(0, ...seen.map((i) => i.name.length));
  const stateWidth = Math.max(0, ...seen.map((i) => LABELS[i.status.state].length));
  return seen.map((i) => {
    const text = details(i.name, i.status, now);
    const head = `${i.name.padEnd(nameWidth)}  ${LABELS[i.status.state].padEnd(stateWidth)}`;
    return text ? `${head}  ${text}` : head.trimEnd();
  });
}

export async function status(ctx: Context, patterns: readonly string[], json: boolean): Promise<Report> {
  const ready = prepare(ctx, ['service', 'pid']);
  if (!ready.ok) return failure(ready.message);
  const { targets, problems } = resolveTargets(ctx, patterns, true);
  const seen = targets.map((t) => inspect(ctx, t.name));
  const now = Math.floor(Date.now() / 1000);
  const out = json ? [JSON.stringify(seen.map((i) => statusJson(i, now)), null, 2)] : renderStatusLines(seen, now);
  print(merge(problems));
  return { out, err: [], failed: problems.length > 0 };
}
