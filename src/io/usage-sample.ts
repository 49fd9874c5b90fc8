// status's last look at each run's CPU ticks, kept in the user's cache directory (SPEC 15.1).
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fnv1a64 } from '../core/lock-names.js';
import { formatSample, parseSample, type UsageSample } from '../core/usage.js';
import { userCacheDir } from './code-cache.js';
import { readOwnSmallFile, replaceFile } from './safe-file.js';
import { dirProblem } from './trusted-dir.js';

/** Enough for thousands of runs; a bigger file is no sample of ours. */
const LIMIT = 256 * 1024;

function samplePath(pidDir: string): { dir: string; file: string } {
  const dir = userCacheDir(process.env, homedir());
  return { dir, file: join(dir, `usage-${fnv1a64(pidDir)}`) };
}

/** Empty when there is none, or none that may be used: CPU is then averaged over each run's life. */
export function readUsageSample(pidDir: string, uid: number): UsageSample {
  const { dir, file } = samplePath(pidDir);
  if (dirProblem(dir, { uid }) !== undefined) return new Map();
  const read = readOwnSmallFile(file, LIMIT);
  return read.kind === 'text' ? parseSample(read.text) : new Map();
}

/** Best effort: a sample that cannot be written only makes the next CPU figure a longer average. */
export function writeUsageSample(pidDir: string, uid: number, sample: UsageSample): void {
  const { dir, file } = samplePath(pidDir);
  try {
    if (dirProblem(dir, { uid, createMode: 0o700 }) !== undefined) return;
    replaceFile(file, `${file}.${process.pid}.new`, formatSample(sample), 0o600);
  } catch {
    // read-only home, full disk: the figures stay right, only averaged longer
  }
}
