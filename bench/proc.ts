// /proc readers for the bench: memory (smaps_rollup), CPU ticks (stat), context switches (status), children, processes by environment.
import fs from 'node:fs';

/** USER_HZ: 100 on every Linux platform Node runs on. */
export const TICKS_PER_SECOND = 100;

export interface Memory {
  rssKiB: number;
  pssKiB: number;
  /** Unique set size: Private_Clean + Private_Dirty. */
  ussKiB: number;
}

export function memoryOf(pid: number): Memory {
  const text = fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const field = (key: string): number => {
    const match = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text);
    if (!match) throw new Error(`/proc/${pid}/smaps_rollup has no ${key} line`);
    return Number(match[1]);
  };
  return { rssKiB: field('Rss'), pssKiB: field('Pss'), ussKiB: field('Private_Clean') + field('Private_Dirty') };
}

/** The fields of /proc/PID/stat after the command name (which may hold spaces): [0] is field 3, the state. */
function statFields(pid: number | 'self'): string[] | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** utime + stime (fields 14 and 15) in clock ticks. */
export function cpuTicks(pid: number): number {
  const f = statFields(pid);
  if (!f) throw new Error(`process ${pid} is gone`);
  return Number(f[11]) + Number(f[12]);
}

/** cutime + cstime (fields 16 and 17) of this process: the CPU of the children it has waited for. */
export function waitedChildrenTicks(): number {
  const f = statFields('self')!;
  return Number(f[13]) + Number(f[14]);
}

/** voluntary_ctxt_switches + nonvoluntary_ctxt_switches of one task's status file. */
function switchesIn(file: string): number {
  const text = fs.readFileSync(file, 'utf8');
  const field = (key: string): number => {
    const match = new RegExp(`^${key}:\\s+(\\d+)$`, 'm').exec(text);
    if (!match) throw new Error(`${file} has no ${key} line`);
    return Number(match[1]);
  };
  return field('voluntary_ctxt_switches') + field('nonvoluntary_ctxt_switches');
}

export interface Wakeups {
  /** Of the main thread, /proc/PID/status: the event loop's own. */
  main: number;
  /** Of every thread, /proc/PID/task/TID/status summed: V8's and libuv's helper threads too. */
  all: number;
}

/** Context switches so far: a sleeping process that is woken (timer, socket, signal) switches at least once. */
export function contextSwitches(pid: number): Wakeups {
  let tasks: string[];
  try {
    tasks = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    throw new Error(`process ${pid} is gone`);
  }
  let all = 0;
  for (const tid of tasks) {
    try {
      all += switchesIn(`/proc/${pid}/task/${tid}/status`);
    } catch (error) {
      if (fs.existsSync(`/proc/${pid}/task/${tid}`)) throw error;
      // a thread that ended between the listing and the read: its count is gone with it
    }
  }
  return { main: switchesIn(`/proc/${pid}/status`), all };
}

export function isAlive(pid: number): boolean {
  const f = statFields(pid);
  return f !== undefined && f[0] !== 'Z';
}

/** Direct children of a process, from /proc/PID/task/TID/children of every thread. */
export function childrenOf(pid: number): number[] {
  const out: number[] = [];
  let tasks: string[];
  try {
    tasks = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tasks) {
    try {
      for (const word of fs.readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').split(' ')) {
        if (word) out.push(Number(word));
      }
    } catch {
      // thread gone, or no CONFIG_PROC_CHILDREN: the caller falls back on a timeout
    }
  }
  return out;
}

/** Every process (but this one) whose environment holds exactly this NAME=VALUE entry. */
export function processesWithEnv(entry: string): number[] {
  const pids: number[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    let environ: string;
    try {
      environ = fs.readFileSync(`/proc/${name}/environ`, 'latin1');
    } catch {
      continue; // gone, or another user's
    }
    if (environ.split('\0').includes(entry)) pids.push(Number(name));
  }
  return pids;
}
