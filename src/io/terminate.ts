// Stopping a process group: the stop signal (and SIGCONT), a grace period, then SIGKILL (SPEC 5.5).
import { constants } from 'node:os';
import { groupExists, isAlive, leadsGroup, runsThroughSudo } from './probe.js';
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

/** Beyond its grace: how long a stop through sudo waits for the owner's processes to end. */
const SUDO_WAIT_MS = 5000;

export interface OrphanStopped {
  /** Nothing of the run is left: neither the process nor its group. */
  gone: boolean;
  killed: boolean;
  /** It runs through sudo, which cannot pass SIGKILL on (SPEC 12.1). */
  viaSudo: boolean;
}

/**
 * Stops an orphaned run (SPEC 5.6), checked to be the service's by the caller: its group when
 * it leads one (or its leader is gone and members are left), else the process alone, since a
 * service that left its group has only itself to answer for.
 */
export async function stopOrphan(pid: number, signal: number, graceMs: number): Promise<OrphanStopped> {
  const leaderGone = processGone(pid)();
  const viaSudo = !leaderGone && runsThroughSudo(pid);
  const killed = leaderGone || leadsGroup(pid)
    ? await stopGroup(pid, signal, graceMs, processGone(pid), 0, viaSudo ? { stuck: () => {}, waitMs: SUDO_WAIT_MS } : undefined)
    : await stopSingle(pid, signal, graceMs);
  return { gone: processGone(pid)() && !groupExists(pid), killed, viaSudo };
}

async function stopSingle(pid: number, signal: number, graceMs: number): Promise<boolean> {
  try {
    process.kill(pid, signal);
  } catch {
    return false;
  }
  if (await until(processGone(pid), Date.now() + graceMs)) return false;
  try {
    process.kill(pid, constants.signals.SIGKILL);
  } catch {
    // gone meanwhile
  }
  await until(processGone(pid), Date.now() + 2000);
  return true;
}
