// Directories reraise writes in, walked from `/` without trusting a link or a directory of someone else (SPEC 12.2).
import { chmodSync, lstatSync, mkdirSync, readlinkSync, type Stats } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { fail, ok, type Result } from '../core/result.js';
import { aboveProblem, usedDirProblem, type EntryFacts, type Trust, type UsedDir } from '../core/trust.js';
import { groupName, privateGroupsOf } from './accounts.js';

/** Linux's own limit on links followed in one lookup. */
const MAX_LINKS = 40;

export function factsOf(st: Stats): EntryFacts {
  const kind = st.isDirectory() ? 'directory' : st.isSymbolicLink() ? 'symlink' : st.isFile() ? 'file' : 'other';
  return { kind, uid: st.uid, gid: st.gid, mode: st.mode };
}

function lstatOrMissing(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

function join2(dir: string, name: string): string {
  return dir === '/' ? `/${name}` : `${dir}/${name}`;
}

/** Root and `uid`, with the groups that only they are in: who may own a directory on the way. */
export function trustFor(uid: number): Trust {
  const owners = uid === 0 ? [0] : [0, uid];
  return { owners, isPrivateGroup: (gid) => owners.some((owner) => privateGroupsOf(owner).includes(gid)), groupName };
}

export type Walked = { ok: true; real: string } | { ok: false; message: string };

/**
 * Walks every directory of `path` from `/`, following links only when the link itself can be
 * trusted, and checks each one. `create` makes the missing ones (mode 0700) one at a time, each
 * inside a directory already checked, so nobody can put one of theirs in its place unseen.
 * Resolves to the real path of the last one.
 */
export function walkDirs(path: string, trust: Trust, create = false): Walked {
  let current = '/';
  const root = factsOf(lstatSync('/'));
  const rootProblem = aboveProblem(root, trust);
  if (rootProblem) return { ok: false, message: `/ is ${rootProblem}` };
  const rest = resolve(path).split('/').filter(Boolean);
  let links = 0;
  while (rest.length > 0) {
    const part = rest.shift()!;
    if (part === '.') continue;
    if (part === '..') {
      current = resolve(current, '..');
      continue;
    }
    const next = join2(current, part);
    let st = lstatOrMissing(next);
    if (!st) {
      if (!create) return { ok: false, message: `${next}: no such directory` };
      try {
        mkdirSync(next, 0o700);
        // mkdir's mode is filtered by the umask; the parent is checked, so nobody swapped this one.
        chmodSync(next, 0o700);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      st = lstatSync(next);
    }
    const problem = aboveProblem(factsOf(st), trust);
    if (problem) return { ok: false, message: `${next} is ${problem}` };
    if (st.isSymbolicLink()) {
      if (++links > MAX_LINKS) return { ok: false, message: `${next}: too many links` };
      const target = readlinkSync(next);
      if (isAbsolute(target)) current = '/';
      rest.unshift(...target.split('/').filter(Boolean));
      continue;
    }
    current = next;
  }
  return { ok: true, real: current };
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
    const above = walkDirs(parent, trust, create);
    if (!above.ok) return above.message;
    const at = join2(above.real, name);
    let st = lstatOrMissing(at);
    if (!st) {
      if (!create) return 'no such directory';
      try {
        mkdirSync(at, use.createMode);
        chmodSync(at, use.createMode!);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      st = lstatSync(at);
    }
    return usedDirProblem(factsOf(st), { ...trust, uid: use.uid, shared: use.shared });
  } catch (error) {
    return errnoText(error);
  }
}

/** The words for the errors a directory operation meets. */
export function errnoText(error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  switch (e.code) {
    case 'ENOENT': return 'no such file or directory';
    case 'EACCES': return 'permission denied';
    case 'ENOTDIR': return 'not a directory';
    case 'EROFS': return 'read-only file system';
    case 'ENOSPC': return 'no space left on device';
    case 'EDQUOT': return 'disk quota exceeded';
    case 'ELOOP': return 'a symbolic link';
    default: return e.message;
  }
}

export function checkDir(path: string, use: DirUse): Result<void> {
  const problem = dirProblem(path, use);
  return problem ? fail(problem) : ok(undefined);
}
