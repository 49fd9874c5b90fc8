// What `status` says of a service, from its pid record and the probed facts (SPEC 6). Pure.
import type { PidRecord } from './pidfile.js';
import { revivalDue } from './revival.js';

export type StatusState =
  | 'running' | 'starting' | 'restarting' | 'error' | 'down' | 'not-executable' | 'stale' | 'orphaned' | 'unknown' | 'waiting';

export interface ServiceFacts {
  /** Undefined when the service dir has no such entry (a pid file left by a deleted script). */
  entry?: { kind: 'script' | 'perp'; runnable: boolean; problem?: string };
  /** Undefined when there is no pid file; a string when it cannot be decoded. */
  record?: PidRecord | { garbage: string };
  /** The record's WORKERPID passed the identity check. */
  workerAlive: boolean;
  /** The record's PID passed the identity check. */
  serviceAlive: boolean;
  /** The record's PID is stopped (SIGSTOP: state T or t in /proc). Only asked when serviceAlive. */
  servicePaused?: boolean;
  /** Epoch seconds: a run that has lasted its `start_sec` is no longer flapping. */
  now?: number;
  /** A live worker of the service (checked) that holds its lock: known even when the record is not (SPEC 12.6). */
  lockHolder?: number;
  /** False when the pid dir cannot be written (full, read-only): a live worker's record may be out of date. */
  pidDirWritable?: boolean;
  /** The want (SPEC 13.1); undefined when there is none, or it cannot be used. */
  want?: 'up' | 'down';
  /** What a start that runs now waits for before it starts the service (SPEC 14.3). */
  waitingFor?: readonly string[];
}

export interface ServiceStatus {
  state: StatusState;
  pid?: number;
  workerPid?: number;
  /** Start of the current run (running, orphaned), of the worker's attempt (starting), or of the exit. */
  since?: number;
  /** The last exit: of the run that just ended (STOP, ERROR), or of the one before this run (START, RUN). */
  exitCode?: number;
  /** Set when that exit was a death by signal: its name without `SIG`, as in the pid file (`KILL`). */
  signal?: string;
  restarts?: number;
  /** When a restarting service runs again (epoch seconds). */
  next?: number;
  note?: string;
  /** The service process is stopped (reraise pause). */
  paused: boolean;
  /** The worker runs the service once and does not restart it (`once=1`). */
  once: boolean;
  /** Two or more quick exits in a row (`retries` of 2 or more). */
  flapping: boolean;
  /** Liveness checks of the run fail (SPEC 14.2): `failedChecks` in a row, the last for `lastCheck`. */
  unhealthy: boolean;
  failedChecks?: number;
  lastCheck?: string;
  /** The run has a readiness rule (SPEC 14.1): whether it is ready; undefined without a rule. */
  ready?: boolean;
  wanted: 'up' | 'down' | 'none';
  /** When `revive` may try a service in ERROR that is wanted up again (epoch seconds). */
  nextRevival?: number;
}

type State = Omit<ServiceStatus, 'wanted' | 'nextRevival'>;

/**
 * STOP and ERROR name the exit that just happened in EXITCODE and `signal=`; START and RUN
 * carry the one before the current attempt in `last_exit=` and `last_signal=` (both optional).
 */
function lastExit(record: PidRecord): { exitCode?: number; signal?: string } {
  if (record.state === 'STOP' || record.state === 'ERROR') return { exitCode: record.exitCode, signal: record.keys.signal };
  return { exitCode: record.keys.lastExit, signal: record.keys.lastSignal };
}

const NO_FLAGS = { paused: false, once: false, flapping: false, unhealthy: false } as const;

/**
 * Two or more quick exits in a row (`retries`), unless the current run has since lasted
 * `start_sec`: the worker counts that only at the next exit, the record does not say it yet.
 */
function flapping(record: PidRecord, now: number | undefined): boolean {
  if ((record.keys.retries ?? 0) < 2) return false;
  const { startSec } = record.keys;
  const settled = record.state === 'RUN' && now !== undefined && startSec !== undefined && now - record.epoch >= startSec;
  return !settled;
}

/** What status cannot know: a worker runs, but its record does not say what it does (SPEC 12.6). */
function unknown(workerPid: number, why: string): State {
  return { ...NO_FLAGS, state: 'unknown', workerPid, note: why };
}

const UNWRITABLE = 'its pid file may be out of date: the pid dir cannot be written';

export function deriveStatus(facts: ServiceFacts): ServiceStatus {
  const state = deriveState(facts);
  const wanted = facts.want ?? 'none';
  const { record } = facts;
  const revivable = state.state === 'error' && wanted === 'up' && record !== undefined && !('garbage' in record);
  return revivable ? { ...state, wanted, nextRevival: revivalDue(record) } : { ...state, wanted };
}

function deriveState(facts: ServiceFacts): State {
  const { record, entry, lockHolder } = facts;
  // A start waits for what it needs before it forks a worker: whatever an old record says, that is the news.
  if (facts.waitingFor && !facts.workerAlive && !facts.serviceAlive && lockHolder === undefined) {
    return { ...NO_FLAGS, state: 'waiting', note: `waiting for ${facts.waitingFor.join(', ')}` };
  }
  if (record === undefined) {
    if (lockHolder !== undefined) return unknown(lockHolder, `worker pid ${lockHolder} runs, but its pid file is missing`);
    if (entry && !entry.runnable) return { ...NO_FLAGS, state: 'not-executable', note: entry.problem };
    return { ...NO_FLAGS, state: 'down' };
  }
  if ('garbage' in record) {
    if (lockHolder !== undefined) return unknown(lockHolder, `worker pid ${lockHolder} runs, but its pid file is not a pid record: ${record.garbage}`);
    return { ...NO_FLAGS, state: 'stale', note: `not a pid record: ${record.garbage}` };
  }
  const { restarts, checks } = record.keys;
  const flags = {
    ...NO_FLAGS, once: record.keys.once === true, flapping: flapping(record, facts.now),
    ...(checks ? { unhealthy: true, failedChecks: checks, lastCheck: record.keys.check } : {}),
  };
  const common = { ...flags, restarts, ...lastExit(record) };
  // ERROR is final: its worker has exited, whatever now runs under the pid it once had.
  if (record.state === 'ERROR') return { ...common, state: 'error', since: record.epoch };
  const paused = facts.serviceAlive && facts.servicePaused === true;
  const current = record.state === 'RUN' && facts.serviceAlive;
  if (facts.workerAlive && !current && facts.pidDirWritable === false) return unknown(record.workerPid!, UNWRITABLE);
  if (!facts.workerAlive && lockHolder !== undefined && !current) {
    return unknown(lockHolder, `worker pid ${lockHolder} runs, but its pid file names ${record.workerPid === undefined ? 'no worker' : `pid ${record.workerPid}`}`);
  }
  if (facts.workerAlive) {
    switch (record.state) {
      case 'START':
        return { ...common, state: 'starting', workerPid: record.workerPid, since: record.epoch };
      case 'RUN':
        return facts.serviceAlive
          ? {
            ...common, state: record.keys.ready === false ? 'starting' : 'running', pid: record.pid, workerPid: record.workerPid,
            since: record.epoch, paused, ready: record.keys.ready,
          }
          // The run in this record has just ended and its exit is not written yet: the last exit known is older.
          : { ...flags, state: 'restarting', workerPid: record.workerPid, since: record.epoch, restarts };
      default:
        return { ...common, state: 'restarting', workerPid: record.workerPid, since: record.epoch, next: record.keys.next };
    }
  }
  if (record.state === 'RUN' && facts.serviceAlive) {
    return { ...common, state: 'orphaned', pid: record.pid, since: record.epoch, paused };
  }
  // No worker: nothing is supervised, so the record's flags no longer say anything.
  return { ...NO_FLAGS, restarts, ...lastExit(record), state: 'stale', since: record.epoch, note: 'pid file left, no worker' };
}

/** True when a live process belongs to the service, so that a new worker must not be started. */
export function isLive(status: Pick<ServiceStatus, 'state'>): boolean {
  return ['running', 'starting', 'restarting', 'orphaned', 'unknown'].includes(status.state);
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
