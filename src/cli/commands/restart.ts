// reraise restart PATTERN...: SIGHUP to each worker, which restarts its service without counting a retry (SPEC 6).
import { ASK, askWorker } from '../../io/worker-protocol.js';
import { readPidFile } from '../../io/pid-store.js';
import { isAlive } from '../../io/probe.js';
import { until } from '../../io/poll.js';
import { actOnPatterns } from '../act.js';
import type { Context } from '../context.js';
import { inspect } from '../inspect.js';
import { failure, said, type Report } from '../report.js';
import type { Target } from '../targets.js';
import { orphanHint } from './start.js';
import { stopSettings } from './stop.js';

const MARGIN_MS = 5000;

async function restartOne(ctx: Context, target: Target): Promise<Report> {
  const { name } = target;
  const seen = inspect(ctx, name);
  const { status } = seen;
  if (status.state === 'orphaned') return failure(orphanHint(name, status.pid!));
  if (status.state !== 'running' && status.state !== 'starting' && status.state !== 'restarting' && status.state !== 'unknown') {
    return target.named ? failure(`${name}: not running, so not restarted`) : said(`${name}: not running, so not restarted`);
  }
  const workerPid = status.workerPid!;
  const oldPid = status.pid;
  if (!askWorker(workerPid, ASK.restart)) return failure(`${name}: worker pid ${workerPid} is gone`);
  let newPid: number | undefined;
  const restarted = (): boolean => {
    const stored = readPidFile(ctx.dirs.pid.path, name);
    if (stored.kind === 'record' && stored.record.state === 'RUN' && stored.record.pid !== oldPid) {
      newPid = stored.record.pid;
      return true;
    }
    return !isAlive(workerPid);
  };
  const { stopSec } = stopSettings(seen);
  if (!(await until(restarted, Date.now() + stopSec * 1000 + MARGIN_MS))) {
    return failure(`${name}: no new run within ${stopSec}s + ${MARGIN_MS / 1000}s`);
  }
  if (newPid === undefined) return failure(`${name}: the worker gave up while restarting; see reraise status ${name}`);
  return said(`${name}: restarted (pid ${newPid})`);
}

export function restart(ctx: Context, patterns: readonly string[]): Promise<Report> {
  return actOnPatterns(ctx, patterns, { needs: ['service', 'pid'], withPidDir: true }, (t) => restartOne(ctx, t));
}
