// A run watched for readiness, and checked while it is ready, as policy.ts's watch-ready and check effects ask (SPEC 14).
// A bundle of its own, loaded by the first run that has a rule: workers of other services never pay for it.
import type { Readable } from 'node:stream';
import type { ProbedReadiness, Readiness } from '../core/config.js';
import type { SupervisorEvent } from '../core/policy.js';
import { probe, type Probe } from '../io/health-probe.js';
import { isStopped } from '../io/probe.js';

export interface Watching {
  cancel(): void;
}

export interface ReadySources {
  /** The worker's end of the readiness pipe of the run (config_ready_fd). */
  readyStream?: Readable;
  /** Calls `found` once a line of the run's output holds `text`; returns what stops looking. */
  watchText(text: string, found: () => void): () => void;
  /** The uids that may answer a port or url probe: the service's own (SPEC 14.1). */
  trusted: ReadonlySet<number>;
}

type Report = (event: SupervisorEvent) => void;

/** Between the end of one readiness probe and the next. */
const PROBE_GAP_MS = 250;

const LINE_FEED = 0x0a;

/**
 * Probes every PROBE_GAP_MS, one at a time, until one succeeds; `cancel` ends the probe under way
 * too. Each uid not trusted that answers is reported once.
 */
function probeUntilOk(target: ProbedReadiness, trusted: ReadonlySet<number>, ok: () => void, foreign: (uid: number) => void): Watching {
  let current: Probe | undefined;
  let timer: NodeJS.Timeout | undefined;
  let cancelled = false;
  const reported = new Set<number>();
  const attempt = (): void => {
    current = probe(target, trusted);
    void current.result.then((result) => {
      if (cancelled) return;
      if (result.ok) return ok();
      if (result.foreignUid !== undefined && !reported.has(result.foreignUid)) {
        reported.add(result.foreignUid);
        foreign(result.foreignUid);
      }
      timer = setTimeout(attempt, PROBE_GAP_MS);
    });
  };
  attempt();
  return {
    cancel: () => {
      cancelled = true;
      clearTimeout(timer);
      current?.cancel();
    },
  };
}

/** The first newline on the pipe makes the run ready; the rest is read and let go, so that a writer never blocks. */
function readyLine(stream: Readable, ready: () => void, closed: () => void): Watching {
  let seen = false;
  const onData = (chunk: Buffer): void => {
    if (!seen && chunk.includes(LINE_FEED)) {
      seen = true;
      ready();
    }
  };
  const onEnd = (): void => {
    if (!seen) closed();
  };
  stream.on('data', onData);
  stream.once('end', onEnd);
  return {
    cancel: () => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      // Still read: a service that writes its line again must not fill the pipe and hang.
      stream.resume();
    },
  };
}

export function watchReady(ready: Readiness, timeoutMs: number, sources: ReadySources, report: Report): Watching {
  let over = false;
  const once = (event: SupervisorEvent): void => {
    if (over) return;
    over = true;
    clearTimeout(timer);
    watching.cancel();
    report(event);
  };
  const timer = setTimeout(() => once({ type: 'ready-timeout', at: Date.now() }), timeoutMs);
  const isReady = (): void => once({ type: 'ready', at: Date.now() });
  const fdClosed = (): void => {
    if (!over) report({ type: 'ready-fd-closed' });
  };
  let watching: Watching;
  switch (ready.kind) {
    case 'port':
    case 'url': watching = probeUntilOk(ready, sources.trusted, isReady, (uid) => report({ type: 'ready-foreign', uid })); break;
    case 'log': watching = { cancel: sources.watchText(ready.text, isReady) }; break;
    case 'fd': watching = sources.readyStream ? readyLine(sources.readyStream, isReady, fdClosed) : { cancel: () => {} }; break;
  }
  return {
    cancel: () => {
      over = true;
      clearTimeout(timer);
      watching.cancel();
    },
  };
}

/** One liveness check of run `pid` after `afterMs` (SPEC 14.2): its result comes back as `checked`. */
export function checkAfter(rule: ProbedReadiness, afterMs: number, pid: number, report: Report): Watching {
  let current: Probe | undefined;
  let cancelled = false;
  const timer = setTimeout(() => {
    // A paused run is not probed; one paused while the probe waited is known after it failed.
    if (isStopped(pid)) return report({ type: 'checked', ok: false, why: 'paused', paused: true, at: Date.now() });
    current = probe(rule);
    void current.result.then((result) => {
      if (cancelled) return;
      report(result.ok ? { type: 'checked', ok: true, at: Date.now() }
        : { type: 'checked', ok: false, why: result.why, paused: isStopped(pid) || undefined, at: Date.now() });
    });
  }, afterMs);
  return {
    cancel: () => {
      cancelled = true;
      clearTimeout(timer);
      current?.cancel();
    },
  };
}
