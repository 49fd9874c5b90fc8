// Is the process a pid names the one a pid record means? The verdicts of SPEC 4, from probed facts. Pure.
import { join } from 'node:path';

export interface ProcessFacts {
  /** One-letter state as in /proc/PID/stat; `Z` (zombie) and `X` (dead) count as gone. */
  state: string;
  /** The real uid. */
  uid: number;
  /** Start time, seconds since 1970. */
  startEpoch: number;
  argv: readonly string[];
  /** Its environment, or undefined when it cannot be read (a setuid `sudo`, another user's process). */
  environ?: readonly string[];
}

/** Seconds a recorded EPOCH may differ from the process's start time (SPEC 4). */
export const START_SLACK = 2;

export function isGone(facts: ProcessFacts | undefined): facts is undefined {
  return facts === undefined || facts.state === 'Z' || facts.state === 'X';
}

export interface WorkerExpectation {
  name: string;
  uid: number;
  /** This pid dir, and the default one (what a worker without RERAISE_PIDDIR uses). */
  pidDir: string;
  defaultPidDir: string;
}

export function workerTitle(name: string): string {
  return `auto-reraise ${name}`;
}

function envValue(environ: readonly string[], key: string): string | undefined {
  const entry = environ.find((e) => e.startsWith(`${key}=`));
  return entry === undefined ? undefined : entry.slice(key.length + 1);
}

/** The worker of `name` for this pid dir: titled `auto-reraise NAME`, run by the user, using this pid dir. */
export function isWorkerOf(facts: ProcessFacts | undefined, expect: WorkerExpectation): boolean {
  if (isGone(facts) || facts.uid !== expect.uid || facts.argv.join(' ') !== workerTitle(expect.name)) return false;
  // Its environment is its own and readable; elsewhere than Linux it may not be: then the title must do.
  if (facts.environ === undefined) return true;
  return (envValue(facts.environ, 'RERAISE_PIDDIR') || expect.defaultPidDir) === expect.pidDir;
}

export interface ServiceExpectation {
  name: string;
  /** EPOCH of the record: the service's start time. */
  epoch: number;
  /** The user: a service run through sudo is a process of theirs. */
  uid: number;
  /** The record's `uid=`: the real uid its worker started the run as (absent in records of 1.0). */
  runUid?: number;
  /** What the worker runs for this service: the script, or rc.main (SPEC 4, sudo). */
  files: readonly string[];
}

/** `sudo -n -u OWNER -- FILE ...`, as the worker spawns it for a script owned by someone else (SPEC 6 `start`). */
function isSudoOf(argv: readonly string[], files: readonly string[]): boolean {
  const [program, n, u, owner, dashes, file] = argv;
  return program !== undefined && /(^|\/)sudo$/.test(program) && n === '-n' && u === '-u' && !!owner && dashes === '--' &&
    file !== undefined && files.includes(file);
}

/**
 * The service process of a record: alive, started within START_SLACK of EPOCH, and carrying
 * RERAISE_SERVICE=NAME from its worker. A reused pid fails one of these. A service run through
 * sudo has an environment nobody else may read: then it is the user's own `sudo` of its file.
 */
export function isServiceOf(facts: ProcessFacts | undefined, expect: ServiceExpectation): boolean {
  if (isGone(facts) || Math.abs(facts.startEpoch - expect.epoch) > START_SLACK) return false;
  // Root reads everyone's environment: a process of someone else's that claims the name is not the run.
  if (expect.runUid !== undefined && facts.uid !== expect.runUid) return false;
  if (facts.environ !== undefined) return facts.environ.includes(`RERAISE_SERVICE=${expect.name}`);
  return facts.uid === expect.uid && isSudoOf(facts.argv, expect.files);
}

/**
 * A member of a run's process group whose leader is gone: what a killed orphan leaves behind
 * (`sleep 1000 & wait`). It started with the run or after it and carries RERAISE_SERVICE=NAME.
 */
export function isMemberOf(facts: ProcessFacts | undefined, expect: Pick<ServiceExpectation, 'name' | 'epoch' | 'runUid'>): boolean {
  return !isGone(facts) && facts.startEpoch >= expect.epoch - START_SLACK && facts.environ !== undefined &&
    (expect.runUid === undefined || facts.uid === expect.runUid) && facts.environ.includes(`RERAISE_SERVICE=${expect.name}`);
}

/**
 * A run of the service whose record is gone (a cleaner took it, or its worker died between START
 * and RUN): the leader of a process group of its own, of an allowed uid, whose environment
 * names the service and this pid dir, with stdin from /dev/null as a worker gives it (an rc.log
 * reads a pipe), and that is no worker itself.
 */
export function isUnrecordedRunOf(
  facts: ProcessFacts | undefined, leads: boolean, stdin: string | undefined, expect: { name: string; pidDir: string; uids: readonly number[] },
): boolean {
  return !isGone(facts) && leads && stdin === '/dev/null' && expect.uids.includes(facts.uid) && facts.environ !== undefined &&
    facts.argv.join(' ') !== workerTitle(expect.name) &&
    facts.environ.includes(`RERAISE_SERVICE=${expect.name}`) && facts.environ.includes(`RERAISE_PIDDIR=${expect.pidDir}`);
}

/** The files a worker may run as a service's main program: the script, or a perp directory's rc.main. */
export function serviceFiles(serviceDir: string, name: string): string[] {
  return [join(serviceDir, name), join(serviceDir, name, 'rc.main')];
}
