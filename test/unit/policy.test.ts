// The worker's policy (SPEC 5, 8, 10, 13) driven through event sequences, as src/worker/supervisor.ts feeds it.
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, type ServiceConfig } from '../../src/core/config.js';
import type { PidRecord } from '../../src/core/pidfile.js';
import {
  initialState, step, type Effect, type Orphan, type Phase, type SupervisorEvent, type SupervisorState, type WantOnDisk,
} from '../../src/core/policy.js';

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
const startRecord = (effects: Effect[]): PidRecord | undefined =>
  effects.flatMap((e) => (e.type === 'write-start' ? [e.record] : []))[0];
const waited = (effects: Effect[]): number | undefined =>
  effects.flatMap((e) => (e.type === 'wait' ? [e.ms] : []))[0];
const exitOf = (effects: Effect[]): { code: number; drainMs: number } | undefined =>
  effects.flatMap((e) => (e.type === 'exit' ? [{ code: e.code, drainMs: e.drainMs }] : []))[0];
const exitCode = (effects: Effect[]): number | undefined => exitOf(effects)?.code;
const answers = (effects: Effect[]): string[] => effects.flatMap((e) => (e.type === 'answer' ? [e.line] : []));

/**
 * Only the commands write wants (SPEC 13.1), each before it tells the worker: of the worker's
 * effects, the one that names a want is reading it. Checked at compile time on the type (an
 * effect that would write one fails to compile here) and at run time on every effect of every
 * life the Sim below drives.
 */
type WantEffect = Extract<Effect['type'], `${string}want${string}`>;
const onlyReadWant: [WantEffect] extends ['read-want'] ? (['read-want'] extends [WantEffect] ? true : never) : never = true;
const touchesWant = (effect: Effect): boolean => effect.type !== 'read-want' && (/want/i.test(effect.type) || 'want' in effect);

/**
 * An orphan of a dead worker as main.ts hands it over (SPEC 13.2): its pid, its start time
 * (a day before this worker) and real uid, and the stop its record asks for (SIGINT, 2.5 s).
 */
const ORPHAN: Orphan = { pid: 77, epoch: epoch(T0) - 86_400, uid: 1005, signal: 2, graceMs: 2500 };

/** The supervisor's report once the orphan's stop is over: it names the orphan as begin gave it. */
const orphanStopped = (gone: boolean, killed = false, orphan: Orphan = ORPHAN): SupervisorEvent =>
  ({ type: 'orphan-stopped', gone, killed, orphan });

/** The preparation of a run as the worker answers it: the first run reads the want, later ones do not. */
const PREPARE_FIRST = ['read-config', 'write-start', 'read-want', 'spawn'];
const PREPARE = ['read-config', 'write-start', 'spawn'];

interface SimOptions {
  config?: Partial<ServiceConfig>;
  perp?: boolean;
  revivals?: number;
  /** An rc.log reads the service's output. */
  logger?: boolean;
}

/**
 * Feeds events to `step` and keeps the state, like the worker does. `drive` also answers the
 * effects of a run's preparation (read-config, write-start, read-want) the way the worker does,
 * queued and in order, from what the Sim holds: the config lines, the want on disk, whether
 * START can be written. A `spawn` is left for the test to answer. Pids count up from 101.
 */
class Sim {
  state: SupervisorState;
  /** What the script's config lines say now: config-read gives it before each run (SPEC 3). */
  config: ServiceConfig;
  /** The want on disk, as the first run's read-want finds it (SPEC 13.1). */
  diskWant: WantOnDisk = 'up';
  /** Why START cannot be written, while it cannot. */
  startFailure?: string;
  /** The worker's clock: config-read and start-written happen now; spawned and exits move it. */
  now = T0;
  /** Every effect of the worker's life so far, in order. */
  readonly all: Effect[] = [];
  private pids = 100;

  constructor({ config = {}, perp = false, revivals = 0, logger = false }: SimOptions = {}) {
    this.config = { ...DEFAULT_CONFIG, ...config };
    this.state = initialState(WORKER, this.config, { perp, revivals, logger });
  }

  /** One event; its effects are not answered. */
  send(event: SupervisorEvent): Effect[] {
    const result = step(this.state, event, NAME);
    expect(result.effects.filter(touchesWant), event.type).toEqual([]);
    this.state = result.state;
    this.all.push(...result.effects);
    return result.effects;
  }

  /** One event, then the answers of the preparation effects it leads to, until nothing is left to answer. */
  drive(event: SupervisorEvent): Effect[] {
    const queue: SupervisorEvent[] = [event];
    const effects: Effect[] = [];
    for (let next = queue.shift(); next; next = queue.shift()) {
      for (const effect of this.send(next)) {
        effects.push(effect);
        const reply = this.reply(effect);
        if (reply) queue.push(reply);
      }
    }
    return effects;
  }

  private reply(effect: Effect): SupervisorEvent | undefined {
    switch (effect.type) {
      case 'read-config': return { type: 'config-read', config: this.config, at: this.now };
      case 'write-start': return { type: 'start-written', at: this.now, failure: this.startFailure };
      case 'read-want': return { type: 'want-read', want: this.diskWant };
      default: return undefined;
    }
  }

  /** The answer to a `spawn` effect: the service runs from `ms`. */
  spawned(ms: number, uid?: number): Effect[] {
    this.now = ms;
    return this.drive({ type: 'spawned', pid: ++this.pids, at: ms, uid });
  }

  spawnFailed(ms: number, code = 127, reason = 'cannot run ./web: ENOENT'): Effect[] {
    this.now = ms;
    return this.drive({ type: 'spawn-failed', code, reason, at: ms });
  }

  /** The service exits by itself at `ms`; its group is swept; returns the policy's decision. */
  exits(ms: number, code: number | null = 1, signal: number | null = null): Effect[] {
    const { pid, config } = this.state;
    this.now = ms;
    // A run with a readiness rule is no longer watched (SPEC 14).
    expect(this.send({ type: 'exited', code, signal, at: ms })).toEqual([
      ...(this.state.ready === undefined ? [] : [{ type: 'unwatch' }]),
      { type: 'stop-group', pgid: pid, signal: config.stopSignal, graceMs: config.stopSec * 1000 },
    ]);
    return this.drive({ type: 'group-stopped', killed: false });
  }

  /** One run from second `from` to second `to` (after T0) that ends by itself. */
  run(from: number, to: number, code = 1): Effect[] {
    this.spawned(at(from));
    return this.exits(at(to), code);
  }
}

/** A worker that has just begun: its first run is prepared and its spawn asked for. */
function begun(options: SimOptions = {}): Sim {
  const sim = new Sim(options);
  expect(types(sim.drive({ type: 'begin' }))).toEqual(PREPARE_FIRST);
  return sim;
}

/** A worker whose first run lasted an hour (a success) and which is spawning the second run. */
function afterSuccess(options: SimOptions = {}): Sim {
  const sim = begun(options);
  expect(types(sim.run(0, 3600, 0))).toEqual(['log', ...PREPARE]);
  return sim;
}

/** A worker whose second run exited quickly: it waits for its first retry. */
function waiting(options: SimOptions = {}): Sim {
  const sim = afterSuccess(options);
  sim.spawned(at(3600));
  expect(types(sim.exits(at(3601)))).toEqual(['log', 'write', 'wait']);
  expect(sim.state.phase).toBe('waiting');
  return sim;
}

describe('the preparation of a run: config, START, (first run) want, spawn (SPEC 5.2, 13.1)', () => {
  it('begin asks for the config first', () => {
    const sim = new Sim();
    expect(sim.send({ type: 'begin' })).toEqual([{ type: 'read-config' }]);
    expect(sim.state.phase).toBe('spawning');
  });

  it('config-read takes the config read and asks for START: the worker, now, the restarts and stop_sec of that config', () => {
    const sim = new Sim();
    sim.send({ type: 'begin' });
    const config = { ...DEFAULT_CONFIG, stopSec: 3.5, startSec: 1 };
    expect(sim.send({ type: 'config-read', config, at: at(0.7) })).toEqual([{
      type: 'write-start',
      record: { state: 'START', workerPid: WORKER, epoch: epoch(at(0)), keys: { restarts: 0, stopSec: 3.5 } },
    }]);
    expect(sim.state.config).toEqual(config);
  });

  it('the first run reads the want after START; a later run does not', () => {
    const sim = new Sim();
    sim.send({ type: 'begin' });
    sim.send({ type: 'config-read', config: DEFAULT_CONFIG, at: at(0) });
    expect(sim.send({ type: 'start-written', at: at(0) })).toEqual([{ type: 'read-want' }]);
    expect(sim.send({ type: 'want-read', want: 'up' })).toEqual([{ type: 'spawn' }]);
    sim.spawned(at(0));
    expect(sim.exits(at(3600), 0)).toEqual([
      { type: 'log', message: 'web: exited (exit code 0) after 3600.0s; starting again' },
      { type: 'read-config' },
      {
        type: 'write-start',
        record: { state: 'START', workerPid: WORKER, epoch: epoch(at(3600)), keys: { restarts: 1, stopSec: 10, lastExit: 0 } },
      },
      { type: 'spawn' },
    ]);
  });

  it.each<WantOnDisk>(['up', 'none'])('a want of %s on disk: the first run is spawned', (want) => {
    const sim = new Sim();
    sim.diskWant = want;
    expect(types(sim.drive({ type: 'begin' }))).toEqual(PREPARE_FIRST);
    expect(sim.state.phase).toBe('spawning');
  });

  // A stop (want down) that came between start's want and this worker's START wins (SPEC 13.1).
  it('a want of down on disk: nothing runs; the record goes, the starter hears "down", exit 0', () => {
    const sim = new Sim();
    sim.diskWant = 'down';
    expect(sim.drive({ type: 'begin' })).toEqual([
      { type: 'read-config' },
      { type: 'write-start', record: expect.objectContaining({ state: 'START' }) },
      { type: 'read-want' },
      { type: 'log', message: 'web: not started: its want is down (a stop came meanwhile)' },
      { type: 'remove-pidfile' },
      { type: 'answer', line: 'down' },
      { type: 'exit', code: 0, drainMs: 1000 },
    ]);
    expect(sim.state).toMatchObject({ phase: 'done', want: 'down', answered: true });
    expect(types(sim.all)).not.toContain('spawn');
  });

  it('a want of down on disk after a stop was remembered: the stop\'s line, the same answer', () => {
    const sim = new Sim();
    sim.diskWant = 'down';
    sim.send({ type: 'begin' });
    sim.send({ type: 'config-read', config: DEFAULT_CONFIG, at: at(0) });
    sim.send({ type: 'start-written', at: at(0) });
    sim.send({ type: 'stop' });
    expect(sim.drive({ type: 'want-read', want: 'down' })).toEqual([
      { type: 'log', message: 'web: stopped' },
      { type: 'remove-pidfile' },
      { type: 'answer', line: 'down' },
      { type: 'exit', code: 0, drainMs: 1000 },
    ]);
  });

  it('spawned writes RUN with the service pid, the worker pid, the start time in whole seconds and the config of the run', () => {
    const sim = begun({ config: { startSec: 4, stopSec: 2, stopSignal: 2 } });
    const effects = sim.spawned(at(0.999), 1005);
    expect(effects).toEqual([
      {
        type: 'write',
        record: {
          state: 'RUN', pid: 101, workerPid: WORKER, epoch: epoch(at(0)),
          keys: { restarts: 0, retries: 0, startSec: 4, stopSec: 2, stopSignal: 'INT', uid: 1005, once: undefined },
        },
      },
      { type: 'log', message: 'web: started (pid 101)' },
      { type: 'answer', line: 'started 101' },
    ]);
    expect(written(effects)?.exitCode).toBeUndefined();
    expect(sim.state.phase).toBe('running');
  });

  it('a RUN without a known uid has none', () => {
    const sim = begun();
    expect(written(sim.spawned(at(0)))?.keys.uid).toBeUndefined();
  });

  it('a later RUN says how the run before it ended', () => {
    const sim = afterSuccess();
    expect(written(sim.spawned(at(3600)))?.keys).toMatchObject({ restarts: 1, lastExit: 0, lastSignal: undefined });
    sim.exits(at(7200), null, 9);
    expect(written(sim.spawned(at(7200)))?.keys).toMatchObject({ restarts: 2, lastExit: 137, lastSignal: 'KILL' });
  });

  // SPEC 4 key table: last_exit and last_signal are in START as well as in RUN.
  it('a later START says how the run before it ended', () => {
    const sim = begun();
    sim.spawned(at(0));
    sim.exits(at(3600), null, 15);
    expect(startRecord(sim.all.slice(-3))?.keys).toEqual({ restarts: 1, stopSec: 10, lastExit: 143, lastSignal: 'TERM' });
  });

  it('an exit first stops what is left of the group, with the stop signal and config_stop_sec', () => {
    const sim = begun({ config: { stopSignal: 2, stopSec: 0.5 } });
    sim.spawned(at(0));
    expect(sim.send({ type: 'exited', code: 0, signal: null, at: at(20) })).toEqual([
      { type: 'stop-group', pgid: 101, signal: 2, graceMs: 500 },
    ]);
    expect(sim.state.phase).toBe('sweeping');
  });

  describe('the config is read again before every run (SPEC 3)', () => {
    it('the first run is judged by the config read for it, not the one the worker began with', () => {
      const sim = new Sim();
      sim.config = { ...DEFAULT_CONFIG, startSec: 1 };
      sim.drive({ type: 'begin' });
      sim.spawned(at(0));
      expect(types(sim.exits(at(1.5)))).toEqual(['log', ...PREPARE]);
    });

    it('an edit between runs applies to the next run: its START, its RUN, its stop and its verdict', () => {
      const sim = afterSuccess();
      expect(startRecord(sim.all)?.keys.stopSec).toBe(10);
      // The second run was prepared with the defaults; the third reads the edit.
      sim.config = { ...DEFAULT_CONFIG, startSec: 1, stopSec: 0.25, stopSignal: 1 };
      sim.spawned(at(3600));
      const effects = sim.exits(at(7200), 0);
      expect(startRecord(effects)?.keys).toMatchObject({ stopSec: 0.25 });
      expect(written(sim.spawned(at(7200)))?.keys).toMatchObject({ startSec: 1, stopSec: 0.25, stopSignal: 'HUP' });
      expect(sim.send({ type: 'exited', code: 1, signal: null, at: at(7201.5) })).toEqual([
        { type: 'stop-group', pgid: 103, signal: 1, graceMs: 250 },
      ]);
      expect(types(sim.drive({ type: 'group-stopped', killed: false }))).toEqual(['log', ...PREPARE]);
    });
  });

  describe('START cannot be written (SPEC 5.2)', () => {
    it('for the first run: nothing runs, the reason is logged and answered, ERROR, exit 1', () => {
      const sim = new Sim();
      sim.startFailure = 'unable to write its pid file in /p (RERAISE_PIDDIR): ENOSPC';
      const effects = sim.drive({ type: 'begin' });
      expect(effects).toEqual([
        { type: 'read-config' },
        { type: 'write-start', record: expect.objectContaining({ state: 'START' }) },
        { type: 'log', message: 'web: unable to write its pid file in /p (RERAISE_PIDDIR): ENOSPC' },
        { type: 'log', message: 'web: failed to start (exit code 126, retries 0)' },
        { type: 'write', record: expect.objectContaining({ state: 'ERROR', exitCode: 126 }) },
        { type: 'answer', line: 'error unable to write its pid file in /p (RERAISE_PIDDIR): ENOSPC' },
        { type: 'exit', code: 1, drainMs: 1000 },
      ]);
      expect(sim.state.phase).toBe('done');
    });

    it('for a later run: the service matters more than its record, it runs', () => {
      const sim = begun();
      sim.spawned(at(0));
      sim.startFailure = 'unable to write its pid file';
      expect(types(sim.exits(at(3600), 0))).toEqual(['log', ...PREPARE]);
      expect(written(sim.spawned(at(3600)))).toMatchObject({ state: 'RUN', pid: 102 });
      expect(answers(sim.all)).toEqual(['started 101']);
    });
  });
});

describe('a quick exit on the very first run is a failed start, whatever the exit code (SPEC 5.4)', () => {
  it.each([0, 1, 2, 127, 255])('exit code %i: ERROR, "failed to start", exit 1', (code) => {
    const sim = begun();
    const effects = sim.run(0, 1, code);
    // The reason is logged before ERROR is written, so that whoever sees ERROR finds it in the log.
    expect(types(effects)).toEqual(['log', 'write', 'exit']);
    expect(written(effects)).toEqual({
      state: 'ERROR', exitCode: code, epoch: epoch(at(1)),
      keys: { restarts: 0, retries: 0, startSec: 10, stopSec: 10, stopSignal: 'TERM', signal: undefined, revivals: 0, reviveSec: 60 },
    });
    expect(logs(effects)).toEqual([`web: failed to start (exit code ${code}, retries 0)`]);
    expect(exitOf(effects)).toEqual({ code: 1, drainMs: 1000 });
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
    expect(written(effects)).toMatchObject({ state: 'ERROR', exitCode: code, keys: { signal: name } });
    expect(logs(effects)).toEqual([`web: failed to start (exit code ${code}, retries 0)`]);
    expect(exitCode(effects)).toBe(1);
  });

  it('a plain exit records no signal', () => {
    const sim = begun();
    expect(written(sim.run(0, 1, 1))?.keys.signal).toBeUndefined();
  });

  it.each([127, 126])('a spawn that fails with %i: ERROR with that code, the reason answered', (code) => {
    const sim = begun();
    const effects = sim.spawnFailed(at(0), code);
    expect(types(effects)).toEqual(['log', 'log', 'write', 'answer', 'exit']);
    expect(logs(effects)).toEqual(['web: cannot run ./web: ENOENT', `web: failed to start (exit code ${code}, retries 0)`]);
    expect(written(effects)).toMatchObject({ state: 'ERROR', exitCode: code, epoch: epoch(at(0)) });
    expect(answers(effects)).toEqual(['error cannot run ./web: ENOENT']);
    expect(exitCode(effects)).toBe(1);
  });

  // SPEC 5.4: "It never spins": a spawn that failed never ran, so even 0 >= config_start_sec=0 is no success.
  it('with start_sec 0, a failed spawn on the first run is an ERROR, not an immediate respawn', () => {
    const sim = begun({ config: { startSec: 0 } });
    const effects = sim.spawnFailed(at(0));
    expect(types(effects)).not.toContain('read-config');
    expect(types(effects)).not.toContain('spawn');
    expect(exitCode(effects)).toBe(1);
  });
});

describe('a run of at least config_start_sec is a success: retries back to 0, start again at once', () => {
  it('starts again at once and writes no STOP in between', () => {
    const sim = begun();
    const effects = sim.run(0, 10, 0);
    expect(types(effects)).toEqual(['log', ...PREPARE]);
    expect(written(effects)).toBeUndefined();
    expect(sim.state).toMatchObject({ hadSuccess: true, retries: 0, restarts: 1 });
  });

  it.each([
    ['exit code 1', 1, null],
    ['a death by SIGKILL', null, 9],
  ])('whatever the exit: %s', (_, code, signal) => {
    const sim = begun();
    sim.spawned(at(0));
    expect(types(sim.exits(at(60), code, signal))).toEqual(['log', ...PREPARE]);
  });

  it('counts the restart in the next START and RUN records', () => {
    const sim = afterSuccess();
    expect(startRecord(sim.all.slice(-3))?.keys.restarts).toBe(1);
    expect(written(sim.spawned(at(3600)))?.keys.restarts).toBe(1);
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
    const sim = begun({ config: { startSec } });
    sim.spawned(T0);
    const effects = sim.exits(T0 + ranMs);
    if (verdict === 'success') expect(types(effects)).toEqual(['log', ...PREPARE]);
    else expect(exitCode(effects)).toBe(1);
  });

  // 4.03 * 1000 is 4030.0000000000005 in floating point: the threshold must be rounded to whole ms.
  it.each([
    [4.03, 4_030],
    [8.05, 8_050],
  ])('start_sec %d, a run of exactly %i ms is a success', (startSec, ranMs) => {
    const sim = begun({ config: { startSec } });
    sim.spawned(T0);
    expect(types(sim.exits(T0 + ranMs))).toEqual(['log', ...PREPARE]);
  });
});

describe('after a success, quick exits are retried: the k-th waits (k-1) x retry_sec (SPEC 5.4)', () => {
  it('with the defaults: STOP + wait 0, STOP + wait 2 s, then ERROR after 2 retries', () => {
    const sim = afterSuccess();

    sim.spawned(at(3600));
    let effects = sim.exits(at(3601), 3);
    expect(types(effects)).toEqual(['log', 'write', 'wait']);
    expect(written(effects)).toEqual({
      state: 'STOP', exitCode: 3, workerPid: WORKER, epoch: epoch(at(3601)),
      keys: { restarts: 1, retries: 1, startSec: 10, stopSec: 10, stopSignal: 'TERM', signal: undefined, next: epoch(at(3601)) },
    });
    expect(waited(effects)).toBe(0);
    expect(sim.state).toMatchObject({ phase: 'waiting', retries: 1 });
    expect(types(sim.drive({ type: 'retry-due' }))).toEqual(PREPARE);

    sim.spawned(at(3601));
    effects = sim.exits(at(3602), 3);
    expect(written(effects)).toMatchObject({ state: 'STOP', exitCode: 3, keys: { retries: 2, next: epoch(at(3604)) } });
    expect(waited(effects)).toBe(2000);
    expect(types(sim.drive({ type: 'retry-due' }))).toEqual(PREPARE);

    sim.spawned(at(3604));
    effects = sim.exits(at(3605), 3);
    expect(types(effects)).toEqual(['log', 'write', 'exit']);
    expect(written(effects)).toMatchObject({ state: 'ERROR', exitCode: 3, epoch: epoch(at(3605)), keys: { retries: 2 } });
    expect(logs(effects)).toEqual(['web: failed to start (exit code 3, retries 2)']);
    expect(exitCode(effects)).toBe(1);
  });

  it.each<[Partial<ServiceConfig>, number[]]>([
    [{ maxRetry: 4, retrySec: 3 }, [0, 3000, 6000, 9000]],
    [{ maxRetry: 3, retrySec: 0.5 }, [0, 500, 1000]],
    [{ maxRetry: 1, retrySec: 5 }, [0]],
    [{ maxRetry: 0, retrySec: 5 }, []],
  ])('%j: waits %j, then ERROR', (config, waits) => {
    const sim = afterSuccess({ config });
    let t = 3600;
    for (const ms of waits) {
      sim.spawned(at(t));
      const effects = sim.exits(at(t + 1));
      expect(waited(effects)).toBe(ms);
      expect(written(effects)?.keys.next).toBe(epoch(at(t + 1) + ms));
      expect(types(sim.drive({ type: 'retry-due' }))).toEqual(PREPARE);
      t += 1 + ms / 1000;
    }
    sim.spawned(at(t));
    const effects = sim.exits(at(t + 1));
    expect(logs(effects)).toEqual([`web: failed to start (exit code 1, retries ${waits.length})`]);
    expect(exitCode(effects)).toBe(1);
  });

  it('never prepares a run right after a quick exit: it waits for retry-due', () => {
    const sim = afterSuccess();
    sim.spawned(at(3600));
    const effects = sim.exits(at(3601));
    expect(types(effects)).not.toContain('read-config');
    expect(types(effects)).not.toContain('spawn');
    expect(sim.state.phase).toBe('waiting');
  });

  it('a death by signal: STOP with exit code 128+N and signal=NAME', () => {
    const sim = afterSuccess();
    sim.spawned(at(3600));
    const effects = sim.exits(at(3601), null, 15);
    expect(written(effects)).toMatchObject({ state: 'STOP', exitCode: 143, keys: { signal: 'TERM' } });
  });

  it('a spawn failure after a success is a quick exit: STOP and a retry, no answer', () => {
    const sim = afterSuccess();
    const effects = sim.spawnFailed(at(3600), 127, 'gone');
    expect(logs(effects)[0]).toBe('web: gone');
    expect(written(effects)).toMatchObject({ state: 'STOP', exitCode: 127 });
    expect(answers(effects)).toEqual([]);
    expect(sim.state).toMatchObject({ phase: 'waiting', retries: 1 });
    // The next run's record names that failure as the last exit.
    sim.drive({ type: 'retry-due' });
    expect(written(sim.spawned(at(3601)))?.keys).toMatchObject({ lastExit: 127 });
  });

  it('a new success resets the count', () => {
    const sim = afterSuccess();
    sim.spawned(at(3600));
    sim.exits(at(3601));
    sim.drive({ type: 'retry-due' });
    expect(sim.state.retries).toBe(1);
    expect(types(sim.run(3601, 7200))).toEqual(['log', ...PREPARE]);
    expect(sim.state.retries).toBe(0);
    sim.spawned(at(7200));
    expect(waited(sim.exits(at(7201)))).toBe(0);
    expect(sim.state.retries).toBe(1);
  });
});

describe('restart (SIGHUP): the group is stopped, the service starts again, no retry is counted', () => {
  it('while running: stop-group, then on group-stopped the next run is prepared at once', () => {
    const sim = begun({ config: { stopSignal: 2, stopSec: 0.5 } });
    sim.spawned(at(0));
    let effects = sim.send({ type: 'restart', at: at(0) });
    expect(effects).toEqual([
      { type: 'log', message: 'web: restart asked for; stopping pid 101' },
      { type: 'stop-group', pgid: 101, signal: 2, graceMs: 500 },
    ]);
    expect(sim.state.phase).toBe('stopping');

    // The service dies of the stop signal: that is not an exit to judge.
    expect(sim.send({ type: 'exited', code: null, signal: 2, at: at(1) })).toEqual([]);
    effects = sim.drive({ type: 'group-stopped', killed: false });
    expect(types(effects)).toEqual(PREPARE);
    expect(sim.state).toMatchObject({ retries: 0, restarts: 1 });
    expect(written(sim.spawned(at(1)))).toMatchObject({ state: 'RUN', pid: 102, keys: { restarts: 1 } });
  });

  it('on the very first run, before start_sec: not a failed start', () => {
    const sim = begun();
    sim.spawned(at(0));
    sim.send({ type: 'restart', at: at(0) });
    sim.send({ type: 'exited', code: null, signal: 15, at: at(1) });
    expect(types(sim.drive({ type: 'group-stopped', killed: false }))).toEqual(PREPARE);
    expect(sim.state.phase).toBe('spawning');
  });

  it('leaves the retry count as it was', () => {
    const sim = afterSuccess();
    sim.spawned(at(3600));
    sim.exits(at(3601));
    sim.drive({ type: 'retry-due' });
    sim.spawned(at(3601));
    expect(sim.state.retries).toBe(1);
    sim.send({ type: 'restart', at: at(3601) });
    sim.send({ type: 'exited', code: null, signal: 15, at: at(3602) });
    sim.drive({ type: 'group-stopped', killed: false });
    expect(sim.state.retries).toBe(1);
  });

  it('works whichever comes first, the exit or the end of the group stop', () => {
    const sim = begun();
    sim.spawned(at(0));
    sim.send({ type: 'restart', at: at(0) });
    expect(types(sim.drive({ type: 'group-stopped', killed: false }))).toEqual(PREPARE);
    expect(sim.send({ type: 'exited', code: null, signal: 15, at: at(1) })).toEqual([]);
    expect(written(sim.spawned(at(1)))).toMatchObject({ state: 'RUN', pid: 102 });
  });

  it('logs the SIGKILL when the group had to be killed', () => {
    const sim = begun();
    sim.spawned(at(0));
    sim.send({ type: 'restart', at: at(0) });
    const effects = sim.drive({ type: 'group-stopped', killed: true });
    expect(types(effects)).toEqual(['log', ...PREPARE]);
    expect(logs(effects)[0]).toBe('web: sent SIGKILL to the process group after config_stop_sec=10');
  });

  it('during the retry wait: cancel-wait and a run prepared at once, no retry counted', () => {
    const sim = waiting();
    expect(sim.state.retries).toBe(1);
    expect(types(sim.drive({ type: 'restart', at: at(3602) }))).toEqual(['cancel-wait', ...PREPARE]);
    expect(sim.state).toMatchObject({ retries: 1, restarts: 2 });
    // The cancelled timer, had it fired anyway, must not prepare a second run.
    expect(sim.send({ type: 'retry-due' })).toEqual([]);
  });

  it('while sweeping an exit: the exit is not judged, the service starts again', () => {
    const sim = begun();
    sim.spawned(at(0));
    sim.send({ type: 'exited', code: 1, signal: null, at: at(1) });
    expect(sim.send({ type: 'restart', at: at(1) })).toEqual([]);
    const effects = sim.drive({ type: 'group-stopped', killed: false });
    expect(types(effects)).toEqual(PREPARE);
    expect(written(effects)).toBeUndefined();
  });

  // The run about to start is the restart: it reads the config afresh anyway.
  it('while a run is prepared: nothing more to do', () => {
    const sim = new Sim();
    sim.send({ type: 'begin' });
    const before = sim.state;
    expect(sim.send({ type: 'restart', at: at(0) })).toEqual([]);
    expect(sim.state).toBe(before);
  });

  // SPEC 5.4: a run that lasted config_start_sec was a success, also when a restart ended it.
  it('a run that lasted start_sec before a restart counts as a success', () => {
    const sim = begun();
    sim.spawned(at(0));
    sim.send({ type: 'restart', at: at(3600) });
    sim.send({ type: 'exited', code: null, signal: 15, at: at(3600) });
    sim.drive({ type: 'group-stopped', killed: false });
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
    const effects = sim.drive({ type: 'group-stopped', killed: false });
    expect(effects).toEqual([
      { type: 'log', message: 'web: stopped' },
      { type: 'remove-pidfile' },
      { type: 'exit', code: 0, drainMs: 1000 },
    ]);
    expect(sim.state.phase).toBe('done');
  });

  it('with the configured stop signal and stop_sec', () => {
    const sim = begun({ config: { stopSignal: 1, stopSec: 2.5 } });
    sim.spawned(at(0));
    expect(sim.send({ type: 'stop' })).toEqual([{ type: 'stop-group', pgid: 101, signal: 1, graceMs: 2500 }]);
  });

  it('logs the SIGKILL when the group had to be killed', () => {
    const sim = begun();
    sim.spawned(at(0));
    sim.send({ type: 'stop' });
    const effects = sim.drive({ type: 'group-stopped', killed: true });
    expect(types(effects)).toEqual(['log', ...finished]);
    expect(logs(effects)[0]).toMatch(/SIGKILL/);
    expect(exitCode(effects)).toBe(0);
  });

  it('during the retry wait: cancel-wait, remove the pid file, exit 0', () => {
    const sim = waiting();
    const effects = sim.send({ type: 'stop' });
    expect(types(effects)).toEqual(['cancel-wait', ...finished]);
    expect(exitCode(effects)).toBe(0);
  });

  it('while sweeping after an exit: no ERROR for that exit, just stop', () => {
    const sim = begun();
    sim.spawned(at(0));
    sim.send({ type: 'exited', code: 1, signal: null, at: at(1) });
    expect(sim.send({ type: 'stop' })).toEqual([]);
    const effects = sim.drive({ type: 'group-stopped', killed: false });
    expect(types(effects)).toEqual(finished);
    expect(exitCode(effects)).toBe(0);
    expect(written(effects)).toBeUndefined();
  });

  it.each([
    ['restart then stop', ['restart', 'stop'] as const],
    ['stop then restart', ['stop', 'restart'] as const],
  ])('wins over a restart: %s', (_, order) => {
    const sim = begun();
    sim.spawned(at(0));
    for (const type of order) sim.send(type === 'stop' ? { type } : { type, at: at(0) });
    const effects = sim.drive({ type: 'group-stopped', killed: false });
    expect(types(effects)).toEqual(finished);
    expect(exitCode(effects)).toBe(0);
  });

  it('before anything began: nothing runs, exit 0', () => {
    const sim = new Sim();
    expect(sim.send({ type: 'stop' })).toEqual([
      { type: 'log', message: 'web: stopped' },
      { type: 'remove-pidfile' },
      { type: 'answer', line: 'error stopped before it ran' },
      { type: 'exit', code: 0, drainMs: 1000 },
    ]);
    expect(sim.state.phase).toBe('done');
  });

  /**
   * A stop at each step of the first run's preparation: the events before it are sent by hand,
   * the stop is remembered (no effect), and the next answer ends the worker without a spawn,
   * or, once the spawn is under way, stops the new run as soon as it is recorded. A starter not
   * answered yet hears `down`, as when the worker finds the want down (SPEC 13.1): the stop came first.
   */
  describe('a stop during the preparation of the first run: the starter hears "down"', () => {
    const chain: SupervisorEvent[] = [
      { type: 'begin' },
      { type: 'config-read', config: DEFAULT_CONFIG, at: at(0) },
      { type: 'start-written', at: at(0) },
      { type: 'want-read', want: 'up' },
    ];
    const ended: Effect[] = [
      { type: 'log', message: 'web: stopped' },
      { type: 'remove-pidfile' },
      { type: 'answer', line: 'down' },
      { type: 'exit', code: 0, drainMs: 1000 },
    ];

    it.each<[string, number, string[]]>([
      ['before config-read: START is still written, then the worker ends', 1, ['write-start', ...types(ended)]],
      ['after config-read, before start-written: ends at start-written', 2, types(ended)],
      ['after start-written, before want-read: ends at want-read', 3, types(ended)],
    ])('%s', (_, sent, rest) => {
      const sim = new Sim();
      for (const event of chain.slice(0, sent)) sim.send(event);
      expect(sim.state.phase).toBe('spawning');
      expect(sim.send({ type: 'stop' })).toEqual([]);
      expect(sim.state.want).toBe('down');
      const effects = sim.drive(chain[sent]);
      expect(types(effects)).toEqual(rest);
      expect(effects.slice(-4)).toEqual(ended);
      expect(answers(sim.all)).toEqual(['down']);
      expect(types(sim.all)).not.toContain('spawn');
      expect(sim.state.phase).toBe('done');
    });

    it.each([1, 2, 3])('two stops before step %i: one answer, down', (sent) => {
      const sim = new Sim();
      for (const event of chain.slice(0, sent)) sim.send(event);
      sim.send({ type: 'stop' });
      sim.send({ type: 'stop' });
      sim.drive(chain[sent]);
      expect(answers(sim.all)).toEqual(['down']);
    });

    it('a once and then a stop before want-read: the stop wins, down', () => {
      const sim = new Sim();
      for (const event of chain.slice(0, 3)) sim.send(event);
      sim.send({ type: 'once', on: true });
      sim.send({ type: 'stop' });
      expect(sim.drive(chain[3])).toEqual(ended);
    });

    it('after want-read (the spawn under way): the new run is recorded, answered, then stopped', () => {
      const sim = new Sim();
      for (const event of chain) sim.send(event);
      expect(sim.send({ type: 'stop' })).toEqual([]);
      const effects = sim.spawned(at(0));
      expect(types(effects)).toEqual(['write', 'log', 'answer', 'stop-group']);
      expect(answers(effects)).toEqual(['started 101']);
      expect(sim.state.phase).toBe('stopping');
      const end = sim.drive({ type: 'group-stopped', killed: false });
      expect(end).toEqual([{ type: 'log', message: 'web: stopped' }, { type: 'remove-pidfile' }, { type: 'exit', code: 0, drainMs: 1000 }]);
    });

    it('after want-read, and the spawn fails: exit 0, no ERROR record, down', () => {
      const sim = new Sim();
      for (const event of chain) sim.send(event);
      sim.send({ type: 'stop' });
      const effects = sim.spawnFailed(at(0), 127, 'gone');
      expect(effects).toEqual([{ type: 'log', message: 'web: gone' }, ...ended]);
      expect(written(sim.all)).toBeUndefined();
    });

    it('after spawned: as while running', () => {
      const sim = new Sim();
      for (const event of chain) sim.send(event);
      sim.spawned(at(0));
      expect(types(sim.send({ type: 'stop' }))).toEqual(['stop-group']);
    });
  });

  it('on a later run\'s preparation: ends at the next answer, without spawning', () => {
    const sim = begun();
    sim.spawned(at(0));
    sim.send({ type: 'exited', code: 0, signal: null, at: at(3600) });
    // The group is gone, the next run's config asked for; the stop comes before the config is read.
    expect(sim.send({ type: 'group-stopped', killed: false })).toEqual([{ type: 'log', message: expect.stringContaining('starting again') }, { type: 'read-config' }]);
    expect(sim.send({ type: 'stop' })).toEqual([]);
    const effects = sim.drive({ type: 'config-read', config: DEFAULT_CONFIG, at: at(3600) });
    expect(types(effects)).toEqual(['write-start', ...finished]);
  });
});

describe('the starter\'s answer: exactly one over a worker\'s life (SPEC 5.1)', () => {
  it.each<[string, (sim: Sim) => void, string]>([
    ['a life of successes, retries and a final ERROR: started PID', (sim) => {
      sim.drive({ type: 'begin' });
      sim.run(0, 3600, 0);
      sim.run(3600, 3601);
      sim.drive({ type: 'retry-due' });
      sim.run(3601, 3602);
      sim.drive({ type: 'retry-due' });
      sim.run(3604, 3605);
    }, 'started 101'],
    ['a quick exit on the first run: started PID, and nothing more at ERROR', (sim) => {
      sim.drive({ type: 'begin' });
      sim.run(0, 1);
    }, 'started 101'],
    ['a first spawn that fails: error with the reason', (sim) => {
      sim.drive({ type: 'begin' });
      sim.spawnFailed(at(0), 126, 'cannot run ./web: EACCES');
    }, 'error cannot run ./web: EACCES'],
    ['a START that cannot be written: error with the reason', (sim) => {
      sim.startFailure = 'unable to use its pid dir /p (RERAISE_PIDDIR): read-only';
      sim.drive({ type: 'begin' });
    }, 'error unable to use its pid dir /p (RERAISE_PIDDIR): read-only'],
    ['a stop before anything began: error stopped before it ran', (sim) => {
      sim.send({ type: 'stop' });
      sim.send({ type: 'stop' });
    }, 'error stopped before it ran'],
    ['a stop during the preparation: down (the stop came first)', (sim) => {
      sim.send({ type: 'begin' });
      sim.send({ type: 'stop' });
      sim.drive({ type: 'config-read', config: DEFAULT_CONFIG, at: at(0) });
    }, 'down'],
    ['a stop during the preparation, and the spawn fails: down', (sim) => {
      sim.drive({ type: 'begin' });
      sim.send({ type: 'stop' });
      sim.spawnFailed(at(0));
    }, 'down'],
    ['a stop while adopting an orphan: down, once it is gone', (sim) => {
      sim.send({ type: 'begin', orphan: ORPHAN });
      sim.send({ type: 'stop' });
      sim.drive(orphanStopped(true));
    }, 'down'],
    ['a want of down: down', (sim) => {
      sim.diskWant = 'down';
      sim.drive({ type: 'begin' });
    }, 'down'],
    ['a stop and a restart while running, then the stop: started PID', (sim) => {
      sim.drive({ type: 'begin' });
      sim.spawned(at(0));
      sim.send({ type: 'restart', at: at(1) });
      sim.drive({ type: 'group-stopped', killed: false });
      sim.spawned(at(1));
      sim.send({ type: 'stop' });
      sim.drive({ type: 'group-stopped', killed: false });
    }, 'started 101'],
    ['an orphan taken over, then a run: started PID and the orphan\'s pid', (sim) => {
      sim.send({ type: 'begin', orphan: ORPHAN });
      sim.drive(orphanStopped(true));
      sim.spawned(at(0));
    }, 'started 101 77'],
    ['an orphan that outlives its stop: error naming it', (sim) => {
      sim.send({ type: 'begin', orphan: ORPHAN });
      sim.drive(orphanStopped(false, true));
    }, 'error orphaned pid 77 outlived its stop signal and config_stop_sec'],
    ['a stop while adopting an orphan that outlives it: the error all the same', (sim) => {
      sim.send({ type: 'begin', orphan: ORPHAN });
      sim.send({ type: 'stop' });
      sim.drive(orphanStopped(false, true));
    }, 'error orphaned pid 77 outlived its stop signal and config_stop_sec'],
    ['a once run that ends: started PID', (sim) => {
      sim.drive({ type: 'begin' });
      sim.spawned(at(0));
      sim.send({ type: 'once', on: true });
      sim.exits(at(5), 0);
    }, 'started 101'],
  ])('%s', (_, life, line) => {
    const sim = new Sim();
    life(sim);
    expect(answers(sim.all)).toEqual([line]);
    expect(sim.state.answered).toBe(true);
  });
});

describe('taking over an orphan (SPEC 13.2)', () => {
  /** The record that makes the orphan this worker's run: its pid and start time, this worker, how it is stopped. */
  const adopted: PidRecord = {
    state: 'RUN', pid: 77, workerPid: WORKER, epoch: ORPHAN.epoch,
    keys: { restarts: 0, uid: 1005, stopSec: 2.5, stopSignal: 'INT' },
  };
  const takingOver = 'web: taking over orphaned pid 77 (its worker is gone): stopping it to run it again under this worker';

  function adopting(orphan: Orphan = ORPHAN): Sim {
    const sim = new Sim();
    sim.send({ type: 'begin', orphan });
    expect(sim.state.phase).toBe('adopting');
    return sim;
  }

  // Status, stop and another revive find the run here from then on; what the orphan wrote before goes into the log first.
  it('begin: the record names the orphan with this worker, then its stop, then the line saying so', () => {
    const sim = new Sim();
    const effects = sim.send({ type: 'begin', orphan: ORPHAN });
    expect(effects).toStrictEqual([
      { type: 'write', record: adopted },
      { type: 'stop-orphan', pid: 77, signal: 2, graceMs: 2500 },
      { type: 'log', message: takingOver },
    ]);
    expect(types(effects)).toEqual(['write', 'stop-orphan', 'log']);
    expect(sim.state).toMatchObject({ phase: 'adopting', answered: false });
  });

  it.each<[string, Orphan, PidRecord['keys']]>([
    ['its own signal and stop time, as numbers become names and seconds', { pid: 77, epoch: 1_600_000_000, uid: 0, signal: 15, graceMs: 10_000 },
      { restarts: 0, uid: 0, stopSec: 10, stopSignal: 'TERM' }],
    ['a fractional stop time', { pid: 77, epoch: 1_600_000_000, uid: 1005, signal: 1, graceMs: 4030 },
      { restarts: 0, uid: 1005, stopSec: 4.03, stopSignal: 'HUP' }],
    ['no uid known (an older record): none in the record', { pid: 77, epoch: 1_600_000_000, signal: 2, graceMs: 0 },
      { restarts: 0, uid: undefined, stopSec: 0, stopSignal: 'INT' }],
    ['a run that was ready: still ready while it is stopped (SPEC 14.1)', { pid: 77, epoch: 1_600_000_000, uid: 0, ready: true, signal: 15, graceMs: 0 },
      { restarts: 0, uid: 0, ready: true, stopSec: 0, stopSignal: 'TERM' }],
    ['a run not yet ready: starting while it is stopped', { pid: 77, epoch: 1_600_000_000, uid: 0, ready: false, signal: 15, graceMs: 0 },
      { restarts: 0, uid: 0, ready: false, stopSec: 0, stopSignal: 'TERM' }],
  ])('the record it writes: %s', (_, orphan, keys) => {
    const sim = new Sim();
    const record = written(sim.send({ type: 'begin', orphan }));
    expect(record).toEqual({ state: 'RUN', pid: 77, workerPid: WORKER, epoch: 1_600_000_000, keys });
    expect(record?.keys.uid).toBe(orphan.uid);
  });

  it.each([
    [false, 'web: orphaned service stopped'],
    [true, 'web: orphaned service stopped (after SIGKILL)'],
  ])('gone (killed: %s): logged, then the first run is prepared, want read included', (killed, line) => {
    const sim = adopting();
    const effects = sim.drive(orphanStopped(true, killed));
    expect(logs(effects)).toEqual([line]);
    expect(types(effects)).toEqual(['log', ...PREPARE_FIRST]);
    // As after a restart: no retry, and the new run is this worker's first.
    expect(written(sim.spawned(at(0)))).toMatchObject({ state: 'RUN', pid: 101, workerPid: WORKER, keys: { restarts: 0, retries: 0 } });
    // The starter (revive) hears which orphan was taken over: no record may have named it.
    expect(answers(sim.all)).toEqual(['started 101 77']);
  });

  it('a later run after the takeover answers nothing more', () => {
    const sim = adopting();
    sim.drive(orphanStopped(true));
    sim.run(0, 3600, 0);
    sim.spawned(at(3600));
    expect(answers(sim.all)).toEqual(['started 101 77']);
  });

  it('a worker that took over nothing answers the pid alone', () => {
    const sim = begun();
    sim.spawned(at(0));
    expect(answers(sim.all)).toEqual(['started 101']);
  });

  it('gone, but the want is down by then: nothing runs, the starter hears down, exit 0', () => {
    const sim = adopting();
    sim.diskWant = 'down';
    const effects = sim.drive(orphanStopped(true));
    expect(logs(effects)).toEqual(['web: orphaned service stopped', 'web: not started: its want is down (a stop came meanwhile)']);
    expect(answers(effects)).toEqual(['down']);
    expect(exitCode(effects)).toBe(0);
    expect(types(effects)).not.toContain('spawn');
  });

  // Orphaned again: status calls it so, start refuses it, revive fails naming it.
  it('not gone (it outlived its stop, through sudo): its record names it with no worker, an error naming it, exit 1', () => {
    const sim = adopting();
    const effects = sim.drive(orphanStopped(false, true));
    expect(effects).toStrictEqual([
      { type: 'log', message: 'web: orphaned pid 77 outlived its stop; leaving it and its record' },
      { type: 'write', record: { state: 'RUN', pid: 77, epoch: ORPHAN.epoch, keys: { uid: 1005 } } },
      { type: 'answer', line: 'error orphaned pid 77 outlived its stop signal and config_stop_sec' },
      { type: 'exit', code: 1, drainMs: 1000 },
    ]);
    expect(written(effects)).not.toHaveProperty('workerPid');
    expect(types(effects)).not.toContain('remove-pidfile');
    expect(sim.state).toMatchObject({ phase: 'done', answered: true });
  });

  it('not gone: the record is the one the event names (pid, start time, uid)', () => {
    const other: Orphan = { pid: 4242, epoch: 1_650_000_000, uid: 33, signal: 15, graceMs: 1000 };
    const sim = adopting(other);
    const effects = sim.drive(orphanStopped(false, true, other));
    expect(written(effects)).toEqual({ state: 'RUN', pid: 4242, epoch: 1_650_000_000, keys: { uid: 33 } });
    expect(logs(effects)).toEqual(['web: orphaned pid 4242 outlived its stop; leaving it and its record']);
    expect(answers(effects)).toEqual(['error orphaned pid 4242 outlived its stop signal and config_stop_sec']);
  });

  it('not gone, of a ready run: its record still says ready', () => {
    const other: Orphan = { pid: 4242, epoch: 1_650_000_000, uid: 33, ready: true, signal: 15, graceMs: 1000 };
    const record = written(adopting(other).drive(orphanStopped(false, true, other)));
    expect(record).toEqual({ state: 'RUN', pid: 4242, epoch: 1_650_000_000, keys: { uid: 33, ready: true } });
  });

  it('not gone, no uid known: the record has none either', () => {
    const other: Orphan = { pid: 78, epoch: 1_650_000_000, signal: 15, graceMs: 1000 };
    const sim = adopting(other);
    const record = written(sim.drive(orphanStopped(false, false, other)));
    expect(record).toEqual({ state: 'RUN', pid: 78, epoch: 1_650_000_000, keys: {} });
    expect(record?.keys.uid).toBeUndefined();
  });

  it('a stop while adopting: remembered, and once the orphan is gone the worker ends without a run; the starter hears down', () => {
    const sim = adopting();
    expect(sim.send({ type: 'stop' })).toEqual([]);
    expect(sim.state.want).toBe('down');
    const effects = sim.drive(orphanStopped(true));
    expect(effects).toEqual([
      { type: 'log', message: 'web: orphaned service stopped' },
      { type: 'log', message: 'web: stopped' },
      { type: 'remove-pidfile' },
      { type: 'answer', line: 'down' },
      { type: 'exit', code: 0, drainMs: 1000 },
    ]);
  });

  it('a stop while adopting an orphan that outlives it: still exit 1, the record left naming it, the error answered', () => {
    const sim = adopting();
    sim.send({ type: 'stop' });
    const effects = sim.drive(orphanStopped(false, true));
    expect(exitCode(effects)).toBe(1);
    expect(types(effects)).not.toContain('remove-pidfile');
    expect(written(effects)).toEqual({ state: 'RUN', pid: 77, epoch: ORPHAN.epoch, keys: { uid: 1005 } });
    expect(answers(effects)).toEqual(['error orphaned pid 77 outlived its stop signal and config_stop_sec']);
  });

  it('a once while adopting applies to the run that follows', () => {
    const sim = adopting();
    expect(logs(sim.send({ type: 'once', on: true }))).toEqual(['web: once: it will not be started again after this run']);
    sim.drive(orphanStopped(true));
    expect(written(sim.spawned(at(0)))?.keys.once).toBe(true);
  });
});

describe('once (SIGUSR1): the current run is the last, and the worker leaves when it ends (SPEC 10)', () => {
  // `once` wrote the want down before it signalled the worker (SPEC 13.1): the worker leaves it as it is.
  const lastRun: Effect[] = [
    { type: 'log', message: 'web: exited (exit code 3); once, so not started again' },
    { type: 'remove-pidfile' },
    { type: 'exit', code: 0, drainMs: 1000 },
  ];

  it('while running: RUN says once=1; at the exit, however quick, no ERROR and no next run', () => {
    const sim = begun();
    sim.spawned(at(0));
    const flagged = sim.send({ type: 'once', on: true });
    expect(flagged).toEqual([
      { type: 'log', message: 'web: once: it will not be started again after this run' },
      { type: 'write', record: expect.objectContaining({ state: 'RUN', pid: 101, keys: expect.objectContaining({ once: true }) }) },
    ]);
    expect(sim.exits(at(1), 3)).toEqual(lastRun);
    expect(sim.state).toMatchObject({ phase: 'done', want: 'once' });
  });

  it('a long run ends the same way: no next run, exit 0', () => {
    const sim = begun();
    sim.spawned(at(0));
    sim.send({ type: 'once', on: true });
    expect(sim.exits(at(3600), 3)).toEqual(lastRun);
  });

  it('a perp service: the worker leaves after its reset, not before', () => {
    const sim = begun({ perp: true });
    sim.spawned(at(0));
    sim.send({ type: 'once', on: true });
    sim.send({ type: 'exited', code: 0, signal: null, at: at(20) });
    const swept = sim.drive({ type: 'group-stopped', killed: false });
    expect(swept).toEqual([{ type: 'reset', exit: { code: 0, at: at(20) } }]);
    const effects = sim.drive({ type: 'reset-done' });
    expect(types(effects)).toEqual(['log', 'remove-pidfile', 'exit']);
  });

  it('during the retry wait: no run is left to finish, so the worker leaves at once', () => {
    const sim = waiting();
    expect(sim.send({ type: 'once', on: true })).toEqual([
      { type: 'cancel-wait' },
      { type: 'log', message: 'web: stopped' },
      { type: 'remove-pidfile' },
      { type: 'exit', code: 0, drainMs: 1000 },
    ]);
    expect(sim.send({ type: 'retry-due' })).toEqual([]);
  });

  it('while a restart stops the run: the next run is flagged, and its end is the last', () => {
    const sim = begun();
    sim.spawned(at(0));
    sim.send({ type: 'restart', at: at(1) });
    sim.send({ type: 'once', on: true });
    expect(types(sim.drive({ type: 'group-stopped', killed: false }))).toEqual(PREPARE);
    expect(written(sim.spawned(at(1)))?.keys.once).toBe(true);
    expect(types(sim.exits(at(9000), 0))).toEqual(['log', 'remove-pidfile', 'exit']);
  });

  it('while the first run is prepared: that run is flagged', () => {
    const sim = new Sim();
    sim.send({ type: 'begin' });
    sim.send({ type: 'once', on: true });
    sim.drive({ type: 'config-read', config: DEFAULT_CONFIG, at: at(0) });
    expect(written(sim.spawned(at(0)))?.keys.once).toBe(true);
  });

  it('a once run that fails to spawn and gives up: ERROR with the reason answered, exit 1', () => {
    const sim = new Sim();
    sim.send({ type: 'begin' });
    sim.send({ type: 'once', on: true });
    sim.drive({ type: 'config-read', config: DEFAULT_CONFIG, at: at(0) });
    const effects = sim.spawnFailed(at(0));
    expect(types(effects)).toEqual(['log', 'log', 'write', 'answer', 'exit']);
    expect(written(effects)?.state).toBe('ERROR');
    expect(answers(effects)).toEqual(['error cannot run ./web: ENOENT']);
    expect(exitCode(effects)).toBe(1);
  });

  it('taken away again (SIGUSR2): RUN without once, and the exit is judged as any other', () => {
    const sim = begun();
    sim.spawned(at(0));
    sim.send({ type: 'once', on: true });
    const cleared = sim.send({ type: 'once', on: false });
    expect(logs(cleared)).toEqual(['web: once cleared: it will be started again']);
    expect(written(cleared)?.keys.once).toBeUndefined();
    expect(types(sim.exits(at(3600), 0))).toEqual(['log', ...PREPARE]);
  });

  it('taken away during the retry wait: the retry comes as it would have', () => {
    const sim = waiting();
    expect(sim.send({ type: 'once', on: false })).toEqual([{ type: 'log', message: 'web: once cleared: it will be started again' }]);
    expect(types(sim.drive({ type: 'retry-due' }))).toEqual(PREPARE);
  });

  it('after a stop: the stop stands, once changes nothing', () => {
    const sim = begun();
    sim.spawned(at(0));
    sim.send({ type: 'stop' });
    const before = sim.state;
    expect(sim.send({ type: 'once', on: true })).toEqual([]);
    expect(sim.state).toBe(before);
    expect(types(sim.drive({ type: 'group-stopped', killed: false }))).toEqual(['log', 'remove-pidfile', 'exit']);
  });
});

describe('no worker life writes a want: only the commands do, each before it tells the worker (SPEC 13.1)', () => {
  it('of the effects, the one that names a want reads it', () => {
    expect(onlyReadWant).toBe(true);
  });

  // Every effect of each life goes through Sim.send, which fails on one that touches a want other than by reading it.
  it.each<[string, SimOptions, (sim: Sim) => void, number]>([
    ['a stop before anything began', {}, (sim) => sim.send({ type: 'stop' }), 0],
    ['a stop while running', {}, (sim) => {
      sim.drive({ type: 'begin' });
      sim.spawned(at(0));
      sim.send({ type: 'stop' });
      sim.drive({ type: 'group-stopped', killed: false });
    }, 0],
    ['a stop while running, flagged once', {}, (sim) => {
      sim.drive({ type: 'begin' });
      sim.spawned(at(0));
      sim.send({ type: 'once', on: true });
      sim.send({ type: 'stop' });
      sim.drive({ type: 'group-stopped', killed: false });
    }, 0],
    ['a stop while sweeping, flagged once', {}, (sim) => {
      sim.drive({ type: 'begin' });
      sim.spawned(at(0));
      sim.send({ type: 'once', on: true });
      sim.send({ type: 'exited', code: 0, signal: null, at: at(1) });
      sim.send({ type: 'stop' });
      sim.drive({ type: 'group-stopped', killed: false });
    }, 0],
    ['a stop during the retry wait', {}, (sim) => {
      sim.drive({ type: 'begin' });
      sim.run(0, 3600, 0);
      sim.run(3600, 3601);
      sim.send({ type: 'stop' });
    }, 0],
    ['a perp service flagged once, stopped during its reset', { perp: true }, (sim) => {
      sim.drive({ type: 'begin' });
      sim.spawned(at(0));
      sim.send({ type: 'once', on: true });
      sim.send({ type: 'exited', code: 0, signal: null, at: at(1) });
      sim.send({ type: 'group-stopped', killed: false });
      sim.send({ type: 'stop' });
      sim.drive({ type: 'reset-done' });
    }, 0],
    ['a once run that ends', {}, (sim) => {
      sim.drive({ type: 'begin' });
      sim.spawned(at(0));
      sim.send({ type: 'once', on: true });
      sim.exits(at(1), 0);
    }, 0],
    ['a perp once run that ends after its reset', { perp: true, logger: true }, (sim) => {
      sim.drive({ type: 'begin' });
      sim.spawned(at(0));
      sim.send({ type: 'once', on: true });
      sim.send({ type: 'exited', code: 0, signal: null, at: at(1) });
      sim.drive({ type: 'group-stopped', killed: false });
      sim.drive({ type: 'reset-done' });
    }, 0],
    ['a once during the retry wait', {}, (sim) => {
      sim.drive({ type: 'begin' });
      sim.run(0, 3600, 0);
      sim.run(3600, 3601);
      sim.send({ type: 'once', on: true });
    }, 0],
    ['a once run that gives up', {}, (sim) => {
      sim.send({ type: 'begin' });
      sim.send({ type: 'once', on: true });
      sim.drive({ type: 'config-read', config: DEFAULT_CONFIG, at: at(0) });
      sim.spawnFailed(at(0));
    }, 1],
    ['a life that gives up after its retries', {}, (sim) => {
      sim.drive({ type: 'begin' });
      sim.run(0, 3600, 0);
      sim.run(3600, 3601);
      sim.drive({ type: 'retry-due' });
      sim.run(3601, 3602);
      sim.drive({ type: 'retry-due' });
      sim.run(3604, 3605);
    }, 1],
    ['a want of down found on disk', {}, (sim) => {
      sim.diskWant = 'down';
      sim.drive({ type: 'begin' });
    }, 0],
    ['an orphan taken over, then a once run', {}, (sim) => {
      sim.send({ type: 'begin', orphan: ORPHAN });
      sim.send({ type: 'once', on: true });
      sim.drive(orphanStopped(true));
      sim.run(0, 1);
    }, 0],
    ['an orphan that outlives its stop', {}, (sim) => {
      sim.send({ type: 'begin', orphan: ORPHAN });
      sim.drive(orphanStopped(false, true));
    }, 1],
  ])('%s', (_, options, life, code) => {
    const sim = new Sim(options);
    life(sim);
    expect(sim.state.phase).toBe('done');
    expect(exitCode(sim.all)).toBe(code);
    expect(sim.all.filter(touchesWant)).toEqual([]);
  });
});

describe('perp-style services: reset runs after every exit and every stop (SPEC 8)', () => {
  it('after an exit: the group is swept, reset runs with that exit, then the retry policy', () => {
    const sim = begun({ perp: true });
    sim.spawned(at(0));
    sim.send({ type: 'exited', code: null, signal: 15, at: at(3600) });
    expect(sim.drive({ type: 'group-stopped', killed: false })).toEqual([
      { type: 'reset', exit: { code: 143, signal: 'TERM', at: at(3600) } },
    ]);
    expect(sim.state.phase).toBe('resetting');
    expect(types(sim.drive({ type: 'reset-done' }))).toEqual(['log', ...PREPARE]);
  });

  it('a quick first run: ERROR after the reset', () => {
    const sim = begun({ perp: true });
    sim.spawned(at(0));
    sim.send({ type: 'exited', code: 2, signal: null, at: at(1) });
    expect(types(sim.drive({ type: 'group-stopped', killed: true }))).toEqual(['log', 'reset']);
    const effects = sim.drive({ type: 'reset-done' });
    expect(written(effects)).toMatchObject({ state: 'ERROR', exitCode: 2 });
    expect(exitCode(effects)).toBe(1);
  });

  it('after a stop: reset, then the worker leaves', () => {
    const sim = begun({ perp: true });
    sim.spawned(at(0));
    sim.send({ type: 'stop' });
    sim.send({ type: 'exited', code: null, signal: 15, at: at(1) });
    expect(types(sim.drive({ type: 'group-stopped', killed: false }))).toEqual(['reset']);
    expect(types(sim.drive({ type: 'reset-done' }))).toEqual(['log', 'remove-pidfile', 'exit']);
  });

  it('after a restart: reset, then the next run', () => {
    const sim = begun({ perp: true });
    sim.spawned(at(0));
    sim.send({ type: 'restart', at: at(1) });
    sim.send({ type: 'exited', code: null, signal: 15, at: at(1) });
    expect(types(sim.drive({ type: 'group-stopped', killed: false }))).toEqual(['reset']);
    expect(types(sim.drive({ type: 'reset-done' }))).toEqual(PREPARE);
  });

  it('a restart during the reset of an exit: the exit is not judged', () => {
    const sim = begun({ perp: true });
    sim.spawned(at(0));
    sim.send({ type: 'exited', code: 1, signal: null, at: at(1) });
    sim.drive({ type: 'group-stopped', killed: false });
    expect(sim.send({ type: 'restart', at: at(1) })).toEqual([]);
    expect(types(sim.drive({ type: 'reset-done' }))).toEqual(PREPARE);
  });

  it('a stop during the reset of an exit: the worker leaves after it', () => {
    const sim = begun({ perp: true });
    sim.spawned(at(0));
    sim.send({ type: 'exited', code: 1, signal: null, at: at(1) });
    sim.drive({ type: 'group-stopped', killed: false });
    expect(sim.send({ type: 'stop' })).toEqual([]);
    expect(types(sim.drive({ type: 'reset-done' }))).toEqual(['log', 'remove-pidfile', 'exit']);
  });

  it('a reset that could not run: a warning first, then the same decision', () => {
    const sim = begun({ perp: true });
    sim.spawned(at(0));
    sim.send({ type: 'exited', code: 0, signal: null, at: at(3600) });
    sim.drive({ type: 'group-stopped', killed: false });
    const effects = sim.drive({ type: 'reset-done', failure: 'cannot run ./rc.main: EACCES' });
    expect(effects[0]).toEqual({ type: 'log', message: 'web: warning: reset did not run: cannot run ./rc.main: EACCES' });
    expect(types(effects)).toEqual(['log', 'log', ...PREPARE]);
  });

  it('a reset that ran logs no warning', () => {
    const sim = begun({ perp: true });
    sim.spawned(at(0));
    sim.send({ type: 'exited', code: 0, signal: null, at: at(3600) });
    sim.drive({ type: 'group-stopped', killed: false });
    expect(logs(sim.drive({ type: 'reset-done' }))).toEqual(['web: exited (exit code 0) after 3600.0s; starting again']);
  });

  it('a script service has no reset: the decision comes with group-stopped', () => {
    const sim = begun();
    sim.spawned(at(0));
    sim.send({ type: 'exited', code: 0, signal: null, at: at(3600) });
    expect(types(sim.drive({ type: 'group-stopped', killed: false }))).not.toContain('reset');
  });
});

describe('revivals in the ERROR record (SPEC 13.2)', () => {
  it.each([0, 1, 5])('a worker begun with %i revivals that never had a good run carries them', (revivals) => {
    const sim = begun({ revivals });
    expect(written(sim.run(0, 1))?.keys).toMatchObject({ revivals, reviveSec: 60 });
  });

  it('a spawn that fails on the first run carries them too', () => {
    const sim = begun({ revivals: 3 });
    expect(written(sim.spawnFailed(at(0)))?.keys.revivals).toBe(3);
  });

  it('a worker that had a good run counts from 0 again', () => {
    const sim = afterSuccess({ revivals: 4, config: { maxRetry: 0 } });
    sim.spawned(at(3600));
    const effects = sim.exits(at(3601));
    expect(written(effects)).toMatchObject({ state: 'ERROR', keys: { revivals: 0 } });
  });

  it('a run that lasted start_sec before a restart is a good run too', () => {
    const sim = begun({ revivals: 2, config: { maxRetry: 0 } });
    sim.spawned(at(0));
    sim.send({ type: 'restart', at: at(3600) });
    sim.drive({ type: 'group-stopped', killed: false });
    expect(written(sim.run(3600, 3601))).toMatchObject({ state: 'ERROR', keys: { revivals: 0 } });
  });

  it('revive_sec is the config of the run that gave up', () => {
    const sim = new Sim({ config: { reviveSec: 90 } });
    sim.config = { ...DEFAULT_CONFIG, reviveSec: 7.5 };
    sim.drive({ type: 'begin' });
    expect(written(sim.run(0, 1))?.keys.reviveSec).toBe(7.5);
  });
});

describe('exit: the time the log gets to drain (SPEC 8)', () => {
  it.each<[string, SimOptions, number]>([
    ['a script service', { config: { stopSec: 30 } }, 1000],
    ['a perp service: its stop_sec', { perp: true, config: { stopSec: 30 } }, 30_000],
    ['a perp service with a fractional stop_sec', { perp: true, config: { stopSec: 2.25 } }, 2250],
    ['a perp service with a short stop_sec: at least a second', { perp: true, config: { stopSec: 0.2 } }, 1000],
  ])('%s: %i ms, whatever the way out', (_, options, drainMs) => {
    const ways: ((sim: Sim) => void)[] = [
      (sim) => sim.send({ type: 'stop' }),
      (sim) => {
        sim.drive({ type: 'begin' });
        sim.spawnFailed(at(0));
      },
      (sim) => {
        sim.diskWant = 'down';
        sim.drive({ type: 'begin' });
      },
      (sim) => {
        const orphan: Orphan = { pid: 9, epoch: epoch(T0), signal: 15, graceMs: 0 };
        sim.send({ type: 'begin', orphan });
        sim.send(orphanStopped(false, true, orphan));
      },
      (sim) => {
        sim.drive({ type: 'begin' });
        sim.spawned(at(0));
        sim.send({ type: 'once', on: true });
        sim.send({ type: 'exited', code: 0, signal: null, at: at(1) });
        sim.drive({ type: 'group-stopped', killed: false });
        sim.drive({ type: 'reset-done' });
      },
    ];
    for (const way of ways) {
      const sim = new Sim(options);
      way(sim);
      expect(sim.state.phase).toBe('done');
      expect(exitOf(sim.all)?.drainMs).toBe(drainMs);
    }
  });
});

/** One state of each phase, reached as the worker reaches it. */
function inPhase(phase: Phase): SupervisorState {
  const sim = new Sim({ perp: phase === 'resetting' });
  switch (phase) {
    case 'idle':
      break;
    case 'adopting':
      sim.send({ type: 'begin', orphan: ORPHAN });
      break;
    case 'spawning':
      sim.send({ type: 'begin' });
      break;
    case 'running':
      sim.drive({ type: 'begin' });
      sim.spawned(at(0));
      break;
    case 'sweeping':
      sim.drive({ type: 'begin' });
      sim.spawned(at(0));
      sim.send({ type: 'exited', code: 1, signal: null, at: at(1) });
      break;
    case 'stopping':
      sim.drive({ type: 'begin' });
      sim.spawned(at(0));
      sim.send({ type: 'restart', at: at(1) });
      break;
    case 'resetting':
      sim.drive({ type: 'begin' });
      sim.spawned(at(0));
      sim.send({ type: 'exited', code: 1, signal: null, at: at(1) });
      sim.send({ type: 'group-stopped', killed: false });
      break;
    case 'waiting':
      return waiting().state;
    case 'done':
      sim.drive({ type: 'begin' });
      sim.run(0, 1);
      break;
  }
  expect(sim.state.phase).toBe(phase);
  expect(sim.state.want).toBe('up');
  return sim.state;
}

const EVENTS: Record<SupervisorEvent['type'], SupervisorEvent> = {
  begin: { type: 'begin' },
  'orphan-stopped': orphanStopped(true),
  'config-read': { type: 'config-read', config: DEFAULT_CONFIG, at: at(5) },
  'start-written': { type: 'start-written', at: at(5) },
  'want-read': { type: 'want-read', want: 'up' },
  spawned: { type: 'spawned', pid: 999, at: at(5) },
  'spawn-failed': { type: 'spawn-failed', code: 127, reason: 'late', at: at(5) },
  exited: { type: 'exited', code: 0, signal: null, at: at(5) },
  'group-stopped': { type: 'group-stopped', killed: false },
  'reset-done': { type: 'reset-done' },
  'retry-due': { type: 'retry-due' },
  stop: { type: 'stop' },
  restart: { type: 'restart', at: at(5) },
  once: { type: 'once', on: true },
  'logger-exited': { type: 'logger-exited', ranMs: 5000, why: 'exited with code 1' },
  // A run without a readiness rule (as here) ignores these in every phase (SPEC 14).
  ready: { type: 'ready', at: at(5) },
  'ready-timeout': { type: 'ready-timeout', at: at(5) },
  'ready-fd-closed': { type: 'ready-fd-closed' },
  'ready-foreign': { type: 'ready-foreign', uid: 1001 },
  checked: { type: 'checked', ok: false, why: 'refused', at: at(5) },
};

/** What each phase answers to, as the table in policy.ts is meant to be: every other event changes nothing. */
const HANDLED: Record<Phase, SupervisorEvent['type'][]> = {
  idle: ['begin', 'stop'],
  adopting: ['orphan-stopped', 'stop', 'once'],
  spawning: ['config-read', 'start-written', 'want-read', 'spawned', 'spawn-failed', 'stop', 'once', 'logger-exited'],
  running: ['exited', 'stop', 'restart', 'once', 'logger-exited'],
  sweeping: ['exited', 'group-stopped', 'stop', 'restart', 'once', 'logger-exited'],
  stopping: ['exited', 'group-stopped', 'stop', 'once', 'logger-exited'],
  resetting: ['reset-done', 'stop', 'restart', 'once', 'logger-exited'],
  waiting: ['retry-due', 'stop', 'restart', 'once', 'logger-exited'],
  done: [],
};

const PHASES = Object.keys(HANDLED) as Phase[];

describe('the table: each phase answers to its events and ignores every other', () => {
  const ignored = PHASES.flatMap((phase) =>
    (Object.keys(EVENTS) as SupervisorEvent['type'][]).filter((t) => !HANDLED[phase].includes(t)).map((t) => [phase, t] as const));

  // A late timer, a second begin, a signal after the worker decided to leave: no effect, the same state.
  it.each(ignored)('%s ignores %s', (phase, type) => {
    const state = inPhase(phase);
    const result = step(state, EVENTS[type], NAME);
    expect(result.effects).toEqual([]);
    expect(result.state).toBe(state);
  });

  const handled = PHASES.flatMap((phase) => HANDLED[phase].map((t) => [phase, t] as const));

  it.each(handled)('%s answers to %s', (phase, type) => {
    const state = inPhase(phase);
    const result = step(state, EVENTS[type], NAME);
    expect(result.state !== state || result.effects.length > 0).toBe(true);
  });

  it('stop is answered in every phase but done, and nothing is answered in done', () => {
    for (const phase of PHASES) {
      const state = inPhase(phase);
      const result = step(state, { type: 'stop' }, NAME);
      if (phase === 'done') expect(result).toEqual({ state, effects: [] });
      else expect(result.state.phase === 'done' || result.state.want === 'down').toBe(true);
    }
  });

  it('a stop always ends in done with exit 0 (or the orphan\'s exit 1), from every phase', () => {
    for (const phase of PHASES.filter((p) => p !== 'done')) {
      const state = inPhase(phase);
      let current = step(state, { type: 'stop' }, NAME);
      const effects = [...current.effects];
      // Answer whatever is pending in the order the worker would, until the worker leaves.
      const replies: SupervisorEvent[] = [
        EVENTS['orphan-stopped'], EVENTS['config-read'], EVENTS['start-written'], EVENTS['want-read'], EVENTS.spawned,
        EVENTS.exited, EVENTS['group-stopped'], EVENTS['reset-done'],
      ];
      for (const reply of replies) {
        if (current.state.phase === 'done') break;
        current = step(current.state, reply, NAME);
        effects.push(...current.effects);
      }
      expect(current.state.phase, phase).toBe('done');
      expect(exitCode(effects), phase).toBe(0);
      expect(types(effects), phase).toContain('remove-pidfile');
    }
  });

  it('once is answered wherever a run may still be ahead or under way', () => {
    for (const phase of PHASES) expect(HANDLED[phase].includes('once')).toBe(!['idle', 'done'].includes(phase));
  });
});

describe('the rc.log (SPEC 8): started before the first run, started again after each exit, no sooner than a second after its last start', () => {
  it('a service with an rc.log starts it just before its first spawn, and only then', () => {
    const sim = new Sim({ perp: true, logger: true });
    const effects = sim.drive({ type: 'begin' });
    expect(types(effects)).toEqual(['read-config', 'write-start', 'read-want', 'start-logger', 'spawn']);
    expect(effects).toContainEqual({ type: 'start-logger', delayMs: 0 });
    sim.spawned(at(0));
    sim.send({ type: 'exited', code: 0, signal: null, at: at(3600) });
    sim.drive({ type: 'group-stopped', killed: false });
    expect(types(sim.drive({ type: 'reset-done' }))).toEqual(['log', ...PREPARE]);
  });

  it('a service without one never starts a logger', () => {
    expect(types(begun().all)).not.toContain('start-logger');
  });

  it.each([
    [5000, 0],
    [1000, 0],
    [400, 600],
    [0, 1000],
  ])('an rc.log that ran %i ms is started again after %i ms, with a line in logger.log', (ranMs, delayMs) => {
    const sim = new Sim({ perp: true, logger: true });
    sim.drive({ type: 'begin' });
    sim.spawned(at(0));
    const effects = sim.send({ type: 'logger-exited', ranMs, why: 'exited with code 1' });
    expect(effects).toEqual([
      { type: 'note-logger', message: `web: rc.log exited with code 1; starting it again in ${delayMs / 1000}s` },
      { type: 'start-logger', delayMs },
    ]);
    expect(sim.state.phase).toBe('running');
  });

  it('once the worker is leaving, an exit of the rc.log starts nothing: it is being drained', () => {
    const sim = new Sim({ perp: true, logger: true });
    sim.drive({ type: 'begin' });
    sim.spawned(at(0));
    sim.send({ type: 'stop' });
    sim.send({ type: 'exited', code: 0, signal: 15, at: at(1) });
    sim.drive({ type: 'group-stopped', killed: false });
    sim.drive({ type: 'reset-done' });
    expect(sim.state.phase).toBe('done');
    expect(sim.send({ type: 'logger-exited', ranMs: 5000, why: 'exited with code 0' })).toEqual([]);
  });
});

describe('readiness (SPEC 14.1): a run with a rule is a successful start once it is ready', () => {
  const PORT = { kind: 'port', port: 8080 } as const;
  const withRule = (config: Partial<ServiceConfig> = {}): SimOptions => ({ config: { ready: PORT, readySec: 30, startSec: 1, ...config } });

  it('spawned: RUN with ready=0, and the run is watched until config_ready_sec', () => {
    const sim = begun(withRule());
    const effects = sim.spawned(at(0));
    expect(written(effects)?.keys.ready).toBe(false);
    expect(effects).toContainEqual({ type: 'watch-ready', ready: PORT, timeoutMs: 30_000 });
    expect(sim.state.ready).toBe(false);
  });

  it('without a rule: no ready key, nothing watched, as before', () => {
    const sim = begun();
    const effects = sim.spawned(at(0));
    expect(written(effects)?.keys.ready).toBeUndefined();
    expect(types(effects)).not.toContain('watch-ready');
  });

  it('ready: RUN with ready=1 and a log line; a second ready changes nothing', () => {
    const sim = begun(withRule());
    sim.spawned(at(0));
    const effects = sim.send({ type: 'ready', at: at(1.5) });
    expect(written(effects)?.keys.ready).toBe(true);
    expect(logs(effects)).toEqual(['web: ready (config_ready_port=8080) after 1.5s']);
    expect(sim.send({ type: 'ready', at: at(2) })).toEqual([]);
  });

  it.each([
    ['exits before it is ready, after a long time', 3600, false, false],
    ['exits ready, a second after its spawn, well under config_start_sec', 1.5, true, true],
    ['exits ready, but at once: it must not spin', 0.5, true, false],
  ])('%s: judged by readiness, not config_start_sec', (_, exitAfter, ready, success) => {
    const sim = begun(withRule({ startSec: 10 }));
    sim.spawned(at(0));
    if (ready) sim.send({ type: 'ready', at: at(0.1) });
    const effects = sim.exits(at(exitAfter));
    if (success) {
      expect(logs(effects)[0]).toContain('starting again');
    } else {
      expect(logs(effects)[0]).toBe('web: failed to start (exit code 1, retries 0)');
      expect(written(effects)?.state).toBe('ERROR');
    }
  });

  it('a quick exit before ready, after a good run, is retried and says so', () => {
    const sim = begun(withRule());
    sim.spawned(at(0));
    sim.send({ type: 'ready', at: at(1) });
    sim.exits(at(100), 0);
    sim.spawned(at(100));
    const effects = sim.exits(at(101));
    expect(logs(effects)[0]).toBe('web: exited (exit code 1) after 1.0s, before it was ready; retry 1 of 2 in 0s');
  });

  it('exited: the watch ends with the run', () => {
    const sim = begun(withRule());
    sim.spawned(at(0));
    expect(types(sim.send({ type: 'exited', code: 1, signal: null, at: at(1) }))).toEqual(['unwatch', 'stop-group']);
  });

  it('not ready in time: its group is stopped, then it is a failed start with the exit it made', () => {
    const sim = begun(withRule({ stopSec: 2 }));
    sim.spawned(at(0));
    const effects = sim.send({ type: 'ready-timeout', at: at(30) });
    expect(logs(effects)).toEqual(['web: not ready after 30s (config_ready_sec): stopping it']);
    expect(types(effects)).toEqual(['log', 'unwatch', 'stop-group']);
    expect(sim.state.phase).toBe('sweeping');
    // The run's own exit, when it comes, is the one recorded.
    expect(sim.send({ type: 'exited', code: 3, signal: null, at: at(30.1) })).toEqual([]);
    const end = sim.send({ type: 'group-stopped', killed: false });
    expect(written(end)).toMatchObject({ state: 'ERROR', exitCode: 3 });
    expect(answers(end)).toEqual([]);
    expect(exitCode(end)).toBe(1);
  });

  it('not ready in time and killed by the stop signal: the ERROR says so', () => {
    const sim = begun(withRule());
    sim.spawned(at(0));
    sim.send({ type: 'ready-timeout', at: at(30) });
    const end = sim.send({ type: 'group-stopped', killed: false });
    expect(written(end)).toMatchObject({ state: 'ERROR', exitCode: 143, keys: { signal: 'TERM' } });
  });

  it.each<[string, SupervisorEvent]>([
    ['a timeout after ready', { type: 'ready-timeout', at: at(30) }],
    ['a closed fd after ready', { type: 'ready-fd-closed' }],
  ])('%s changes nothing', (_, event) => {
    const sim = begun(withRule({ ready: { kind: 'fd', fd: 3 } }));
    sim.spawned(at(0));
    sim.send({ type: 'ready', at: at(1) });
    expect(sim.send(event)).toEqual([]);
  });

  it('config_ready_fd: the spawn carries the descriptor; a close without a newline is logged', () => {
    const sim = new Sim(withRule({ ready: { kind: 'fd', fd: 5 } }));
    const effects = sim.drive({ type: 'begin' });
    expect(effects).toContainEqual({ type: 'spawn', readyFd: 5 });
    sim.spawned(at(0));
    expect(logs(sim.send({ type: 'ready-fd-closed' }))).toEqual(['web: closed its readiness descriptor (config_ready_fd=5) without a newline; not ready']);
  });

  it.each<[string, Partial<ServiceConfig>, string]>([
    ['port', {}, 'web: not ready: 127.0.0.1:8080 is answered by uid 1001, not by the service'],
    ['url', { ready: { kind: 'url', host: '[::1]', port: 9000, path: '/', url: 'http://[::1]:9000/' } },
      'web: not ready: [::1]:9000 is answered by uid 1001, not by the service'],
  ])('%s answered by another uid while not ready: said, still not ready', (_, config, line) => {
    const sim = begun(withRule(config));
    sim.spawned(at(0));
    expect(sim.send({ type: 'ready-foreign', uid: 1001 })).toEqual([{ type: 'log', message: line }]);
    expect(sim.state.ready).toBe(false);
  });

  it('answered by another uid once ready (a late report): nothing said', () => {
    const sim = begun(withRule());
    sim.spawned(at(0));
    sim.send({ type: 'ready', at: at(1) });
    expect(sim.send({ type: 'ready-foreign', uid: 1001 })).toEqual([]);
  });

  it('a stop while not ready: the watch ends, one stop, no restart', () => {
    const sim = begun(withRule());
    sim.spawned(at(0));
    expect(types(sim.send({ type: 'stop' }))).toEqual(['unwatch', 'stop-group']);
    expect(sim.send({ type: 'ready-timeout', at: at(30) })).toEqual([]);
    const end = sim.send({ type: 'group-stopped', killed: false });
    expect(exitCode(end)).toBe(0);
    expect(types(end)).not.toContain('spawn');
  });

  it('a restart of a ready run is not counted as a failure; the new run is watched again', () => {
    const sim = begun(withRule());
    sim.spawned(at(0));
    sim.send({ type: 'ready', at: at(0.5) });
    sim.send({ type: 'restart', at: at(2) });
    sim.drive({ type: 'group-stopped', killed: false });
    expect(sim.state.hadSuccess).toBe(true);
    const next = sim.spawned(at(3));
    expect(types(next)).toContain('watch-ready');
    expect(sim.state.ready).toBe(false);
  });
});

describe('liveness (SPEC 14.2): checks of a ready run, a restart after config_check_fail in a row', () => {
  const PORT = { kind: 'port', port: 8080 } as const;
  function ready(config: Partial<ServiceConfig> = {}): Sim {
    const sim = begun({ config: { ready: PORT, checkSec: 1, checkFail: 3, ...config } });
    sim.spawned(at(0));
    const effects = sim.send({ type: 'ready', at: at(1) });
    expect(effects).toContainEqual({ type: 'check', probe: PORT, afterMs: 1000, pid: 101 });
    return sim;
  }
  const check = (sim: Sim, ok: boolean, s: number, why = 'refused'): Effect[] =>
    sim.send(ok ? { type: 'checked', ok: true, at: at(s) } : { type: 'checked', ok: false, why, at: at(s) });

  it('without config_check_sec, no check is ever asked for', () => {
    const sim = begun({ config: { ready: PORT } });
    sim.spawned(at(0));
    expect(types(sim.send({ type: 'ready', at: at(1) }))).not.toContain('check');
  });

  it('a good check asks for the next one and writes nothing', () => {
    const sim = ready();
    expect(check(sim, true, 2)).toEqual([{ type: 'check', probe: PORT, afterMs: 1000, pid: 101 }]);
  });

  it('failures count up in the record, one good check clears them', () => {
    const sim = ready();
    const first = check(sim, false, 2);
    expect(logs(first)).toEqual(['web: check failed 1 of 3: refused']);
    expect(written(first)?.keys).toMatchObject({ checks: 1, check: 'refused', ready: true });
    const second = check(sim, false, 3, 'timeout');
    expect(written(second)?.keys).toMatchObject({ checks: 2, check: 'timeout' });
    const good = check(sim, true, 4);
    expect(logs(good)).toEqual(['web: healthy again']);
    expect(written(good)?.keys.checks).toBeUndefined();
    expect(written(good)?.keys.check).toBeUndefined();
    expect(types(good)).toContain('check');
  });

  it('config_check_fail failures in a row restart it, logged with the reason, not counted as a failure', () => {
    const sim = ready({ checkFail: 2, stopSec: 4 });
    check(sim, false, 2);
    const effects = check(sim, false, 3, 'http-503');
    expect(logs(effects)).toEqual(['web: unhealthy: 2 checks in a row failed (last: http-503): restarting']);
    expect(types(effects)).toEqual(['log', 'unwatch', 'stop-group']);
    expect(sim.state.phase).toBe('stopping');
    const after = sim.drive({ type: 'group-stopped', killed: false });
    expect(types(after)).toEqual(PREPARE);
    expect(sim.state).toMatchObject({ restarts: 1, retries: 0, hadSuccess: true, failedChecks: 0 });
    expect(startRecord(after)?.keys.restarts).toBe(1);
  });

  it('a run flagged once that turns unhealthy is stopped, not started again', () => {
    const sim = ready({ checkFail: 1 });
    sim.send({ type: 'once', on: true });
    expect(logs(check(sim, false, 3))).toEqual(['web: unhealthy: 1 check in a row failed (last: refused): stopping it (once: its last run)']);
    const end = sim.send({ type: 'group-stopped', killed: false });
    expect(exitCode(end)).toBe(0);
    expect(types(end)).not.toContain('read-config');
  });

  it('a spawn while a stop is pending: no watch, the stop goes on', () => {
    const sim = new Sim({ config: { ready: PORT } });
    sim.drive({ type: 'begin' });
    sim.send({ type: 'stop' });
    expect(types(sim.spawned(at(0)))).not.toContain('watch-ready');
  });

  it('config_check_fail=1: the first failure restarts it', () => {
    const sim = ready({ checkFail: 1 });
    expect(logs(check(sim, false, 2))).toEqual(['web: unhealthy: 1 check in a row failed (last: refused): restarting']);
  });

  it.each<[string, (sim: Sim) => void]>([
    ['stopping', (sim) => sim.send({ type: 'stop' })],
    ['stopping for a restart', (sim) => sim.send({ type: 'restart', at: at(2) })],
    ['sweeping', (sim) => sim.send({ type: 'exited', code: 1, signal: null, at: at(2) })],
  ])('a failed check that comes while %s changes nothing: one stop, no restart', (_, into) => {
    const sim = ready({ checkFail: 1 });
    into(sim);
    const state = sim.state;
    expect(check(sim, false, 3)).toEqual([]);
    expect(sim.state).toBe(state);
  });

  it('a failed check of a paused run counts nothing and asks for the next; failures before the pause stay', () => {
    const sim = ready({ checkFail: 2 });
    check(sim, false, 2);
    const paused = (s: number): Effect[] => sim.send({ type: 'checked', ok: false, why: 'timeout', paused: true, at: at(s) });
    const said = paused(3);
    expect(logs(said)).toEqual(['web: paused: its failed checks are not counted until it is continued (reraise cont)']);
    expect(types(said)).toEqual(['log', 'check']);
    // Said once a pause, whatever its length.
    expect(paused(4)).toEqual([{ type: 'check', probe: PORT, afterMs: 1000, pid: 101 }]);
    expect(sim.state.failedChecks).toBe(1);
    expect(logs(check(sim, false, 5))).toEqual(['web: unhealthy: 2 checks in a row failed (last: refused): restarting']);
  });

  it('a pause, a good check once continued, another pause: each pause said once', () => {
    const sim = ready();
    const paused = (s: number): Effect[] => sim.send({ type: 'checked', ok: false, why: 'timeout', paused: true, at: at(s) });
    expect(logs(paused(2))).toHaveLength(1);
    expect(check(sim, true, 3)).toEqual([{ type: 'check', probe: PORT, afterMs: 1000, pid: 101 }]);
    expect(sim.state.checkPaused).toBeUndefined();
    expect(logs(paused(4))).toHaveLength(1);
  });

  it('a check result before the run is ready changes nothing', () => {
    const sim = begun({ config: { ready: PORT, checkSec: 1 } });
    sim.spawned(at(0));
    expect(check(sim, false, 0.5)).toEqual([]);
  });
});
