// `reraise revive [PATTERN...]` without the argument parser: cron runs it every few minutes for years (SPEC 13.2).
import { revive } from './commands/revive.js';
import { makeContext } from './context.js';
import { print } from './report.js';

/** Patterns only: bin/reraise sends anything with an option through the whole CLI instead. */
export async function main(patterns: readonly string[]): Promise<number> {
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
  const report = await revive(makeContext(), patterns);
  print(report);
  return report.failed ? 1 : 0;
}
