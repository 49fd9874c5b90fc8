// reraise clean: remove pid files whose worker and service are both gone, and leftovers of dead writers; never a live one (SPEC 6).
import { lstatSync, readdirSync, unlinkSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { parseAnyLockFile } from '../../core/lock-names.js';
import { isLive } from '../../core/status.js';
import { probeLock } from '../../io/lock.js';
import { isAlive } from '../../io/probe.js';
import { pidFilePath, removePidFileIf } from '../../io/pid-store.js';
import { removeStaleMarks } from '../../io/waiting-mark.js';
import { actOnPatterns } from '../act.js';
import type { Context } from '../context.js';
import { inspect } from '../inspect.js';
import { emptyReport, said, type Report } from '../report.js';

async function cleanOne(ctx: Context, name: string): Promise<Report> {
  const seen = inspect(ctx, name);
  if (seen.stored.kind === 'none' || isLive(seen.status)) return emptyReport();
  // Only a pid record is ours to remove: anything else was put there by someone (SPEC 6 `clean`).
  if (seen.stored.kind === 'garbage') {
    return said(`${name}: left alone: ${pidFilePath(ctx.dirs.pid.path, name)} is not a pid record (${seen.stored.message}); remove it by hand`);
  }
  const what = seen.status.state === 'error' ? `ERROR pid file (exit code ${seen.status.exitCode})` : 'stale pid file';
  // A worker that started since inspect() has rewritten the file: then it is not removed.
  if (!removePidFileIf(ctx.dirs.pid.path, name, seen.stored.text)) return emptyReport();
  return said(`${name}: removed ${what}`);
}

/** Ours, and of the kind the name says: a leftover is never a link, a directory or someone else's. */
function isOwn(st: Stats, kind: 'file' | 'fifo' | 'socket'): boolean {
  const right = kind === 'file' ? st.isFile() : kind === 'fifo' ? st.isFIFO() : st.isSocket();
  return right && st.uid === process.getuid!();
}

/**
 * Leftovers of writers that died between making and renaming or removing them: `.NAME.PID.tmp`,
 * `.clean`, `.fifo`, `.wtmp`, a lock socket not yet in place (`.lock.PID.new`), and lock sockets whose
 * holder is gone (nobody answers on them).
 */
async function removeLeftovers(pidDir: string): Promise<void> {
  let files: string[];
  try {
    files = readdirSync(pidDir);
  } catch {
    return; // gone meanwhile: nothing is left in it
  }
  for (const file of files) {
    const path = join(pidDir, file);
    let st: Stats;
    try {
      st = lstatSync(path);
    } catch {
      continue;
    }
    const temp = /^\..+\.(\d+)\.(tmp|clean|fifo|wtmp)$/.exec(file);
    const lock = parseAnyLockFile(file);
    const dead = temp ? !isAlive(Number(temp[1])) && isOwn(st, temp[2] === 'fifo' ? 'fifo' : 'file')
      : lock?.pending ? !isAlive(lock.pid) && isOwn(st, 'socket')
        : lock ? isOwn(st, 'socket') && (await probeLock(pidDir, file)) === 'stale' : false;
    if (!dead) continue;
    try {
      unlinkSync(path);
    } catch {
      // gone meanwhile
    }
  }
}

export async function clean(ctx: Context, patterns: readonly string[]): Promise<Report> {
  const report = await actOnPatterns(ctx, patterns, { needs: ['service', 'pid'], withPidDir: true }, (t) => cleanOne(ctx, t.name));
  await removeLeftovers(ctx.dirs.pid.path);
  try {
    removeStaleMarks(ctx.dirs.pid.path);
  } catch {
    // the pid dir went meanwhile: nothing is left in it
  }
  return report;
}
