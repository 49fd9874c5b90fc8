// The CLI's V8 code cache: read and written only in a directory and a file of the user's (SPEC 12.5, 12.2).
import { closeSync, lstatSync, readdirSync, realpathSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, isAbsolute, join } from 'node:path';
import { fnv1a64 } from '../core/lock-names.js';
import { createNew, openRegular, readStart } from './safe-file.js';
import { dirProblem } from './trusted-dir.js';

type Env = Readonly<Record<string, string | undefined>>;

/** `$XDG_CACHE_HOME/reraise`, or `~/.cache/reraise`: the code cache's, and status's usage sample's (SPEC 15.1). */
export function userCacheDir(env: Env, home: string): string {
  // The XDG spec: a relative path is invalid, and is ignored.
  return join(env.XDG_CACHE_HOME && isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : join(home, '.cache'), 'reraise');
}

/**
 * The start of every name this installation gives the cache of `bundle`: `cli-main.cjs-HASH-`,
 * HASH from the bundle's real path. A name with another HASH is another installation's, whose
 * files this one never removes.
 */
function installPrefix(bundle: string): string {
  const real = realpathSync.native(bundle);
  return `${basename(dirname(real))}-${basename(real)}-${fnv1a64(real)}-`;
}

/** V8 checks only the source's length: the bundle's size and mtime, and Node's version, make a rebuild a new name. */
function cacheFileName(prefix: string, version: string, size: number, mtimeMs: number): string {
  return `${prefix}${version}-${size}-${Math.floor(mtimeMs)}-${process.version}-${process.arch}.v8`;
}

export interface CodeCache {
  /** The compiled code to start from; undefined when there is none that may be used. */
  data: Buffer | undefined;
  /**
   * Stores new compiled code when the cache may be written (`data` is asked for only then: it
   * takes V8 milliseconds), and removes this installation's older files.
   */
  write(data: () => Buffer): void;
}

/** No cache: compile as usual and write nothing. */
const NONE: CodeCache = { data: undefined, write: () => {} };

/**
 * A compiled file is code: one that someone else could have written must not be run. The
 * directory is checked first, so the file found in it afterwards cannot be swapped under us.
 */
export function openCodeCache(bundle: string, version: string, env: Env, home: string, uid: number): CodeCache {
  // The cache only saves time: whatever goes wrong with it, the CLI compiles as usual.
  try {
    const dir = userCacheDir(env, home);
    const prefix = installPrefix(bundle);
    const { size, mtimeMs } = statSync(bundle);
    const file = join(dir, cacheFileName(prefix, version, size, mtimeMs));
    const write = (data: () => Buffer): void => writeCache(dir, file, prefix, uid, data);
    // A directory that is missing is made when writing; one that is unsafe is refused there again.
    if (dirProblem(dir, { uid }) !== undefined) return { data: undefined, write };
    const found = readCacheFile(file, uid);
    return found === 'missing' ? { data: undefined, write } : found === 'refused' ? NONE : { data: found, write };
  } catch {
    return NONE;
  }
}

/** The file's bytes when it is a regular file of `uid`'s that nobody else can write; never blocks on a FIFO. */
function readCacheFile(file: string, uid: number): Buffer | 'missing' | 'refused' {
  let opened: ReturnType<typeof openRegular>;
  try {
    opened = openRegular(file, false);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : 'refused';
  }
  const { fd, st } = opened;
  try {
    // One link: a hard link to a file of the user's elsewhere is not a file this cache wrote.
    if (st.uid !== uid || (st.mode & 0o022) !== 0 || st.nlink !== 1) return 'refused';
    return readStart(fd, st.size);
  } finally {
    closeSync(fd);
  }
}

/** A new file (O_EXCL, no link followed) beside the cache, renamed over it once whole. */
function writeCache(dir: string, file: string, prefix: string, uid: number, data: () => Buffer): void {
  try {
    if (dirProblem(dir, { uid, createMode: 0o700 }) !== undefined) return;
    const temp = `${file}.${process.pid}.new`;
    const fd = createNew(temp, 0o600);
    try {
      const bytes = data();
      for (let n = 0; n < bytes.length;) n += writeSync(fd, bytes, n, bytes.length - n);
    } catch (error) {
      closeSync(fd);
      unlinkSync(temp);
      throw error;
    }
    closeSync(fd);
    renameSync(temp, file);
    pruneOlder(dir, basename(file), prefix, uid);
  } catch {
    // a cache that cannot be written is only slower
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** This installation's other cache files, and the temporary files of its writers that died. */
function isOlderOwn(name: string, keep: string, prefix: string): boolean {
  if (!name.startsWith(prefix) || name === keep) return false;
  if (name.endsWith('.v8')) return true;
  const temp = /\.v8\.(\d{1,10})\.new$/.exec(name);
  return temp !== null && !isAlive(Number(temp[1]));
}

/**
 * Removes this installation's older files (another version, size, mtime or Node): only regular
 * files of the user's. Another installation's files have another prefix and are left alone.
 */
function pruneOlder(dir: string, keep: string, prefix: string, uid: number): void {
  for (const name of readdirSync(dir).filter((n) => isOlderOwn(n, keep, prefix))) {
    const path = join(dir, name);
    try {
      const st = lstatSync(path);
      if (st.isFile() && st.uid === uid) unlinkSync(path);
    } catch {
      // removed meanwhile by another run of this installation
    }
  }
}
