// Directories reraise writes in, walked from `/` without trusting a link or a directory of someone else (SPEC 12.2).
import { chmodSync, lstatSync, mkdirSync, readlinkSync, type Stats } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { aboveProblem, usedDirProblem, type EntryFacts, type Trust, type UsedDir } from '../core/trust.js';
import { groupName, privateGroupsOf } from './accounts.js';

/** Linux's own limit on links followed in one lookup. */
const MAX_LINKS = 40;

export function factsOf(st: Stats): EntryFacts {
  const kind = st.isDirectory() ? 'directory' : st.isSymbolicLink() ? 'symlink' : st.isFile() ? 'file' : 'other';
  return { kind, uid: st.uid, gid: st.gid, mode: st.mode };
}

/** A missing entry is no error here (and costs no exception: a worker's start meets several). */
function lstatOrMissing(path: string): Stats | undefined {
  return lstatSync(path, { throwIfNoEntry: false });
}

function join2(dir: string, name: string): string {
  return dir === '/' ? `/${name}` : `${dir}/${name}`;
}

/** Root and `uid`, with the groups that only they are in: who may own a directory on the way. */
export function trustFor(uid: number): Trust {
  const owners = uid === 0 ? [0] : [0, uid];
  return { owners, isPrivateGroup: (gid) => owners.some((owner) => privateGroupsOf(owner).includes(gid)), groupName };
}

/** `ino` and `dev` of the last component, when it was just looked at (a file's). */
export type Walked = { ok: true; real: string; ino?: number; dev?: number } | { ok: false; message: string };

export interface WalkOptions {
  /** Make the missing directories (mode 0700) one at a time, each inside one already checked. */
  create?: boolean;
  /** The path names a file: its last component, once every link to it is followed, is a regular file. */
  file?: boolean;
}

/**
 * Walks every component of `path` from `/`, following a link only once the link itself (its
 * owner, and the directory it sits in) has been checked, and checks every directory on the way,
 * those of every link's target too. With `create`, nobody can put a directory of theirs in place
 * of a missing one unseen. Resolves to the real path.
 */
export function walkDirs(path: string, trust: Trust, options: WalkOptions = {}): Walked {
  let current = '/';
  const rest = resolve(path).split('/').filter(Boolean);
  const rootProblem = aboveProblem(seen('/', options, false).facts, trust);
  if (rootProblem) return { ok: false, message: `/ is ${rootProblem}` };
  let links = 0;
  while (rest.length > 0) {
    const part = rest.shift()!;
    if (part === '.') continue;
    if (part === '..') {
      current = resolve(current, '..');
      continue;
    }
    const next = join2(current, part);
    let entry: Seen;
    try {
      // The last component of a file is looked at afresh: it is what is about to run.
      entry = seen(next, options, options.file === true && rest.length === 0);
    } catch (error) {
      return { ok: false, message: `${next}: ${errnoText(error)}` };
    }
    if (entry.target !== undefined) {
      const linkProblem = aboveProblem(entry.facts, trust);
      if (linkProblem) return { ok: false, message: `${next} is ${linkProblem}` };
      if (++links > MAX_LINKS) return { ok: false, message: `${next}: too many links` };
      if (isAbsolute(entry.target)) current = '/';
      rest.unshift(...entry.target.split('/').filter(Boolean));
      continue;
    }
    if (options.file && rest.length === 0) {
      if (entry.facts.kind !== 'file') return { ok: false, message: `${next} is not a regular file` };
      return { ok: true, real: next, ino: entry.ino, dev: entry.dev };
    }
    const problem = aboveProblem(entry.facts, trust);
    if (problem) return { ok: false, message: `${next} is ${problem}` };
    current = next;
  }
  return { ok: true, real: current };
}

interface Seen {
  facts: EntryFacts;
  ino: number;
  dev: number;
  /** Where a link points. */
  target?: string;
  at: number;
}

/**
 * How long what a walk saw of a directory (or link) on the way is taken as it is. A worker's
 * start walks the same ones four or five times, and every lstat costs; only root and the owner
 * of what was seen could change it meanwhile, and the owner is part of what was seen, so a
 * verdict for another owner cannot borrow it.
 */
const SEEN_MS = 1000;
const recently = new Map<string, Seen>();

function seen(path: string, options: WalkOptions, fresh: boolean): Seen {
  const now = Date.now();
  const known = fresh ? undefined : recently.get(path);
  if (known && now - known.at < SEEN_MS) return known;
  const st = lstatOrMissing(path) ?? makeMissing(path, options);
  const entry: Seen = { facts: factsOf(st), ino: st.ino, dev: st.dev, target: st.isSymbolicLink() ? readlinkSync(path) : undefined, at: now };
  if (recently.size > 256) recently.clear();
  recently.set(path, entry);
  return entry;
}

function makeMissing(dir: string, options: WalkOptions): Stats {
  if (!options.create) throw Object.assign(new Error('no such directory'), { code: 'ENOENT' });
  makeDir(dir, 0o700);
  return lstatSync(dir);
}

/**
 * Makes `dir`, inside a directory already checked, with exactly `mode`. False when it was made
 * meanwhile by someone else (its check is the caller's).
 */
export function makeDir(dir: string, mode: number): boolean {
  try {
    mkdirSync(dir, mode);
    // mkdir's mode is filtered by the umask; the parent is checked, so nobody swapped this one.
    chmodSync(dir, mode);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return false;
  }
}

export interface DirUse extends Pick<UsedDir, 'uid' | 'shared'> {
  /** Make it (and what is missing above it) when it does not exist, with this mode. */
  createMode?: number;
}

/**
 * The checks of SPEC 12.2 for a directory reraise writes in: the directories above it from `/`,
 * then the directory itself, never followed if it is a link. Undefined when it can be used.
 */
export function dirProblem(path: string, use: DirUse): string | undefined {
  const full = resolve(path);
  const trust = trustFor(use.uid);
  const parent = full === '/' ? '/' : resolve(full, '..');
  const name = full.slice(parent.length).replace(/^\//, '');
  const create = use.createMode !== undefined;
  try {
    const above = walkDirs(parent, trust, { create });
    if (!above.ok) return above.message;
    const at = join2(above.real, name);
    let st = lstatOrMissing(at);
    if (!st) {
      if (!create) return 'no such directory';
      makeDir(at, use.createMode!);
      st = lstatSync(at);
    }
    return usedDirProblem(factsOf(st), { ...trust, uid: use.uid, shared: use.shared });
  } catch (error) {
    return errnoText(error);
  }
}

/**
 * The directory itself, as dirProblem checks it, without the walk above it: for a directory
 * whose walk passed already, where only root and the user can have changed anything above it
 * since (a worker before each write of its pid file).
 */
export function dirItselfProblem(path: string, use: Pick<UsedDir, 'uid' | 'shared'>): string | undefined {
  try {
    const st = lstatOrMissing(path);
    if (!st) return 'no such directory';
    return usedDirProblem(factsOf(st), { ...trustFor(use.uid), ...use });
  } catch (error) {
    return errnoText(error);
  }
}

/** The words for the errors a directory operation meets. */
export function errnoText(error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  switch (e.code) {
    case 'ENOENT': return e.message === 'no such directory' ? e.message : 'no such file or directory';
    case 'EACCES': return 'permission denied';
    case 'ENOTDIR': return 'not a directory';
    case 'EROFS': return 'read-only file system';
    case 'ENOSPC': return 'no space left on device';
    case 'EDQUOT': return 'disk quota exceeded';
    case 'ELOOP': return 'a symbolic link';
    default: return e.message;
  }
}
