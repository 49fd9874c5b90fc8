// The system programs reraise runs as another user or as root, where the system keeps them (SPEC 12.4).
import { accessSync, constants } from 'node:fs';

/**
 * A program where the system keeps it, not found through a PATH that someone else may have set,
 * or that holds `.` while the worker sits in the owner's directory.
 */
function systemProgram(...files: string[]): string | undefined {
  return files.find((file) => {
    try {
      accessSync(file, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** util-linux's setpriv: the owner's uid, gid and supplementary groups, then exec. */
export const SETPRIV = systemProgram('/usr/bin/setpriv', '/bin/setpriv', '/usr/sbin/setpriv', '/sbin/setpriv');
export const SUDO = systemProgram('/usr/bin/sudo', '/bin/sudo', '/usr/local/bin/sudo');
export const MKFIFO = systemProgram('/usr/bin/mkfifo', '/bin/mkfifo');
