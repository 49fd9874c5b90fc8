// start --wait: until each service is up (ready by its rule, or run for config_start_sec), or has given up (SPEC 11, 14.1).
import { describeReadiness, type ServiceConfig } from '../core/config.js';
import { readPidFile } from '../io/pid-store.js';
import { isAlive, processInfo } from '../io/probe.js';
import { serviceLogPath } from '../io/service-log.js';
import { lastLogLines } from '../io/log-reader.js';
import { MAX_HELD } from '../core/log-lines.js';
import { terminalSafe } from '../core/terminal-text.js';
import type { Context } from './context.js';
import { failure, type Report } from './report.js';

const POLL_MS = 50;
const LOG_LINES = 10;

type Verdict = { up: number } | { gaveUp: string } | undefined;

/** One look at the pid file: up (the pid that has run long enough), given up (why), or not yet. */
function look(ctx: Context, name: string, startSec: number): Verdict {
  const stored = readPidFile(ctx.dirs.pid.path, name);
  if (stored.kind !== 'record') return { gaveUp: 'stopped before it was up' };
  const { record } = stored;
  if (record.state === 'ERROR') {
    const how = record.keys.signal ? `killed by SIG${record.keys.signal}` : `exit code ${record.exitCode}`;
    return { gaveUp: `failed to start (${how})` };
  }
  // No worker (an orphan's record, §13.2) will ever say it is ready.
  if (record.workerPid === undefined ? record.state === 'RUN' : !isAlive(record.workerPid)) return { gaveUp: 'its worker is gone' };
  if (record.state !== 'RUN' || record.pid === undefined) return undefined;
  // A run with a rule is up when its worker says it is ready; its worker gives up at config_ready_sec.
  if (record.keys.ready !== undefined) return record.keys.ready ? { up: record.pid } : undefined;
  const info = processInfo(record.pid);
  if (!info || info.state === 'Z') return undefined;
  return Date.now() / 1000 - info.startEpoch >= startSec ? { up: record.pid } : undefined;
}

export async function waitUntilUp(ctx: Context, name: string, config: ServiceConfig, started: Report): Promise<Report> {
  const { startSec, ready } = config;
  for (;;) {
    const verdict = look(ctx, name, startSec);
    if (verdict && 'up' in verdict) {
      const how = ready ? `ready (pid ${verdict.up}, ${describeReadiness(ready)})` : `up (pid ${verdict.up}, ran config_start_sec=${startSec}s)`;
      return { ...started, out: [...started.out, `${name}: ${how}`] };
    }
    if (verdict && 'gaveUp' in verdict) {
      const file = serviceLogPath(ctx.dirs.log.path, name);
      // The verdict stands even when the log cannot be read.
      const tail = await lastLogLines(ctx.dirs.log.path, name, LOG_LINES, LOG_LINES * MAX_HELD).catch(() => []);
      return {
        ...started,
        ...failure(`${name}: ${verdict.gaveUp}; the last ${tail.length} lines of ${file}:`),
        out: started.out,
        detail: tail.map((line) => `  ${ctx.tty.stderr ? terminalSafe(line) : line}`),
      };
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}
