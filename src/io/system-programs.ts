// The system programs reraise runs as another user or as root, where the system keeps them (SPEC 12.4).
import { accessSync, constants } from 'node:fs';

/**
 * A program where the system keeps it, not found through a PATH that someone else may have set,
 * or that holds `.` while the worker sits in the owner's directory. Looked for once, when first
 * needed: most workers never need setpriv or sudo.
 */
function systemProgram(...files: string[]): () => string | undefined {
  let found: string | undefined | null = null;
  return () => {
    if (found === null) {
      found = files.find((file) => {
        try {
          accessSync(file, constants.X_OK);
          return true;
        } catch {
          return false;
        }
      });
    }
    return found;
  };
}

/** util-linux's setpriv: the owner's uid, gid and supplementary groups, then exec. */
export const setpriv = systemProgram('/usr/bin/setpriv', '/bin/setpriv', '/usr/sbin/setpriv', '/sbin/setpriv');
export const sudo = systemProgram('/usr/bin/sudo', '/bin/sudo', '/usr/local/bin/sudo');
export const mkfifo = systemProgram('/usr/bin/mkfifo', '/bin/mkfifo');
