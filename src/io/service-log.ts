// The service's log file, <log dir>/NAME/current: the service's output and the worker's own lines (SPEC 5.3).
import fs from 'node:fs';
import path from 'node:path';

export function serviceLogPath(logDir: string, name: string): string {
  return path.join(logDir, name, 'current');
}

/** Opens `current` for appending, so that restarts and concurrent writers never overwrite a line. */
export function openServiceLog(logDir: string, name: string): number {
  fs.mkdirSync(path.join(logDir, name), { recursive: true, mode: 0o700 });
  return fs.openSync(serviceLogPath(logDir, name), 'a', 0o600);
}

export function logLine(fd: number, message: string): void {
  const stamp = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  try {
    fs.writeSync(fd, `${stamp} auto-reraise[${process.pid}]: ${message}\n`);
  } catch {
    // A full disk must not kill the worker: the service matters more than its log line.
  }
}
