// reraise once PATTERN...: the running service is left to finish its run and is not started again (SPEC 10).
import { ASK, askWorker } from '../../io/worker-protocol.js';
import { holdPidFile, readPidFile } from '../../io/pid-store.js';
import { isAlive } from '../../io/probe.js';
import { until } from '../../io/poll.js';
import { actOnPatterns } from '../act.js';
import type { Context } from '../context.js';
import { inspect } from '../inspect.js';
import { failure, said, type Report } from '../report.js';
import type { Target } from '../targets.js';
import { orphanHint } from './start.js';
import { recordWant } from '../wants.js';

const ANSWER_MS = 5000;

async function onceOne(ctx: Context, target: Target): Promise<Report> {
  const { name } = target;
  const { status } = inspect(ctx, name);
  if (status.state === 'orphaned') return failure(orphanHint(name, status.pid!));
  if (status.state !== 'running' && status.state !== 'starting' && status.state !== 'restarting' && status.state !== 'unknown') {
    return target.named ? failure(`${name}: not running`) : said(`${name}: not running`);
  }
  const workerPid = status.workerPid!;
  // Down before the signal, as stop does (SPEC 13.1): a start that takes the flag away again writes up after it.
  const unrecorded = recordWant(ctx, name, 'down');
  if (unrecorded) return failure(unrecorded);
  const held = holdPidFile(ctx.dirs.pid.path, name);
  try {
    if (!askWorker(workerPid, ASK.once)) return failure(`${name}: worker pid ${workerPid} is gone`);
    // The worker rewrites the record of the same run only to set or clear once=1, so a rewritten
    // record of that run without the flag is its answer, taken back at once by a concurrent
    // `start`, as it should be.
    let clearedAgain = false;
    const answered = (): boolean => {
      // Looked at before the read: a rewrite seen here is in what is read next, never the other way round.
      const rewritten = held.rewritten();
      const stored = readPidFile(ctx.dirs.pid.path, name);
      if (stored.kind !== 'record' || stored.record.keys.once === true || !isAlive(workerPid)) return true;
      const sameRun = stored.record.state === 'RUN' && stored.record.pid === status.pid;
      clearedAgain = sameRun && rewritten;
      return clearedAgain;
    };
    const inTime = await until(answered, Date.now() + ANSWER_MS);
    // Late, a record rewritten in any way also shows an answer taken back (say, across a restart).
    if (clearedAgain || (!inTime && held.rewritten())) return said(`${name}: once, then started again by a later start`);
    if (!inTime) return failure(`${name}: worker pid ${workerPid} did not answer`);
  } finally {
    held.release();
  }
  const stored = readPidFile(ctx.dirs.pid.path, name);
  if (stored.kind === 'record' && stored.record.state === 'RUN' && stored.record.pid !== undefined) {
    return said(`${name}: once: pid ${stored.record.pid} may finish, it will not be started again`);
  }
  return said(`${name}: once: stopped between runs`);
}

export function once(ctx: Context, patterns: readonly string[]): Promise<Report> {
  return actOnPatterns(ctx, patterns, { needs: ['service', 'pid', 'want'], withPidDir: true }, (t) => onceOne(ctx, t));
}
