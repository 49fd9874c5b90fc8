// The descriptors a process inherited from whoever started it, and closing them (SPEC 5.1, 12.4).
import { closeSync, openSync, readSync, readdirSync } from 'node:fs';

const O_CLOEXEC = 0o2000000;

/** fdinfo is a few lines: one small buffer for them all, not the 64 KiB readFileSync gives a file that says it is empty. */
const fdinfo = Buffer.alloc(256);

function flagsOf(fd: number): number | undefined {
  const info = openSync(`/proc/self/fdinfo/${fd}`, 'r');
  try {
    const text = fdinfo.toString('latin1', 0, readSync(info, fdinfo, 0, fdinfo.length, 0));
    const flags = /^flags:\s+([0-7]+)/m.exec(text);
    return flags ? Number.parseInt(flags[1], 8) : undefined;
  } finally {
    closeSync(info);
  }
}

/**
 * Closes every descriptor above `keep` that is not close-on-exec. Node opens all of its own
 * with close-on-exec, so the others came from the starter (a shell's `exec 7<file`), and a
 * service would inherit them: a secret of root's, a lock, a pipe that never sees EOF. Linux
 * tells the flag in /proc/self/fdinfo; elsewhere nothing is known, and nothing is closed.
 */
let closed = false;

export function closeInheritedDescriptors(keep: number): void {
  // What was inherited is there from the start: once a process is enough (start forks many workers).
  if (closed) return;
  closed = true;
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
      const flags = flagsOf(fd);
      if (flags !== undefined && (flags & O_CLOEXEC) === 0) closeSync(fd);
    } catch {
      // the descriptor of the directory listing itself, closed meanwhile
    }
  }
}
