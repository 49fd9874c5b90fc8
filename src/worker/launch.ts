// How the service is run: its command line, and as whom (SPEC 5.2, 6 `start`).
import type { ServiceEntry } from '../io/service-dir.js';
import { accountOf } from '../io/accounts.js';
import { fail, ok, type Result } from '../core/result.js';

export interface Launch {
  file: string;
  args: string[];
  argv0: string;
  uid?: number;
  gid?: number;
  env: Record<string, string | undefined>;
}

export function planLaunch(entry: ServiceEntry, baseEnv: Record<string, string | undefined>): Result<Launch> {
  const args = entry.kind === 'perp' ? ['start', entry.name] : [];
  const argv0 = entry.kind === 'perp' ? './rc.main' : entry.file;
  // RERAISE_NODE: the node running reraise, so that a script can run JavaScript wherever reraise runs.
  const env = { ...baseEnv, RERAISE_SERVICE: entry.name, RERAISE_NODE: process.execPath };
  const me = process.getuid!();
  if (entry.uid === me) return ok({ file: entry.file, args, argv0, env });
  const owner = accountOf(entry.uid);
  if (me === 0) {
    // As root the service itself becomes its owner, with the owner's own HOME, USER and LOGNAME.
    const home = owner?.home ?? '/';
    const user = owner?.name ?? String(entry.uid);
    return ok({
      file: entry.file, args, argv0, uid: entry.uid, gid: owner?.gid ?? entry.gid,
      env: { ...env, HOME: home, USER: user, LOGNAME: user },
    });
  }
  if (!owner) return fail(`${entry.name}: owned by uid ${entry.uid}, which has no account to run it as (${entry.file})`);
  return ok({ file: 'sudo', args: ['-n', '-u', owner.name, '--', entry.file, ...args], argv0: 'sudo', env });
}
