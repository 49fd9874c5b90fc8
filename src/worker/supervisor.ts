// Carries out the effects that core/policy.ts decides; decides nothing itself (SPEC 5).
import { mkdirSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { step, initialState, type Effect, type Exit, type SupervisorEvent, type SupervisorState } from '../core/policy.js';
import { parseConfig, type ServiceConfig } from '../core/config.js';
import type { PidRecord } from '../core/pidfile.js';
import { readConfigText, type ServiceEntry } from '../io/service-dir.js';
import { removePidFile, writePidFile } from '../io/pid-store.js';
import { logSettingsOf } from '../io/log-writer.js';
import { stopGroup } from '../io/terminate.js';
import { mainCommand, planLaunch, resetCommand, type Command } from './launch.js';
import type { Output } from './output.js';

export interface SupervisorSetup {
  entry: ServiceEntry;
  env: Record<string, string | undefined>;
  pidDir: string;
  output: Output;
  config: ServiceConfig;
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
  private spawnFailure?: string;

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
        void stopGroup(effect.pgid, effect.signal, effect.graceMs, () => this.childGone).then((killed) => {
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
      case 'remove-pidfile':
        return removePidFile(pidDir, entry.name);
      case 'exit': {
        this.settle({ error: 'stopped before it ran' });
        const graceMs = entry.kind === 'perp' ? Math.max(DRAIN_MS, this.state.config.stopSec * 1000) : DRAIN_MS;
        void output.drain(graceMs).finally(() => process.exit(effect.code));
        return;
      }
    }
  }

  /**
   * A failed write must not end supervision: the service matters more than its record.
   * A pid dir removed under us (a tmp cleaner in /var/tmp) is made again.
   */
  private write(record: PidRecord): void {
    const { pidDir, entry, output } = this.setup;
    try {
      writePidFile(pidDir, entry.name, record);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        try {
          mkdirSync(pidDir, { recursive: true, mode: 0o700 });
          writePidFile(pidDir, entry.name, record);
          return;
        } catch {
          // reported below
        }
      }
      output.say(`warning: cannot write the pid file in ${pidDir} (RERAISE_PIDDIR): ${(error as Error).message}`);
    }
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

  /** Starts a program of the service in its own session and process group, its output into the log. */
  private launch(command: Command): ReturnType<typeof spawn> {
    const { entry, env, output } = this.setup;
    const plan = planLaunch(entry, command, env);
    if (!plan.ok) throw Object.assign(new Error(plan.message), { code: 'EACCES' });
    const launch = plan.value;
    return spawn(launch.file, launch.args, {
      argv0: launch.argv0, cwd: entry.cwd, env: launch.env, uid: launch.uid, gid: launch.gid,
      detached: true,
      stdio: ['ignore', output.serviceFd, output.serviceFd],
    });
  }

  private spawnService(): void {
    const { entry } = this.setup;
    const config = this.readConfig();
    const at = Date.now();
    this.write({
      state: 'START', workerPid: process.pid, epoch: Math.floor(at / 1000),
      extra: { restarts: String(this.state.restarts), stop_sec: String(config.stopSec) },
    });
    const failed = (error: NodeJS.ErrnoException): void => {
      const reason = `cannot run ${entry.file}: ${error.message}`;
      this.spawnFailure = reason;
      this.dispatch({ type: 'spawn-failed', code: spawnErrorCode(error), reason, at: Date.now(), config });
    };
    let child: ReturnType<typeof spawn>;
    try {
      child = this.launch(mainCommand(entry));
    } catch (error) {
      queueMicrotask(() => failed(error as NodeJS.ErrnoException));
      return;
    }
    if (child.pid === undefined) {
      child.once('error', failed);
      return;
    }
    this.spawnFailure = undefined;
    this.childGone = false;
    const pid = child.pid;
    child.once('exit', (code, signal) => {
      this.childGone = true;
      this.dispatch({ type: 'exited', code, signal: signal ? constants.signals[signal] : null, at: Date.now() });
    });
    this.dispatch({ type: 'spawned', pid, at, config });
  }

  /** `./rc.main reset NAME ...`, waited for up to config_stop_sec, then killed with its group. */
  private reset(exit: Exit): void {
    const done = (): void => {
      this.setup.output.endOfRun();
      this.dispatch({ type: 'reset-done' });
    };
    let child: ReturnType<typeof spawn>;
    try {
      child = this.launch(resetCommand(this.setup.entry, exit));
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
    void stopGroup(pid, constants.signals.SIGKILL, 0, () => gone, this.state.config.stopSec * 1000).then(done);
  }

  private settle(outcome: { pid: number } | { error: string }): void {
    if (this.settled) return;
    this.settled = true;
    this.setup.onSettled(outcome);
  }
}
