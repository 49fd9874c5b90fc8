// The retry policy (SPEC 5.4, 5.5) driven through event sequences, as src/worker/supervisor.ts feeds it.
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, type ServiceConfig } from '../../src/core/config.js';
import type { PidRecord } from '../../src/core/pidfile.js';
import { initialState, step, type Effect, type SupervisorEvent, type SupervisorState } from '../../src/core/policy.js';

const NAME = 'web';
const WORKER = 4000;
/** Spawn time of the first run, in ms; `at(s)` is s seconds later. */
const T0 = 1_700_000_000_000;
const at = (s: number): number => T0 + s * 1000;
const epoch = (ms: number): number => Math.floor(ms / 1000);

const types = (effects: Effect[]): string[] => effects.map((e) => e.type);
const logs = (effects: Effect[]): string[] => effects.flatMap((e) => (e.type === 'log' ? [e.message] : []));
const written = (effects: Effect[]): PidRecord | undefined =>
  effects.flatMap((e) => (e.type === 'write' ? [e.record] : []))[0];
const waited = (effects: Effect[]): number | undefined =>
  effects.flatMap((e) => (e.type === 'wait' ? [e.ms] : []))[0];
const exitCode = (effects: Effect[]): number | undefined =>
  effects.flatMap((e) => (e.type === 'exit' ? [e.code] : []))[0];

/** Feeds events to `step` and keeps the state, like the worker does; pids count up from 101. */
class Sim {
  state: SupervisorState;
  private pids = 100;

  constructor(config: Partial<ServiceConfig> = {}) {
    this.state = initialState(WORKER, { ...DEFAULT_CONFIG, ...config });
  }

  send(event: SupervisorEvent): Effect[] {
    const result = step(this.state, event, NAME);
    this.state = result.state;
    return result.effects;
  }

  /** The answer to a `spawn` effect: the service runs from `ms` (config as read for this run). */
  spawned(ms: number, config: ServiceConfig = this.state.config): Effect[] {
    return this.send({ type: 'spawned', pid: ++this.pids, at: ms, config });
  }

  /** The service exits by itself at `ms`; its group is swept; returns the policy's decision. */
  exits(ms: number, code: number | null = 1, signal: number | null = null): Effect[] {
    const { pid, config } = this.state;
    expect(this.send({ type: 'exited', code, signal, at: ms })).toEqual([
      { type: 'stop-group', pgid: pid, signal: config.stopSignal, graceMs: config.stopSec * 1000 },
    ]);
    return this.send({ type: 'group-stopped', killed: false });
  }

  /** One run from second `from` to second `to` (after T0) that ends by itself. */
  run(from: number, to: number, code = 1): Effect[] {
    this.spawned(at(from));
    return this.exits(at(to), code);
  }
}

/** A worker that has just begun: its first spawn is asked for. */
function begun(config: Partial<ServiceConfig> = {}): Sim {
  const sim = new Sim(config);
  expect(sim.send({ type: 'begin' })).toEqual([{ type: 'spawn' }]);
  return sim;
}

/** A worker whose first run lasted an hour (a success) and which is spawning the second run. */
function afterSuccess(config: Partial<ServiceConfig> = {}): Sim {
  const sim = begun(config);
  expect(types(sim.run(0, 3600, 0))).toEqual(['log', 'spawn']);
  return sim;
}

describe('begin and spawned (SPEC 5.2)', () => {
  it('begin asks for a spawn', () => {
    const sim = new Sim();
    expect(sim.send({ type: 'begin' })).toEqual([{ type: 'spawn' }]);
  });

  it('a second begin does nothing', () => {
    const sim = begun();
    sim.spawned(at(0));
    expect(sim.send({ type: 'begin' })).toEqual([]);
  });

  it('spawned writes RUN with the service pid, the worker pid and the start time in whole seconds', () => {
    const sim = begun();
    const effects = sim.spawned(at(0.999));
    expect(written(effects)).toMatchObject({ state: 'RUN', pid: 101, workerPid: WORKER, epoch: epoch(at(0)) });
    expect(written(effects)?.exitCode).toBeUndefined();
    expect(written(effects)?.extra.restarts).toBe('0');
    expect(logs(effects)).toEqual(['web: started (pid 101)']);
    expect(sim.state.phase).toBe('running');
  });

  it('an exit first stops what is left of the group, with the stop signal and config_stop_sec', () => {
    const sim = begun({ stopSignal: 2, stopSec: 0.5 });
    sim.spawned(at(0));
    expect(sim.send({ type: 'exited', code: 0, signal: null, at: at(20) })).toEqual([
      { type: 'stop-group', pgid: 101, signal: 2, graceMs: 500 },
    ]);
    expect(sim.state.phase).toBe('sweeping');
  });

  it('judges a run by the config read for that run (config is read again before every run)', () => {
    const sim = begun();
    sim.spawned(at(0), { ...DEFAULT_CONFIG, startSec: 1 });
    expect(types(sim.exits(at(1.5)))).toContain('spawn');
  });
});

describe('a quick exit on the very first run is a failed start, whatever the exit code', () => {
  it.each([0, 1, 2, 127, 255])('exit code %i: ERROR, "failed to start", exit 1', (code) => {
    const sim = begun();
    const effects = sim.run(0, 1, code);
    // The reason is logged before ERROR is written, so that whoever sees ERROR finds it in the log.
    expect(types(effects)).toEqual(['log', 'write', 'exit']);
    expect(written(effects)).toEqual({
      state: 'ERROR', exitCode: code, epoch: epoch(at(1)), extra: expect.any(Object),
    });
    expect(written(effects)?.pid).toBeUndefined();
    expect(written(effects)?.workerPid).toBeUndefined();
    expect(logs(effects)).toEqual([`web: failed to start (exit code ${code}, retries 0)`]);
    expect(exitCode(effects)).toBe(1);
    expect(sim.state.phase).toBe('done');
  });

  it.each([
    [9, 'KILL', 137],
    [15, 'TERM', 143],
    [11, 'SEGV', 139],
  ])('a death by signal %i: exit code 128+N and signal=%s', (signal, name, code) => {
    const sim = begun();
    sim.spawned(at(0));
    const effects = sim.exits(at(1), null, signal);
    expect(written(effects)).toMatchObject({ state: 'ERROR', exitCode: code, extra: { signal: name } });
    expect(logs(effects)).toEqual([`web: failed to start (exit code ${code}, retries 0)`]);
    expect(exitCode(effects)).toBe(1);
  });

  it('a plain exit records no signal', () => {
    const sim = begun();
    expect(written(sim.run(0, 1, 1))?.extra.signal).toBeUndefined();
  });

  it.each([127, 126])('a spawn that fails with %i: ERROR with that code', (code) => {
    const sim = begun();
    const effects = sim.send({ type: 'spawn-failed', code, reason: 'cannot run ./web: ENOENT', at: at(0), config: DEFAULT_CONFIG });
    expect(types(effects)).toEqual(['log', 'log', 'write', 'exit']);
    expect(logs(effects)).toEqual(['web: cannot run ./web: ENOENT', `web: failed to start (exit code ${code}, retries 0)`]);
    expect(written(effects)).toMatchObject({ state: 'ERROR', exitCode: code, epoch: epoch(at(0)) });
    expect(exitCode(effects)).toBe(1);
  });

  it.each<[string, SupervisorEvent]>([
    ['begin', { type: 'begin' }],
    ['retry-due', { type: 'retry-due' }],
    ['stop', { type: 'stop' }],
    ['restart', { type: 'restart', at: 0 }],
  ])('once done, %s does nothing', (_, event) => {
    const sim = begun();
    sim.run(0, 1);
    expect(sim.send(event)).toEqual([]);
  });
});

describe('a run of at least config_start_sec is a success: retries back to 0, start again at once', () => {
  it('starts again at once and writes nothing in between', () => {
    const sim = begun();
    const effects = sim.run(0, 10, 0);
    expect(types(effects)).toEqual(['log', 'spawn']);
    expect(sim.state).toMatchObject({ hadSuccess: true, retries: 0, restarts: 1 });
  });

  it.each([
    ['exit code 1', 1, null],
    ['a death by SIGKILL', null, 9],
  ])('whatever the exit: %s', (_, code, signal) => {
    const sim = begun();
    sim.spawned(at(0));
    expect(types(sim.exits(at(60), code, signal))).toEqual(['log', 'spawn']);
  });

  it('counts the restart in the next RUN record', () => {
    const sim = afterSuccess();
    expect(written(sim.spawned(at(3600)))?.extra.restarts).toBe('1');
  });

  it.each([
    [10, 10_000, 'success'],
    [10, 9_999, 'quick'],
    [0.5, 500, 'success'],
    [0.5, 499, 'quick'],
    [0.5, 501, 'success'],
    [2.25, 2_250, 'success'],
    [2.25, 2_249, 'quick'],
    [0, 0, 'success'],
  ])('start_sec %d, a run of %i ms: %s (exactly start_sec counts as a success)', (startSec, ranMs, verdict) => {
    const sim = begun({ startSec });
    sim.spawned(T0);
    const effects = sim.exits(T0 + ranMs);
    if (verdict === 'success') expect(types(effects)).toEqual(['log', 'spawn']);
    else expect(exitCode(effects)).toBe(1);
  });

  // 4.03 * 1000 is 4030.0000000000005 in floating point: the threshold must be rounded to whole ms.
  it.each([
    [4.03, 4_030],
    [8.05, 8_050],
  ])('start_sec %d, a run of exactly %i ms is a success', (startSec, ranMs) => {
    const sim = begun({ startSec });
    sim.spawned(T0);
    expect(types(sim.exits(T0 + ranMs))).toEqual(['log', 'spawn']);
  });
});

describe('after a success, quick exits are retried: the k-th waits (k-1) x retry_sec (SPEC 5.4)', () => {
  it('with the defaults: STOP + wait 0, STOP + wait 2 s, then ERROR after 2 retries', () => {
    const sim = afterSuccess();

    sim.spawned(at(3600));
    let effects = sim.exits(at(3601), 3);
    expect(types(effects)).toEqual(['log', 'write', 'wait']);
    expect(written(effects)).toMatchObject({ state: 'STOP', exitCode: 3, workerPid: WORKER, epoch: epoch(at(3601)) });
    expect(written(effects)?.pid).toBeUndefined();
    expect(written(effects)?.extra).toMatchObject({ retries: '1', next: String(epoch(at(3601))) });
    expect(waited(effects)).toBe(0);
    expect(sim.state).toMatchObject({ phase: 'waiting', retries: 1 });
    expect(sim.send({ type: 'retry-due' })).toEqual([{ type: 'spawn' }]);

    sim.spawned(at(3601));
    effects = sim.exits(at(3602), 3);
    expect(written(effects)).toMatchObject({ state: 'STOP', exitCode: 3, extra: { retries: '2', next: String(epoch(at(3604))) } });
    expect(waited(effects)).toBe(2000);
    expect(sim.send({ type: 'retry-due' })).toEqual([{ type: 'spawn' }]);

    sim.spawned(at(3604));
    effects = sim.exits(at(3605), 3);
    expect(types(effects)).toEqual(['log', 'write', 'exit']);
    expect(written(effects)).toMatchObject({ state: 'ERROR', exitCode: 3, epoch: epoch(at(3605)) });
    expect(logs(effects)).toEqual(['web: failed to start (exit code 3, retries 2)']);
    expect(exitCode(effects)).toBe(1);
  });

  it.each<[Partial<ServiceConfig>, number[]]>([
    [{ maxRetry: 4, retrySec: 3 }, [0, 3000, 6000, 9000]],
    [{ maxRetry: 3, retrySec: 0.5 }, [0, 500, 1000]],
    [{ maxRetry: 1, retrySec: 5 }, [0]],
    [{ maxRetry: 0, retrySec: 5 }, []],
  ])('%j: waits %j, then ERROR', (config, waits) => {
    const sim = afterSuccess(config);
    let t = 3600;
    for (const ms of waits) {
      sim.spawned(at(t));
      const effects = sim.exits(at(t + 1));
      expect(waited(effects)).toBe(ms);
      expect(written(effects)?.extra.next).toBe(String(epoch(at(t + 1) + ms)));
      expect(sim.send({ type: 'retry-due' })).toEqual([{ type: 'spawn' }]);
      t += 1 + ms / 1000;
    }
    sim.spawned(at(t));
    const effects = sim.exits(at(t + 1));
    expect(logs(effects)).toEqual([`web: failed to start (exit code 1, retries ${waits.length})`]);
    expect(exitCode(effects)).toBe(1);
  });

  it('never spawns right after a quick exit: it waits for retry-due', () => {
    const sim = afterSuccess();
    sim.spawned(at(3600));
    expect(types(sim.exits(at(3601)))).not.toContain('spawn');
    expect(sim.state.phase).toBe('waiting');
  });

  it('a death by signal: STOP with exit code 128+N and signal=NAME', () => {
    const sim = afterSuccess();
    sim.spawned(at(3600));
    const effects = sim.exits(at(3601), null, 15);
    expect(written(effects)).toMatchObject({ state: 'STOP', exitCode: 143, extra: { signal: 'TERM' } });
  });

  it('a spawn failure after a success is a quick exit: STOP and a retry', () => {
    const sim = afterSuccess();
    const effects = sim.send({ type: 'spawn-failed', code: 127, reason: 'gone', at: at(3600), config: sim.state.config });
    expect(written(effects)).toMatchObject({ state: 'STOP', exitCode: 127 });
    expect(sim.state).toMatchObject({ phase: 'waiting', retries: 1 });
  });

  it('a new success resets the count', () => {
    const sim = afterSuccess();
    sim.spawned(at(3600));
    sim.exits(at(3601));
    sim.send({ type: 'retry-due' });
    expect(sim.state.retries).toBe(1);
    expect(types(sim.run(3601, 7200))).toEqual(['log', 'spawn']);
    expect(sim.state.retries).toBe(0);
    sim.spawned(at(7200));
    expect(waited(sim.exits(at(7201)))).toBe(0);
    expect(sim.state.retries).toBe(1);
  });

  it('a retry-due that is not awaited (a late timer) does nothing', () => {
    const sim = afterSuccess();
    sim.spawned(at(3600));
    expect(sim.send({ type: 'retry-due' })).toEqual([]);
    expect(sim.state.phase).toBe('running');
  });
});

describe('restart (SIGHUP): the group is stopped, the service starts again, no retry is counted', () => {
  it('while running: stop-group, then on group-stopped an immediate spawn', () => {
    const sim = begun({ stopSignal: 2, stopSec: 0.5 });
    sim.spawned(at(0));
    let effects = sim.send({ type: 'restart', at: 0 });
    expect(types(effects)).toEqual(['log', 'stop-group']);
    expect(effects[1]).toEqual({ type: 'stop-group', pgid: 101, signal: 2, graceMs: 500 });
    expect(sim.state.phase).toBe('stopping');

    // The service dies of the stop signal: that is not an exit to judge.
    expect(sim.send({ type: 'exited', code: null, signal: 2, at: at(1) })).toEqual([]);
    effects = sim.send({ type: 'group-stopped', killed: false });
    expect(effects).toEqual([{ type: 'spawn' }]);
    expect(sim.state).toMatchObject({ retries: 0, restarts: 1 });
    expect(written(sim.spawned(at(1)))).toMatchObject({ state: 'RUN', pid: 102, extra: { restarts: '1' } });
  });

  it('on the very first run, before start_sec: not a failed start', () => {
    const sim = begun();
    sim.spawned(at(0));
    sim.send({ type: 'restart', at: 0 });
    sim.send({ type: 'exited', code: null, signal: 15, at: at(1) });
    const effects = sim.send({ type: 'group-stopped', killed: false });
    expect(effects).toEqual([{ type: 'spawn' }]);
    expect(sim.state.phase).not.toBe('done');
  });

  it('leaves the retry count as it was', () => {
    const sim = afterSuccess();
    sim.spawned(at(3600));
    sim.exits(at(3601));
    sim.send({ type: 'retry-due' });
    sim.spawned(at(3601));
    expect(sim.state.retries).toBe(1);
    sim.send({ type: 'restart', at: 0 });
    sim.send({ type: 'exited', code: null, signal: 15, at: at(3602) });
    sim.send({ type: 'group-stopped', killed: false });
    expect(sim.state.retries).toBe(1);
  });

  it('works whichever comes first, the exit or the end of the group stop', () => {
    const sim = begun();
    sim.spawned(at(0));
    sim.send({ type: 'restart', at: 0 });
    expect(sim.send({ type: 'group-stopped', killed: false })).toEqual([{ type: 'spawn' }]);
    expect(sim.send({ type: 'exited', code: null, signal: 15, at: at(1) })).toEqual([]);
    expect(written(sim.spawned(at(1)))).toMatchObject({ state: 'RUN', pid: 102 });
  });

  it('logs the SIGKILL when the group had to be killed', () => {
    const sim = begun();
    sim.spawned(at(0));
    sim.send({ type: 'restart', at: 0 });
    const effects = sim.send({ type: 'group-stopped', killed: true });
    expect(types(effects)).toEqual(['log', 'spawn']);
    expect(logs(effects)[0]).toMatch(/SIGKILL.*config_stop_sec=10/);
  });

  it('during the retry wait: cancel-wait and spawn at once, no retry counted', () => {
    const sim = afterSuccess();
    sim.spawned(at(3600));
    sim.exits(at(3601));
    expect(sim.state).toMatchObject({ phase: 'waiting', retries: 1 });
    expect(sim.send({ type: 'restart', at: 0 })).toEqual([{ type: 'cancel-wait' }, { type: 'spawn' }]);
    expect(sim.state.retries).toBe(1);
    // The cancelled timer, had it fired anyway, must not spawn a second time.
    expect(sim.send({ type: 'retry-due' })).toEqual([]);
  });

  it('while spawning: applies to the new run as soon as it is recorded', () => {
    const sim = begun();
    expect(sim.send({ type: 'restart', at: 0 })).toEqual([]);
    const effects = sim.spawned(at(0));
    expect(types(effects)).toEqual(['write', 'log', 'stop-group']);
    expect(sim.send({ type: 'group-stopped', killed: false })).toEqual([{ type: 'spawn' }]);
  });

  // SPEC 5.4: a run that lasted config_start_sec was a success, also when a restart ended it.
  it('a run that lasted start_sec before a restart counts as a success', () => {
    const sim = begun();
    sim.spawned(at(0));
    sim.send({ type: 'restart', at: at(3600) });
    sim.send({ type: 'exited', code: null, signal: 15, at: at(3600) });
    sim.send({ type: 'group-stopped', killed: false });
    sim.spawned(at(3600));
    const effects = sim.exits(at(3601));
    expect(written(effects)).toMatchObject({ state: 'STOP' });
    expect(types(effects)).toContain('wait');
  });
});

describe('stop (SIGTERM / SIGINT): stop the group, remove the pid file, exit 0 (SPEC 5.5)', () => {
  const finished = ['log', 'remove-pidfile', 'exit'];

  it('while running', () => {
    const sim = begun();
    sim.spawned(at(0));
    expect(sim.send({ type: 'stop' })).toEqual([
      { type: 'stop-group', pgid: 101, signal: 15, graceMs: 10_000 },
    ]);
    expect(sim.send({ type: 'exited', code: null, signal: 15, at: at(1) })).toEqual([]);
    const effects = sim.send({ type: 'group-stopped', killed: false });
    expect(types(effects)).toEqual(finished);
    expect(exitCode(effects)).toBe(0);
    expect(written(effects)).toBeUndefined();
    expect(sim.state.phase).toBe('done');
  });

  it('with the configured stop signal and stop_sec', () => {
    const sim = begun({ stopSignal: 1, stopSec: 2.5 });
    sim.spawned(at(0));
    expect(sim.send({ type: 'stop' })).toEqual([{ type: 'stop-group', pgid: 101, signal: 1, graceMs: 2500 }]);
  });

  it('logs the SIGKILL when the group had to be killed', () => {
    const sim = begun();
    sim.spawned(at(0));
    sim.send({ type: 'stop' });
    const effects = sim.send({ type: 'group-stopped', killed: true });
    expect(types(effects)).toEqual(['log', ...finished]);
    expect(logs(effects)[0]).toMatch(/SIGKILL/);
    expect(exitCode(effects)).toBe(0);
  });

  it('during the retry wait: cancel-wait, remove the pid file, exit 0', () => {
    const sim = afterSuccess();
    sim.spawned(at(3600));
    sim.exits(at(3601));
    const effects = sim.send({ type: 'stop' });
    expect(types(effects)).toEqual(['cancel-wait', ...finished]);
    expect(exitCode(effects)).toBe(0);
  });

  it('while sweeping after an exit: no ERROR for that exit, just stop', () => {
    const sim = begun();
    sim.spawned(at(0));
    sim.send({ type: 'exited', code: 1, signal: null, at: at(1) });
    expect(sim.send({ type: 'stop' })).toEqual([]);
    const effects = sim.send({ type: 'group-stopped', killed: false });
    expect(types(effects)).toEqual(finished);
    expect(exitCode(effects)).toBe(0);
    expect(written(effects)).toBeUndefined();
  });

  it('while spawning: the new run is stopped as soon as it is recorded', () => {
    const sim = begun();
    expect(sim.send({ type: 'stop' })).toEqual([]);
    const effects = sim.spawned(at(0));
    expect(types(effects)).toEqual(['write', 'log', 'stop-group']);
    expect(exitCode(sim.send({ type: 'group-stopped', killed: false }))).toBe(0);
  });

  it('while spawning, when the spawn fails: exit 0 and no ERROR record', () => {
    const sim = begun();
    sim.send({ type: 'stop' });
    const effects = sim.send({ type: 'spawn-failed', code: 127, reason: 'gone', at: at(0), config: DEFAULT_CONFIG });
    expect(written(effects)).toBeUndefined();
    expect(types(effects)).toContain('remove-pidfile');
    expect(exitCode(effects)).toBe(0);
  });

  it.each([
    ['restart then stop', ['restart', 'stop'] as const],
    ['stop then restart', ['stop', 'restart'] as const],
  ])('wins over a restart: %s', (_, order) => {
    const sim = begun();
    sim.spawned(at(0));
    for (const type of order) sim.send(type === 'stop' ? { type } : { type, at: 0 });
    const effects = sim.send({ type: 'group-stopped', killed: false });
    expect(types(effects)).toEqual(finished);
    expect(exitCode(effects)).toBe(0);
  });
});

describe('spawn-failed is never a successful run', () => {
  // SPEC 5.4: "It never spins": a spawn that failed never ran, so even 0 >= config_start_sec=0 is no success.
  it('with start_sec 0, a failed spawn on the first run is an ERROR, not an immediate respawn', () => {
    const sim = begun({ startSec: 0 });
    const effects = sim.send({
      type: 'spawn-failed', code: 127, reason: 'gone', at: at(0), config: { ...DEFAULT_CONFIG, startSec: 0 },
    });
    expect(types(effects)).not.toContain('spawn');
    expect(exitCode(effects)).toBe(1);
  });
});
