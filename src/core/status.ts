// What `status` says of a service, from its pid record and the probed facts (SPEC 6). Pure.
import type { PidRecord } from './pidfile.js';

export type StatusState =
  | 'running' | 'starting' | 'restarting' | 'error' | 'down' | 'not-executable' | 'stale' | 'orphaned';

export interface ServiceFacts {
  /** Undefined when the service dir has no such entry (a pid file left by a deleted script). */
  entry?: { kind: 'script' | 'perp'; runnable: boolean; problem?: string };
  /** Undefined when there is no pid file; a string when it cannot be decoded. */
  record?: PidRecord | { garbage: string };
  /** The record's WORKERPID passed the identity check. */
  workerAlive: boolean;
  /** The record's PID passed the identity check. */
  serviceAlive: boolean;
}

export interface ServiceStatus {
  state: StatusState;
  pid?: number;
  workerPid?: number;
  /** Start of the current run (running, orphaned), of the worker's attempt (starting), or of the exit. */
  since?: number;
  exitCode?: number;
  signal?: string;
  restarts?: number;
  /** When a restarting service runs again (epoch seconds). */
  next?: number;
  note?: string;
}

function num(text: string | undefined): number | undefined {
  return text !== undefined && /^\d+$/.test(text) ? Number(text) : undefined;
}

export function deriveStatus(facts: ServiceFacts): ServiceStatus {
  const { record, entry } = facts;
  if (record === undefined) {
    if (entry && !entry.runnable) return { state: 'not-executable', note: entry.problem };
    return { state: 'down' };
  }
  if ('garbage' in record) return { state: 'stale', note: `unreadable pid file: ${record.garbage}` };
  const restarts = num(record.extra.restarts);
  const common = { restarts, exitCode: record.exitCode, signal: record.extra.signal };
  // ERROR is final: its worker has exited, whatever now runs under the pid it once had.
  if (record.state === 'ERROR') return { ...common, state: 'error', since: record.epoch };
  if (facts.workerAlive) {
    switch (record.state) {
      case 'START':
        return { ...common, state: 'starting', workerPid: record.workerPid, since: record.epoch };
      case 'RUN':
        return facts.serviceAlive
          ? { state: 'running', pid: record.pid, workerPid: record.workerPid, since: record.epoch, restarts }
          : { state: 'restarting', workerPid: record.workerPid, since: record.epoch, restarts };
      default:
        return { ...common, state: 'restarting', workerPid: record.workerPid, since: record.epoch, next: num(record.extra.next) };
    }
  }
  if (record.state === 'RUN' && facts.serviceAlive) {
    return { state: 'orphaned', pid: record.pid, since: record.epoch, restarts };
  }
  return { ...common, state: 'stale', since: record.epoch, note: 'pid file left, no worker' };
}

/** True when a live process belongs to the service, so that a new worker must not be started. */
export function isLive(status: ServiceStatus): boolean {
  return ['running', 'starting', 'restarting', 'orphaned'].includes(status.state);
}

/** `3d4h`, `5m12s`, `42s`. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const units: [number, string][] = [[86400, 'd'], [3600, 'h'], [60, 'm'], [1, 's']];
  const parts: string[] = [];
  let rest = s;
  for (const [size, unit] of units) {
    if (rest >= size || (parts.length === 0 && size === 1)) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
    if (parts.length === 2) break;
  }
  return parts.join('');
}
