// What `status` says, from the pid record and the probed facts (SPEC 6 `status`, SPEC 4, 5.6).
import { describe, expect, it } from 'vitest';
import { decodePidRecord, type PidRecord, type RecordKeys } from '../../src/core/pidfile.js';
import { revivalGap } from '../../src/core/revival.js';
import { deriveStatus, formatDuration, isLive, type ServiceFacts, type ServiceStatus } from '../../src/core/status.js';

const E = 1_700_000_000;
const script = { kind: 'script' as const, runnable: true };

const START: PidRecord = { state: 'START', workerPid: 200, epoch: E, keys: { restarts: 0 } };
const RUN: PidRecord = { state: 'RUN', pid: 101, workerPid: 200, epoch: E, keys: { restarts: 3 } };
const STOP: PidRecord = {
  state: 'STOP', exitCode: 143, workerPid: 200, epoch: E, keys: { restarts: 1, signal: 'TERM', next: E + 4 },
};
const ERROR: PidRecord = { state: 'ERROR', exitCode: 2, epoch: E, keys: { restarts: 0 } };

/** A record as the pid file gives it: through the codec, so that its reading of the keys is part of the case. */
function decoded(line: string): PidRecord {
  const result = decodePidRecord(line);
  if (!result.ok) throw new Error(result.message);
  return result.record;
}

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

  // SPEC 12.6: what status cannot know is said, never "not running" while a worker runs.
  it.each<[string, ServiceFacts, Partial<ServiceStatus>]>([
    ['no pid file, but a checked worker holds the lock: unknown, with that worker', facts({ lockHolder: 300 }),
      { state: 'unknown', workerPid: 300, note: 'worker pid 300 runs, but its pid file is missing' }],
    ['no pid file, no lock holder: not running', facts({}), { state: 'down' }],
    ['not a pid record, and a lock holder: unknown', facts({ record: { garbage: 'x' }, lockHolder: 300 }), { state: 'unknown', workerPid: 300 }],
    ['RUN of a dead service, live worker, pid dir full: unknown', facts({ record: RUN, workerAlive: true, pidDirWritable: false }),
      { state: 'unknown', workerPid: 200, note: expect.stringContaining('cannot be written') }],
    ['START, live worker, pid dir full: unknown', facts({ record: START, workerAlive: true, pidDirWritable: false }), { state: 'unknown' }],
    ['RUN of a live service, pid dir full: still running (the record is right)', facts({ record: RUN, workerAlive: true, serviceAlive: true, pidDirWritable: false }),
      { state: 'running', pid: 101 }],
    ['a stale record, and another worker holds the lock: unknown', facts({ record: RUN, lockHolder: 300 }),
      { state: 'unknown', workerPid: 300, note: 'worker pid 300 runs, but its pid file names pid 200' }],
    ['ERROR, whatever holds the lock: error', facts({ record: ERROR, lockHolder: 300 }), { state: 'error' }],
  ])('%s', (_, given, expected) => {
    expect(deriveStatus(given)).toMatchObject(expected);
  });

  it('counts unknown as live: a worker runs, so start makes no second one', () => {
    expect(isLive({ state: 'unknown' })).toBe(true);
  });

  it('keeps the reason of an unreadable pid file', () => {
    expect(deriveStatus(facts({ record: { garbage: 'more than one line' } })).note).toContain('more than one line');
  });

  // SPEC 4: an ERROR record is final, even in the instant before its worker is gone.
  it('says error for an ERROR record even while its worker is still exiting', () => {
    expect(deriveStatus(facts({ record: ERROR, workerAlive: true })).state).toBe('error');
  });
});

describe('deriveStatus: flags and the last exit', () => {
  const run = (keys: RecordKeys): PidRecord => ({ ...RUN, keys: { ...RUN.keys, ...keys } });
  const live = { workerAlive: true, serviceAlive: true };

  it.each<[string, ServiceFacts, Partial<ServiceStatus>]>([
    ['running, process stopped: paused', facts({ record: RUN, ...live, servicePaused: true }), { state: 'running', paused: true }],
    ['running, process not stopped: not paused', facts({ record: RUN, ...live, servicePaused: false }), { paused: false }],
    ['RUN ready=0, live: starting with its pid, not ready', facts({ record: run({ ready: false }), ...live }),
      { state: 'starting', pid: 101, workerPid: 200, since: E, ready: false }],
    ['RUN ready=1, live: running, ready', facts({ record: run({ ready: true }), ...live }), { state: 'running', ready: true }],
    ['RUN without ready: running, no rule', facts({ record: RUN, ...live }), { state: 'running', ready: undefined, unhealthy: false }],
    ['RUN checks=2 check=refused: unhealthy', facts({ record: run({ ready: true, checks: 2, check: 'refused' }), ...live }),
      { state: 'running', unhealthy: true, failedChecks: 2, lastCheck: 'refused' }],
    ['RUN ready=0, no worker: orphaned', facts({ record: run({ ready: false }), serviceAlive: true }), { state: 'orphaned' }],
    ['no record, a start waiting for its needs: waiting', facts({ waitingFor: ['db', 'cache'] }), { state: 'waiting', note: 'waiting for db, cache' }],
    ['ERROR, a start waiting for its needs: waiting', facts({ record: ERROR, waitingFor: ['db'] }), { state: 'waiting', note: 'waiting for db' }],
    ['a live worker wins over a mark', facts({ record: RUN, ...live, waitingFor: ['db'] }), { state: 'running' }],
    ['running, nothing probed: not paused', facts({ record: RUN, ...live }), { paused: false }],
    ['orphaned, process stopped: paused', facts({ record: RUN, serviceAlive: true, servicePaused: true }),
      { state: 'orphaned', paused: true }],
    ['a paused fact without a live service says nothing', facts({ record: RUN, workerAlive: true, servicePaused: true }),
      { state: 'restarting', paused: false }],
    ['once=1: once', facts({ record: run({ once: true }), ...live }), { once: true }],
    ['once=0 (read as absent): not once', facts({ record: decoded(`RUN - 101 200 ${E} once=0`), ...live }), { once: false }],
    ['no once key: not once', facts({ record: RUN, ...live }), { once: false }],
    ['retries=2: flapping', facts({ record: run({ retries: 2 }), ...live }), { flapping: true }],
    ['retries=5: flapping', facts({ record: { ...STOP, keys: { ...STOP.keys, retries: 5 } }, workerAlive: true }),
      { state: 'restarting', flapping: true }],
    ['retries=1: not flapping', facts({ record: run({ retries: 1 }), ...live }), { flapping: false }],
    ['retries=x (read as absent): not flapping', facts({ record: decoded(`RUN - 101 200 ${E} retries=x`), ...live }), { flapping: false }],
    ['no retries key: not flapping', facts({ record: RUN, ...live }), { flapping: false }],
    ['ERROR after retries: flapping, as the worker last said', facts({ record: { ...ERROR, keys: { retries: 2 } } }),
      { state: 'error', flapping: true }],
    ['stale: no worker, so no flags', facts({ record: run({ once: true, retries: 3 }) }),
      { state: 'stale', once: false, flapping: false, paused: false }],
    ['RUN with last_exit: the exit before this run', facts({ record: run({ lastExit: 1 }), ...live }),
      { state: 'running', exitCode: 1, signal: undefined }],
    ['RUN with last_exit and last_signal', facts({ record: run({ lastExit: 137, lastSignal: 'KILL' }), ...live }),
      { exitCode: 137, signal: 'KILL' }],
    ['START with last_exit', facts({ record: { ...START, keys: { lastExit: 3 } }, workerAlive: true }),
      { state: 'starting', exitCode: 3 }],
    ['orphaned keeps the last exit', facts({ record: run({ lastExit: 2 }), serviceAlive: true }), { state: 'orphaned', exitCode: 2 }],
    ['RUN without last_exit: no last exit', facts({ record: RUN, ...live }), { exitCode: undefined, signal: undefined }],
    ['RUN: a signal= key is not the last exit', facts({ record: run({ signal: 'TERM' }), ...live }), { signal: undefined }],
    ['STOP: signal=SIGKILL is said KILL', facts({ record: decoded(`STOP 137 - 200 ${E} signal=SIGKILL`), workerAlive: true }),
      { exitCode: 137, signal: 'KILL' }],
    ['ERROR: a signal by number is named', facts({ record: decoded(`ERROR 137 - - ${E} signal=9`) }),
      { state: 'error', exitCode: 137, signal: 'KILL' }],
    ['RUN: last_signal=sigterm is said TERM', facts({ record: decoded(`RUN - 101 200 ${E} last_exit=143 last_signal=sigterm`), ...live }),
      { exitCode: 143, signal: 'TERM' }],
    ['ERROR: last_exit keys do not override EXITCODE', facts({ record: { ...ERROR, keys: { lastExit: 7 } } }),
      { exitCode: 2 }],
  ])('%s', (_, given, expected) => {
    expect(deriveStatus(given)).toMatchObject(expected);
  });

  // The run the RUN record names has just ended; its exit is not written yet, and the one before is older news.
  it('says no last exit while restarting from a RUN record whose service is gone', () => {
    const status = deriveStatus(facts({ record: run({ lastExit: 1 }), workerAlive: true }));
    expect(status.state).toBe('restarting');
    expect(status.exitCode).toBeUndefined();
  });

  it('gives every state all three flags as booleans', () => {
    const all = [facts({}), facts({ entry: { kind: 'script', runnable: false } }), facts({ record: { garbage: 'x' } }),
      facts({ record: START, workerAlive: true }), facts({ record: RUN, ...live }), facts({ record: STOP, workerAlive: true }),
      facts({ record: ERROR }), facts({ record: RUN, serviceAlive: true }), facts({ record: RUN })];
    for (const given of all) {
      const { paused, once, flapping } = deriveStatus(given);
      expect([paused, once, flapping].map((v) => typeof v)).toEqual(['boolean', 'boolean', 'boolean']);
    }
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

describe('flapping ends once the current run has lasted start_sec', () => {
  const record = (epoch: number, keys: RecordKeys): PidRecord =>
    ({ state: 'RUN' as const, pid: 10, workerPid: 9, epoch, keys: { retries: 2, ...keys } });
  it.each([
    ['a young run after two quick exits', record(1000, { startSec: 5 }), 1003, true],
    ['a run that has lasted start_sec', record(1000, { startSec: 5 }), 1005, false],
    ['a run that has lasted a fractional start_sec', record(1000, { startSec: 0.5 }), 1001, false],
    ['a record without start_sec', record(1000, {}), 9999, true],
    ['one quick exit is not flapping', record(1000, { retries: 1, startSec: 5 }), 1001, false],
  ])('%s', (_, rec, now, expected) => {
    expect(deriveStatus({ record: rec, workerAlive: true, serviceAlive: true, now }).flapping).toBe(expected);
  });
});

describe('deriveStatus: the want, and when an ERROR is revived (SPEC 11, 13.2)', () => {
  const live = { workerAlive: true, serviceAlive: true };
  const error = (keys: RecordKeys): PidRecord => ({ ...ERROR, keys });

  it.each<[string, ServiceFacts, ServiceStatus['wanted']]>([
    ['no want: none', facts({}), 'none'],
    ['up', facts({ want: 'up' }), 'up'],
    ['down', facts({ want: 'down' }), 'down'],
    ['up, running', facts({ record: RUN, ...live, want: 'up' }), 'up'],
    ['down, but running', facts({ record: RUN, ...live, want: 'down' }), 'down'],
    ['up, an unreadable pid file', facts({ record: { garbage: 'x' }, want: 'up' }), 'up'],
    ['up, unknown', facts({ lockHolder: 300, want: 'up' }), 'up'],
  ])('wanted: %s', (_, given, wanted) => {
    expect(deriveStatus(given).wanted).toBe(wanted);
  });

  it.each<[string, RecordKeys, number]>([
    ['no revivals, default revive_sec: a minute after the ERROR', {}, E + 60],
    ['revivals=0, revive_sec=60', { revivals: 0, reviveSec: 60 }, E + revivalGap(0, 60)],
    ['revivals=2: four minutes', { revivals: 2, reviveSec: 60 }, E + 240],
    ['revivals=10: at most an hour', { revivals: 10, reviveSec: 60 }, E + 3600],
    ['revive_sec=7200: longer than an hour, kept', { revivals: 3, reviveSec: 7200 }, E + 7200],
    ['revive_sec=0.5: whole seconds, rounded up', { reviveSec: 0.5 }, E + 1],
    ['revive_sec=1.5, revivals=1: 3 s', { revivals: 1, reviveSec: 1.5 }, E + 3],
  ])('ERROR wanted up, %s', (_, keys, next) => {
    const status = deriveStatus(facts({ record: error(keys), want: 'up' }));
    expect(status).toMatchObject({ state: 'error', wanted: 'up', nextRevival: next });
    expect(next).toBe(E + Math.ceil(revivalGap(keys.revivals ?? 0, keys.reviveSec ?? 60)));
  });

  it('an ERROR read from its pid file: revivals and revive_sec through the codec', () => {
    const record = decoded(`ERROR 1 - - ${E} retries=0 revivals=3 revive_sec=30`);
    expect(deriveStatus(facts({ record, want: 'up' })).nextRevival).toBe(E + 240);
  });

  it.each<[string, ServiceFacts]>([
    ['ERROR, wanted down', facts({ record: ERROR, want: 'down' })],
    ['ERROR, no want', facts({ record: ERROR })],
    ['running, wanted up', facts({ record: RUN, ...live, want: 'up' })],
    ['stale, wanted up', facts({ record: RUN, want: 'up' })],
    ['not running, wanted up', facts({ want: 'up' })],
    ['orphaned, wanted up', facts({ record: RUN, serviceAlive: true, want: 'up' })],
    ['an unreadable pid file, wanted up', facts({ record: { garbage: 'x' }, want: 'up' })],
  ])('no next revival: %s', (_, given) => {
    expect(deriveStatus(given).nextRevival).toBeUndefined();
  });

  it('the want changes nothing else of the status', () => {
    const rest = ({ wanted: _wanted, nextRevival: _next, ...others }: ServiceStatus) => others;
    for (const record of [undefined, START, RUN, STOP, ERROR]) {
      const base = deriveStatus(facts({ record, workerAlive: true }));
      for (const want of ['up', 'down'] as const) {
        const status = deriveStatus(facts({ record, workerAlive: true, want }));
        expect(rest(status)).toEqual(rest(base));
        expect(status.wanted).toBe(want);
      }
    }
  });
});
