// reraise once PATTERN...: the running service is left to finish its run and is not started again (docs/spec-perp.md 10).
import { constants } from 'node:os';
import { statSync } from 'node:fs';
import { pidFilePath, readPidFile } from '../../io/pid-store.js';
import { isAlive } from '../../io/probe.js';
import { until } from '../../io/poll.js';
import { actOnPatterns } from '../act.js';
import type { Context } from '../context.js';
import { inspect } from '../inspect.js';
import { failure, said, type Report } from '../report.js';
import type { Target } from '../targets.js';
import { orphanHint } from './start.js';

const ANSWER_MS = 5000;

function inodeOf(file: string): number | undefined {
  try {
    return statSync(file).ino;
  } catch {
    return undefined;
  }
}

async function onceOne(ctx: Context, target: Target): Promise<Report> {
  const { name } = target;
  const { status } = inspect(ctx, name);
  if (status.state === 'orphaned') return failure(orphanHint(name, status.pid!));
  if (status.state !== 'running' && status.state !== 'starting' && status.state !== 'restarting') {
    return target.named ? failure(`${name}: not running`) : said(`${name}: not running`);
  }
  const workerPid = status.workerPid!;
  const before = inodeOf(pidFilePath(ctx.dirs.pid.path, name));
  try {
    process.kill(workerPid, constants.signals.SIGUSR1);
  } catch {
    return failure(`${name}: worker pid ${workerPid} is gone`);
  }
  // The worker marks its record once=1, or, between runs, simply stops.
  const marked = (): boolean => {
    const stored = readPidFile(ctx.dirs.pid.path, name);
    return stored.kind !== 'record' || stored.record.extra.once === '1' || !isAlive(workerPid);
  };
  if (!(await until(marked, Date.now() + ANSWER_MS))) {
    // A record rewritten since (every write is a rename: a new inode) shows the worker did answer,
    // and a `start` at the same moment took the flag away again, as it should.
    if (inodeOf(pidFilePath(ctx.dirs.pid.path, name)) !== before) return said(`${name}: once, then started again by a later start`);
    return failure(`${name}: worker pid ${workerPid} did not answer`);
  }
  const stored = readPidFile(ctx.dirs.pid.path, name);
  if (stored.kind === 'record' && stored.record.state === 'RUN' && stored.record.pid !== undefined) {
    return said(`${name}: once: pid ${stored.record.pid} may finish, it will not be started again`);
  }
  return said(`${name}: once: stopped between runs`);
}

export function once(ctx: Context, patterns: readonly string[]): Promise<Report> {
  return actOnPatterns(ctx, patterns, { needs: ['service', 'pid'], withPidDir: true }, (t) => onceOne(ctx, t));
}
