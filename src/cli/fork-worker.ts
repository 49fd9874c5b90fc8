// Forks the detached `auto-reraise NAME` worker and reads its one-line answer (SPEC 5.1, 6 `start`).
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { closeInheritedDescriptors } from '../io/fds.js';
import { PACKAGE_ROOT } from '../io/package-root.js';
import type { Readable } from 'node:stream';

export type WorkerAnswer =
  /** `tookOver`: the orphan the worker stopped to run the service again itself (SPEC 13.2). */
  | { kind: 'started'; pid: number; tookOver?: number }
  | { kind: 'busy' }
  /** Its want was down when it looked, after its START (SPEC 13.1): a stop came meanwhile. */
  | { kind: 'down' }
  | { kind: 'orphan'; pid: number }
  | { kind: 'error'; message: string };

const WORKER_BIN = join(PACKAGE_ROOT, 'bin', 'auto-reraise');
/** A worker answers once its first run is recorded; this only guards against a hung one. */
export const ANSWER_TIMEOUT_MS = 30_000;

function parseAnswer(line: string): WorkerAnswer {
  const [word, ...rest] = line.split(' ');
  const arg = rest.join(' ');
  switch (word) {
    case 'started': return { kind: 'started', pid: Number(rest[0]), ...(rest[1] ? { tookOver: Number(rest[1]) } : {}) };
    case 'busy': return { kind: 'busy' };
    case 'down': return { kind: 'down' };
    case 'orphan': return { kind: 'orphan', pid: Number(arg) };
    case 'error': return { kind: 'error', message: arg };
    default: return { kind: 'error', message: 'the worker exited before it could start the service' };
  }
}

function firstLine(stream: Readable, timeoutMs: number): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    const timer = setTimeout(() => finish(), timeoutMs);
    const finish = (): void => {
      clearTimeout(timer);
      stream.destroy();
      resolve(text.split('\n')[0]);
    };
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      text += chunk;
      if (text.includes('\n')) finish();
    });
    stream.on('end', finish);
    stream.on('error', finish);
  });
}

/**
 * The worker gets its own session, /dev/null for stdin, stdout and stderr, and a pipe on fd 3
 * that it closes after answering: `$(reraise start x)` returns at once.
 */
export async function forkWorker(name: string, cwd: string, env: NodeJS.ProcessEnv, timeoutMs = ANSWER_TIMEOUT_MS): Promise<WorkerAnswer> {
  // What the shell that ran us left open would reach every worker, and its service (SPEC 5.1).
  closeInheritedDescriptors(2);
  const child = spawn(process.execPath, [WORKER_BIN, name], {
    cwd, env, detached: true, stdio: ['ignore', 'ignore', 'ignore', 'pipe'],
  });
  child.on('error', () => {});
  const answer = parseAnswer(await firstLine(child.stdio[3] as Readable, timeoutMs));
  child.unref();
  return answer;
}
