// The worker's decisions (SPEC 5): a reducer from (state, event) to (state, effects). No I/O, no clock.
import type { ServiceConfig } from './config.js';
import type { PidRecord } from './pidfile.js';
import { signalName } from './signals.js';

/**
 * running:   the service process is alive.
 * sweeping:  it exited by itself; what is left of its process group is being stopped.
 * stopping:  a stop or restart was asked for; the group is being stopped.
 * resetting: a perp-style service's `rc.main reset` runs after the exit (SPEC 8).
 * waiting:   between a quick exit and the next retry.
 * done:      the worker is exiting.
 */
export type Phase = 'idle' | 'running' | 'sweeping' | 'stopping' | 'resetting' | 'waiting' | 'done';

export interface Exit {
  code: number;
  /** Signal name when the service died of a signal. */
  signal?: string;
  at: number;
}

export interface SupervisorState {
  phase: Phase;
  workerPid: number;
  config: ServiceConfig;
  /** At least one run lasted config_start_sec. */
  hadSuccess: boolean;
  /** Quick exits in a row since the last successful run. */
  retries: number;
  /** Runs started after the first one. */
  restarts: number;
  pid?: number;
  /** The real uid of the current run's process. */
  uid?: number;
  startedAt?: number;
  lastExit?: Exit;
  stopAsked: boolean;
  restartAsked: boolean;
  /** Run `rc.main reset` after every exit (perp-style services). */
  perp: boolean;
  /** Do not start the service again after its current run (`reraise once`). */
  once: boolean;
  /** The phase a reset interrupted: sweeping (the service exited by itself) or stopping. */
  resetFrom?: 'sweeping' | 'stopping';
}

export type SupervisorEvent =
  | { type: 'begin' }
  /** `uid`: the real uid of the process spawned, for the identity check of its record (SPEC 4). */
  | { type: 'spawned'; pid: number; at: number; config: ServiceConfig; uid?: number }
  | { type: 'spawn-failed'; code: number; reason: string; at: number; config: ServiceConfig }
  | { type: 'exited'; code: number | null; signal: number | null; at: number }
  | { type: 'group-stopped'; killed: boolean }
  | { type: 'retry-due' }
  | { type: 'reset-done' }
  | { type: 'stop' }
  | { type: 'restart'; at: number }
  | { type: 'once'; on: boolean };

export type Effect =
  /** Read the config, write START, spawn; answer with `spawned` or `spawn-failed`. */
  | { type: 'spawn' }
  | { type: 'write'; record: PidRecord }
  | { type: 'log'; message: string }
  /** Send `signal` (and SIGCONT) to the group, SIGKILL it after `graceMs`; answer with `group-stopped`. */
  | { type: 'stop-group'; pgid: number; signal: number; graceMs: number }
  /** Run `./rc.main reset NAME exit CODE` (or `signal N NAME`), bounded by stop_sec; answer with `reset-done`. */
  | { type: 'reset'; exit: Exit }
  | { type: 'wait'; ms: number }
  | { type: 'cancel-wait' }
  | { type: 'remove-pidfile' }
  | { type: 'exit'; code: number };

export interface Step {
  state: SupervisorState;
  effects: Effect[];
}

export function initialState(workerPid: number, config: ServiceConfig, perp = false): SupervisorState {
  return {
    phase: 'idle', workerPid, config, hadSuccess: false, retries: 0, restarts: 0,
    stopAsked: false, restartAsked: false, perp, once: false,
  };
}

const epoch = (ms: number): number => Math.floor(ms / 1000);

function describeExit(exit: Exit): string {
  return exit.signal ? `killed by SIG${exit.signal}` : `exit code ${exit.code}`;
}

function counters(state: SupervisorState): Record<string, string> {
  return {
    restarts: String(state.restarts),
    retries: String(state.retries),
    start_sec: String(state.config.startSec),
    stop_sec: String(state.config.stopSec),
    stop_signal: signalName(state.config.stopSignal),
  };
}

function exitKeys(exit: Exit): Record<string, string> {
  return exit.signal ? { signal: exit.signal } : {};
}

/** The RUN record: the counters, the once flag, and how the previous run ended. */
function runRecord(state: SupervisorState): PidRecord {
  const extra = counters(state);
  if (state.uid !== undefined) extra.uid = String(state.uid);
  if (state.once) extra.once = '1';
  if (state.lastExit) {
    extra.last_exit = String(state.lastExit.code);
    if (state.lastExit.signal) extra.last_signal = state.lastExit.signal;
  }
  return { state: 'RUN', pid: state.pid, workerPid: state.workerPid, epoch: epoch(state.startedAt ?? 0), extra };
}

function spawnNext(state: SupervisorState): Step {
  return {
    state: { ...state, phase: 'idle', pid: undefined, startedAt: undefined, stopAsked: false, restartAsked: false },
    effects: [{ type: 'spawn' }],
  };
}

function finish(state: SupervisorState, name: string): Step {
  return {
    state: { ...state, phase: 'done' },
    effects: [{ type: 'log', message: `${name}: stopped` }, { type: 'remove-pidfile' }, { type: 'exit', code: 0 }],
  };
}

/** Milliseconds, rounded: 4.03 s must be 4030 ms, not 4030.0000000000005. */
const ms = (seconds: number): number => Math.round(seconds * 1000);

/** A run that lasted config_start_sec was a success, however it ended (SPEC 5.4). */
function lastedStartSec(state: SupervisorState, endAt: number): boolean {
  return state.startedAt !== undefined && endAt - state.startedAt >= ms(state.config.startSec);
}

/** Credit for a good run that ends by a restart: later quick exits are then retried. */
function credit(state: SupervisorState, endAt: number): SupervisorState {
  return lastedStartSec(state, endAt) ? { ...state, hadSuccess: true, retries: 0 } : state;
}

/**
 * The retry policy proper, applied once the exited run's group is gone. A spawn that
 * failed never ran, so it is never a success, even with config_start_sec=0.
 */
function afterExit(state: SupervisorState, exit: Exit, name: string, ran = true): Step {
  const ranMs = state.startedAt === undefined ? 0 : exit.at - state.startedAt;
  const ranText = `${(ranMs / 1000).toFixed(1)}s`;
  const { startSec, maxRetry, retrySec } = state.config;
  if (ran && lastedStartSec(state, exit.at)) {
    const next = { ...state, hadSuccess: true, retries: 0, restarts: state.restarts + 1 };
    const step = spawnNext(next);
    step.effects.unshift({ type: 'log', message: `${name}: exited (${describeExit(exit)}) after ${ranText}; starting again` });
    return step;
  }
  if (state.hadSuccess && state.retries < maxRetry) {
    const retries = state.retries + 1;
    const waitMs = (retries - 1) * ms(retrySec);
    const next: SupervisorState = { ...state, phase: 'waiting', retries, pid: undefined, startedAt: undefined };
    return {
      state: next,
      effects: [
        { type: 'log', message: `${name}: exited (${describeExit(exit)}) after ${ranText}, under config_start_sec=${startSec}; retry ${retries} of ${maxRetry} in ${waitMs / 1000}s` },
        {
          type: 'write',
          record: {
            state: 'STOP', exitCode: exit.code, workerPid: state.workerPid, epoch: epoch(exit.at),
            extra: { ...counters(next), ...exitKeys(exit), next: String(epoch(exit.at + waitMs)) },
          },
        },
        { type: 'wait', ms: waitMs },
      ],
    };
  }
  const done: SupervisorState = { ...state, phase: 'done', pid: undefined };
  return {
    state: done,
    // The log line first: whoever sees ERROR (start --wait) finds the reason already in the log.
    effects: [
      { type: 'log', message: `${name}: failed to start (exit code ${exit.code}, retries ${state.retries})` },
      {
        type: 'write',
        record: { state: 'ERROR', exitCode: exit.code, epoch: epoch(exit.at), extra: { ...counters(done), ...exitKeys(exit) } },
      },
      { type: 'exit', code: 1 },
    ],
  };
}

function toExit(event: { code: number | null; signal: number | null; at: number }): Exit {
  if (event.signal !== null) return { code: 128 + event.signal, signal: signalName(event.signal), at: event.at };
  return { code: event.code ?? 0, at: event.at };
}

function stopGroup(state: SupervisorState): Effect {
  return { type: 'stop-group', pgid: state.pid as number, signal: state.config.stopSignal, graceMs: ms(state.config.stopSec) };
}

/** What follows a run whose process group is gone (and, for perp, whose reset has run). */
function decide(state: SupervisorState, name: string): Step {
  if (state.stopAsked) return finish(state, name);
  if (state.restartAsked) {
    const credited = state.phase === 'sweeping' && state.lastExit ? credit(state, state.lastExit.at) : state;
    return spawnNext({ ...credited, restarts: state.restarts + 1 });
  }
  if (state.phase !== 'sweeping' || !state.lastExit) return { state, effects: [] };
  if (state.once) {
    const result = finish(state, name);
    result.effects[0] = { type: 'log', message: `${name}: exited (${describeExit(state.lastExit)}); once, so not started again` };
    return result;
  }
  return afterExit(state, state.lastExit, name);
}

export function step(state: SupervisorState, event: SupervisorEvent, name: string): Step {
  const same: Step = { state, effects: [] };
  switch (event.type) {
    case 'begin':
      return state.phase === 'idle' ? { state, effects: [{ type: 'spawn' }] } : same;

    case 'spawned': {
      const next: SupervisorState = { ...state, phase: 'running', pid: event.pid, uid: event.uid, startedAt: event.at, config: event.config };
      const effects: Effect[] = [{ type: 'write', record: runRecord(next) }, { type: 'log', message: `${name}: started (pid ${event.pid})` }];
      // A stop or restart that arrived while spawning applies to the new run.
      if (state.stopAsked || state.restartAsked) {
        effects.push(stopGroup(next));
        return { state: { ...next, phase: 'stopping' }, effects };
      }
      return { state: next, effects };
    }

    case 'spawn-failed': {
      const next: SupervisorState = { ...state, config: event.config, startedAt: event.at };
      const step = state.stopAsked ? finish(next, name) : afterExit(next, { code: event.code, at: event.at }, name, false);
      step.effects.unshift({ type: 'log', message: `${name}: ${event.reason}` });
      return step;
    }

    case 'exited': {
      const exit = toExit(event);
      if (state.phase === 'running') {
        return { state: { ...state, phase: 'sweeping', lastExit: exit }, effects: [stopGroup(state)] };
      }
      return { state: { ...state, lastExit: exit }, effects: [] };
    }

    case 'group-stopped': {
      const killed: Effect[] = event.killed
        ? [{ type: 'log', message: `${name}: sent SIGKILL to the process group after config_stop_sec=${state.config.stopSec}` }]
        : [];
      if (state.perp && state.lastExit && (state.phase === 'sweeping' || state.phase === 'stopping')) {
        return {
          state: { ...state, phase: 'resetting', resetFrom: state.phase },
          effects: [...killed, { type: 'reset', exit: state.lastExit }],
        };
      }
      const result = decide(state, name);
      result.effects.unshift(...killed);
      return result;
    }

    case 'reset-done':
      return state.phase === 'resetting' ? decide({ ...state, phase: state.resetFrom ?? 'stopping' }, name) : same;

    case 'once': {
      const next = { ...state, once: event.on };
      // Between a quick exit and its retry there is no run left to finish.
      if (event.on && state.phase === 'waiting') {
        const result = finish(next, name);
        result.effects.unshift({ type: 'cancel-wait' });
        return result;
      }
      const effects: Effect[] = [{
        type: 'log',
        message: event.on ? `${name}: once: it will not be started again after this run` : `${name}: once cleared: it will be started again`,
      }];
      if (state.phase === 'running') effects.push({ type: 'write', record: runRecord(next) });
      return { state: next, effects };
    }

    case 'retry-due':
      return state.phase === 'waiting' ? spawnNext({ ...state, restarts: state.restarts + 1 }) : same;

    case 'stop':
      switch (state.phase) {
        case 'running':
          return { state: { ...state, phase: 'stopping', stopAsked: true }, effects: [stopGroup(state)] };
        case 'waiting': {
          const result = finish(state, name);
          result.effects.unshift({ type: 'cancel-wait' });
          return result;
        }
        case 'done':
          return same;
        default:
          return { state: { ...state, stopAsked: true }, effects: [] };
      }

    case 'restart':
      switch (state.phase) {
        case 'running':
          return {
            state: { ...credit(state, event.at), phase: 'stopping', restartAsked: true },
            effects: [{ type: 'log', message: `${name}: restart asked for; stopping pid ${state.pid}` }, stopGroup(state)],
          };
        case 'waiting': {
          const result = spawnNext({ ...state, restarts: state.restarts + 1 });
          result.effects.unshift({ type: 'cancel-wait' });
          return result;
        }
        case 'done':
          return same;
        default:
          return { state: { ...state, restartAsked: true }, effects: [] };
      }
  }
}
