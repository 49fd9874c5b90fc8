// reraise stop PATTERN...: stop each service through its worker and wait until the worker is gone (SPEC 6).
import { ASK, askWorker } from '../../io/worker-protocol.js';
import { signalNumber } from '../../core/signals.js';
import { listPidNames, removePidFileIf } from '../../io/pid-store.js';
import { isAlive } from '../../io/probe.js';
import { signalLabel } from './control.js';
import { until } from '../../io/poll.js';
import { currentConfig } from '../../io/service-dir.js';
import { needsOf } from '../needs-of.js';
import { stopOrphan } from '../../io/terminate.js';
import { actOnPatterns } from '../act.js';
import { isLive } from '../../core/status.js';
import { prepare, type Context } from '../context.js';
import { inspect, type Inspection } from '../inspect.js';
import { failure, said, type Report } from '../report.js';
import { recordWant } from '../wants.js';

/** Beyond config_stop_sec: time for the worker to notice, signal, reap and remove its pid file. */
const MARGIN_MS = 5000;

/** The stop settings: from the pid record, which the worker keeps current, else from the script. */
export function stopSettings(seen: Inspection): { stopSec: number; stopSignal: number } {
  const keys = seen.stored.kind === 'record' ? seen.stored.record.keys : {};
  // When the script is gone, the record and the defaults still tell.
  const fromFile = currentConfig(seen.entry);
  return {
    stopSec: keys.stopSec ?? fromFile.stopSec,
    stopSignal: (keys.stopSignal !== undefined && signalNumber(keys.stopSignal)) || fromFile.stopSignal,
  };
}

/** Asks worker `workerPid` to stop (SIGTERM) and waits for it to be gone. */
export async function stopWorker(workerPid: number, stopSec: number): Promise<boolean> {
  if (!askWorker(workerPid, ASK.stop)) return true;
  return until(() => !isAlive(workerPid), Date.now() + stopSec * 1000 + MARGIN_MS);
}

/**
 * The want goes down first: a revive from now on leaves the service alone (SPEC 13.1). When it
 * cannot be written (`wantDirProblem`), the service is stopped all the same.
 */
async function stopOne(ctx: Context, name: string, wantDirProblem: string | undefined): Promise<Report> {
  const unrecorded = wantDirProblem ? `${name}: ${wantDirProblem}` : recordWant(ctx, name, 'down');
  const report = await stopRun(ctx, name);
  if (!unrecorded) return report;
  return { ...report, err: [...report.err, `${unrecorded}; reraise revive may start it again`], failed: true };
}

async function stopRun(ctx: Context, name: string): Promise<Report> {
  const seen = inspect(ctx, name);
  const { status, stored } = seen;
  const { stopSec, stopSignal } = stopSettings(seen);
  switch (status.state) {
    case 'running':
    case 'starting':
    case 'restarting':
    case 'unknown': {
      const workerPid = status.workerPid!;
      if (await stopWorker(workerPid, stopSec)) {
        // A worker killed while it stopped its service (SPEC 12.1: never "stopped" while it runs) leaves an orphan.
        return inspect(ctx, name).status.state === 'orphaned' ? stopRun(ctx, name) : said(`${name}: stopped`);
      }
      return failure(`${name}: worker pid ${workerPid} did not exit within ${stopSec}s + ${MARGIN_MS / 1000}s`);
    }
    case 'orphaned': {
      const pid = status.pid!;
      // Checked just now by inspect(): the leader (pid, start time, RERAISE_SERVICE), or, with the
      // leader gone, members of its group that carry RERAISE_SERVICE=NAME: either way, ours.
      const { gone, killed, viaSudo } = await stopOrphan(pid, stopSignal, stopSec * 1000);
      // The record stays while anything of the run lives: it is what keeps start from a second copy.
      if (!gone) {
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

/**
 * What each running service this stop leaves alone needs (SPEC 14.3), read once for a stop: only
 * the scripts of those with a pid file are read, not every one of the service dir.
 */
function needsOfTheRest(ctx: Context, stopping: ReadonlySet<string>): Map<string, readonly string[]> {
  const found = new Map<string, readonly string[]>();
  for (const name of listPidNames(ctx.dirs.pid.path)) {
    if (stopping.has(name) || !isLive(inspect(ctx, name).status)) continue;
    const needs = needsOf(ctx, name)?.needs ?? [];
    if (needs.length > 0) found.set(name, needs);
  }
  return found;
}

export function stop(ctx: Context, patterns: readonly string[]): Promise<Report> {
  const wantDir = prepare(ctx, ['want']);
  const wantDirProblem = wantDir.ok ? undefined : wantDir.message;
  // stop stops only what it is asked to, and says who is left running without a need.
  let needs: Map<string, readonly string[]> | undefined;
  return actOnPatterns(ctx, patterns, { needs: ['service', 'pid'], withPidDir: true }, async (t, targets) => {
    const report = await stopOne(ctx, t.name, wantDirProblem);
    needs ??= needsOfTheRest(ctx, new Set(targets.map((target) => target.name)));
    const warnings = [...needs].filter(([, of]) => of.includes(t.name)).map(([other]) => `${t.name}: warning: ${other} needs it and is running`);
    return { ...report, err: [...report.err, ...warnings] };
  });
}
