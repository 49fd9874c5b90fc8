// The common frame of the actions on services: check dirs, resolve patterns, act on each in parallel.
import { prepare, type Context, type Need } from './context.js';
import { eachInOrder, failure, merge, print, type Report } from './report.js';
import { resolveTargets, type Target } from './targets.js';

export interface ActOptions {
  needs: readonly Need[];
  /** Match patterns against the pid dir too, so that a service whose script is gone is still found. */
  withPidDir: boolean;
}

export async function actOnPatterns(
  ctx: Context, patterns: readonly string[], options: ActOptions, act: (target: Target, targets: readonly Target[]) => Promise<Report>,
): Promise<Report> {
  const ready = prepare(ctx, options.needs);
  if (!ready.ok) return failure(ready.message);
  const { targets, problems } = resolveTargets(ctx, patterns, options.withPidDir);
  print(merge(problems));
  const acted = await eachInOrder(targets, (target) => act(target, targets));
  return { ...acted, failed: acted.failed || problems.length > 0 };
}
