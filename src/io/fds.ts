// The descriptors a process inherited from whoever started it, and closing them (SPEC 5.1, 12.4).
import { closeSync, readFileSync, readdirSync } from 'node:fs';

const O_CLOEXEC = 0o2000000;

/**
 * Closes every descriptor above `keep` that is not close-on-exec. Node opens all of its own
 * with close-on-exec, so the others came from the starter (a shell's `exec 7<file`), and a
 * service would inherit them: a secret of root's, a lock, a pipe that never sees EOF. Linux
 * tells the flag in /proc/self/fdinfo; elsewhere nothing is known, and nothing is closed.
 */
export function closeInheritedDescriptors(keep: number): void {
  let fds: string[];
  try {
    fds = readdirSync('/proc/self/fd');
  } catch {
    return;
  }
  for (const entry of fds) {
    const fd = Number(entry);
    if (!Number.isInteger(fd) || fd <= keep) continue;
    try {
      const flags = /^flags:\s+([0-7]+)/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'));
      if (flags && (Number.parseInt(flags[1], 8) & O_CLOEXEC) === 0) closeSync(fd);
    } catch {
      // the descriptor of the directory listing itself, closed meanwhile
    }
  }
}
