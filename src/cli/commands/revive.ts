// reraise revive [PATTERN...]: one pass that makes each service's state match its want (SPEC 13.2). Quiet when nothing is to be done.
import { planRevive } from '../../core/revive-plan.js';
import { lstatSync } from 'node:fs';
import { join } from 'node:path';
import { pidFilePath, removePidFileIf } from '../../io/pid-store.js';
import { dropWant } from '../../io/want-store.js';
import { prepare, type Context } from '../context.js';
import { inspect, type Inspection } from '../inspect.js';
import { eachInOrder, emptyReport, failure, merge, print, said, type Report } from '../report.js';
import { resolveTargets } from '../targets.js';
import { seeWant } from '../wants.js';

/** What a worker revive forked made of it: the line for a start, or nothing when another one runs it. */
async function launch(ctx: Context, name: string, line: (pid: number) => string): Promise<Report> {
  const { launchWorker } = await import('./start.js');
  const launched = await launchWorker(ctx, name, 'revive');
  switch (launched.kind) {
    case 'started': {
      // The worker says what it did: an orphan no record named is taken over too (SPEC 13.2).
      const text = launched.tookOver === undefined ? line(launched.pid)
        : `${name}: took over orphaned pid ${launched.tookOver}; running again as pid ${launched.pid}`;
      return { ...said(text), err: launched.warnings };
    }
    case 'failed': return launched.report;
    // Another start or revive got there first, or a stop did: the want is respected either way.
    default: return emptyReport();
  }
}

/** The starts in the order of their needs; a need is waited for until up, quietly: revive says one line a service. */
async function orderedLaunches(ctx: Context, names: string[], decided: Map<string, Report | Launch>): Promise<Map<string, Promise<Report>>> {
  const { orderedStarts, waitForNeed } = await import('./start.js');
  return orderedStarts(ctx, names, async (name, needed) => {
    // A need revive does not start runs already: it is only waited for.
    const what = decided.get(name);
    if (what === undefined || !('line' in what)) return waitForNeed(ctx, name, emptyReport());
    const started = await launch(ctx, name, what.line);
    return needed && !started.failed ? waitForNeed(ctx, name, started) : started;
  }, false);
}

function removeStale(ctx: Context, seen: Inspection): boolean {
  return seen.stored.kind === 'record' && removePidFileIf(ctx.dirs.pid.path, seen.name, seen.stored.text);
}

/**
 * Without a want of up and without a pid file, the table has nothing to do but drop the want of a
 * script that is gone: most services of a pass, settled without a look at a process.
 */
function settledAtAGlance(ctx: Context, name: string, want: 'up' | 'down' | undefined): boolean {
  if (want === 'up' || lstatSync(pidFilePath(ctx.dirs.pid.path, name), { throwIfNoEntry: false })) return false;
  return want === undefined || lstatSync(join(ctx.dirs.service.path, name), { throwIfNoEntry: false }) !== undefined;
}

/** A start revive makes: the line it says once the worker answers. */
interface Launch {
  line: (pid: number) => string;
}

/** What revive does for `name`: done at once (a report), or a start, made later in the order of needs. */
function reviveOne(ctx: Context, name: string): Report | Launch {
  const wanted = seeWant(ctx, name);
  // A want that cannot be used is no want: nothing is started for it, and the user is told.
  if (wanted.problem) return failure(wanted.problem);
  if (settledAtAGlance(ctx, name, wanted.want)) return emptyReport();
  // The pid dir's locks are looked at only for a service whose record does not tell it all.
  const seen = inspect(ctx, name, undefined, wanted.want);
  const { status } = seen;
  const action = planRevive({
    want: wanted.want, state: status.state, exists: seen.entry !== undefined, nextRevival: status.nextRevival, now: Date.now() / 1000,
  });
  switch (action) {
    case 'nothing':
      return emptyReport();
    case 'start':
      return { line: (pid) => `${name}: started (pid ${pid})` };
    case 'take-over':
      // Gone meanwhile, the orphan leaves a plain start.
      return { line: (pid) => `${name}: started (pid ${pid})` };
    case 'revive': {
      const revival = (seen.stored.kind === 'record' ? seen.stored.record.keys.revivals ?? 0 : 0) + 1;
      return { line: (pid) => `${name}: revived after ERROR (pid ${pid}, revival ${revival})` };
    }
    case 'clean':
      return removeStale(ctx, seen) ? said(`${name}: removed stale pid file`) : emptyReport();
    case 'drop-want':
      if (status.state === 'stale') removeStale(ctx, seen);
      // Looked at again just before: a script made meanwhile, with its start's want, keeps it.
      if (lstatSync(join(ctx.dirs.service.path, name), { throwIfNoEntry: false })) return emptyReport();
      return dropWant(ctx.dirs.want.path, name)
        ? said(`${name}: want dropped: no such service in ${ctx.dirs.service.path} (RERAISE_DIR)`)
        : emptyReport();
  }
}

export async function revive(ctx: Context, patterns: readonly string[]): Promise<Report> {
  const ready = prepare(ctx, ['service', 'pid', 'log', 'want']);
  if (!ready.ok) return failure(ready.message);
  const { targets, problems } = resolveTargets(ctx, patterns, true, true);
  print(merge(problems));
  const decided = new Map(targets.map((t) => [t.name, reviveOne(ctx, t.name)]));
  const starts = [...decided].flatMap(([name, what]) => ('line' in what ? [name] : []));
  // Only what revive starts reads its config: a pass with nothing to start reads none (SPEC 13.2, 14.3).
  const launches = starts.length === 0 ? new Map<string, Promise<Report>>() : await orderedLaunches(ctx, starts, decided);
  const acted = await eachInOrder(targets, async (t) => {
    const what = decided.get(t.name)!;
    if ('line' in what) return launches.get(t.name)!;
    // A running need waited for says what was decided for it, and its failure to be ready, if it failed.
    const waited = await launches.get(t.name);
    return waited?.failed ? merge([what, waited]) : what;
  });
  return { ...acted, failed: acted.failed || problems.length > 0 };
}
