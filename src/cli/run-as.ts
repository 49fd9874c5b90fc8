// A script owned by another user runs as that user: checked before a worker is forked (SPEC 6 `start`, 12.4).
import { accountOf } from '../io/accounts.js';
import type { ServiceEntry } from '../io/service-dir.js';
import { checkService } from '../io/run-check.js';
import { sudo } from '../io/system-programs.js';
import type { Context } from './context.js';

/**
 * Why the service cannot be run as its owner, or undefined when it can: what the worker will
 * check at every run (SPEC 12.4), and, for another owner without root, whether sudo lets us.
 */
export async function checkRunAs(ctx: Context, entry: ServiceEntry): Promise<string | undefined> {
  const checked = checkService(entry, ctx.dirs.log.path);
  if (!checked.ok) return `${entry.name}: ${checked.message}`;
  // The owner comes from the file that will run, not from what the listing saw.
  const { uid } = checked.value.owner;
  // As root the worker runs the service as its owner directly; only other users need sudo.
  if (uid === ctx.uid || ctx.uid === 0) return undefined;
  const owner = accountOf(uid);
  if (!owner) return `${entry.name}: owned by uid ${uid}, which has no account to run it as (${entry.file})`;
  const SUDO = sudo();
  if (!SUDO) return `${entry.name}: owned by ${owner.name}; running it as ${owner.name} needs sudo, which is not installed (${entry.file})`;
  const { execa } = await import('execa');
  // -l: ask whether the rules let us run this very script as its owner, without running it.
  // -n: never prompt; a rule that wants a password fails here instead of hanging a worker.
  // The very sudo the worker will run (SPEC 12.4), not another one of the user's PATH.
  const result = await execa(SUDO, ['-n', '-u', owner.name, '-l', '--', entry.file], { reject: false, stdin: 'ignore', timeout: 10_000 });
  if (result.exitCode === 0) return undefined;
  const reason = result.stderr.trim().split('\n')[0];
  return `${entry.name}: owned by ${owner.name}, and "sudo -n -u ${owner.name}" refused${reason ? ` (${reason})` : ''}; ` +
    `allow it without a password (NOPASSWD) or run the service as yourself (${entry.file})`;
}
