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

/**
 * For the few lines a worker writes before (or instead of) supervising: appended whole, with a
 * timestamp when the service asks for one (config_log_stamp=1), like every other line of its log.
 */
export function appendWorkerLine(logDir: string, name: string, message: string, stamp: boolean): void {
  try {
    mkdirSync(join(logDir, name), { recursive: true, mode: 0o700 });
    const line = workerLine(message);
    appendFileSync(serviceLogPath(logDir, name), stamp ? stampOf(Date.now()) + line : line, { mode: 0o600 });
  } catch {
    // A log that cannot be written must not change what the worker does.
  }
}
