// Entries of the service dir: which are services, of what kind, and whether they can run (SPEC 1, 2).
import { Stats, accessSync, constants, existsSync, lstatSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_CONFIG, parseConfig, type ServiceConfig } from '../core/config.js';
import { isServiceName } from '../core/names.js';
import { notRegular, readRegular } from './safe-file.js';

export interface ServiceEntry {
  name: string;
  kind: 'script' | 'perp';
  /** The file that is run and that holds the config lines: the script, or rc.main. */
  file: string;
  /** The working directory of the worker and the service. */
  cwd: string;
  uid: number;
  gid: number;
  runnable: boolean;
  /** Why it cannot run: `not executable (FILE)`, `writable by others (FILE)`, ... */
  problem?: string;
}

/** Names of the service dir's entries that may be services, sorted; [] when the dir cannot be read. */
export function listNames(dir: string): string[] {
  try {
    return readdirSync(dir).filter(isServiceName).sort();
  } catch {
    return [];
  }
}

function fileProblem(file: string, st: Stats): string | undefined {
  if (!st.isFile()) return `not a regular file: ${notRegular(st)} (${file})`;
  if (st.mode & 0o002) return `writable by others, so anyone could run code as its owner (${file})`;
  try {
    accessSync(file, constants.X_OK);
  } catch {
    return `not executable (${file})`;
  }
  if ((st.mode & 0o111) === 0) return `not executable (${file})`;
  return undefined;
}

/** Describes one entry; undefined when there is no such entry at all. */
export function describeEntry(dir: string, name: string): ServiceEntry | undefined {
  const full = join(dir, name);
  let st: Stats;
  try {
    st = statSync(full);
  } catch (error) {
    if (!existsSync(full) && !isDanglingLink(full)) return undefined;
    return { name, kind: 'script', file: full, cwd: dir, uid: -1, gid: -1, runnable: false, problem: `cannot read (${full}): ${(error as Error).message}` };
  }
  if (st.isDirectory()) {
    const main = join(full, 'rc.main');
    const entry: ServiceEntry = { name, kind: 'perp', file: main, cwd: full, uid: st.uid, gid: st.gid, runnable: false };
    let mainSt: Stats;
    try {
      mainSt = statSync(main);
    } catch {
      return { ...entry, problem: `directory without rc.main (${full})` };
    }
    entry.uid = mainSt.uid;
    entry.gid = mainSt.gid;
    const problem = fileProblem(main, mainSt) ?? logProblem(full);
    return problem ? { ...entry, problem } : { ...entry, runnable: true };
  }
  const entry: ServiceEntry = { name, kind: 'script', file: full, cwd: dir, uid: st.uid, gid: st.gid, runnable: false };
  const problem = fileProblem(full, st);
  return problem ? { ...entry, problem } : { ...entry, runnable: true };
}

function logProblem(serviceDir: string): string | undefined {
  const log = join(serviceDir, 'rc.log');
  let st: Stats;
  try {
    st = statSync(log);
  } catch {
    return undefined;
  }
  if (!st.isFile()) return `not a regular file: ${notRegular(st)} (${log})`;
  return st.mode & 0o002 ? `writable by others, so anyone could run code as its owner (${log})` : undefined;
}

function isDanglingLink(file: string): boolean {
  try {
    return lstatSync(file).isSymbolicLink();
  } catch {
    return false;
  }
}

/**
 * The start of the file, where config lines live; a huge binary is not read whole, and a FIFO
 * put in its place is refused, never waited on (SPEC 3, 12.6).
 */
export function readConfigText(file: string): string {
  return readRegular(file, 1 << 20).toString('utf8');
}

/**
 * The config its file holds now, for settings only (stop, log, wait): the defaults when there is no
 * entry or it cannot be read (a script deleted under a running service); a bad value keeps its default.
 */
export function currentConfig(entry: ServiceEntry | undefined): ServiceConfig {
  if (!entry) return DEFAULT_CONFIG;
  try {
    return parseConfig(readConfigText(entry.file), entry.file).config;
  } catch {
    return DEFAULT_CONFIG;
  }
}
