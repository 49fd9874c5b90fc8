// Stopping a process group: the stop signal (and SIGCONT), a grace period, then SIGKILL (SPEC 5.5).
import { constants } from 'node:os';
import { groupExists, isAlive } from './probe.js';
import { until } from './poll.js';

function signalGroup(pgid: number, signal: NodeJS.Signals | number): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // ESRCH: the group is already gone; EPERM: nothing of ours is left in it.
  }
}

/**
 * Stops every process of group `pgid`. `mainGone` tells whether the group leader has exited
 * (the worker learns it from its child's exit; the CLI asks /proc). With `patienceMs`, the
 * group first gets that long to end by itself. Resolves with true when SIGKILL was needed.
 * The group is signalled only while something of it exists.
 */
export async function stopGroup(
  pgid: number, signal: number, graceMs: number, mainGone: () => boolean, patienceMs = 0,
): Promise<boolean> {
  const gone = (): boolean => mainGone() && !groupExists(pgid);
  if (await until(gone, Date.now() + patienceMs)) return false;
  signalGroup(pgid, signal);
  if (signal !== constants.signals.SIGCONT && signal !== constants.signals.SIGKILL) signalGroup(pgid, 'SIGCONT');
  if (await until(gone, Date.now() + graceMs)) return false;
  signalGroup(pgid, 'SIGKILL');
  // A zombie whose parent never reaps it still counts as a group member: do not wait for it forever.
  await until(gone, Date.now() + 2000);
  return true;
}

/** For a process that is not our child: gone once it no longer exists or is a zombie. */
export function processGone(pid: number): () => boolean {
  return () => !isAlive(pid);
}
