// The CLI's V8 code cache (SPEC 12.2, 12.5): used only when its directory and file are the user's and nobody
// else can write them, never written through a link, and kept per installation.
//
// A planted cache is made the way an attacker would: V8 checks only the length of the source a cache was made
// for, so a program of the same length as the bundle, compiled through bin/reraise itself (the bundle swapped for
// it a moment, its mtime put back), leaves a cache under the real bundle's name that runs that program instead.
// The program makes a file `cache UID PID` in a marker directory and exits 0: whoever loads the cache shows there.
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fnv1a64 } from '../../src/core/lock-names.js';
import {
  BASE_PATH, CAN_USE_USERS, ROOT, copyPackage, mkdirFor, runAs, scratch, useUsers, userBox, waitFor,
  type Box, type Package, type User,
} from './users.js';

/** A program with the bundle's length (in UTF-16 units and in bytes) that makes a file `cache UID PID` in the directory `marker`. */
function lookalike(bundle: string, marker: string): Buffer {
  const real = fs.readFileSync(bundle);
  const units = real.toString('utf8').length;
  // No function of its own: V8 would compile it lazily, from the real source, when it is first called.
  const code = `require('fs').writeFileSync(${JSON.stringify(marker)} + '/cache ' + process.getuid() + ' ' + process.pid, '');` +
    // What bin/reraise calls: main, and statusMain for a plain status.
    'module.exports = { main: Promise.resolve.bind(Promise, 0), statusMain: Promise.resolve.bind(Promise, 0) };';
  const wide = real.length - units; // each 'é' is one unit and two bytes
  const pad = units - code.length - 4 - wide;
  if (pad < 0) throw new Error('bundle too small');
  const text = `${code}/*${'é'.repeat(wide)}${' '.repeat(pad)}*/`;
  const out = Buffer.from(text, 'utf8');
  if (out.length !== real.length || text.length !== units) throw new Error('look-alike of the wrong length');
  return out;
}

/** Runs `fn` with the package's bundle swapped for the look-alike, then puts the real one back with its times. */
async function withLookalike<T>(pkg: Package, marker: string, fn: () => Promise<T>): Promise<T> {
  // The real bundle moved aside keeps its mtime to the nanosecond; utimes from a Date would round it,
  // and the cache's key (whole milliseconds of the mtime) could change by one.
  const aside = `${pkg.bundle}.real`;
  const fake = lookalike(pkg.bundle, marker);
  fs.renameSync(pkg.bundle, aside);
  try {
    fs.writeFileSync(pkg.bundle, fake);
    execFileSync('touch', ['-r', aside, pkg.bundle]);
    return await fn();
  } finally {
    fs.renameSync(aside, pkg.bundle);
  }
}

/** What a directory holds, without following links: name -> type, owner, mode, inode, mtime, content hash. */
function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  let names: string[];
  try {
    names = fs.readdirSync(dir).sort();
  } catch {
    return out;
  }
  for (const name of names) {
    const st = fs.lstatSync(path.join(dir, name));
    const content = st.isFile() ? crypto.createHash('sha256').update(fs.readFileSync(path.join(dir, name))).digest('hex') : '';
    out[name] = `${st.isSymbolicLink() ? 'link' : st.isDirectory() ? 'dir' : st.isFile() ? 'file' : 'other'} ${st.uid} ${(st.mode & 0o7777).toString(8)} ${st.ino} ${st.mtimeMs} ${content}`;
  }
  return out;
}

/** `cache UID` for every run of the look-alike, in order of no importance. */
function marks(marker: string): string[] {
  return fs.readdirSync(marker).map((name) => name.split(' ').slice(0, 2).join(' ')).sort();
}

interface CacheSetup {
  base: string;
  pkg: Package;
  marker: string;
  box: Box;
}

function setup(owner: User, cacheHome?: (base: string) => string): CacheSetup {
  const base = scratch('cache');
  const pkg = copyPackage();
  const marker = mkdirFor(path.join(base, 'marks'), undefined, 0o1777);
  const box = userBox(pkg, owner, { base, env: cacheHome ? { XDG_CACHE_HOME: cacheHome(base) } : {} });
  return { base, pkg, marker, box };
}

describe.runIf(CAN_USE_USERS)('the code cache', () => {
  const users = useUsers();

  it('root with the owner\'s HOME and XDG_CACHE_HOME (sudo -E): a cache the owner planted is not loaded, and root writes nothing there', async () => {
    const { owner } = users;
    const { base, pkg, marker, box } = setup(owner);
    const cacheDir = path.join(box.env.XDG_CACHE_HOME, 'reraise');
    // The owner makes the cache through the look-alike: it runs once, compiled from its source.
    await withLookalike(pkg, marker, () => box.reraise('status'));
    expect(marks(marker)).toEqual([`cache ${owner.uid}`]);
    expect(Object.keys(tree(cacheDir)).length, 'the owner has a cache file').toBeGreaterThan(0);
    // The owner's own run now loads it: their cache, their business (a check that the planted file is live).
    await box.reraise('status');
    const live = marks(marker).length === 2;
    if (!live) console.warn('the planted cache is not loaded even by its owner: the check below proves less');
    const before = tree(cacheDir);
    const rootBox = userBox(pkg, ROOT, { base, env: { HOME: box.home, XDG_CACHE_HOME: box.env.XDG_CACHE_HOME } });
    rootBox.script('web', 'config_start_sec=0.2\nexec sleep 1000\n');
    const r = await rootBox.reraise('status');
    expect(marks(marker).filter((m) => m === 'cache 0'), 'the owner\'s code run as root, from the cache').toEqual([]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout, 'the real CLI ran').toMatch(/^web +not running/m);
    expect(tree(cacheDir), 'nothing written, replaced or removed in the owner\'s cache dir by root').toEqual(before);
  });

  it('root with the owner\'s HOME, whose cache dir is a symlink to a directory of root\'s: root writes nothing and removes nothing through it', async () => {
    const { owner } = users;
    const { base, pkg, box } = setup(owner);
    const rootDir = mkdirFor(path.join(base, 'root-only'), undefined, 0o755);
    fs.writeFileSync(path.join(rootDir, 'cli-main.cjs-precious'), 'root\'s file\n');
    const cacheHome = box.env.XDG_CACHE_HOME;
    const ln = await runAs(owner, ['sh', '-c', 'mkdir -p "$0" && ln -s "$1" "$0/reraise"', cacheHome, rootDir], box.env);
    expect(ln.exitCode, ln.stderr).toBe(0);
    const before = tree(rootDir);
    const rootBox = userBox(pkg, ROOT, { base, env: { HOME: box.home, XDG_CACHE_HOME: cacheHome } });
    rootBox.script('web', 'config_start_sec=0.2\nexec sleep 1000\n');
    const r = await rootBox.reraise('status');
    expect(r.stdout).toMatch(/^web +not running/m);
    expect(tree(rootDir), 'root\'s directory, reached through the owner\'s link').toEqual(before);
  });

  it('a cache dir that is another user\'s symlink (in a shared XDG_CACHE_HOME) is not used and not written through', async () => {
    const { owner, attacker } = users;
    const { base, pkg, marker, box } = setup(owner, (b) => mkdirFor(path.join(b, 'shared'), undefined, 0o1777));
    // The attacker makes a cache of the look-alike in a directory of theirs, and links the owner's cache dir to it.
    const theirs = mkdirFor(path.join(base, 'theirs'), attacker, 0o755);
    const attackerEnv = { HOME: theirs, PATH: BASE_PATH, XDG_CACHE_HOME: theirs, RERAISE_DIR: box.dir, RERAISE_PIDDIR: path.join(theirs, 'p'), RERAISE_LOGDIR: path.join(theirs, 'l') };
    await withLookalike(pkg, marker, () => runAs(attacker, [pkg.reraise, 'status'], attackerEnv));
    expect(marks(marker)).toEqual([`cache ${attacker.uid}`]);
    const open = await runAs(attacker, ['chmod', '-R', 'go+rX', path.join(theirs, 'reraise')], attackerEnv);
    expect(open.exitCode, open.stderr).toBe(0);
    const ln = await runAs(attacker, ['ln', '-s', path.join(theirs, 'reraise'), path.join(box.env.XDG_CACHE_HOME, 'reraise')], attackerEnv);
    expect(ln.exitCode, ln.stderr).toBe(0);
    const before = tree(path.join(theirs, 'reraise'));
    box.script('web', 'config_start_sec=0.2\nexec sleep 1000\n');
    const r = await box.reraise('status');
    expect(marks(marker).filter((m) => m === `cache ${owner.uid}`), 'the attacker\'s code run as the owner').toEqual([]);
    expect(r.stdout).toMatch(/^web +not running/m);
    expect(tree(path.join(theirs, 'reraise')), 'nothing written through the link').toEqual(before);
  });

  it.each([
    ['the cache dir is writable by everyone (0777)', 'dir'],
    ['the cache file is writable by everyone (0666)', 'file'],
  ])('%s: a file the attacker put there is not loaded, and nothing is written there', async (_label, what) => {
    const { owner, attacker } = users;
    const { base, pkg, marker, box } = setup(owner);
    const cacheDir = path.join(box.env.XDG_CACHE_HOME, 'reraise');
    box.script('web', 'config_start_sec=0.2\nexec sleep 1000\n');
    // The owner's own cache first (the real one), to learn its file's name.
    expect((await box.reraise('status')).exitCode).toBe(0);
    const names = fs.readdirSync(cacheDir);
    expect(names.length).toBeGreaterThan(0);
    // The attacker makes a cache of the look-alike in a directory of theirs, under the same names.
    const theirs = mkdirFor(path.join(base, 'theirs'), attacker, 0o755);
    const attackerEnv = { HOME: theirs, PATH: BASE_PATH, XDG_CACHE_HOME: theirs, RERAISE_DIR: box.dir, RERAISE_PIDDIR: path.join(theirs, 'p'), RERAISE_LOGDIR: path.join(theirs, 'l') };
    await withLookalike(pkg, marker, () => runAs(attacker, [pkg.reraise, 'status'], attackerEnv));
    const evil = fs.readdirSync(path.join(theirs, 'reraise'));
    expect(evil.length).toBeGreaterThan(0);
    const evilData = fs.readFileSync(path.join(theirs, 'reraise', evil[0]));
    const open = await runAs(attacker, ['chmod', '-R', 'go+rX', path.join(theirs, 'reraise')], attackerEnv);
    expect(open.exitCode, open.stderr).toBe(0);
    fs.chmodSync(path.dirname(cacheDir), 0o755); // ~/.cache searchable, as it often is
    if (what === 'dir') {
      fs.chmodSync(cacheDir, 0o777); // as the owner could have made it
      for (const name of names) {
        const rm = await runAs(attacker, ['rm', '-f', path.join(cacheDir, name)], attackerEnv);
        expect(rm.exitCode, rm.stderr).toBe(0);
      }
      const cp = await runAs(attacker, ['cp', path.join(theirs, 'reraise', evil[0]), path.join(cacheDir, names[0])], attackerEnv);
      expect(cp.exitCode, cp.stderr).toBe(0);
    } else {
      fs.chmodSync(cacheDir, 0o755);
      for (const name of names) fs.chmodSync(path.join(cacheDir, name), 0o666);
      const write = await runAs(attacker, ['cp', path.join(theirs, 'reraise', evil[0]), path.join(cacheDir, names[0])], attackerEnv);
      expect(write.exitCode, write.stderr).toBe(0);
      expect(fs.readFileSync(path.join(cacheDir, names[0]))).toEqual(evilData);
    }
    const before = tree(cacheDir);
    const r = await box.reraise('status');
    expect(marks(marker).filter((m) => m === `cache ${owner.uid}`), 'the attacker\'s code run as the owner').toEqual([]);
    expect(r.stdout).toMatch(/^web +not running/m);
    expect(tree(cacheDir), 'nothing written in a cache dir others can write to').toEqual(before);
  });

  // status's usage sample (SPEC 15.1) lives in the same directory, under the same rules.
  it.each([
    ['a link to a directory of the attacker\'s (in a shared XDG_CACHE_HOME)', 'link'],
    ['the owner\'s own cache dir, left writable by everyone (0777)', 'loose'],
  ])('the usage sample, where %s: the attacker\'s sample is not read, and nothing is written there', async (_label, where) => {
    const { owner, attacker } = users;
    const { base, box } = setup(owner, where === 'link' ? (b) => mkdirFor(path.join(b, 'shared'), undefined, 0o1777) : undefined);
    const cacheDir = path.join(box.env.XDG_CACHE_HOME, 'reraise');
    const theirs = mkdirFor(path.join(base, 'theirs'), attacker, 0o755);
    const attackerEnv = { HOME: theirs, PATH: BASE_PATH };
    if (where === 'link') {
      // Before the owner runs anything: the link stands where the owner's cache dir would be made.
      const made = await runAs(attacker, ['sh', '-c', 'mkdir -m 755 "$0/reraise" && ln -s "$0/reraise" "$1"', theirs, cacheDir], attackerEnv);
      expect(made.exitCode, made.stderr).toBe(0);
    }
    box.script('web', 'config_start_sec=0.2\nexec sleep 1000\n');
    expect((await box.reraise('start', '--wait', 'web')).exitCode).toBe(0);
    const [pid, epoch] = [Number(box.pidRecord('web')![2]), Number(box.pidRecord('web')![4])];
    if (where === 'loose') {
      fs.chmodSync(path.dirname(cacheDir), 0o755);
      fs.chmodSync(cacheDir, 0o777);
    }
    // Two seconds into the run, a sample that says it was looked at a moment ago, with no ticks:
    // believed, it would move the average's start from the run's start to that moment.
    await waitFor('two seconds of the run', () => Date.now() / 1000 >= epoch + 2);
    const planted = path.join(where === 'link' ? path.join(theirs, 'reraise') : cacheDir, `usage-${fnv1a64(box.pidDir)}`);
    const plant = await runAs(attacker, ['sh', '-c', 'printf "reraise usage 2\\n%s %s 0 %s\\n" "$1" "$2" "$3" > "$0" && chmod 644 "$0"',
      planted, String(pid), String(epoch), String(Date.now() - 200)], attackerEnv);
    expect(plant.exitCode, plant.stderr).toBe(0);
    const before = tree(path.dirname(planted));
    const r = await box.reraise('status', '--json', 'web');
    expect(r.exitCode, r.stderr).toBe(0);
    const [row] = JSON.parse(r.stdout) as Array<{ cpuSince: number; pid: number }>;
    expect(row.pid).toBe(pid);
    expect(row.cpuSince, 'averaged over the run\'s life, not from the planted sample').toBe(epoch);
    expect(tree(path.dirname(planted)), 'nothing written where the attacker can reach').toEqual(before);
    if (where === 'loose') {
      // The control: the same sample, made the owner's in a dir of the owner's alone, is believed.
      fs.chmodSync(cacheDir, 0o700);
      fs.chownSync(planted, owner.uid, owner.gid);
      const trusted = JSON.parse((await box.reraise('status', '--json', 'web')).stdout) as Array<{ cpuSince: number }>;
      expect(trusted[0].cpuSince).toBeGreaterThan(epoch);
    }
    await box.reraise('stop', 'web');
  });

  it('two installations side by side do not delete each other\'s cache file', async () => {
    const { owner } = users;
    const { pkg: a, box } = setup(owner);
    const b = copyPackage();
    // Installed at another moment: another mtime of the bundle.
    const st = fs.statSync(b.bundle);
    fs.utimesSync(b.bundle, st.atime, new Date(st.mtimeMs - 60_000));
    const cacheDir = path.join(box.env.XDG_CACHE_HOME, 'reraise');
    box.script('web', 'config_start_sec=0.2\nexec sleep 1000\n');
    const run = (pkg: Package): Promise<unknown> => runAs(owner, [pkg.reraise, 'status'], box.env);
    await run(a);
    const afterA = tree(cacheDir);
    expect(Object.keys(afterA).length).toBeGreaterThan(0);
    await run(b);
    const afterB = tree(cacheDir);
    for (const name of Object.keys(afterA)) expect(afterB[name], `A's ${name} after B ran`).toBeDefined();
    const mineB = Object.keys(afterB).filter((n) => !(n in afterA));
    expect(mineB.length, 'B has a cache file of its own').toBeGreaterThan(0);
    await run(a);
    const again = tree(cacheDir);
    for (const name of Object.keys(afterB)) expect(again[name], `${name} after A ran again`).toBeDefined();
  });
});
