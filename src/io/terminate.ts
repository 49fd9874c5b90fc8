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

export interface Unkillable {
  /** Told once when the grace is over and the group lives on. */
  stuck(): void;
  /** How long to wait for it after that; undefined: until it is gone. */
  waitMs?: number;
}

/** How often a group that cannot be killed is looked at again: rarely, it is no race. */
const STUCK_POLL_MS = 1000;

/**
 * Stops every process of group `pgid`. `mainGone` tells whether the group leader has exited
 * (the worker learns it from its child's exit; the CLI asks /proc). With `patienceMs`, the
 * group first gets that long to end by itself. Resolves with true when SIGKILL was needed.
 * The group is signalled only while something of it exists. A group led by `sudo` for another
 * user (`unkillable`) is never sent SIGKILL: it would end sudo alone, and the owner's processes
 * would run on unseen (SPEC 12.1); its stop waits instead, and says so.
 */
export async function stopGroup(
  pgid: number, signal: number, graceMs: number, mainGone: () => boolean, patienceMs = 0, unkillable?: Unkillable,
): Promise<boolean> {
  const gone = (): boolean => mainGone() && !groupExists(pgid);
  if (await until(gone, Date.now() + patienceMs)) return false;
  signalGroup(pgid, signal);
  if (signal !== constants.signals.SIGCONT && signal !== constants.signals.SIGKILL) signalGroup(pgid, 'SIGCONT');
  if (await until(gone, Date.now() + graceMs)) return false;
  if (unkillable) {
    unkillable.stuck();
    await until(gone, unkillable.waitMs === undefined ? Infinity : Date.now() + unkillable.waitMs, STUCK_POLL_MS);
    return false;
  }
  signalGroup(pgid, 'SIGKILL');
  // A zombie whose parent never reaps it still counts as a group member: do not wait for it forever.
  await until(gone, Date.now() + 2000);
  return true;
}

/** For a process that is not our child: gone once it no longer exists or is a zombie. */
export function processGone(pid: number): () => boolean {
  return () => !isAlive(pid);
}
