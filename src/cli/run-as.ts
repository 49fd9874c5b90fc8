// A script owned by another user runs as that user: checked before a worker is forked (SPEC 6 `start`).
import { accountOf } from '../io/accounts.js';
import type { ServiceEntry } from '../io/service-dir.js';
import type { Context } from './context.js';

/** Why the service cannot be run as its owner, or undefined when it can. */
export async function checkRunAs(ctx: Context, entry: ServiceEntry): Promise<string | undefined> {
  // As root the worker runs the service as its owner directly; only other users need sudo.
  if (entry.uid === ctx.uid || ctx.uid === 0) return undefined;
  const owner = accountOf(entry.uid);
  if (!owner) return `${entry.name}: owned by uid ${entry.uid}, which has no account to run it as (${entry.file})`;
  const { execa } = await import('execa');
  // -l: ask whether the rules let us run this very script as its owner, without running it.
  // -n: never prompt; a rule that wants a password fails here instead of hanging a worker.
  const result = await execa('sudo', ['-n', '-u', owner.name, '-l', '--', entry.file], { reject: false, stdin: 'ignore', timeout: 10_000 });
  if (result.exitCode === 0) return undefined;
  if ((result as { code?: string }).code === 'ENOENT') {
    return `${entry.name}: owned by ${owner.name}; running it as ${owner.name} needs sudo, which is not installed (${entry.file})`;
  }
  const reason = result.stderr.trim().split('\n')[0];
  return `${entry.name}: owned by ${owner.name}, and "sudo -n -u ${owner.name}" refused${reason ? ` (${reason})` : ''}; ` +
    `allow it without a password (NOPASSWD) or run the service as yourself (${entry.file})`;
}
