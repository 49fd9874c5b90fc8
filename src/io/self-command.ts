// reraise running itself for an action asked from the panel: the same checks and words as on the command line.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { PACKAGE_ROOT } from './package-root.js';

export interface Said {
  exitCode: number;
  /** stdout, then stderr, as one text. */
  text: string;
}

/** Runs `reraise ARGS` with this process's node and environment; never rejects. */
export function runReraise(args: readonly string[]): Promise<Said> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(PACKAGE_ROOT, 'bin', 'reraise'), ...args], { encoding: 'utf8' }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ exitCode: code, text: `${stdout}${stderr}` });
    });
  });
}
