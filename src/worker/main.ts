// auto-reraise NAME: the detached worker that supervises one service (SPEC 5). Loads nothing of the CLI.
import { closeSync, existsSync, writeSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { isServiceName } from '../core/names.js';
import { lockPrefix } from '../core/lock-names.js';
import { hasErrors, parseConfig, readinessProblem, type ServiceConfig } from '../core/config.js';
import { START_SLACK, serviceFiles, workerTitle } from '../core/identity.js';
import type { PidRecord } from '../core/pidfile.js';
import type { Orphan } from '../core/policy.js';
import { signalNumber } from '../core/signals.js';
import { defaultPidDir, dirsEnv, prepareLogDir, preparePidDir, prepareWantDir, resolveDirs, type Dirs } from '../io/dirs.js';
import { boundLocks, lockService } from '../io/lock.js';
import { logSettingsOf } from '../io/log-writer.js';
import { isUnrecordedRun, isWorker, processFacts, runIsAlive } from '../io/probe.js';
import { readPidFile, writePidFile, type Stored } from '../io/pid-store.js';
import { currentConfig, describeEntry, readConfigText, type ServiceEntry } from '../io/service-dir.js';
import { appendWorkerLine, type LogWriter } from '../io/service-log.js';
import { checkService, loggerFile } from '../io/run-check.js';
import { ASK, REVIVE_VARIABLE, UNRECORDED_VARIABLE, restoreUserTunables } from '../io/worker-protocol.js';
import { becomeServiceEnvironment, logCommand, planLaunch } from './launch.js';
import { ownLog, rcLog, type Output } from './output.js';
import { Supervisor } from './supervisor.js';

/**
 * The starter may pass a pipe as fd 3; the worker answers on it with one line
 * (`started PID`, `busy`, `orphan PID` or `error MESSAGE`) and closes it, so that
 * it holds none of its starter's descriptors afterwards.
 */
const HANDSHAKE_FD = 3;

/** False when nobody listens: the worker was started by hand. */
function answer(line: string): boolean {
  try {
    writeSync(HANDSHAKE_FD, `${line.replace(/\n/g, ' ')}\n`);
    closeSync(HANDSHAKE_FD);
    return true;
  } catch {
    return false;
  }
}

/** An rc.log that is not executable is skipped with a warning, as perp does. */
function warnSkippedLogger(entry: ServiceEntry, say: (message: string) => void): void {
  const file = join(entry.cwd, 'rc.log');
  if (entry.kind === 'perp' && !loggerFile(entry) && existsSync(file)) {
    say(`${entry.name}: warning: ${file} is not executable; logging without it`);
  }
}

/**
 * Who writes the log: an rc.log runs as its owner and writes it as them; else the worker itself
 * (SPEC 12.4). Only a service that passes its checks has a writer other than the worker.
 */
function logWriterOf(entry: ServiceEntry | undefined, logDir: string): LogWriter {
  const checked = entry?.runnable ? checkService(entry, logDir) : undefined;
  return checked?.ok ? checked.value.logWriter : { uid: process.getuid!(), gid: process.getgid!() };
}

/**
 * A worker whose lock file (and record) a cleaner took away still holds its socket, which the
 * kernel lists: no second worker beside it (SPEC 12.3). It started well before this one; those of
 * a concurrent start did not, and leave at once when they find the lock taken.
 */
function olderWorker(name: string, uid: number, pidDir: string): boolean {
  const others = (boundLocks(pidDir).get(lockPrefix(name)) ?? []).filter((pid) => pid !== process.pid);
  // Nearly always none: then no process is looked at, not even this one.
  if (others.length === 0) return false;
  const mine = processFacts(process.pid)?.startEpoch ?? Infinity;
  const expect = { name, uid, pidDir, defaultPidDir: defaultPidDir(uid) };
  return others.some((pid) => isWorker(pid, expect) && (processFacts(pid)?.startEpoch ?? Infinity) < mine - START_SLACK);
}

/** The run a killed worker left behind, checked (SPEC 4), when the record names one. */
function recordedOrphan(stored: Stored, name: string, uid: number, serviceDir: string): PidRecord | undefined {
  if (stored.kind !== 'record' || stored.record.state !== 'RUN' || stored.record.pid === undefined) return undefined;
  const { pid, epoch, keys } = stored.record;
  return runIsAlive(pid, { name, epoch, uid, runUid: keys.uid, files: serviceFiles(serviceDir, name) }) ? stored.record : undefined;
}

/**
 * A run of the service that lives on without a worker (SPEC 5.6, 13.2): the one its record names,
 * or one that no record names any more (a cleaner took it, or its worker died between START and
 * RUN), which then gets a record again, so that status, stop and revive see it.
 */
function findOrphan(stored: Stored, name: string, uid: number, dirs: Dirs, owner: number | undefined, handed: number | undefined): PidRecord | undefined {
  const recorded = recordedOrphan(stored, name, uid, dirs.service.path);
  if (recorded || handed === undefined) return recorded;
  const found = isUnrecordedRun(handed, name, dirs.pid.path, owner === undefined ? [uid] : [uid, owner]);
  if (!found) return undefined;
  const record: PidRecord = { state: 'RUN', pid: handed, epoch: Math.floor(found.startEpoch), keys: { uid: found.uid } };
  try {
    writePidFile(dirs.pid.path, name, record);
  } catch {
    // it is refused all the same; the record only helps the next command see it
  }
  return record;
}

/** A worker of `revive` for a service in ERROR carries its revivals on (SPEC 13.2); any other starts from 0. */
function revivalsBefore(stored: Stored, revive: boolean): number {
  return revive && stored.kind === 'record' && stored.record.state === 'ERROR' ? (stored.record.keys.revivals ?? 0) + 1 : 0;
}

/** Stopped as its record says it was started, else as the config says now (SPEC 13.2). */
function orphanToTakeOver(record: PidRecord, config: ServiceConfig): Orphan {
  const signal = (record.keys.stopSignal !== undefined && signalNumber(record.keys.stopSignal)) || config.stopSignal;
  const graceMs = Math.round((record.keys.stopSec ?? config.stopSec) * 1000);
  // Its real uid, for its old rc.log (SPEC 13.2): the record of an older version may not say.
  const uid = record.keys.uid ?? processFacts(record.pid!)?.uid;
  return { pid: record.pid!, epoch: record.epoch, uid, ready: record.keys.ready, signal, graceMs };
}

export async function main(argv: readonly string[]): Promise<number> {
  const name = argv[0];
  if (argv.length !== 1 || !isServiceName(name)) {
    process.stderr.write('usage: auto-reraise NAME (started by "reraise start NAME")\n');
    return 2;
  }
  // For this worker alone: its service never sees it (SPEC 13.2).
  const revive = process.env[REVIVE_VARIABLE] === '1';
  const handedText = process.env[UNRECORDED_VARIABLE];
  const handed = handedText && /^\d{1,10}$/.test(handedText) ? Number(handedText) : undefined;
  delete process.env[REVIVE_VARIABLE];
  delete process.env[UNRECORDED_VARIABLE];
  restoreUserTunables(process.env);
  process.title = workerTitle(name);
  const uid = process.getuid!();
  const dirs = resolveDirs(process.env, uid, homedir());
  // Rare lines, so the config is read for each: the service may not even exist.
  const early = (message: string): void => {
    const entry = describeEntry(dirs.service.path, name);
    const stamp = currentConfig(entry).logStamp === 1;
    appendWorkerLine(dirs.log.path, name, message, stamp, logWriterOf(entry, dirs.log.path));
  };
  const fatal = (message: string): number => {
    early(`${name}: ${message}`);
    if (!answer(`error ${message}`)) process.stderr.write(`auto-reraise: ${name}: ${message}\n`);
    return 1;
  };

  // `start` has checked the directories already; a worker started by hand has not.
  for (const ready of [preparePidDir(dirs.pid, uid), prepareLogDir(dirs.log, uid), prepareWantDir(dirs.want, uid)]) {
    if (!ready.ok) return fatal(ready.message);
  }

  let lock: Awaited<ReturnType<typeof lockService>>;
  try {
    lock = await lockService(dirs.pid.path, name);
  } catch (error) {
    return fatal(`unable to take its lock in ${dirs.pid.path} (RERAISE_PIDDIR): ${(error as Error).message}`);
  }
  if (lock === 'busy' || olderWorker(name, uid, dirs.pid.path)) {
    answer('busy');
    return 0;
  }
  // Under the lock: a service left running by a killed worker must never get a twin.
  const stored = readPidFile(dirs.pid.path, name);
  const entry = describeEntry(dirs.service.path, name);
  const orphan = findOrphan(stored, name, uid, dirs, entry?.uid, handed);
  if (orphan !== undefined && !revive) {
    early(`${name}: refusing to start: pid ${orphan.pid} is still running without its worker`);
    answer(`orphan ${orphan.pid}`);
    return 1;
  }

  if (!entry) return fatal(`no such service in ${dirs.service.path} (RERAISE_DIR)`);
  if (!entry.runnable) return fatal(entry.problem ?? 'cannot run');
  let text: string;
  try {
    text = readConfigText(entry.file);
  } catch (error) {
    return fatal(`cannot read ${entry.file}: ${(error as Error).message}`);
  }
  const parsed = parseConfig(text, entry.file);
  if (hasErrors(parsed)) return fatal(parsed.diagnostics.find((d) => d.severity === 'error')!.message);
  const unready = readinessProblem(parsed.config, { rcLog: loggerFile(entry) !== undefined, viaSudo: false });
  if (unready) return fatal(`${entry.file}: ${unready}`);
  const env = becomeServiceEnvironment(process.env, dirsEnv(dirs), name);

  let output: Output;
  try {
    warnSkippedLogger(entry, early);
    if (loggerFile(entry)) {
      // The logger's writer and its checks; a script's own checks come with its first run (planLaunch).
      const checked = checkService(entry, dirs.log.path);
      if (!checked.ok) return fatal(checked.message);
      const plan = (): ReturnType<typeof planLaunch> => {
        // rc.log and rc.main keep one owner at every start of the logger, not only at the first.
        const again = checkService(entry, dirs.log.path);
        return again.ok ? planLaunch(entry, logCommand(entry), env) : again;
      };
      const first = plan();
      if (!first.ok) return fatal(first.message);
      output = rcLog(dirs.log.path, dirs.pid.path, name, plan, entry.cwd, checked.value.logWriter);
    } else {
      output = ownLog(dirs.log.path, dirs.pid.path, name, logSettingsOf(parsed.config), orphan !== undefined);
    }
  } catch (error) {
    // Each cause names its own path and variable: the log dir's, or the pid dir's for the pipe.
    return fatal(`cannot set up the log: ${(error as Error).message}`);
  }

  const supervisor = new Supervisor({
    entry, env, pidDir: dirs.pid, wantDir: dirs.want.path, output, config: parsed.config, lock,
    answer: (line) => void answer(line),
    revivals: revivalsBefore(stored, revive),
    orphan: orphan && orphanToTakeOver(orphan, parsed.config),
  });
  process.on('uncaughtException', (error) => {
    // The service keeps running (status will call it orphaned); the log says why the worker left.
    early(`${name}: internal error, the worker exits: ${error.stack ?? error.message}`);
    process.exit(70);
  });
  process.on(ASK.stop, () => supervisor.dispatch({ type: 'stop' }));
  process.on('SIGINT', () => supervisor.dispatch({ type: 'stop' }));
  process.on(ASK.restart, () => supervisor.dispatch({ type: 'restart', at: Date.now() }));
  process.on(ASK.once, () => supervisor.dispatch({ type: 'once', on: true }));
  process.on(ASK.onceOff, () => supervisor.dispatch({ type: 'once', on: false }));
  supervisor.begin();
  // The worker lives on its child and timers; main's promise settles when it exits.
  return new Promise<number>(() => {});
}
