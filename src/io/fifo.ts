// The pipe between a service and its log: a FIFO whose every end the worker opens itself, then unlinks.
import { closeSync, constants, openSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

export interface HeldPipe {
  /**
   * Read and write: while the worker holds it, a reader never sees EOF and a writer never gets
   * EPIPE. A service without a logger gets this end too, so that it outlives a killed worker.
   */
  holder: number;
  /** Read end: blocking for a logger's stdin, non-blocking for the worker's own reader. */
  readEnd: number;
  /** Blocking write end, for the service's stdout and stderr (a full pipe makes it wait, not lose). */
  writeEnd: number;
  /** Non-blocking write end, for the worker's own lines: a full pipe must never stall the worker. */
  messageEnd: number;
}

/**
 * Unlike an anonymous pipe per run, this one outlives every run of the service and of its logger,
 * so what either side has not read yet stays in the kernel's buffer across their restarts.
 */
export function openHeldPipe(dir: string, name: string, nonBlockingReader = false): HeldPipe {
  const file = join(dir, `.${name}.${process.pid}.fifo`);
  rmSync(file, { force: true });
  const made = spawnSync('mkfifo', ['-m', '600', file], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  if (made.status !== 0) throw new Error(`mkfifo ${file}: ${made.error?.message ?? made.stderr.trim()}`);
  try {
    const { O_RDWR, O_RDONLY, O_WRONLY, O_NONBLOCK } = constants;
    // The O_RDWR end first: with it open, the other opens of the FIFO never block.
    const holder = openSync(file, O_RDWR);
    return {
      holder,
      readEnd: openSync(file, nonBlockingReader ? O_RDONLY | O_NONBLOCK : O_RDONLY),
      writeEnd: openSync(file, O_WRONLY),
      messageEnd: openSync(file, O_WRONLY | O_NONBLOCK),
    };
  } finally {
    rmSync(file, { force: true });
  }
}

export function closeQuietly(fd: number | undefined): void {
  if (fd === undefined) return;
  try {
    closeSync(fd);
  } catch {
    // already closed
  }
}
