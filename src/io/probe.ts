// Facts about a process by pid: /proc on Linux, `ps` elsewhere (SPEC 4 identity checks).
import { existsSync, readFileSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import {
  isMemberOf, isServiceOf, isUnrecordedRunOf, isWorkerOf, type ProcessFacts, type ServiceExpectation, type WorkerExpectation,
} from '../core/identity.js';

/** `ps`, for systems without /proc. child_process is loaded only there: `status` on Linux never needs it. */
export function ps(args: readonly string[]): string {
  const { execFileSync } = createRequire(import.meta.url)('node:child_process') as typeof import('node:child_process');
  return execFileSync('ps', args, { encoding: 'utf8' });
}

export interface ProcessInfo {
  /** One-letter state as in /proc/PID/stat; `Z` is a zombie, which counts as gone. */
  state: string;
  uid: number;
  pgid: number;
  /** Start time, seconds since 1970 (fractional on Linux). */
  startEpoch: number;
  argv: string[];
}

export const hasProc = process.platform === 'linux' && existsSync('/proc/self/stat');
/** USER_HZ: 100 on every Linux platform Node runs on. */
const CLOCK_TICKS = 100;
let bootTime: number | undefined;

/**
 * Boot time to the hundredth of a second: now minus /proc/uptime. /proc/stat's btime is cut to
 * whole seconds, which would make every process look up to a second older than it is.
 */
function readBootTime(): number {
  if (bootTime === undefined) {
    const uptime = Number.parseFloat(readFileSync('/proc/uptime', 'utf8'));
    bootTime = Date.now() / 1000 - uptime;
  }
  return bootTime;
}

function procStat(pid: number): { state: string; pgid: number; startTicks: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces and parentheses: fields start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0], pgid: Number(fields[2]), startTicks: Number(fields[19]) };
  } catch {
    return undefined;
  }
}

function procInfo(pid: number): ProcessInfo | undefined {
  const stat = procStat(pid);
  if (!stat) return undefined;
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const uid = /^Uid:\s+(\d+)/m.exec(status);
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    while (argv.length && argv[argv.length - 1] === '') argv.pop();
    return {
      state: stat.state,
      pgid: stat.pgid,
      uid: uid ? Number(uid[1]) : -1,
      startEpoch: readBootTime() + stat.startTicks / CLOCK_TICKS,
      argv,
    };
  } catch {
    return undefined;
  }
}

function elapsedSeconds(etime: string): number {
  const [days, clock] = etime.includes('-') ? etime.split('-') : ['0', etime];
  return clock.split(':').reduce((sum, part) => sum * 60 + Number(part), 0) + Number(days) * 86400;
}

function psInfo(pid: number): ProcessInfo | undefined {
  try {
    const out = ps(['-o', 'stat=,uid=,pgid=,etime=,args=', '-p', String(pid)]).trim();
    const match = /^(\S+)\s+(\d+)\s+(\d+)\s+(\S+)\s+(.*)$/.exec(out);
    if (!match) return undefined;
    return {
      state: match[1][0],
      uid: Number(match[2]),
      pgid: Number(match[3]),
      startEpoch: Date.now() / 1000 - elapsedSeconds(match[4]),
      argv: match[5].split(' '),
    };
  } catch {
    return undefined;
  }
}

export function processInfo(pid: number): ProcessInfo | undefined {
  return hasProc ? procInfo(pid) : psInfo(pid);
}

function living(pid: number): ProcessInfo | undefined {
  const info = processInfo(pid);
  return info && info.state !== 'Z' && info.state !== 'X' ? info : undefined;
}

/** The process's environment; undefined when it cannot be read (another user's, a setuid one) or is gone. */
function environOf(pid: number): string[] | undefined {
  try {
    if (hasProc) return readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
    return ps(['eww', '-o', 'command=', '-p', String(pid)]).trim().split(' ');
  } catch {
    return undefined;
  }
}

/** What the identity verdicts of core/identity.ts look at; undefined when there is no such process. */
export function processFacts(pid: number): ProcessFacts | undefined {
  const info = living(pid);
  return info && { state: info.state, uid: info.uid, startEpoch: info.startEpoch, argv: info.argv, environ: environOf(pid) };
}

/** The worker of a record, checked (SPEC 4). */
export function isWorker(pid: number, expect: WorkerExpectation): boolean {
  return isWorkerOf(processFacts(pid), expect);
}

/** The service process of a record, checked (SPEC 4): a reused pid fails. */
export function isService(pid: number, expect: ServiceExpectation): boolean {
  return isServiceOf(processFacts(pid), expect);
}

/** pgid -> live (not zombie) members, read once: a CLI run or a worker's start asks about one moment. */
let groups: Map<number, number[]> | undefined;

function liveGroups(): Map<number, number[]> {
  if (groups) return groups;
  groups = new Map();
  if (!hasProc) return groups;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = procStat(Number(entry));
    if (!stat || stat.state === 'Z') continue;
    groups.set(stat.pgid, [...(groups.get(stat.pgid) ?? []), Number(entry)]);
  }
  return groups;
}

/**
 * Is anything of the run that started at `epoch` as pid `pid` still alive? Its leader (see
 * isService), or, when the leader is gone, a member of its process group that is still the
 * service (isMemberOf): what a killed orphan leaves behind must be stopped, not started twice.
 */
export function runIsAlive(pid: number, expect: ServiceExpectation): boolean {
  if (isService(pid, expect)) return true;
  return (liveGroups().get(pid) ?? []).some((member) => isMemberOf(processFacts(member), expect));
}

export function isAlive(pid: number): boolean {
  return living(pid) !== undefined;
}

/**
 * Does a live process of the group still exist? Zombies do not count: one whose parent never
 * reaps it (a careless init in a container) would otherwise hold every stop for its full grace.
 */
export function groupExists(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  if (!hasProc) return true;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const info = procStat(Number(entry));
    if (info && info.pgid === pgid && info.state !== 'Z') return true;
  }
  return false;
}

/** The pid's process group, when it leads one (a service spawned by its worker always does). */
export function leadsGroup(pid: number): boolean {
  return processInfo(pid)?.pgid === pid;
}

/** The process is a `sudo` (a service run as its owner by a user who is not root: SPEC 6 `start`). */
export function runsThroughSudo(pid: number): boolean {
  return /(^|\/)sudo$/.test(processInfo(pid)?.argv[0] ?? '');
}

/** Stopped by SIGSTOP (`T`) or under a tracer (`t`): what `reraise pause` leaves behind. */
export function isStopped(pid: number): boolean {
  const state = processInfo(pid)?.state;
  return state === 'T' || state === 't';
}

/** Where descriptor `fd` of `pid` leads (`/path (deleted)`, `pipe:[123]`), when it may be looked at. */
export function descriptorTarget(pid: number, fd: number): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/fd/${fd}`);
  } catch {
    return undefined;
  }
}

/**
 * Runs that no record names (core/identity.ts isUnrecordedRunOf), by service name, in one scan of
 * /proc: what `start` and `revive` hand a worker to check under its lock. Only group leaders with
 * stdin from /dev/null, of an allowed uid, have their environment read.
 */
export function unrecordedRuns(pidDir: string, uids: readonly number[]): Map<string, number> {
  const runs = new Map<string, number>();
  if (!hasProc) return runs;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid || procStat(pid)?.pgid !== pid || descriptorTarget(pid, 0) !== '/dev/null' || !uids.includes(ownerOf(pid))) continue;
    const facts = processFacts(pid);
    const name = facts?.environ?.find((e) => e.startsWith('RERAISE_SERVICE='))?.slice('RERAISE_SERVICE='.length);
    if (name && isUnrecordedRunOf(facts, true, '/dev/null', { name, pidDir, uids })) runs.set(name, pid);
  }
  return runs;
}

/** Whether `pid` is a run of `name` that no record names (a pid handed by the starter, checked again). */
export function isUnrecordedRun(pid: number, name: string, pidDir: string, uids: readonly number[]): ProcessFacts | undefined {
  const facts = processFacts(pid);
  return isUnrecordedRunOf(facts, procStat(pid)?.pgid === pid, descriptorTarget(pid, 0), { name, pidDir, uids }) ? facts : undefined;
}

/** The uid that owns /proc/PID (the process's effective uid), or -1. */
function ownerOf(pid: number): number {
  try {
    return statSync(`/proc/${pid}`).uid;
  } catch {
    return -1;
  }
}

/** The live processes of `uid` whose stdin is the pipe `dev`/`ino`: an orphaned rc.log on its old pipe. */
export function stdinReaders(pipe: { dev: number; ino: number }, uid: number): number[] {
  if (!hasProc) return [];
  return readdirSync('/proc').filter((e) => /^\d+$/.test(e)).map(Number).filter((pid) => {
    if (pid === process.pid) return false;
    try {
      const st = statSync(`/proc/${pid}/fd/0`);
      return st.dev === pipe.dev && st.ino === pipe.ino && processInfo(pid)?.uid === uid && isAlive(pid);
    } catch {
      return false;
    }
  });
}
