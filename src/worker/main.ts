// auto-reraise NAME: the detached worker that supervises one service (SPEC 5). Loads nothing of the CLI.
import { accessSync, closeSync, constants, existsSync, writeSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { isServiceName } from '../core/names.js';
import { hasErrors, parseConfig } from '../core/config.js';
import { dirsEnv, preparePidDir, resolveDirs } from '../io/dirs.js';
import { lockService } from '../io/lock.js';
import { logSettingsOf } from '../io/log-writer.js';
import { runIsAlive, workerTitle } from '../io/probe.js';
import { readPidFile } from '../io/pid-store.js';
import { currentConfig, describeEntry, readConfigText, type ServiceEntry } from '../io/service-dir.js';
import { appendWorkerLine } from '../io/service-log.js';
import { logCommand, planLaunch } from './launch.js';
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

/** An executable rc.log makes the logger; one that is not executable is skipped with a warning, as perp does. */
function hasLogger(entry: ServiceEntry, say: (message: string) => void): boolean {
  if (entry.kind !== 'perp') return false;
  const file = join(entry.cwd, 'rc.log');
  if (!existsSync(file)) return false;
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    say(`${entry.name}: warning: ${file} is not executable; logging without it`);
    return false;
  }
}

export async function main(argv: readonly string[]): Promise<number> {
  const name = argv[0];
  if (argv.length !== 1 || !isServiceName(name)) {
    process.stderr.write('usage: auto-reraise NAME (started by "reraise start NAME")\n');
    return 2;
  }
  process.title = workerTitle(name);
  const uid = process.getuid!();
  const dirs = resolveDirs(process.env, uid, homedir());
  // Rare lines, so the config is read for each: the service may not even exist.
  const early = (message: string): void => {
    const stamp = currentConfig(describeEntry(dirs.service.path, name)).logStamp === 1;
    appendWorkerLine(dirs.log.path, name, message, stamp);
  };
  const fatal = (message: string): number => {
    early(`${name}: ${message}`);
    if (!answer(`error ${message}`)) process.stderr.write(`auto-reraise: ${name}: ${message}\n`);
    return 1;
  };

  // `start` has checked the pid dir already; a worker started by hand has not.
  const pidDirReady = preparePidDir(dirs.pid, uid);
  if (!pidDirReady.ok) return fatal(pidDirReady.message);

  if ((await lockService(dirs.pid.path, name)) === 'busy') {
    answer('busy');
    return 0;
  }
  // Under the lock: a service left running by a killed worker must never get a twin.
  const stored = readPidFile(dirs.pid.path, name);
  if (stored.kind === 'record' && stored.record.state === 'RUN' && stored.record.pid !== undefined &&
      runIsAlive(stored.record.pid, name, stored.record.epoch)) {
    early(`${name}: refusing to start: pid ${stored.record.pid} is still running without its worker`);
    answer(`orphan ${stored.record.pid}`);
    return 1;
  }

  const entry = describeEntry(dirs.service.path, name);
  if (!entry) return fatal(`no such service in ${dirs.service.path} (RERAISE_DIR)`);
  if (!entry.runnable) return fatal(entry.problem ?? 'cannot run');
  const parsed = parseConfig(readConfigText(entry.file), entry.file);
  if (hasErrors(parsed)) return fatal(parsed.diagnostics.find((d) => d.severity === 'error')!.message);
  const env = { ...process.env, ...dirsEnv(dirs) };

  let output: Output;
  try {
    if (hasLogger(entry, early)) {
      const plan = planLaunch(entry, logCommand(entry), env);
      if (!plan.ok) return fatal(plan.message);
      output = rcLog(dirs.log.path, dirs.pid.path, name, plan.value, entry.cwd);
    } else {
      output = ownLog(dirs.log.path, dirs.pid.path, name, logSettingsOf(parsed.config));
    }
  } catch (error) {
    return fatal(`cannot set up the log in ${dirs.log.path} (RERAISE_LOGDIR): ${(error as Error).message}`);
  }

  const supervisor = new Supervisor({
    entry, env, pidDir: dirs.pid.path, output, config: parsed.config,
    onSettled: (outcome) => answer('pid' in outcome ? `started ${outcome.pid}` : `error ${outcome.error}`),
  });
  process.on('uncaughtException', (error) => {
    // The service keeps running (status will call it orphaned); the log says why the worker left.
    early(`${name}: internal error, the worker exits: ${error.stack ?? error.message}`);
    process.exit(70);
  });
  process.on('SIGTERM', () => supervisor.dispatch({ type: 'stop' }));
  process.on('SIGINT', () => supervisor.dispatch({ type: 'stop' }));
  process.on('SIGHUP', () => supervisor.dispatch({ type: 'restart', at: Date.now() }));
  process.on('SIGUSR1', () => supervisor.dispatch({ type: 'once', on: true }));
  process.on('SIGUSR2', () => supervisor.dispatch({ type: 'once', on: false }));
  supervisor.dispatch({ type: 'begin' });
  // The worker lives on its child and timers; main's promise settles when it exits.
  return new Promise<number>(() => {});
}
