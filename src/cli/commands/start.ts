// reraise start PATTERN...: validate each service, skip running ones, fork a worker for the rest (SPEC 6).
import { constants } from 'node:os';
import { hasErrors, parseConfig } from '../../core/config.js';
import { isLive } from '../../core/status.js';
import { dirsEnv } from '../../io/dirs.js';
import { lockPrefix } from '../../core/lock-names.js';
import { listLockHolders } from '../../io/pid-store.js';
import { isAlive } from '../../io/probe.js';
import { currentConfig, describeEntry, readConfigText } from '../../io/service-dir.js';
import { serviceLogPath } from '../../io/service-log.js';
import { actOnPatterns } from '../act.js';
import type { Context } from '../context.js';
import { forkWorker } from '../fork-worker.js';
import { inspect } from '../inspect.js';
import { checkRunAs } from '../run-as.js';
import { failure, said, type Report } from '../report.js';
import { waitUntilUp } from '../wait-up.js';

export function orphanHint(name: string, pid: number): string {
  return `${name}: orphaned: service pid ${pid} is still running without its worker; stop it first: reraise stop ${name}`;
}

/** With --wait, a started (or already running) service is followed until it is up or has given up. */
async function startOne(ctx: Context, name: string, wait: boolean): Promise<Report> {
  const report = await startWorker(ctx, name);
  if (!wait || report.failed) return report;
  const { startSec } = currentConfig(describeEntry(ctx.dirs.service.path, name));
  return waitUntilUp(ctx, name, startSec, report);
}

/** How long the holder of a lock has to show itself as a worker of the service (SPEC 12.3). */
const BUSY_MS = 5000;
/** Forks after a busy lock: its holder may have been a worker on its way out. */
const BUSY_ATTEMPTS = 3;

/**
 * The lock is held: by a worker of a concurrent start, which shows itself in a moment, or by a
 * worker on its way out (a stop's last breath). "Already running" only for a checked worker.
 */
async function whenBusy(ctx: Context, name: string, attempt: number): Promise<Report> {
  const deadline = Date.now() + BUSY_MS;
  while (Date.now() < deadline) {
    const { status } = inspect(ctx, name);
    if (status.state === 'orphaned') return failure(orphanHint(name, status.pid!));
    if (isLive(status)) return said(`${name}: skip (already running)`);
    if (attempt + 1 < BUSY_ATTEMPTS && !holdsLock(ctx, name)) return startWorker(ctx, name, attempt + 1);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  return failure(`${name}: unable to start: its lock in ${ctx.dirs.pid.path} (RERAISE_PIDDIR) is held, but no worker of ${name} shows itself`);
}

/** Whether a lock socket of the service still names a live process (its holder, or one about to leave). */
function holdsLock(ctx: Context, name: string): boolean {
  return (listLockHolders(ctx.dirs.pid.path).get(lockPrefix(name)) ?? []).some(isAlive);
}

const POLL_MS = 50;

async function startWorker(ctx: Context, name: string, attempt = 0): Promise<Report> {
  const seen = inspect(ctx, name);
  const { entry, status } = seen;
  if (!entry) return failure(`${name}: no such service in ${ctx.dirs.service.path} (RERAISE_DIR)`);
  if (status.state === 'orphaned') return failure(orphanHint(name, status.pid!));
  if (isLive(status)) {
    // Like perp's `up`: starting a service flagged once takes the flag away again.
    if (seen.stored.kind === 'record' && seen.stored.record.extra.once === '1' && status.workerPid !== undefined) {
      try {
        process.kill(status.workerPid, constants.signals.SIGUSR2);
        return said(`${name}: skip (already running); once cleared`);
      } catch {
        // the worker just left: report it as it was
      }
    }
    return said(`${name}: skip (already running)`);
  }
  if (!entry.runnable) return failure(`${name}: ${entry.problem}`);
  let text: string;
  try {
    text = readConfigText(entry.file);
  } catch (error) {
    return failure(`${name}: cannot read ${entry.file}: ${(error as Error).message}`);
  }
  const parsed = parseConfig(text, entry.file);
  const warnings = parsed.diagnostics.filter((d) => d.severity === 'warning').map((d) => `warning: ${d.message}`);
  if (hasErrors(parsed)) {
    return failure(...warnings, ...parsed.diagnostics.filter((d) => d.severity === 'error').map((d) => `${name}: ${d.message}`));
  }
  const runAs = await checkRunAs(ctx, entry);
  if (runAs) return failure(...warnings, runAs);

  const answer = await forkWorker(name, entry.cwd, { ...process.env, ...dirsEnv(ctx.dirs) });
  const withWarnings = (report: Report): Report => ({ ...report, err: [...warnings, ...report.err] });
  switch (answer.kind) {
    case 'started': return withWarnings(said(`${name}: started (pid ${answer.pid})`));
    case 'busy': return withWarnings(await whenBusy(ctx, name, attempt));
    case 'orphan': return withWarnings(failure(orphanHint(name, answer.pid)));
    case 'error':
      return withWarnings(failure(`${name}: ${answer.message} (log: ${serviceLogPath(ctx.dirs.log.path, name)})`));
  }
}

export function start(ctx: Context, patterns: readonly string[], wait = false): Promise<Report> {
  return actOnPatterns(ctx, patterns, { needs: ['service', 'pid', 'log'], withPidDir: false }, (t) => startOne(ctx, t.name, wait));
}
