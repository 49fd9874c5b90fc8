// reraise clean: remove pid files whose worker and service are both gone; never a live one (SPEC 6).
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { isLive } from '../../core/status.js';
import { isAlive } from '../../io/probe.js';
import { removePidFileIf } from '../../io/pid-store.js';
import { actOnPatterns } from '../act.js';
import type { Context } from '../context.js';
import { inspect } from '../inspect.js';
import { emptyReport, said, type Report } from '../report.js';

async function cleanOne(ctx: Context, name: string): Promise<Report> {
  const seen = inspect(ctx, name);
  if (seen.stored.kind === 'none' || isLive(seen.status)) return emptyReport();
  const what = seen.stored.kind === 'garbage' ? 'unreadable pid file'
    : seen.status.state === 'error' ? `ERROR pid file (exit code ${seen.status.exitCode})` : 'stale pid file';
  // A worker that started since inspect() has rewritten the file: then it is not removed.
  if (!removePidFileIf(ctx.dirs.pid.path, name, seen.stored.text)) return emptyReport();
  return said(`${name}: removed ${what}`);
}

/** Leftovers of a process that died between making and renaming or removing them: `.NAME.PID.tmp`, `.clean`, `.fifo`. */
function removeLeftoverTemps(pidDir: string): void {
  for (const file of readdirSync(pidDir)) {
    const match = /^\..+\.(\d+)\.(tmp|clean|fifo)$/.exec(file);
    if (match && !isAlive(Number(match[1]))) rmSync(join(pidDir, file), { force: true });
  }
}

export async function clean(ctx: Context, patterns: readonly string[]): Promise<Report> {
  const report = await actOnPatterns(ctx, patterns, { needs: ['service', 'pid'], withPidDir: true }, (t) => cleanOne(ctx, t.name));
  removeLeftoverTemps(ctx.dirs.pid.path);
  return report;
}
