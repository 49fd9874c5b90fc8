// What `status` says, from the pid record and the probed facts (SPEC 6 `status`, SPEC 4, 5.6).
import { describe, expect, it } from 'vitest';
import type { PidRecord } from '../../src/core/pidfile.js';
import { deriveStatus, formatDuration, isLive, type ServiceFacts, type ServiceStatus } from '../../src/core/status.js';

const E = 1_700_000_000;
const script = { kind: 'script' as const, runnable: true };

const START: PidRecord = { state: 'START', workerPid: 200, epoch: E, extra: { restarts: '0' } };
const RUN: PidRecord = { state: 'RUN', pid: 101, workerPid: 200, epoch: E, extra: { restarts: '3' } };
const STOP: PidRecord = {
  state: 'STOP', exitCode: 143, workerPid: 200, epoch: E, extra: { restarts: '1', signal: 'TERM', next: String(E + 4) },
};
const ERROR: PidRecord = { state: 'ERROR', exitCode: 2, epoch: E, extra: { restarts: '0' } };

const facts = (over: Partial<ServiceFacts>): ServiceFacts => ({ entry: script, workerAlive: false, serviceAlive: false, ...over });

describe('deriveStatus', () => {
  it.each<[string, ServiceFacts, Partial<ServiceStatus>]>([
    ['no pid file: not running', facts({}), { state: 'down' }],
    ['no pid file and no script: not running', facts({ entry: undefined }), { state: 'down' }],
    ['no pid file, script not executable', facts({ entry: { kind: 'script', runnable: false, problem: 'not executable' } }),
      { state: 'not-executable', note: 'not executable' }],
    ['an unreadable pid file: stale', facts({ record: { garbage: 'unknown state "X"' } }), { state: 'stale' }],
    ['START, live worker: starting', facts({ record: START, workerAlive: true }),
      { state: 'starting', workerPid: 200, since: E }],
    ['RUN, live worker and service: running with pid, worker pid and start', facts({ record: RUN, workerAlive: true, serviceAlive: true }),
      { state: 'running', pid: 101, workerPid: 200, since: E, restarts: 3 }],
    ['RUN, live worker, service gone: about to restart', facts({ record: RUN, workerAlive: true }),
      { state: 'restarting', workerPid: 200 }],
    ['STOP, live worker: restarting soon, with the last exit', facts({ record: STOP, workerAlive: true }),
      { state: 'restarting', workerPid: 200, exitCode: 143, signal: 'TERM', since: E, next: E + 4, restarts: 1 }],
    ['RUN, worker gone, service alive: orphaned, with its pid', facts({ record: RUN, serviceAlive: true }),
      { state: 'orphaned', pid: 101, since: E }],
    ['RUN, service alive, script deleted: still orphaned', facts({ record: RUN, serviceAlive: true, entry: undefined }),
      { state: 'orphaned', pid: 101 }],
    ['ERROR: error, with exit code and when', facts({ record: ERROR }), { state: 'error', exitCode: 2, since: E }],
    ['ERROR, script no longer executable: still error', facts({ record: ERROR, entry: { kind: 'script', runnable: false } }),
      { state: 'error' }],
    ['START, worker gone: stale', facts({ record: START }), { state: 'stale' }],
    ['RUN, worker and service gone: stale', facts({ record: RUN }), { state: 'stale' }],
    ['STOP, worker gone: stale', facts({ record: STOP }), { state: 'stale', exitCode: 143 }],
  ])('%s', (_, given, expected) => {
    expect(deriveStatus(given)).toMatchObject(expected);
  });

  it('says running only when the service passed the identity check, never from the record alone', () => {
    expect(deriveStatus(facts({ record: RUN, workerAlive: true, serviceAlive: false })).state).not.toBe('running');
    expect(deriveStatus(facts({ record: RUN, workerAlive: false, serviceAlive: false })).state).not.toBe('orphaned');
  });

  it('gives no pid for a service that is not running', () => {
    for (const record of [START, STOP, ERROR]) {
      expect(deriveStatus(facts({ record, workerAlive: true })).pid).toBeUndefined();
    }
  });

  it('keeps the reason of an unreadable pid file', () => {
    expect(deriveStatus(facts({ record: { garbage: 'more than one line' } })).note).toContain('more than one line');
  });

  // SPEC 4: an ERROR record is final, even in the instant before its worker is gone.
  it('says error for an ERROR record even while its worker is still exiting', () => {
    expect(deriveStatus(facts({ record: ERROR, workerAlive: true })).state).toBe('error');
  });
});

describe('isLive: a process of the service exists, so no second worker may start', () => {
  it.each<[ServiceStatus['state'], boolean]>([
    ['running', true],
    ['starting', true],
    ['restarting', true],
    ['orphaned', true],
    ['error', false],
    ['down', false],
    ['not-executable', false],
    ['stale', false],
  ])('%s -> %s', (state, live) => {
    expect(isLive({ state })).toBe(live);
  });
});

describe('formatDuration: at most two units, largest first', () => {
  it.each([
    [0, '0s'],
    [1, '1s'],
    [42, '42s'],
    [59.9, '59s'],
    [60, '1m'],
    [312, '5m12s'],
    [3600, '1h'],
    [3661, '1h1m'],
    [86400, '1d'],
    [3 * 86400 + 4 * 3600, '3d4h'],
    [3 * 86400 + 4 * 3600 + 59, '3d4h'],
    [-5, '0s'],
  ])('%d s is %s', (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text);
  });
});
