// Carries out the effects that core/policy.ts decides; decides nothing itself (SPEC 5).
import { spawn } from 'node:child_process';
import type { Writable } from 'node:stream';
import { constants } from 'node:os';
import { step, initialState, type Effect, type Exit, type SupervisorEvent, type SupervisorState } from '../core/policy.js';
import { parseConfig, type ServiceConfig } from '../core/config.js';
import type { PidRecord } from '../core/pidfile.js';
import { preparePidDir, type Dir } from '../io/dirs.js';
import { lockService, type ServiceLock } from '../io/lock.js';
import { readConfigText, type ServiceEntry } from '../io/service-dir.js';
import { removePidFile, writePidFile } from '../io/pid-store.js';
import { logSettingsOf } from '../io/log-writer.js';
import { stopGroup } from '../io/terminate.js';
import { dirItselfProblem, errnoText } from '../io/trusted-dir.js';
import { gated, mainCommand, planLaunch, resetCommand, type Command, type Launch } from './launch.js';
import type { Output } from './output.js';

export interface SupervisorSetup {
  entry: ServiceEntry;
  env: Record<string, string | undefined>;
  pidDir: Dir;
  output: Output;
  config: ServiceConfig;
  /** Taken again when the pid dir has to be made again (SPEC 5.7). */
  lock: ServiceLock;
  /** Told once, when the first run is recorded (RUN) or has failed (ERROR, or an exit before either). */
  onSettled: (outcome: { pid: number } | { error: string }) => void;
}

function spawnErrorCode(error: NodeJS.ErrnoException): number {
  // What a shell reports: 127 when the command is missing, 126 when it cannot be run.
  return error.code === 'ENOENT' ? 127 : 126;
}

/** How long the log may take to drain after the last run, before the worker exits anyway. */
const DRAIN_MS = 1000;

export class Supervisor {
  private state: SupervisorState;
  private readonly queue: SupervisorEvent[] = [];
  private busy = false;
  private childGone = true;
  private timer?: NodeJS.Timeout;
  private configText?: string;
  private settled = false;
  /** The current run is sudo's (SPEC 6 `start`): its group cannot be sent SIGKILL. */
  private viaSudo = false;
  private spawnFailure?: string;
  /** Another worker took the service over (SPEC 5.7): the pid file is its own now. */
  private disowned = false;
  private saidNoGroups = false;

  constructor(private readonly setup: SupervisorSetup) {
    this.state = initialState(process.pid, setup.config, setup.entry.kind === 'perp');
  }

  dispatch(event: SupervisorEvent): void {
    this.queue.push(event);
    if (this.busy) return;
    this.busy = true;
    try {
      for (let next = this.queue.shift(); next; next = this.queue.shift()) {
        const result = step(this.state, next, this.setup.entry.name);
        this.state = result.state;
        for (const effect of result.effects) this.perform(effect);
      }
    } finally {
      this.busy = false;
    }
  }

  private perform(effect: Effect): void {
    const { pidDir, entry, output } = this.setup;
    switch (effect.type) {
      case 'spawn':
        return this.spawnService();
      case 'write':
        this.write(effect.record);
        if (effect.record.state === 'RUN') this.settle({ pid: effect.record.pid as number });
        if (effect.record.state === 'ERROR') {
          const why = this.spawnFailure ?? `failed to start (exit code ${effect.record.exitCode})`;
          this.settle({ error: why });
        }
        return;
      case 'log':
        return output.say(effect.message);
      case 'stop-group':
        void stopGroup(effect.pgid, effect.signal, effect.graceMs, () => this.childGone, 0, this.viaSudo ? {
          stuck: () => output.say(`${entry.name}: pid ${effect.pgid} runs through sudo and outlived config_stop_sec; ` +
            'SIGKILL cannot reach the owner\'s processes, so the worker waits for them to end'),
        } : undefined).then((killed) => {
          output.endOfRun();
          this.dispatch({ type: 'group-stopped', killed });
        });
        return;
      case 'reset':
        return this.reset(effect.exit);
      case 'wait':
        this.timer = setTimeout(() => this.dispatch({ type: 'retry-due' }), effect.ms);
        return;
      case 'cancel-wait':
        clearTimeout(this.timer);
        return;
      case 'remove-pidfile': {
        // Removal goes by path too: a pid dir made again by someone else since is not ours (SPEC 12.2).
        const problem = this.disowned ? 'another worker has it' : dirItselfProblem(pidDir.path, { uid: process.getuid!(), shared: true });
        if (problem) output.say(`warning: the pid file is left in ${pidDir.path} (RERAISE_PIDDIR): ${problem}`);
        else removePidFile(pidDir.path, entry.name);
        return;
      }
      case 'exit': {
        this.settle({ error: 'stopped before it ran' });
        const graceMs = entry.kind === 'perp' ? Math.max(DRAIN_MS, this.state.config.stopSec * 1000) : DRAIN_MS;
        void output.drain(graceMs).finally(() => process.exit(effect.code));
        return;
      }
    }
  }

  /**
   * Writes the record, after checking the pid dir (SPEC 12.2), and says whether it was written.
   * A failed write must not end a supervision that runs: the service matters more than its
   * record. A pid dir removed under us (a tmp cleaner in /var/tmp) is made again, checked, and
   * the lock taken again in it (SPEC 5.7).
   */
  private write(record: PidRecord): boolean {
    const { pidDir, entry, output } = this.setup;
    if (this.disowned) return false;
    const uid = process.getuid!();
    // The walk from / passed when the worker began: only the pid dir itself can have changed since (SPEC 12.2).
    let problem = dirItselfProblem(pidDir.path, { uid, shared: true });
    if (problem === 'no such directory') {
      const made = preparePidDir(pidDir, uid);
      problem = made.ok ? undefined : made.message;
      if (made.ok) this.lockAgain();
    }
    if (problem) {
      this.writeFailure = `unable to use its pid dir ${pidDir.path} (RERAISE_PIDDIR): ${problem}`;
      output.say(`warning: ${this.writeFailure}; the pid file is not written`);
      return false;
    }
    try {
      writePidFile(pidDir.path, entry.name, record);
      return true;
    } catch (error) {
      this.writeFailure = `unable to write its pid file in ${pidDir.path} (RERAISE_PIDDIR): ${errnoText(error)}`;
      output.say(`warning: ${this.writeFailure}`);
      return false;
    }
  }

  private writeFailure?: string;

  /** The lock went with the old pid dir: take it in the new one, or leave the service to the worker that has it. */
  private lockAgain(): void {
    const { pidDir, entry, output } = this.setup;
    void lockService(pidDir.path, entry.name).then((lock) => {
      if (lock !== 'busy') return;
      this.disowned = true;
      output.say(`${entry.name}: another worker took the service over when the pid dir was made again; stopping this one`);
      this.dispatch({ type: 'stop' });
    }, (error: Error) => output.say(`warning: unable to take the lock again in ${pidDir.path}: ${error.message}`));
  }

  /** Config is read again before every run; a bad value keeps the last good one (SPEC 3). */
  private readConfig(): ServiceConfig {
    const { entry, output } = this.setup;
    let text: string;
    try {
      text = readConfigText(entry.file);
    } catch {
      return this.state.config;
    }
    const parsed = parseConfig(text, entry.file, this.state.config);
    if (text !== this.configText) {
      for (const d of parsed.diagnostics) {
        output.say(d.severity === 'error' ? `warning: ${d.message}; keeping the last good value` : `warning: ${d.message}`);
      }
      this.configText = text;
    }
    output.configure(logSettingsOf(parsed.config));
    return parsed.config;
  }

  /**
   * Starts a program of the service in its own session and process group, its output into the
   * log; `gate`: held back until the worker lets it go (launch.ts gated).
   */
  private launch(command: Command, gate = false): { child: ReturnType<typeof spawn>; launch: Launch } {
    const { entry, env, output } = this.setup;
    const plan = planLaunch(entry, command, env);
    if (!plan.ok) throw Object.assign(new Error(plan.message), { code: 'EACCES', refused: true });
    const launch = plan.value;
    if (launch.withoutGroups && !this.saidNoGroups) {
      this.saidNoGroups = true;
      output.say(`warning: setpriv (util-linux) not found: ${command.file} runs with the primary group of uid ${launch.owner} only`);
    }
    const run = gate ? gated(launch) : launch;
    const child = spawn(run.file, run.args, {
      argv0: run.argv0, cwd: entry.cwd, env: run.env, uid: run.uid, gid: run.gid,
      detached: true,
      stdio: ['ignore', output.serviceFd, output.serviceFd, ...(gate ? ['pipe' as const] : [])],
    });
    return { child, launch };
  }

  private spawnService(): void {
    const { entry } = this.setup;
    const config = this.readConfig();
    const at = Date.now();
    const written = this.write({
      state: 'START', workerPid: process.pid, epoch: Math.floor(at / 1000),
      extra: { restarts: String(this.state.restarts), stop_sec: String(config.stopSec) },
    });
    const failed = (error: NodeJS.ErrnoException, reason = `cannot run ${entry.file}: ${errnoText(error)}`): void => {
      this.spawnFailure = reason;
      this.dispatch({ type: 'spawn-failed', code: spawnErrorCode(error), reason, at: Date.now(), config });
    };
    // A first run whose record cannot be written would run unseen: status would say it does not (SPEC 5.2).
    if (!written && !this.settled) {
      const reason = this.writeFailure ?? 'unable to write its pid file';
      queueMicrotask(() => failed(Object.assign(new Error(reason), { code: 'EACCES' }), reason));
      return;
    }
    let child: ReturnType<typeof spawn>;
    let launch: Launch;
    try {
      ({ child, launch } = this.launch(mainCommand(entry), this.setup.output.sharesPipe));
    } catch (error) {
      // A refusal (SPEC 12.4) says it all; a spawn error gets the file named.
      const e = error as NodeJS.ErrnoException & { refused?: boolean };
      queueMicrotask(() => (e.refused ? failed(e, e.message) : failed(e)));
      return;
    }
    if (child.pid === undefined) {
      child.once('error', failed);
      return;
    }
    this.spawnFailure = undefined;
    this.childGone = false;
    this.viaSudo = launch.viaSudo === true;
    const pid = child.pid;
    child.once('exit', (code, signal) => {
      this.childGone = true;
      this.dispatch({ type: 'exited', code, signal: signal ? constants.signals[signal] : null, at: Date.now() });
    });
    // Through sudo the process is sudo's, run by the worker's own user (SPEC 4).
    this.dispatch({ type: 'spawned', pid, at, config, uid: this.viaSudo ? process.getuid!() : launch.owner });
    // Its start is written (record and log line): now it may write too.
    const gate = child.stdio[3] as Writable | null | undefined;
    if (gate) {
      // Gone before it read (killed at once): nothing to let go.
      gate.on('error', () => {});
      gate.end('\n');
    }
  }

  /** `./rc.main reset NAME ...`, waited for up to config_stop_sec, then killed with its group. */
  private reset(exit: Exit): void {
    const done = (): void => {
      this.setup.output.endOfRun();
      this.dispatch({ type: 'reset-done' });
    };
    let child: ReturnType<typeof spawn>;
    let launch: Launch;
    try {
      ({ child, launch } = this.launch(resetCommand(this.setup.entry, exit)));
    } catch {
      queueMicrotask(done);
      return;
    }
    const pid = child.pid;
    if (pid === undefined) {
      child.once('error', done);
      return;
    }
    let gone = false;
    child.once('exit', () => {
      gone = true;
    });
    const patience = this.state.config.stopSec * 1000;
    if (!launch.viaSudo) {
      void stopGroup(pid, constants.signals.SIGKILL, 0, () => gone, patience).then(done);
      return;
    }
    // sudo passes TERM on, not KILL: a reset that outlives it is waited for (SPEC 12.1).
    void stopGroup(pid, constants.signals.SIGTERM, patience, () => gone, patience, {
      stuck: () => this.setup.output.say(`${this.setup.entry.name}: reset (pid ${pid}, through sudo) outlived SIGTERM; waiting for it`),
    }).then(done);
  }

  private settle(outcome: { pid: number } | { error: string }): void {
    if (this.settled) return;
    this.settled = true;
    this.setup.onSettled(outcome);
  }
}
