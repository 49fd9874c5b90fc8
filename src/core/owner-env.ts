// The environment of a program that root runs as its owner: built for the owner, nothing else of root's (SPEC 12.4). Pure.

export interface OwnerAccount {
  name: string;
  home: string;
  shell: string;
}

/** The PATH an owner's program starts from, before reraise's own directories are added (SPEC 8). */
export const OWNER_PATH = '/usr/local/bin:/usr/bin:/bin';

/** Root's variables that are no secret and that the owner's program should share. */
const KEPT = ['LANG', 'TZ'];

/**
 * HOME, USER, LOGNAME and SHELL of the owner, a plain PATH, root's LANG and TZ, and every
 * RERAISE_* variable (root's own and the service's): secrets, SSH_AUTH_SOCK and the like stay
 * with root.
 */
export function ownerEnvironment(
  owner: OwnerAccount, rootEnv: Readonly<Record<string, string | undefined>>, path: string,
): Record<string, string> {
  const env: Record<string, string> = { HOME: owner.home, USER: owner.name, LOGNAME: owner.name, SHELL: owner.shell, PATH: path };
  for (const [key, value] of Object.entries(rootEnv)) {
    if (value !== undefined && (KEPT.includes(key) || key.startsWith('RERAISE_'))) env[key] = value;
  }
  return env;
}
