// reraise start PATTERN...: validate each service, skip running ones, fork a worker for the rest (SPEC 6).
import { readinessProblem } from '../../core/config.js';
import { loggerFile } from '../../io/run-check.js';
import { isLive } from '../../core/status.js';
import { dirsEnv } from '../../io/dirs.js';
import { lockPrefix } from '../../core/lock-names.js';
import { listLockHolders } from '../../io/pid-store.js';
import { isAlive, unrecordedRuns } from '../../io/probe.js';
import { currentConfig, describeEntry } from '../../io/service-dir.js';
import { readStartConfig } from '../start-config.js';
import { serviceLogPath } from '../../io/service-log.js';
import { prepare, type Context } from '../context.js';
import { ANSWER_TIMEOUT_MS, forkWorker } from '../fork-worker.js';
import { inspect, type Inspection } from '../inspect.js';
import { stopSettings } from './stop.js';
import { checkRunAs } from '../run-as.js';
import { eachInOrder, failure, merge, print, said, type Report } from '../report.js';
import { resolveTargets } from '../targets.js';
import { planNeeds, type NeedsOf } from '../../core/needs.js';
import { needsOf } from '../needs-of.js';
import { markWaiting, unmarkWaiting } from '../../io/waiting-mark.js';
import { waitUntilUp } from '../wait-up.js';
import { recordWant } from '../wants.js';
import { ASK, askWorker, REVIVE_VARIABLE, UNRECORDED_VARIABLE, withWorkerTunables } from '../../io/worker-protocol.js';

export function orphanHint(name: string, pid: number): string {
  return `${name}: orphaned: service pid ${pid} is still running without its worker; stop it first: reraise stop ${name}`;
}

/** With --wait, a started (or already running) service is followed until it is up or has given up. */
async function startOne(ctx: Context, name: string, wait: boolean): Promise<Report> {
  const report = startReport(name, await launchWorker(ctx, name, 'start'));
  return !wait || report.failed ? report : waitUp(ctx, name, report);
}

function waitUp(ctx: Context, name: string, started: Report): Promise<Report> {
  return waitUntilUp(ctx, name, currentConfig(describeEntry(ctx.dirs.service.path, name)), started);
}

/** A need that revive started, waited for until up; only a failure adds to what was said (SPEC 14.3). */
export async function waitForNeed(ctx: Context, name: string, started: Report): Promise<Report> {
  const waited = await waitUp(ctx, name, started);
  return waited.failed ? waited : started;
}

function startReport(name: string, launched: Launched): Report {
  switch (launched.kind) {
    case 'started': return { ...said(`${name}: started (pid ${launched.pid})`), err: launched.warnings };
    case 'running': return said(`${name}: skip (already running)${launched.onceCleared ? '; once cleared' : ''}`);
    case 'down': return said(`${name}: not started: its want became down meanwhile (a stop of it)`);
    case 'failed': return launched.report;
  }
}

/** How long the holder of a lock has to show itself as a worker of the service (SPEC 12.3). */
const BUSY_MS = 5000;
/** Forks after a busy lock: its holder may have been a worker on its way out. */
const BUSY_ATTEMPTS = 3;

/** What became of a start: a worker of ours runs it, another one did, a stop won, or why not. */
export type Launched =
  | { kind: 'started'; pid: number; tookOver?: number; warnings: string[] }
  | { kind: 'running'; onceCleared?: boolean }
  | { kind: 'down' }
  | { kind: 'failed'; report: Report };

const failed = (...lines: string[]): Launched => ({ kind: 'failed', report: failure(...lines) });

/**
 * The lock is held: by a worker of a concurrent start, which shows itself in a moment, or by a
 * worker on its way out (a stop's last breath). "Already running" only for a checked worker.
 */
async function whenBusy(ctx: Context, name: string, how: How, attempt: number): Promise<Launched> {
  const deadline = Date.now() + BUSY_MS;
  while (Date.now() < deadline) {
    const { status } = inspect(ctx, name);
    if (status.state === 'orphaned' && how === 'start') return failed(orphanHint(name, status.pid!));
    if (isLive(status) && status.state !== 'orphaned') return { kind: 'running' };
    if (attempt + 1 < BUSY_ATTEMPTS && !holdsLock(ctx, name)) return launchWorker(ctx, name, how, attempt + 1);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  return failed(`${name}: unable to start: its lock in ${ctx.dirs.pid.path} (RERAISE_PIDDIR) is held, but no worker of ${name} shows itself`);
}

/** Whether a lock socket of the service still names a live process (its holder, or one about to leave). */
function holdsLock(ctx: Context, name: string): boolean {
  return (listLockHolders(ctx.dirs.pid.path).get(lockPrefix(name)) ?? []).some(isAlive);
}

const POLL_MS = 50;

/**
 * A worker that takes over an orphan answers after it has stopped it (SPEC 13.2): its stop time,
 * SIGKILL, an old rc.log's stop time, and sudo's wait may all come first.
 */
function answerWithin(seen: Inspection, unrecorded: boolean): number {
  if (seen.status.state !== 'orphaned' && !unrecorded) return ANSWER_TIMEOUT_MS;
  return ANSWER_TIMEOUT_MS + 2 * stopSettings(seen).stopSec * 1000;
}

/** `revive` asks its workers to take over an orphan and to count a revival (SPEC 13.2); `start` never does. */
export type How = 'start' | 'revive';

/** One scan of /proc a command, and only when a service with no live record is about to start. */
let scanned: { pidDir: string; runs: Map<string, number> } | undefined;

function unrecordedRunOf(ctx: Context, name: string, owner: number): number | undefined {
  if (scanned?.pidDir !== ctx.dirs.pid.path) scanned = { pidDir: ctx.dirs.pid.path, runs: unrecordedRuns(ctx.dirs.pid.path, [ctx.uid, owner]) };
  return scanned.runs.get(name);
}

function workerEnv(ctx: Context, how: How, unrecorded: number | undefined): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...dirsEnv(ctx.dirs) };
  delete env[REVIVE_VARIABLE];
  delete env[UNRECORDED_VARIABLE];
  if (how === 'revive') env[REVIVE_VARIABLE] = '1';
  if (unrecorded !== undefined) env[UNRECORDED_VARIABLE] = String(unrecorded);
  return withWorkerTunables(env);
}

/** Validates the service, records its want up, and forks its worker (SPEC 6 `start`, 13.1). */
export async function launchWorker(ctx: Context, name: string, how: How, attempt = 0): Promise<Launched> {
  const seen = inspect(ctx, name);
  const { entry, status } = seen;
  if (!entry) return failed(`${name}: no such service in ${ctx.dirs.service.path} (RERAISE_DIR)`);
  if (status.state === 'orphaned' && how === 'start') return failed(orphanHint(name, status.pid!));
  if (isLive(status) && status.state !== 'orphaned') {
    const unrecorded = how === 'start' ? recordWant(ctx, name, 'up') : undefined;
    if (unrecorded) return failed(unrecorded);
    // Like perp's `up`: starting a service flagged once takes the flag away again.
    if (how === 'start' && seen.stored.kind === 'record' && seen.stored.record.keys.once === true && status.workerPid !== undefined) {
      // A worker that just left is reported as it was.
      if (askWorker(status.workerPid, ASK.onceOff)) return { kind: 'running', onceCleared: true };
    }
    return { kind: 'running' };
  }
  if (!entry.runnable) return failed(`${name}: ${entry.problem}`);
  const parsed = readStartConfig(name, entry);
  if (!parsed.ok) return failed(...parsed.lines);
  const { warnings } = parsed;
  const runAs = await checkRunAs(ctx, entry);
  if (runAs) return failed(...warnings, runAs);
  // Refused before the want is up: a revive must not try it again at every pass (SPEC 14.1).
  const place = { rcLog: loggerFile(entry) !== undefined, viaSudo: entry.uid !== ctx.uid && ctx.uid !== 0 };
  const unready = readinessProblem(parsed.config, place);
  if (unready) return failed(...warnings, `${name}: ${entry.file}: ${unready}`);
  // Before the fork: the worker reads it after its START, so a stop meanwhile wins (SPEC 13.1).
  const unrecorded = how === 'start' ? recordWant(ctx, name, 'up') : undefined;
  if (unrecorded) return failed(...warnings, unrecorded);

  // A run no record names (a cleaner took it) would get a twin: the worker checks it under its lock.
  const lost = unrecordedRunOf(ctx, name, entry.uid);
  const answer = await forkWorker(name, entry.cwd, workerEnv(ctx, how, lost), answerWithin(seen, lost !== undefined));
  const withWarnings = (launched: Launched): Launched =>
    launched.kind === 'failed' ? { kind: 'failed', report: { ...launched.report, err: [...warnings, ...launched.report.err] } } : launched;
  switch (answer.kind) {
    case 'started': return { kind: 'started', pid: answer.pid, tookOver: answer.tookOver, warnings };
    case 'down': return { kind: 'down' };
    case 'busy': return withWarnings(await whenBusy(ctx, name, how, attempt));
    case 'orphan': return withWarnings(failed(orphanHint(name, answer.pid)));
    case 'error':
      return withWarnings(failed(`${name}: ${answer.message} (log: ${serviceLogPath(ctx.dirs.log.path, name)})`));
  }
}

/** The states of a run under its worker, which will be ready or give up. */
const RUNS: readonly string[] = ['running', 'starting', 'restarting'];

/**
 * Each service's start, begun after what it needs (SPEC 14.3): those that need nothing left at
 * once, each need waited for until it is up before what needs it starts. `closure`: what the
 * services need is started too (start); else the order among them counts, and a need outside
 * them is waited for if it runs (revive, which starts nothing that is not wanted up). Returned in the order of the starts, needs first.
 */
export function orderedStarts(
  ctx: Context, names: readonly string[], startOne: (name: string, needed: boolean) => Promise<Report>, closure: boolean,
): Map<string, Promise<Report>> {
  const among = new Set(names);
  // Each script is read once, and each need outside the set looked at once.
  const specs = new Map<string, NeedsOf | undefined>();
  const specOf = (name: string): NeedsOf | undefined => {
    if (!specs.has(name)) specs.set(name, needsOf(ctx, name));
    return specs.get(name);
  };
  // Outside the set, a need that runs under its worker is waited for, one that does not exist is still an
  // error, and one that is down (or orphaned: nothing will make it ready) orders nothing.
  const counted = new Map<string, boolean>();
  const counts = (need: string): boolean => {
    if (!counted.has(need)) counted.set(need, among.has(need) || !specOf(need) || RUNS.includes(inspect(ctx, need).status.state));
    return counted.get(need)!;
  };
  const plan = planNeeds(names, (name) => {
    const spec = specOf(name);
    if (!spec || closure) return spec;
    // A running need is only waited for: what it needs is its own affair.
    return { ...spec, needs: among.has(name) ? spec.needs.filter(counts) : [] };
  });
  const outcomes = new Map<string, Promise<Report>>();
  const act = async (name: string): Promise<Report> => {
    const problem = plan.problems.get(name);
    if (problem) return failure(`${name}: unable to start: ${problem}`);
    const needs = plan.needs.get(name) ?? [];
    // One that runs already, or is orphaned, is said so as it is: its needs change nothing for it.
    const status = needs.length > 0 ? inspect(ctx, name).status : undefined;
    if (status && !isLive(status) && status.state !== 'orphaned') {
      const pidDir = ctx.dirs.pid.path;
      let marked = false;
      try {
        markWaiting(pidDir, name, needs);
        marked = true;
      } catch {
        // Only status misses it: the start goes on.
      }
      const results = await Promise.all(needs.map((need) => outcomes.get(need)!));
      if (marked) unmarkWaiting(pidDir, name);
      const failed = needs.find((_, i) => results[i].failed);
      if (failed !== undefined) return failure(`${name}: unable to start: its need ${failed} failed to start`);
    }
    return startOne(name, plan.needed.has(name));
  };
  for (const name of plan.order) outcomes.set(name, act(name));
  return outcomes;
}

export async function start(ctx: Context, patterns: readonly string[], wait = false): Promise<Report> {
  const ready = prepare(ctx, ['service', 'pid', 'log', 'want']);
  if (!ready.ok) return failure(ready.message);
  const { targets, problems } = resolveTargets(ctx, patterns, false);
  print(merge(problems));
  const starts = orderedStarts(ctx, targets.map((t) => t.name), (name, needed) => startOne(ctx, name, wait || needed), true);
  const acted = await eachInOrder([...starts.keys()], (name) => starts.get(name)!);
  return { ...acted, failed: acted.failed || problems.length > 0 };
}
