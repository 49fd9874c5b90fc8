// reraise stop PATTERN...: stop each service through its worker and wait until the worker is gone (SPEC 6).
import { constants } from 'node:os';
import { signalNumber } from '../../core/signals.js';
import { removePidFileIf } from '../../io/pid-store.js';
import { groupExists, isAlive, leadsGroup, runsThroughSudo } from '../../io/probe.js';
import { signalLabel } from './control.js';
import { until } from '../../io/poll.js';
import { currentConfig } from '../../io/service-dir.js';
import { processGone, stopGroup } from '../../io/terminate.js';
import { actOnPatterns } from '../act.js';
import type { Context } from '../context.js';
import { inspect, type Inspection } from '../inspect.js';
import { failure, said, type Report } from '../report.js';

/** Beyond config_stop_sec: time for the worker to notice, signal, reap and remove its pid file. */
const MARGIN_MS = 5000;

/** The stop settings: from the pid record, which the worker keeps current, else from the script. */
export function stopSettings(seen: Inspection): { stopSec: number; stopSignal: number } {
  const extra = seen.stored.kind === 'record' ? seen.stored.record.extra : {};
  // When the script is gone, the record and the defaults still tell.
  const fromFile = currentConfig(seen.entry);
  const stopSec = extra.stop_sec !== undefined && /^[\d.]+$/.test(extra.stop_sec) ? Number(extra.stop_sec) : fromFile.stopSec;
  const stopSignal = (extra.stop_signal && signalNumber(extra.stop_signal)) || fromFile.stopSignal;
  return { stopSec, stopSignal };
}

/** Asks worker `workerPid` to stop (SIGTERM) and waits for it to be gone. */
export async function stopWorker(workerPid: number, stopSec: number): Promise<boolean> {
  try {
    process.kill(workerPid, constants.signals.SIGTERM);
  } catch {
    return true;
  }
  return until(() => !isAlive(workerPid), Date.now() + stopSec * 1000 + MARGIN_MS);
}

async function stopOne(ctx: Context, name: string): Promise<Report> {
  const seen = inspect(ctx, name);
  const { status, stored } = seen;
  const { stopSec, stopSignal } = stopSettings(seen);
  switch (status.state) {
    case 'running':
    case 'starting':
    case 'restarting':
    case 'unknown': {
      const workerPid = status.workerPid!;
      if (await stopWorker(workerPid, stopSec)) return said(`${name}: stopped`);
      return failure(`${name}: worker pid ${workerPid} did not exit within ${stopSec}s + ${MARGIN_MS / 1000}s`);
    }
    case 'orphaned': {
      const pid = status.pid!;
      // Checked just now by inspect(): the leader (pid, start time, RERAISE_SERVICE), or, with the
      // leader gone, members of its group that carry RERAISE_SERVICE=NAME: either way, ours.
      const leaderGone = processGone(pid)();
      // sudo passes the stop signal on but cannot pass SIGKILL: it would end sudo alone (SPEC 12.1).
      const viaSudo = !leaderGone && runsThroughSudo(pid);
      const killed = leaderGone || leadsGroup(pid)
        ? await stopGroup(pid, stopSignal, stopSec * 1000, processGone(pid), 0, viaSudo ? { stuck: () => {}, waitMs: MARGIN_MS } : undefined)
        : await stopSingle(pid, stopSignal, stopSec);
      // The record stays while anything of the run lives: it is what keeps start from a second copy.
      if (!processGone(pid)() || groupExists(pid)) {
        return failure(viaSudo
          ? `${name}: orphaned service pid ${pid} runs through sudo and outlived ${signalLabel(stopSignal)}; SIGKILL cannot reach the owner's processes`
          : `${name}: orphaned service pid ${pid} survived SIGKILL`);
      }
      if (stored.kind === 'record') removePidFileIf(ctx.dirs.pid.path, name, stored.text);
      return said(`${name}: stopped orphaned service (pid ${pid}${killed ? ', after SIGKILL' : ''})`);
    }
    default:
      return said(`${name}: not running`);
  }
}

/** A service that left its process group: only the process itself is ours to signal. */
async function stopSingle(pid: number, signal: number, stopSec: number): Promise<boolean> {
  try {
    process.kill(pid, signal);
  } catch {
    return false;
  }
  if (await until(processGone(pid), Date.now() + stopSec * 1000)) return false;
  try {
    process.kill(pid, constants.signals.SIGKILL);
  } catch {
    // gone meanwhile
  }
  await until(processGone(pid), Date.now() + 2000);
  return true;
}

export function stop(ctx: Context, patterns: readonly string[]): Promise<Report> {
  return actOnPatterns(ctx, patterns, { needs: ['service', 'pid'], withPidDir: true }, (t) => stopOne(ctx, t.name));
}
