// The status of one service: its entry, its pid file, and identity checks of the pids it names (SPEC 4, 6).
import { deriveStatus, type ServiceStatus } from '../core/status.js';
import { readPidFile, type Stored } from '../io/pid-store.js';
import { isStopped, isWorker, runIsAlive } from '../io/probe.js';
import { describeEntry, type ServiceEntry } from '../io/service-dir.js';
import type { Context } from './context.js';

export interface Inspection {
  name: string;
  entry?: ServiceEntry;
  stored: Stored;
  status: ServiceStatus;
}

export function inspect(ctx: Context, name: string): Inspection {
  const entry = describeEntry(ctx.dirs.service.path, name);
  const stored = readPidFile(ctx.dirs.pid.path, name);
  const record = stored.kind === 'record' ? stored.record : undefined;
  const servicePid = record?.pid !== undefined && runIsAlive(record.pid, name, record.epoch) ? record.pid : undefined;
  const status = deriveStatus({
    entry: entry && { kind: entry.kind, runnable: entry.runnable, problem: entry.problem },
    record: stored.kind === 'none' ? undefined : stored.kind === 'garbage' ? { garbage: stored.message } : stored.record,
    workerAlive: record?.workerPid !== undefined && isWorker(record.workerPid, name),
    serviceAlive: servicePid !== undefined,
    servicePaused: servicePid !== undefined && isStopped(servicePid),
    now: Date.now() / 1000,
  });
  return { name, entry, stored, status };
}
