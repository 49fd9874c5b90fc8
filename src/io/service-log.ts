// The service's log directory, <log dir>/NAME, and the worker's lines before its log writer runs (SPEC 5.3).
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { stampOf } from '../core/log-lines.js';

export function serviceLogPath(logDir: string, name: string): string {
  return join(logDir, name, 'current');
}

/** A line of the worker's own, as every writer puts it in the log. */
export function workerLine(message: string): string {
  return `auto-reraise[${process.pid}]: ${message}\n`;
}

/** A worker line written straight to the file, outside the writer that stamps the others (config_log_stamp=1). */
export function stampedWorkerLine(message: string, stamp: boolean): string {
  const line = workerLine(message);
  return stamp ? stampOf(Date.now()) + line : line;
}

/** For the few lines a worker writes before (or instead of) supervising: appended whole. */
export function appendWorkerLine(logDir: string, name: string, message: string, stamp: boolean): void {
  try {
    mkdirSync(join(logDir, name), { recursive: true, mode: 0o700 });
    appendFileSync(serviceLogPath(logDir, name), stampedWorkerLine(message, stamp), { mode: 0o600 });
  } catch {
    // A log that cannot be written must not change what the worker does.
  }
}
