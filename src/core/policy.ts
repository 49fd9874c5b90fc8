// The worker's decisions (SPEC 5, 13): a table of phase by event, each entry giving the next state and the effects. No I/O, no clock.
import { describeReadiness, isProbed, type ProbedReadiness, type Readiness, type ServiceConfig } from './config.js';
import type { PidRecord, RecordKeys } from './pidfile.js';
import { signalName } from './signals.js';
import { loggerRestartDelay } from './logger-policy.js';

/**
 * idle:      nothing has happened yet.
 * adopting:  an orphan of a dead worker is being stopped, to run it again under this one (SPEC 13.2).
 * spawning:  a run is being prepared: config read, START written, (first run) want read, spawn.
 * running:   the service process is alive.
 * sweeping:  it exited by itself; what is left of its process group is being stopped.
 * stopping:  a stop or restart was asked for; the group is being stopped.
 * resetting: a perp-style service's `rc.main reset` runs after the exit (SPEC 8).
 * waiting:   between a quick exit and the next retry.
 * done:      the worker is exiting.
 */
export type Phase = 'idle' | 'adopting' | 'spawning' | 'running' | 'sweeping' | 'stopping' | 'resetting' | 'waiting' | 'done';

/**
 * What the worker is to do with its service, apart from what it is doing (the phase):
 * up: keep it running; down: stop it and exit; once: let the current run end, then exit (SPEC 10).
 */
export type Want = 'up' | 'down' | 'once';

export interface Exit {
  code: number;
  /** Signal name when the service died of a signal. */
  signal?: string;
  at: number;
}

export interface Orphan {
  pid: number;
  /** Its start time (epoch seconds) and real uid: the record the taking-over worker writes for it. */
  epoch: number;
  uid?: number;
  /** What its record said of its readiness (SPEC 14.1): kept while it is stopped. */
  ready?: boolean;
  signal: number;
  graceMs: number;
}

export interface SupervisorState {
  phase: Phase;
  want: Want;
  workerPid: number;
  config: ServiceConfig;
  /** At least one run lasted config_start_sec. */
  hadSuccess: boolean;
  /** Quick exits in a row since the last successful run. */
  retries: number;
  /** Runs started after the first one. */
  restarts: number;
  /** Failed revivals in a row before this worker (SPEC 13.2): it carries them into its ERROR record. */
  revivals: number;
  pid?: number;
  /** The real uid of the current run's process. */
  uid?: number;
  startedAt?: number;
  lastExit?: Exit;
  /** Run `rc.main reset` after every exit (perp-style services). */
  perp: boolean;
  /** An rc.log reads the service's output, and is started again whenever it exits (SPEC 8). */
  logger: boolean;
  /** What a reset interrupted: an exit of the service's own (sweeping), or a stop or restart. */
  resetFrom?: 'sweeping' | 'stopping';
  /** The starter has had its one answer (SPEC 5.1 handshake). */
  answered: boolean;
  /** Why the last spawn failed, for the starter's answer. */
  failure?: string;
  /** The orphan this worker took over (SPEC 13.2): its starter hears of it. */
  adopted?: number;
  /** The current run has a readiness rule (SPEC 14.1): false until it proves ready. */
  ready?: boolean;
  /** Failed liveness checks in a row of the current run, and why the last one failed (SPEC 14.2). */
  failedChecks: number;
  lastCheck?: string;
  /** A check found the run paused: said once, until a check finds it going again. */
  checkPaused?: boolean;
}

export type WantOnDisk = 'up' | 'down' | 'none';

export type SupervisorEvent =
  | { type: 'begin'; orphan?: Orphan }
  | { type: 'orphan-stopped'; gone: boolean; killed: boolean; orphan: Orphan }
  | { type: 'config-read'; config: ServiceConfig; at: number }
  | { type: 'start-written'; at: number; failure?: string }
  | { type: 'want-read'; want: WantOnDisk }
  /** `uid`: the real uid of the process spawned, for the identity check of its record (SPEC 4). */
  | { type: 'spawned'; pid: number; at: number; uid?: number }
  | { type: 'spawn-failed'; code: number; reason: string; at: number }
  | { type: 'exited'; code: number | null; signal: number | null; at: number }
  | { type: 'group-stopped'; killed: boolean }
  | { type: 'reset-done'; failure?: string }
  /** The rc.log exited (or could not start) after `ranMs`, for `why`. */
  | { type: 'logger-exited'; ranMs: number; why: string }
  | { type: 'retry-due' }
  | { type: 'stop' }
  | { type: 'restart'; at: number }
  | { type: 'once'; on: boolean }
  /** The run proved ready by its rule (SPEC 14.1). */
  | { type: 'ready'; at: number }
  /** config_ready_sec went by first. */
  | { type: 'ready-timeout'; at: number }
  /** The service closed its readiness descriptor without a newline. */
  | { type: 'ready-fd-closed' }
  /** A readiness probe was answered by `uid`, which is not the service's (SPEC 14.1); said once a uid. */
  | { type: 'ready-foreign'; uid: number }
  /** A liveness check ended (SPEC 14.2); `why`: refused, timeout, reset, http-CODE, bad-answer. */
  /** `paused`: a failed check found the run stopped (`reraise pause`), which is no sign of ill health. */
  | { type: 'checked'; ok: boolean; why?: string; paused?: boolean; at: number };

type EventType = SupervisorEvent['type'];
type EventOf<T extends EventType> = Extract<SupervisorEvent, { type: T }>;

export type Effect =
  /** Read the config again (SPEC 3); answer with `config-read`. */
  | { type: 'read-config' }
  /** Write the START record; answer with `start-written`, saying why when it could not be written. */
  | { type: 'write-start'; record: PidRecord }
  /** Read the want (SPEC 13.1); answer with `want-read`. */
  | { type: 'read-want' }
  /** Spawn the service, with the write end of a readiness pipe as `readyFd`; answer with `spawned` or `spawn-failed`. */
  | { type: 'spawn'; readyFd?: number }
  /** Watch the run for `ready` until `timeoutMs`; answer with `ready`, `ready-timeout` or `ready-fd-closed`. */
  | { type: 'watch-ready'; ready: Readiness; timeoutMs: number }
  /** One liveness check with the probe of `probe`, after `afterMs`; answer with `checked`. */
  | { type: 'check'; probe: ProbedReadiness; afterMs: number; pid: number }
  /** Stop watching the run: its readiness, its ready timeout, its pending check. */
  | { type: 'unwatch' }
  | { type: 'write'; record: PidRecord }
  | { type: 'log'; message: string }
  /** The one line for the starter (SPEC 5.1): `started PID [ORPHAN]`, `down` or `error MESSAGE`. */
  | { type: 'answer'; line: string }
  /** Send `signal` (and SIGCONT) to the group, SIGKILL it after `graceMs`; answer with `group-stopped`. */
  | { type: 'stop-group'; pgid: number; signal: number; graceMs: number }
  /** Copy the orphan's unread output into the log and stop it like a group; answer with `orphan-stopped`. */
  | { type: 'stop-orphan'; pid: number; signal: number; graceMs: number }
  /** Run `./rc.main reset NAME exit CODE` (or `signal N NAME`), bounded by stop_sec; answer with `reset-done`. */
  | { type: 'reset'; exit: Exit }
  | { type: 'wait'; ms: number }
  | { type: 'cancel-wait' }
  | { type: 'remove-pidfile' }
  /** Start the rc.log after `delayMs`; its exits come back as `logger-exited`. */
  | { type: 'start-logger'; delayMs: number }
  /** A line about the rc.log, into its logger.log. */
  | { type: 'note-logger'; message: string }
  /** Let the log take what is left for up to `drainMs`, then exit. */
  | { type: 'exit'; code: number; drainMs: number };

export interface Step {
  state: SupervisorState;
  effects: Effect[];
}

export interface Service {
  perp: boolean;
  logger: boolean;
  /** Failed revivals in a row before this worker (SPEC 13.2). */
  revivals: number;
}

export function initialState(workerPid: number, config: ServiceConfig, service: Partial<Service> = {}): SupervisorState {
  const { perp = false, logger = false, revivals = 0 } = service;
  return {
    phase: 'idle', want: 'up', workerPid, config, hadSuccess: false, retries: 0, restarts: 0, revivals, perp, logger, answered: false,
    failedChecks: 0,
  };
}

const epoch = (ms: number): number => Math.floor(ms / 1000);

/** Milliseconds, rounded: 4.03 s must be 4030 ms, not 4030.0000000000005. */
const ms = (seconds: number): number => Math.round(seconds * 1000);

/** How long the log may take to drain after the last run; a perp logger gets its stop time (SPEC 8). */
const DRAIN_MS = 1000;

function describeExit(exit: Exit): string {
  return exit.signal ? `killed by SIG${exit.signal}` : `exit code ${exit.code}`;
}

function counters(state: SupervisorState): RecordKeys {
  return {
    restarts: state.restarts,
    retries: state.retries,
    startSec: state.config.startSec,
    stopSec: state.config.stopSec,
    stopSignal: signalName(state.config.stopSignal),
  };
}

/** An orphan's readiness in the record written for it, when its own record said. */
const readyKey = (ready: boolean | undefined): RecordKeys => (ready === undefined ? {} : { ready });

/** The RUN record: the counters, the once flag, and how the previous run ended. */
function runRecord(state: SupervisorState): PidRecord {
  const keys: RecordKeys = {
    ...counters(state), uid: state.uid, once: state.want === 'once' || undefined, ready: state.ready,
    ...(state.failedChecks > 0 ? { checks: state.failedChecks, check: state.lastCheck } : {}),
  };
  if (state.lastExit) {
    keys.lastExit = state.lastExit.code;
    keys.lastSignal = state.lastExit.signal;
  }
  return { state: 'RUN', pid: state.pid, workerPid: state.workerPid, epoch: epoch(state.startedAt ?? 0), keys };
}

function answerOnce(state: SupervisorState, line: string): Effect[] {
  return state.answered ? [] : [{ type: 'answer', line }];
}

function exitEffect(state: SupervisorState, code: number): Effect {
  return { type: 'exit', code, drainMs: state.perp ? Math.max(DRAIN_MS, ms(state.config.stopSec)) : DRAIN_MS };
}

/** Ends the worker: the pid file goes. A starter not yet answered hears `down` when a stop came first. */
function finish(state: SupervisorState, name: string, message = `${name}: stopped`): Step {
  return {
    state: { ...state, phase: 'done', answered: true },
    effects: [
      { type: 'log', message },
      { type: 'remove-pidfile' },
      ...answerOnce(state, state.want === 'down' ? 'down' : 'error stopped before it ran'),
      exitEffect(state, 0),
    ],
  };
}

/** The next run: the config is read first, as before every run (SPEC 3). */
function prepare(state: SupervisorState): Step {
  return {
    state: { ...state, phase: 'spawning', pid: undefined, startedAt: undefined, ready: undefined, failedChecks: 0, lastCheck: undefined, checkPaused: undefined },
    effects: [{ type: 'read-config' }],
  };
}

function respawn(state: SupervisorState): Step {
  return prepare({ ...state, restarts: state.restarts + 1 });
}

/** With a readiness rule, a run is a success once ready and this long alive (SPEC 14.1). */
const READY_RUN_MS = 1000;

/**
 * A run that lasted config_start_sec was a success, however it ended (SPEC 5.4); with a
 * readiness rule, one that was ready and ran a second (SPEC 14.1).
 */
function startSucceeded(state: SupervisorState, endAt: number): boolean {
  const ran = state.startedAt === undefined ? 0 : endAt - state.startedAt;
  // A run that is ready and dies at once must not be started again at once, for ever.
  if (state.ready !== undefined) return state.ready && ran >= READY_RUN_MS;
  return state.startedAt !== undefined && ran >= ms(state.config.startSec);
}

/** Credit for a good run that ends by a restart: later quick exits are then retried. */
function credit(state: SupervisorState, endAt: number): SupervisorState {
  return startSucceeded(state, endAt) ? { ...state, hadSuccess: true, retries: 0 } : state;
}

function giveUp(state: SupervisorState, exit: Exit, name: string): Step {
  const done: SupervisorState = { ...state, phase: 'done', pid: undefined, answered: true };
  const keys: RecordKeys = {
    ...counters(done), signal: exit.signal,
    // A worker that had a good run starts the revivals over (SPEC 13.2).
    revivals: state.hadSuccess ? 0 : state.revivals, reviveSec: state.config.reviveSec,
  };
  return {
    state: done,
    // The log line first: whoever sees ERROR (start --wait) finds the reason already in the log.
    effects: [
      { type: 'log', message: `${name}: failed to start (exit code ${exit.code}, retries ${state.retries})` },
      { type: 'write', record: { state: 'ERROR', exitCode: exit.code, epoch: epoch(exit.at), keys } },
      ...answerOnce(state, `error ${state.failure ?? `failed to start (exit code ${exit.code})`}`),
      exitEffect(state, 1),
    ],
  };
}

/**
 * The retry policy proper, applied once the exited run's group is gone. A spawn that
 * failed never ran, so it is never a success, even with config_start_sec=0.
 */
function afterExit(state: SupervisorState, exit: Exit, name: string, ran = true): Step {
  const ranMs = state.startedAt === undefined ? 0 : exit.at - state.startedAt;
  const ranText = `${(ranMs / 1000).toFixed(1)}s`;
  const { startSec, maxRetry, retrySec } = state.config;
  if (ran && startSucceeded(state, exit.at)) {
    const step = respawn({ ...state, hadSuccess: true, retries: 0 });
    step.effects.unshift({ type: 'log', message: `${name}: exited (${describeExit(exit)}) after ${ranText}; starting again` });
    return step;
  }
  if (!state.hadSuccess || state.retries >= maxRetry) return giveUp(state, exit, name);
  const retries = state.retries + 1;
  const waitMs = (retries - 1) * ms(retrySec);
  const next: SupervisorState = { ...state, phase: 'waiting', retries, pid: undefined, startedAt: undefined };
  return {
    state: next,
    effects: [
      { type: 'log', message: `${name}: exited (${describeExit(exit)}) after ${ranText}, ${state.ready === false ? 'before it was ready' : `under config_start_sec=${startSec}`}; retry ${retries} of ${maxRetry} in ${waitMs / 1000}s` },
      {
        type: 'write',
        record: {
          state: 'STOP', exitCode: exit.code, workerPid: state.workerPid, epoch: epoch(exit.at),
          keys: { ...counters(next), signal: exit.signal, next: epoch(exit.at + waitMs) },
        },
      },
      { type: 'wait', ms: waitMs },
    ],
  };
}

function toExit(event: EventOf<'exited'>): Exit {
  if (event.signal !== null) return { code: 128 + event.signal, signal: signalName(event.signal), at: event.at };
  return { code: event.code ?? 0, at: event.at };
}

function stopGroup(state: SupervisorState): Effect {
  return { type: 'stop-group', pgid: state.pid as number, signal: state.config.stopSignal, graceMs: ms(state.config.stopSec) };
}

/** The service ended by itself and its group is gone (and, for perp, its reset has run). */
function afterSweep(state: SupervisorState, name: string): Step {
  const exit = state.lastExit as Exit;
  if (state.want === 'down') return finish(state, name);
  if (state.want === 'once') return finish(state, name, `${name}: exited (${describeExit(exit)}); once, so not started again`);
  return afterExit(state, exit, name);
}

/** The group of a stop or a restart is gone: the worker leaves, or starts the service again. */
function afterStop(state: SupervisorState, name: string): Step {
  return state.want === 'down' ? finish(state, name) : respawn(state);
}

function killedLog(event: EventOf<'group-stopped'>, state: SupervisorState, name: string): Effect[] {
  return event.killed ? [{ type: 'log', message: `${name}: sent SIGKILL to the process group after config_stop_sec=${state.config.stopSec}` }] : [];
}

/** The group is gone: a perp service's reset runs first (SPEC 8). */
function groupGone(state: SupervisorState, event: EventOf<'group-stopped'>, name: string, from: 'sweeping' | 'stopping'): Step {
  const killed = killedLog(event, state, name);
  if (state.perp && state.lastExit) {
    return { state: { ...state, phase: 'resetting', resetFrom: from }, effects: [...killed, { type: 'reset', exit: state.lastExit }] };
  }
  const result = from === 'sweeping' ? afterSweep(state, name) : afterStop(state, name);
  result.effects.unshift(...killed);
  return result;
}

function onceLog(name: string, on: boolean): Effect {
  return { type: 'log', message: on ? `${name}: once: it will not be started again after this run` : `${name}: once cleared: it will be started again` };
}

/** Stop, restart or once asked for while the phase runs its course: remembered in the want, applied when it ends. */
function remember(want: Want): (state: SupervisorState) => Step {
  return (state) => ({ state: { ...state, want: state.want === 'down' ? 'down' : want }, effects: [] });
}

const stopLater = remember('down');

function onceLater(state: SupervisorState, event: EventOf<'once'>, name: string): Step {
  if (state.want === 'down') return { state, effects: [] };
  return { state: { ...state, want: event.on ? 'once' : 'up' }, effects: [onceLog(name, event.on)] };
}

/** The rc.log is started again, no sooner than a second after its last start (SPEC 8), for as long as the worker stays. */
function loggerExited(state: SupervisorState, event: EventOf<'logger-exited'>, name: string): Step {
  const delayMs = loggerRestartDelay(event.ranMs);
  return {
    state,
    effects: [
      { type: 'note-logger', message: `${name}: rc.log ${event.why}; starting it again in ${delayMs / 1000}s` },
      { type: 'start-logger', delayMs },
    ],
  };
}

type Handler<T extends EventType> = (state: SupervisorState, event: EventOf<T>, name: string) => Step;
type Row = { [T in EventType]?: Handler<T> };

/**
 * The table: what each event does in each phase (as s6-supervise's actions[state][event]). An
 * event a phase has no entry for changes nothing: a late timer, a second begin, a signal
 * after the worker decided to leave.
 */
const TABLE: Readonly<Record<Phase, Row>> = {
  idle: {
    begin: (state, event, name) => {
      if (!event.orphan) return prepare(state);
      const { pid, epoch: since, uid, ready, signal, graceMs } = event.orphan;
      // The run is this worker's from now on: status, stop and other starts find it here, not orphaned.
      const record: PidRecord = {
        state: 'RUN', pid, workerPid: state.workerPid, epoch: since,
        keys: { restarts: 0, uid, ...readyKey(ready), stopSec: graceMs / 1000, stopSignal: signalName(signal) },
      };
      return {
        state: { ...state, phase: 'adopting', adopted: pid },
        // The stop first: what the orphan wrote before goes into the log before this worker's line.
        effects: [
          { type: 'write', record },
          { type: 'stop-orphan', pid, signal, graceMs },
          { type: 'log', message: `${name}: taking over orphaned pid ${pid} (its worker is gone): stopping it to run it again under this worker` },
        ],
      };
    },
    stop: (state, _event, name) => finish(state, name),
  },

  adopting: {
    'orphan-stopped': (state, event, name) => {
      if (!event.gone) {
        const { pid, epoch: since, uid, ready } = event.orphan;
        return {
          state: { ...state, phase: 'done', answered: true },
          effects: [
            { type: 'log', message: `${name}: orphaned pid ${pid} outlived its stop; leaving it and its record` },
            // Its record names it again with no worker: status calls it orphaned, start refuses it.
            { type: 'write', record: { state: 'RUN', pid, epoch: since, keys: { uid, ...readyKey(ready) } } },
            ...answerOnce(state, `error orphaned pid ${pid} outlived its stop signal and config_stop_sec`),
            exitEffect(state, 1),
          ],
        };
      }
      const stopped: Effect = { type: 'log', message: `${name}: orphaned service stopped${event.killed ? ' (after SIGKILL)' : ''}` };
      const result = state.want === 'down' ? finish(state, name) : prepare(state);
      result.effects.unshift(stopped);
      return result;
    },
    stop: stopLater,
    once: onceLater,
  },

  spawning: {
    'logger-exited': loggerExited,
    'config-read': (state, event) => {
      const next = { ...state, config: event.config };
      // How the run before this one ended, as RUN says it too (SPEC 4 key table).
      const keys: RecordKeys = {
        restarts: state.restarts, stopSec: event.config.stopSec, lastExit: state.lastExit?.code, lastSignal: state.lastExit?.signal,
      };
      const record: PidRecord = { state: 'START', workerPid: state.workerPid, epoch: epoch(event.at), keys };
      return { state: next, effects: [{ type: 'write-start', record }] };
    },
    'start-written': (state, event, name) => {
      if (state.want === 'down') return finish(state, name);
      // A first run whose record cannot be written would run unseen: status would say it does not (SPEC 5.2).
      if (event.failure !== undefined && !state.answered) {
        return spawnFailed(state, { type: 'spawn-failed', code: 126, reason: event.failure, at: event.at }, name);
      }
      // Read after START, so that a stop meanwhile is seen either here or by the stop (SPEC 13.1).
      return { state, effects: [state.answered ? spawnEffect(state) : { type: 'read-want' }] };
    },
    'want-read': (state, event, name) => {
      if (state.want === 'down') return finish(state, name);
      if (event.want === 'down') {
        return finish({ ...state, want: 'down' }, name, `${name}: not started: its want is down (a stop came meanwhile)`);
      }
      // The rc.log first, so that it reads from the first line on (and an orphan's old one has finished).
      return { state, effects: [...(state.logger ? [{ type: 'start-logger', delayMs: 0 } as const] : []), spawnEffect(state)] };
    },
    spawned: (state, event, name) => {
      const { ready } = state.config;
      const next: SupervisorState = {
        ...state, phase: 'running', pid: event.pid, uid: event.uid, startedAt: event.at, answered: true, failure: undefined,
        ready: ready ? false : undefined,
      };
      const effects: Effect[] = [
        { type: 'write', record: runRecord(next) },
        { type: 'log', message: `${name}: started (pid ${event.pid})` },
        ...answerOnce(state, state.adopted === undefined ? `started ${event.pid}` : `started ${event.pid} ${state.adopted}`),
        ...(ready && state.want !== 'down' ? [{ type: 'watch-ready', ready, timeoutMs: ms(state.config.readySec) } as const] : []),
      ];
      // A stop that arrived while spawning applies to the new run.
      if (state.want === 'down') return { state: { ...next, phase: 'stopping' }, effects: [...effects, stopGroup(next)] };
      return { state: next, effects };
    },
    'spawn-failed': (state, event, name) => spawnFailed(state, event, name),
    stop: stopLater,
    // No restart: the run about to start is the restart.
    once: onceLater,
  },

  running: {
    'logger-exited': loggerExited,
    exited: (state, event) => ({
      state: { ...state, phase: 'sweeping', lastExit: toExit(event) }, effects: [...unwatch(state), stopGroup(state)],
    }),
    stop: (state) => ({ state: { ...state, phase: 'stopping', want: 'down' }, effects: [...unwatch(state), stopGroup(state)] }),
    restart: (state, event, name) => ({
      state: { ...credit(state, event.at), phase: 'stopping' },
      effects: [{ type: 'log', message: `${name}: restart asked for; stopping pid ${state.pid}` }, ...unwatch(state), stopGroup(state)],
    }),
    ready: (state, event, name) => {
      if (state.ready !== false || !state.config.ready) return { state, effects: [] };
      const next: SupervisorState = { ...state, ready: true };
      const took = ((event.at - (state.startedAt ?? event.at)) / 1000).toFixed(1);
      return {
        state: next,
        effects: [
          { type: 'write', record: runRecord(next) },
          { type: 'log', message: `${name}: ready (${describeReadiness(state.config.ready)}) after ${took}s` },
          ...nextCheck(next),
        ],
      };
    },
    'ready-timeout': (state, event, name) => {
      if (state.ready !== false) return { state, effects: [] };
      // Judged as a quick exit once its group is gone; the exit it then makes is the one recorded.
      const exit: Exit = { code: 128 + state.config.stopSignal, signal: signalName(state.config.stopSignal), at: event.at };
      return {
        state: { ...state, phase: 'sweeping', lastExit: exit },
        effects: [
          { type: 'log', message: `${name}: not ready after ${state.config.readySec}s (config_ready_sec): stopping it` },
          { type: 'unwatch' },
          stopGroup(state),
        ],
      };
    },
    'ready-foreign': (state, event, name) => {
      const { ready } = state.config;
      if (state.ready !== false || !ready || !isProbed(ready)) return { state, effects: [] };
      const where = ready.kind === 'url' ? `${ready.host}:${ready.port}` : `127.0.0.1:${ready.port}`;
      return { state, effects: [{ type: 'log', message: `${name}: not ready: ${where} is answered by uid ${event.uid}, not by the service` }] };
    },
    'ready-fd-closed': (state, _event, name) => {
      if (state.ready !== false || state.config.ready?.kind !== 'fd') return { state, effects: [] };
      const rule = describeReadiness(state.config.ready);
      return { state, effects: [{ type: 'log', message: `${name}: closed its readiness descriptor (${rule}) without a newline; not ready` }] };
    },
    checked: (state, event, name) => checked(state, event, name),
    once: (state, event, name) => {
      if (state.want === 'down') return { state, effects: [] };
      const next: SupervisorState = { ...state, want: event.on ? 'once' : 'up' };
      return { state: next, effects: [onceLog(name, event.on), { type: 'write', record: runRecord(next) }] };
    },
  },

  sweeping: {
    'logger-exited': loggerExited,
    // A run stopped for not being ready exits now: that exit is its record's.
    exited: (state, event) => ({ state: { ...state, lastExit: toExit(event) }, effects: [] }),
    'group-stopped': (state, event, name) => groupGone(state, event, name, 'sweeping'),
    stop: stopLater,
    // The exit is not a failure then: the run is judged as a restart's.
    restart: (state) => ({ state: { ...credit(state, state.lastExit?.at ?? 0), phase: 'stopping' }, effects: [] }),
    once: onceLater,
  },

  stopping: {
    'logger-exited': loggerExited,
    exited: (state, event) => ({ state: { ...state, lastExit: toExit(event) }, effects: [] }),
    'group-stopped': (state, event, name) => groupGone(state, event, name, 'stopping'),
    stop: stopLater,
    once: onceLater,
  },

  resetting: {
    'logger-exited': loggerExited,
    'reset-done': (state, event, name) => {
      const result = state.resetFrom === 'sweeping' ? afterSweep(state, name) : afterStop(state, name);
      if (event.failure) result.effects.unshift({ type: 'log', message: `${name}: warning: reset did not run: ${event.failure}` });
      return result;
    },
    stop: stopLater,
    restart: (state) => ({
      state: { ...(state.resetFrom === 'sweeping' ? credit(state, state.lastExit?.at ?? 0) : state), resetFrom: 'stopping' },
      effects: [],
    }),
    once: onceLater,
  },

  waiting: {
    'logger-exited': loggerExited,
    'retry-due': (state) => respawn(state),
    stop: (state, _event, name) => withCancel(finish({ ...state, want: 'down' }, name)),
    restart: (state) => withCancel(respawn(state)),
    once: (state, event, name) => {
      // Between a quick exit and its retry there is no run left to finish.
      if (event.on) return withCancel(finish({ ...state, want: 'once' }, name));
      return { state: { ...state, want: 'up' }, effects: [onceLog(name, false)] };
    },
  },

  done: {},
};

function spawnEffect(state: SupervisorState): Effect {
  const { ready } = state.config;
  return ready?.kind === 'fd' ? { type: 'spawn', readyFd: ready.fd } : { type: 'spawn' };
}

/** A run with a rule is watched until it ends: its probe, its timeout, its next check. */
function unwatch(state: SupervisorState): Effect[] {
  return state.ready === undefined ? [] : [{ type: 'unwatch' }];
}

/** The next liveness check of a ready run, when it has checks (SPEC 14.2). */
function nextCheck(state: SupervisorState): Effect[] {
  const { ready, checkSec } = state.config;
  return ready && isProbed(ready) && checkSec !== undefined && state.pid !== undefined
    ? [{ type: 'check', probe: ready, afterMs: ms(checkSec), pid: state.pid }] : [];
}

/** A check's result: the count of failures in a row, and the restart at config_check_fail. */
function checked(current: SupervisorState, event: EventOf<'checked'>, name: string): Step {
  if (current.ready !== true || current.config.checkSec === undefined) return { state: current, effects: [] };
  // A paused service answers nothing until `cont`: it is checked again later, nothing counted.
  if (!event.ok && event.paused) {
    if (current.checkPaused) return { state: current, effects: nextCheck(current) };
    return {
      state: { ...current, checkPaused: true },
      effects: [{ type: 'log', message: `${name}: paused: its failed checks are not counted until it is continued (reraise cont)` }, ...nextCheck(current)],
    };
  }
  const state = current.checkPaused ? { ...current, checkPaused: undefined } : current;
  if (event.ok) {
    if (state.failedChecks === 0) return { state, effects: nextCheck(state) };
    const next: SupervisorState = { ...state, failedChecks: 0, lastCheck: undefined };
    return {
      state: next,
      effects: [{ type: 'log', message: `${name}: healthy again` }, { type: 'write', record: runRecord(next) }, ...nextCheck(next)],
    };
  }
  const why = event.why ?? 'failed';
  const failed = state.failedChecks + 1;
  const { checkFail } = state.config;
  if (failed >= checkFail) {
    // A run flagged once is its last: an unhealthy one ends it, as a stop would.
    const want: Want = state.want === 'once' ? 'down' : state.want;
    return {
      state: { ...credit(state, event.at), phase: 'stopping', want, failedChecks: 0, lastCheck: undefined },
      effects: [
        { type: 'log', message: `${name}: unhealthy: ${failed} check${failed === 1 ? '' : 's'} in a row failed (last: ${why}): ${state.want === 'once' ? 'stopping it (once: its last run)' : 'restarting'}` },
        { type: 'unwatch' },
        stopGroup(state),
      ],
    };
  }
  const next: SupervisorState = { ...state, failedChecks: failed, lastCheck: why };
  return {
    state: next,
    effects: [
      { type: 'log', message: `${name}: check failed ${failed} of ${checkFail}: ${why}` },
      { type: 'write', record: runRecord(next) },
      ...nextCheck(next),
    ],
  };
}

function withCancel(step: Step): Step {
  step.effects.unshift({ type: 'cancel-wait' });
  return step;
}

function spawnFailed(state: SupervisorState, event: EventOf<'spawn-failed'>, name: string): Step {
  const next: SupervisorState = { ...state, startedAt: event.at, failure: event.reason, lastExit: { code: event.code, at: event.at } };
  const step = state.want === 'down' ? finish(next, name) : afterExit(next, { code: event.code, at: event.at }, name, false);
  step.effects.unshift({ type: 'log', message: `${name}: ${event.reason}` });
  return step;
}

export function step(state: SupervisorState, event: SupervisorEvent, name: string): Step {
  const handler = TABLE[state.phase][event.type] as Handler<typeof event.type> | undefined;
  return handler ? handler(state, event as never, name) : { state, effects: [] };
}
