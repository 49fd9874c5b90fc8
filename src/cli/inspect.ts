// The status of one service: its entry, its pid file, and identity checks of the pids it names (SPEC 4, 6).
import { serviceFiles, type ServiceExpectation, type WorkerExpectation } from '../core/identity.js';
import type { PidRecord } from '../core/pidfile.js';
import { deriveStatus, type ServiceStatus } from '../core/status.js';
import { defaultPidDir } from '../io/dirs.js';
import { listLockHolders, pidDirUnwritable, readPidFile, type Stored } from '../io/pid-store.js';
import { lockPrefix } from '../core/lock-names.js';
import { boundLocks } from '../io/lock.js';
import { isStopped, isWorker, runIsAlive } from '../io/probe.js';
import { describeEntry, type ServiceEntry } from '../io/service-dir.js';
import { readWaiting } from '../io/waiting-mark.js';
import type { Context } from './context.js';

export interface Inspection {
  name: string;
  entry?: ServiceEntry;
  stored: Stored;
  status: ServiceStatus;
}

/** What the worker of `name` must look like (SPEC 4). */
export function workerExpectation(ctx: Context, name: string): WorkerExpectation {
  return { name, uid: ctx.uid, pidDir: ctx.dirs.pid.path, defaultPidDir: defaultPidDir(ctx.uid) };
}

/** What the service of a record of `name` must look like (SPEC 4). */
export function serviceExpectation(ctx: Context, name: string, record: PidRecord): ServiceExpectation {
  return { name, epoch: record.epoch, uid: ctx.uid, runUid: record.keys.uid, files: serviceFiles(ctx.dirs.service.path, name) };
}

/**
 * What the pid dir says beyond the pid files, read once for all the services of a command: who
 * holds each lock, and whether records can be written there now (SPEC 12.6).
 */
export interface PidDirView {
  /** Workers by lock prefix (core/lock-names.ts): from the lock sockets' names, or from /proc. */
  lockHolders: Map<string, number[]>;
  unwritable?: string;
}

/** One look serves the services of one command; start's waits look again after this long. */
const VIEW_MS = 250;
let lastView: { pidDir: string; at: number; view: PidDirView } | undefined;

/**
 * The lock sockets, in the pid dir and as the kernel lists them: a cleaner may have removed a
 * record and its lock, a mount may hide the pid dir, and a worker that still runs must not be
 * called "not running" (SPEC 12.6).
 */
export function viewPidDir(ctx: Context): PidDirView {
  const pidDir = ctx.dirs.pid.path;
  if (lastView && lastView.pidDir === pidDir && Date.now() - lastView.at < VIEW_MS) return lastView.view;
  const unwritable = pidDirUnwritable(pidDir);
  const lockHolders = listLockHolders(pidDir);
  for (const [prefix, pids] of boundLocks(pidDir)) lockHolders.set(prefix, [...new Set([...(lockHolders.get(prefix) ?? []), ...pids])]);
  const view = { lockHolders, unwritable };
  lastView = { pidDir, at: Date.now(), view };
  return view;
}


/** `want`: the service's want, for what status and revive say of it (SPEC 13.1). */
export function inspect(ctx: Context, name: string, view?: PidDirView, want?: 'up' | 'down'): Inspection {
  const entry = describeEntry(ctx.dirs.service.path, name);
  const stored = readPidFile(ctx.dirs.pid.path, name);
  const record = stored.kind === 'record' ? stored.record : undefined;
  const servicePid = record?.pid !== undefined && runIsAlive(record.pid, serviceExpectation(ctx, name, record)) ? record.pid : undefined;
  const worker = workerExpectation(ctx, name);
  const workerAlive = record?.workerPid !== undefined && isWorker(record.workerPid, worker);
  // Only a record that does not tell the whole story sends us to the lock (the pid dir is read once).
  const settled = workerAlive && servicePid !== undefined;
  const seen = settled ? undefined : view ?? viewPidDir(ctx);
  const lockHolder = seen?.lockHolders.get(lockPrefix(name))?.find((pid) => isWorker(pid, worker));
  const status = deriveStatus({
    entry: entry && { kind: entry.kind, runnable: entry.runnable, problem: entry.problem },
    record: stored.kind === 'none' ? undefined : stored.kind === 'garbage' ? { garbage: stored.message } : stored.record,
    workerAlive,
    serviceAlive: servicePid !== undefined,
    servicePaused: servicePid !== undefined && isStopped(servicePid),
    now: Date.now() / 1000,
    lockHolder,
    waitingFor: workerAlive ? undefined : readWaiting(ctx.dirs.pid.path, name)?.needs,
    pidDirWritable: seen ? seen.unwritable === undefined : true,
    want,
  });
  return { name, entry, stored, status };
}
