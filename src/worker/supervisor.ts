// Carries out the effects that core/policy.ts decides; decides nothing itself (SPEC 5).
import { spawn, type StdioOptions } from 'node:child_process';
import { createRequire } from 'node:module';
import type { Readable, Writable } from 'node:stream';
import { constants } from 'node:os';
import { step, initialState, type Effect, type Exit, type Orphan, type SupervisorEvent, type SupervisorState, type WantOnDisk } from '../core/policy.js';
import { parseConfig, readinessProblem, type ServiceConfig } from '../core/config.js';
import type { PidRecord } from '../core/pidfile.js';
import { preparePidDir, type Dir } from '../io/dirs.js';
import { lockService, type ServiceLock } from '../io/lock.js';
import { readConfigText, type ServiceEntry } from '../io/service-dir.js';
import { removePidFile, writePidFile } from '../io/pid-store.js';
import { logSettingsOf } from '../io/log-writer.js';
import { stopGroup, stopOrphan } from '../io/terminate.js';
import { readWant, wantPath } from '../io/want-store.js';
import { dirItselfProblem, errnoText } from '../io/trusted-dir.js';
import { gated, mainCommand, planLaunch, resetCommand, type Command, type Launch } from './launch.js';
import type { Output } from './output.js';
import type * as Health from './health.js';

/** Loaded by the first run that has a readiness rule: workers of other services never load it (SPEC 14). */
function loadHealth(): typeof Health {
  return createRequire(import.meta.url)('./health.cjs') as typeof Health;
}

export interface SupervisorSetup {
  entry: ServiceEntry;
  env: Record<string, string | undefined>;
  pidDir: Dir;
  /** Where the want is (SPEC 13.1): read after the first START. */
  wantDir: string;
  output: Output;
  config: ServiceConfig;
  /** Taken again when the pid dir has to be made again (SPEC 5.7). */
  lock: ServiceLock;
  /** The one line for the starter (SPEC 5.1 handshake). */
  answer: (line: string) => void;
  /** Failed revivals before this worker (SPEC 13.2). */
  revivals: number;
  /** An orphan to take over (SPEC 13.2). */
  orphan?: Orphan;
}

function spawnErrorCode(error: NodeJS.ErrnoException): number {
  // What a shell reports: 127 when the command is missing, 126 when it cannot be run.
  return error.code === 'ENOENT' ? 127 : 126;
}

export class Supervisor {
  private state: SupervisorState;
  private readonly queue: SupervisorEvent[] = [];
  private busy = false;
  private childGone = true;
  private timer?: NodeJS.Timeout;
  private configText?: string;
  /** The current run is sudo's (SPEC 6 `start`): its group cannot be sent SIGKILL. */
  private viaSudo = false;
  /** Whom the current run runs as: the worker's user, or the script's owner of the moment (SPEC 12.4). */
  private runOwner = process.getuid!();
  /** Another worker took the service over (SPEC 5.7): the pid file is its own now. */
  private disowned = false;
  private saidNoGroups = false;
  private health?: typeof Health;
  /** The worker's end of the current run's readiness pipe (config_ready_fd). */
  private readyStream?: Readable;
  private watching?: Health.Watching;
  private checking?: Health.Watching;

  constructor(private readonly setup: SupervisorSetup) {
    this.state = initialState(process.pid, setup.config, { perp: setup.entry.kind === 'perp', logger: setup.output.sharesPipe, revivals: setup.revivals });
    setup.output.onLoggerExit((ranMs, why) => this.dispatch({ type: 'logger-exited', ranMs, why }));
  }

  /** The first event: the orphan to take over, if any. */
  begin(): void {
    this.dispatch({ type: 'begin', orphan: this.setup.orphan });
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
      case 'read-config':
        return this.dispatch({ type: 'config-read', config: this.readConfig(), at: Date.now() });
      case 'write-start': {
        const failure = this.write(effect.record) ? undefined : this.writeFailure ?? 'unable to write its pid file';
        return this.dispatch({ type: 'start-written', at: Date.now(), failure });
      }
      case 'read-want':
        return this.dispatch({ type: 'want-read', want: this.readWant() });
      case 'spawn':
        return this.spawnService(effect.readyFd);
      case 'watch-ready': {
        const health = this.loadHealth();
        // Without the probes the run cannot prove it is ready: a failed start, and the log says why.
        if (!health) return this.dispatch({ type: 'ready-timeout', at: Date.now() });
        this.watching = health.watchReady(effect.ready, effect.timeoutMs, {
          readyStream: this.readyStream,
          watchText: (text, found) => output.watchText(text, found),
          // Root may answer for anyone.
          trusted: new Set([0, process.getuid!(), this.runOwner]),
        }, (event) => this.dispatch(event));
        return;
      }
      case 'check': {
        const health = this.loadHealth();
        if (!health) return this.dispatch({ type: 'checked', ok: false, why: 'no-probe', at: Date.now() });
        this.checking = health.checkAfter(effect.probe, effect.afterMs, effect.pid, (event) => this.dispatch(event));
        return;
      }
      case 'unwatch':
        this.watching?.cancel();
        this.checking?.cancel();
        this.watching = this.checking = undefined;
        return;
      case 'write':
        this.write(effect.record);
        return;
      case 'log':
        return output.say(effect.message);
      case 'answer':
        return this.setup.answer(effect.line);
      case 'stop-group':
        void stopGroup(effect.pgid, effect.signal, effect.graceMs, () => this.childGone, 0, this.viaSudo ? {
          stuck: () => output.say(`${entry.name}: pid ${effect.pgid} runs through sudo and outlived config_stop_sec; ` +
            'SIGKILL cannot reach the owner\'s processes, so the worker waits for them to end'),
        } : undefined).then((killed) => {
          output.endOfRun();
          this.dispatch({ type: 'group-stopped', killed });
        });
        return;
      case 'stop-orphan':
        return this.stopOrphan(effect.pid, effect.signal, effect.graceMs);
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
      case 'start-logger':
        return output.startLogger(effect.delayMs);
      case 'note-logger':
        return output.noteLogger(effect.message);
      case 'exit':
        void output.drain(effect.drainMs).finally(() => process.exit(effect.code));
        return;
    }
  }

  /**
   * The probes' bundle, loaded by the first run that has a rule, maybe days after the worker began:
   * one that cannot be loaded (an upgrade half done) must not end the worker and orphan its service.
   */
  private loadHealth(): typeof Health | undefined {
    if (this.health) return this.health;
    try {
      this.health = loadHealth();
    } catch (error) {
      this.setup.output.say(`warning: unable to load the readiness probes: ${(error as Error).message.split('\n')[0]}`);
    }
    return this.health;
  }

  /** The want as it is on disk now; one that cannot be used is none, and the log says why (SPEC 13.1). */
  private readWant(): WantOnDisk {
    const { wantDir, entry, output } = this.setup;
    const read = readWant(wantDir, entry.name);
    if (read.kind === 'unusable') output.say(`warning: unable to use want ${wantPath(wantDir, entry.name)} (RERAISE_WANTDIR): ${read.message}; taken as no want`);
    return read.kind === 'want' ? read.want : 'none';
  }

  /** What the orphan wrote goes into the log while it is stopped; the answer comes once all of it is gone. */
  private stopOrphan(pid: number, signal: number, graceMs: number): void {
    const { output, orphan } = this.setup;
    const followed = output.follow(pid, orphan!.uid);
    void stopOrphan(pid, signal, graceMs).then(async (stopped) => {
      await followed.gone(graceMs);
      this.dispatch({ type: 'orphan-stopped', gone: stopped.gone, killed: stopped.killed, orphan: orphan! });
    });
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
    const changed = text !== this.configText;
    if (changed) {
      for (const d of parsed.diagnostics) {
        output.say(d.severity === 'error' ? `warning: ${d.message}; keeping the last good value` : `warning: ${d.message}`);
      }
      this.configText = text;
    }
    const unready = readinessProblem(parsed.config, { rcLog: output.sharesPipe, viaSudo: false });
    if (unready) {
      if (changed) output.say(`warning: ${entry.file}: ${unready}; keeping the last good rule`);
      parsed.config.ready = this.state.config.ready;
    }
    output.configure(logSettingsOf(parsed.config));
    return parsed.config;
  }

  /**
   * Starts a program of the service in its own session and process group, its output into the
   * log; `gate`: held back until the worker lets it go (launch.ts gated).
   */
  private launch(command: Command, gate = false, readyFd?: number): { child: ReturnType<typeof spawn>; launch: Launch; readyAt?: number } {
    const { entry, env, output } = this.setup;
    const plan = planLaunch(entry, command, env);
    if (!plan.ok) throw Object.assign(new Error(plan.message), { code: 'EACCES', refused: true });
    const launch = plan.value;
    // Known only now: whether this run goes through sudo (the file's owner may have changed).
    const unready = readyFd !== undefined && readinessProblem(this.state.config, { rcLog: false, viaSudo: launch.viaSudo === true });
    if (unready) throw Object.assign(new Error(unready), { code: 'EACCES', refused: true });
    if (launch.withoutGroups && !this.saidNoGroups) {
      this.saidNoGroups = true;
      output.say(`warning: setpriv (util-linux) not found: ${command.file} runs with the primary group of uid ${launch.owner} only`);
    }
    // Descriptor 3 of a gated run is the gate until the program starts: a readiness 3 waits on 4.
    const readyAt = readyFd === 3 && gate ? 4 : readyFd;
    const stdio: StdioOptions = ['ignore', output.serviceFd, output.serviceFd];
    if (gate) stdio[3] = 'pipe';
    if (readyAt !== undefined) {
      for (let fd = stdio.length; fd < readyAt; fd++) stdio[fd] = 'ignore';
      stdio[readyAt] = 'pipe';
    }
    const run = gate ? gated(launch, readyAt === 4 && readyFd === 3) : launch;
    const child = spawn(run.file, run.args, {
      argv0: run.argv0, cwd: entry.cwd, env: run.env, uid: run.uid, gid: run.gid,
      detached: true, stdio,
    });
    return { child, launch, readyAt };
  }

  private spawnService(readyFd?: number): void {
    const { entry, output } = this.setup;
    const failed = (error: NodeJS.ErrnoException, reason = `cannot run ${entry.file}: ${errnoText(error)}`): void => {
      this.dispatch({ type: 'spawn-failed', code: spawnErrorCode(error), reason, at: Date.now() });
    };
    const at = Date.now();
    let child: ReturnType<typeof spawn>;
    let launch: Launch;
    let readyAt: number | undefined;
    this.readyStream = undefined;
    try {
      ({ child, launch, readyAt } = this.launch(mainCommand(entry), output.sharesPipe, readyFd));
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
    this.childGone = false;
    this.viaSudo = launch.viaSudo === true;
    this.runOwner = launch.owner;
    if (readyAt !== undefined) {
      this.readyStream = child.stdio[readyAt] as Readable;
      this.readyStream.on('error', () => {});
    }
    const pid = child.pid;
    child.once('exit', (code, signal) => {
      this.childGone = true;
      this.dispatch({ type: 'exited', code, signal: signal ? constants.signals[signal] : null, at: Date.now() });
    });
    // Through sudo the process is sudo's, run by the worker's own user (SPEC 4).
    this.dispatch({ type: 'spawned', pid, at, uid: this.viaSudo ? process.getuid!() : launch.owner });
    // Descriptor 3 is the gate only for a gated run: else it may be the service's readiness descriptor.
    const gate = output.sharesPipe ? child.stdio[3] as Writable | null | undefined : undefined;
    if (gate) {
      // Gone before it read (killed at once): nothing to let go.
      gate.on('error', () => {});
      // Let go once its start is written (record and log line): a spawn made inside a dispatch
      // has its event queued, and done only when that dispatch ends, before any microtask.
      queueMicrotask(() => gate.end('\n'));
    }
  }

  /** `./rc.main reset NAME ...`, waited for up to config_stop_sec, then killed with its group. */
  private reset(exit: Exit): void {
    const done = (failure?: string): void => {
      this.setup.output.endOfRun();
      this.dispatch({ type: 'reset-done', failure });
    };
    let child: ReturnType<typeof spawn>;
    let launch: Launch;
    try {
      ({ child, launch } = this.launch(resetCommand(this.setup.entry, exit)));
    } catch (error) {
      queueMicrotask(() => done((error as Error).message));
      return;
    }
    const pid = child.pid;
    if (pid === undefined) {
      child.once('error', (error) => done(`cannot run ${this.setup.entry.file}: ${errnoText(error)}`));
      return;
    }
    let gone = false;
    child.once('exit', () => {
      gone = true;
    });
    const patience = this.state.config.stopSec * 1000;
    if (!launch.viaSudo) {
      void stopGroup(pid, constants.signals.SIGKILL, 0, () => gone, patience).then(() => done());
      return;
    }
    // sudo passes TERM on, not KILL: a reset that outlives it is waited for (SPEC 12.1).
    void stopGroup(pid, constants.signals.SIGTERM, patience, () => gone, patience, {
      stuck: () => this.setup.output.say(`${this.setup.entry.name}: reset (pid ${pid}, through sudo) outlived SIGTERM; waiting for it`),
    }).then(() => done());
  }
}
