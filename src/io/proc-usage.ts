// What every process costs now, read in one pass: /proc/PID/stat on Linux, one `ps` elsewhere (SPEC 15.1).
import { readFileSync, readdirSync } from 'node:fs';
import { groupUsage, parseProcStat, parsePsUsage, type GroupUsage, type ProcessUsage } from '../core/usage.js';
import { hasProc, ps } from './probe.js';

let pageSize: number | undefined;

/**
 * The kernel's page size, which /proc/PID/stat counts RSS in: this process's resident size in
 * kB (status) over its resident pages (statm), to the nearest power of two.
 */
function kernelPageSize(): number {
  if (pageSize !== undefined) return pageSize;
  pageSize = 4096;
  try {
    const kb = Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1]);
    const pages = Number(readFileSync('/proc/self/statm', 'utf8').split(' ')[1]);
    if (kb > 0 && pages > 0) pageSize = 2 ** Math.round(Math.log2((kb * 1024) / pages));
  } catch {
    // 4 KiB, as on most machines
  }
  return pageSize;
}

function procProcesses(): ProcessUsage[] {
  const size = kernelPageSize();
  const found: ProcessUsage[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let text: string;
    try {
      text = readFileSync(`/proc/${entry}/stat`, 'latin1');
    } catch {
      // gone while the directory was read
      continue;
    }
    const usage = parseProcStat(text, size);
    if (usage) found.push(usage);
  }
  return found;
}

function psProcesses(): ProcessUsage[] {
  try {
    return parsePsUsage(ps(['-A', '-o', 'pid=,pgid=,rss=,time=']));
  } catch {
    return [];
  }
}

/** Each live process group's CPU ticks, resident bytes and process count; and each process's resident bytes. */
export function readUsage(): { groups: Map<number, GroupUsage>; rssOf: Map<number, number> } {
  const processes = hasProc ? procProcesses() : psProcesses();
  return { groups: groupUsage(processes), rssOf: new Map(processes.map((p) => [p.pid, p.rssBytes])) };
}
