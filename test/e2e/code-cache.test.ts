// The CLI's V8 code cache through the real bin/reraise: used and written only in a directory and a file
// of the user's that nobody else can write, never through a link, one file per installation (SPEC 12.5).
import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { RERAISE, sandbox, type Sandbox } from './sandbox.js';

const REPO = path.resolve(path.dirname(RERAISE), '..');
const BUNDLE = path.join(REPO, 'dist', 'cli', 'main.cjs');
const OTHER = 65534;

type Run = Awaited<ReturnType<Sandbox['reraise']>>;
type CacheEnv = { XDG_CACHE_HOME?: string; HOME?: string };

/**
 * `status` through `bin` (this checkout's, or a copy's) with only the cache variables given
 * (a missing one is unset). A timeout: a FIFO in the cache's place must not hang it.
 */
function status(box: Sandbox, env: CacheEnv, bin = RERAISE, umask?: string): Promise<Run> {
  const merged: Record<string, string> = {};
  const all = { ...process.env, ...box.env, XDG_CACHE_HOME: undefined, ...env };
  for (const [k, v] of Object.entries(all)) if (v !== undefined) merged[k] = v;
  const [file, args] = umask === undefined ? [bin, ['status']] : ['sh', ['-c', `umask ${umask}; exec "$0" status`, bin]];
  return execa(file, args, { env: merged, extendEnv: false, reject: false, all: true, stdin: 'ignore', timeout: 10_000 });
}

/** The command works as if there were no cache: exit 0, its normal output, nothing on stderr. */
function expectNormal(r: Run): void {
  expect({ exit: r.exitCode, stdout: r.stdout, stderr: r.stderr })
    .toEqual({ exit: 0, stdout: expect.stringMatching(/^NAME .*\nweb +not running[ -]*$/), stderr: '' });
}

/** A sandbox with one service, so that status has a line to print. */
function box(): Sandbox {
  const b = sandbox();
  b.script('web', 'exec sleep 1000\n');
  return b;
}

function mkdir(dir: string, mode = 0o700): string {
  fs.mkdirSync(dir, { recursive: true });
  fs.chmodSync(dir, mode);
  return dir;
}

/** What a directory holds, deep, with what would change if anything were written, renamed or removed in it. */
function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of fs.readdirSync(dir, { recursive: true }) as string[]) {
    const st = fs.lstatSync(path.join(dir, name));
    out[name] = `${st.mode.toString(8)} ${st.uid} ino ${st.ino} size ${st.size} mtime ${st.mtimeMs} ctime ${st.ctimeMs}`;
  }
  return out;
}

/** The name this checkout gives its cache file: from a first run in a cache dir of the sandbox's own. */
async function cacheName(b: Sandbox): Promise<string> {
  const xdg = path.join(b.root, 'first');
  expectNormal(await status(b, { XDG_CACHE_HOME: xdg }));
  const names = fs.readdirSync(path.join(xdg, 'reraise'));
  expect(names).toHaveLength(1);
  return names[0];
}

/**
 * Compiled code for the CLI that also writes `marker` when it runs: the bundle with a call put
 * into its last comment, so that it keeps its length (the only thing V8 checks of the source)
 * and every function its place. So a cache file that is loaded shows itself, whatever the timing.
 * Made by a fresh `node`, the one bin/reraise's #! finds, so that V8's version and flags match.
 */
async function markerCache(marker: string): Promise<Buffer> {
  const script = `
const fs = require('fs'), vm = require('vm'), Module = require('module');
const [bundle, marker] = process.argv.slice(1);
const src = fs.readFileSync(bundle, 'utf8');
const end = src.lastIndexOf('*/');
const call = '*/;require("fs").writeFileSync(' + JSON.stringify(marker) + ',"loaded");/*';
if (end < 0 || src.slice(end + 2).trim() !== '' || end - src.lastIndexOf('/*', end) < call.length + 2) {
  throw new Error('the bundle does not end with a comment long enough to hold the marker call');
}
const planted = src.slice(0, end - call.length) + call + src.slice(end);
process.stdout.write(new vm.Script(Module.wrap(planted), { filename: bundle }).createCachedData().toString('base64'));`;
  const r = await execa('node', ['-e', script, BUNDLE, marker]);
  return Buffer.from(r.stdout, 'base64');
}

/** Puts the marker cache at `file`, a regular file of root's, mode 0600. */
async function plant(file: string, marker: string): Promise<void> {
  fs.writeFileSync(file, await markerCache(marker));
  fs.chmodSync(file, 0o600);
}

describe('a cache dir and file of the user\'s', () => {
  it('the first run writes one file (0600) in a new 0700 dir, whatever the umask; the next runs load it as it is', async () => {
    const b = box();
    const xdg = path.join(b.root, 'xdg');
    const dir = path.join(xdg, 'reraise');
    expectNormal(await status(b, { XDG_CACHE_HOME: xdg }, RERAISE, '000'));
    const names = fs.readdirSync(dir);
    expect(names).toEqual([expect.stringMatching(/^cli-main\.cjs-[0-9a-f]{16}-\d.*\.v8$/)]);
    const file = path.join(dir, names[0]);
    const st = fs.lstatSync(file);
    expect({ file: st.isFile(), mode: st.mode & 0o777, uid: st.uid }).toEqual({ file: true, mode: 0o600, uid: process.getuid!() });
    expect(st.size).toBeGreaterThan(10_000);
    for (const d of [xdg, dir]) expect(fs.statSync(d).mode & 0o7777).toBe(0o700);

    const written = tree(dir);
    for (let i = 0; i < 2; i++) expectNormal(await status(b, { XDG_CACHE_HOME: xdg }));
    expect(tree(dir)).toEqual(written);

    // Not rewritten could also mean not read: a cache that runs a marker shows that it is loaded.
    const marker = path.join(b.root, 'loaded');
    await plant(file, marker);
    expectNormal(await status(b, { XDG_CACHE_HOME: xdg }));
    expect(fs.readFileSync(marker, 'utf8')).toBe('loaded');
  });

  it('a cache dir that cannot be made (XDG_CACHE_HOME is a file) costs nothing but the cache', async () => {
    const b = box();
    const file = path.join(b.root, 'plain');
    fs.writeFileSync(file, 'mine\n');
    expectNormal(await status(b, { XDG_CACHE_HOME: file }));
    expect(fs.readFileSync(file, 'utf8')).toBe('mine\n');
    expect(fs.readdirSync(b.root).sort()).toEqual(['pids', 'plain', 'services']);
  });
});

describe('a cache that someone else could have written is neither loaded nor written', () => {
  it.each([
    ['HOME, cache dir and file', (home: string) => [home, path.join(home, '.cache'), path.join(home, '.cache', 'reraise')]],
    ['the cache dir only', (home: string) => [path.join(home, '.cache', 'reraise')]],
    ['the cache file only', () => []],
  ])('root with the HOME of uid 65534 (sudo -E), who owns %s', async (_label, chowned) => {
    const b = box();
    const name = await cacheName(b);
    const home = mkdir(path.join(b.root, 'home'));
    const dir = path.join(home, '.cache', 'reraise');
    const file = path.join(dir, name);
    const marker = path.join(b.root, 'loaded');
    // The default cache dir, ~/.cache/reraise, made by a first run; then the cache that runs a marker.
    expectNormal(await status(b, { HOME: home }));
    expect(fs.readdirSync(dir)).toEqual([name]);
    await plant(file, marker);
    // Precondition: owned by root, the planted file is loaded, so its marker not showing below means something.
    expectNormal(await status(b, { HOME: home }));
    expect(fs.readFileSync(marker, 'utf8')).toBe('loaded');
    fs.rmSync(marker);

    for (const p of [...chowned(home), file]) fs.chownSync(p, OTHER, OTHER);
    const before = tree(home);
    expectNormal(await status(b, { HOME: home }));
    expectNormal(await status(b, { HOME: home, XDG_CACHE_HOME: path.join(home, '.cache') }));
    expect(fs.existsSync(marker)).toBe(false);
    expect(tree(home)).toEqual(before);
  });

  it('a cache dir, or a directory above it, writable by others without the sticky bit', async () => {
    const b = box();
    const name = await cacheName(b);
    const marker = path.join(b.root, 'loaded');
    const loose = mkdir(path.join(b.root, 'loose', 'reraise'), 0o777);
    const below = mkdir(path.join(b.root, 'open'), 0o777);
    const inside = mkdir(path.join(below, 'reraise'));
    for (const dir of [loose, inside]) await plant(path.join(dir, name), marker);
    const missing = mkdir(path.join(b.root, 'open-empty'), 0o777);
    const before = { loose: tree(loose), inside: tree(below), missing: tree(missing) };
    for (const xdg of [path.dirname(loose), below, missing]) expectNormal(await status(b, { XDG_CACHE_HOME: xdg }));
    expect(fs.existsSync(marker)).toBe(false);
    expect({ loose: tree(loose), inside: tree(below), missing: tree(missing) }).toEqual(before);
  });

  it('a cache dir that is a link, to a directory of the user\'s or of someone else', async () => {
    const b = box();
    const name = await cacheName(b);
    const marker = path.join(b.root, 'loaded');
    const mine = mkdir(path.join(b.root, 'mine'));
    await plant(path.join(mine, name), marker);
    const theirs = mkdir(path.join(b.root, 'theirs'));
    fs.chownSync(theirs, OTHER, OTHER);
    const before = { mine: tree(mine), theirs: tree(theirs) };
    for (const target of [mine, theirs]) {
      const xdg = mkdir(path.join(b.root, `xdg-${path.basename(target)}`));
      fs.symlinkSync(target, path.join(xdg, 'reraise'));
      expectNormal(await status(b, { XDG_CACHE_HOME: xdg }));
      expect(fs.lstatSync(path.join(xdg, 'reraise')).isSymbolicLink()).toBe(true);
      expect(fs.readdirSync(xdg)).toEqual(['reraise']);
    }
    expect(fs.existsSync(marker)).toBe(false);
    expect({ mine: tree(mine), theirs: tree(theirs) }).toEqual(before);
  });

  it('a cache file writable by its group or by others, or with a second link to it', async () => {
    const b = box();
    const name = await cacheName(b);
    const marker = path.join(b.root, 'loaded');
    const dirs = ['group', 'others', 'linked'].map((d) => mkdir(path.join(b.root, d, 'reraise')));
    for (const dir of dirs) await plant(path.join(dir, name), marker);
    fs.chmodSync(path.join(dirs[0], name), 0o620);
    fs.chmodSync(path.join(dirs[1], name), 0o602);
    fs.linkSync(path.join(dirs[2], name), path.join(b.root, 'second-link'));
    const before = dirs.map(tree);
    for (const dir of dirs) expectNormal(await status(b, { XDG_CACHE_HOME: path.dirname(dir) }));
    expect(fs.existsSync(marker)).toBe(false);
    expect(dirs.map(tree)).toEqual(before);
  });

  it('a FIFO or a link in the cache file\'s place: no hang, not read, not replaced', async () => {
    const b = box();
    const name = await cacheName(b);
    const marker = path.join(b.root, 'loaded');
    const fifoDir = mkdir(path.join(b.root, 'fifo', 'reraise'));
    await execa('mkfifo', [path.join(fifoDir, name)]);
    const linkDir = mkdir(path.join(b.root, 'link', 'reraise'));
    const target = path.join(b.root, 'target.v8');
    await plant(target, marker);
    fs.symlinkSync(target, path.join(linkDir, name));
    const before = { fifo: tree(fifoDir), link: tree(linkDir), target: fs.readFileSync(target) };
    for (const dir of [fifoDir, linkDir]) expectNormal(await status(b, { XDG_CACHE_HOME: path.dirname(dir) }));
    expect(fs.existsSync(marker)).toBe(false);
    expect({ fifo: tree(fifoDir), link: tree(linkDir), target: fs.readFileSync(target) }).toEqual(before);
    expect(fs.lstatSync(path.join(fifoDir, name)).isFIFO()).toBe(true);
  });
});

describe('installations side by side', () => {
  /** A copy of the package, as npm installs it; `mtime` tells the builds apart as a rebuild would. */
  function install(b: Sandbox, label: string, mtime: number): string {
    const root = path.join(b.root, label);
    for (const part of ['bin', 'dist', 'skeletons', 'package.json']) {
      fs.cpSync(path.join(REPO, part), path.join(root, part), { recursive: true, preserveTimestamps: true });
    }
    fs.utimesSync(path.join(root, 'dist', 'cli', 'main.cjs'), mtime, mtime);
    return path.join(root, 'bin', 'reraise');
  }

  it('two installations with one cache dir each keep their own file, loaded again and not rewritten', async () => {
    const b = box();
    const bins = [install(b, 'one', 1_700_000_000), install(b, 'two', 1_700_003_600)];
    const xdg = path.join(b.root, 'xdg');
    const dir = path.join(xdg, 'reraise');
    for (const bin of bins) expectNormal(await status(b, { XDG_CACHE_HOME: xdg }, bin));
    expect(fs.readdirSync(dir)).toHaveLength(2);
    const written = tree(dir);
    for (let i = 0; i < 2; i++) for (const bin of bins) expectNormal(await status(b, { XDG_CACHE_HOME: xdg }, bin));
    expect(tree(dir)).toEqual(written);
  });

  it('a rebuild replaces only its own older files: never another installation\'s, a link, or a file of someone else', async () => {
    const b = box();
    const bin = install(b, 'one', 1_700_000_000);
    const xdg = path.join(b.root, 'xdg');
    const dir = path.join(xdg, 'reraise');
    expectNormal(await status(b, { XDG_CACHE_HOME: xdg }, bin));
    const [first] = fs.readdirSync(dir);
    const prefix = /^cli-main\.cjs-[0-9a-f]{16}-/.exec(first)![0];
    const put = (name: string, uid = process.getuid!()): string => {
      fs.writeFileSync(path.join(dir, name), 'x');
      fs.chownSync(path.join(dir, name), uid, uid);
      return name;
    };
    const older = put(`${prefix}0.9.0-1-1-${process.version}-${process.arch}.v8`);
    const deadTemp = put(`${first}.999999999.new`);
    const kept = [
      put(`cli-main.cjs-0123456789abcdef-${first.slice(prefix.length)}`),
      put(`${prefix}0.8.0-theirs.v8`, OTHER),
      put(`${first}.${process.pid}.new`),
      put('notes.txt'),
    ];
    fs.symlinkSync(path.join(b.root, 'services', 'web'), path.join(dir, `${prefix}0.7.0-link.v8`));
    kept.push(`${prefix}0.7.0-link.v8`);
    expect(fs.readdirSync(dir)).toEqual(expect.arrayContaining([first, older, deadTemp]));

    fs.utimesSync(path.join(path.dirname(path.dirname(bin)), 'dist', 'cli', 'main.cjs'), 1_700_007_200, 1_700_007_200);
    expectNormal(await status(b, { XDG_CACHE_HOME: xdg }, bin));
    const now = fs.readdirSync(dir);
    const rebuilt = now.filter((n) => n.startsWith(prefix) && n.endsWith('.v8') && !kept.includes(n));
    expect(rebuilt).toEqual([expect.stringContaining('-1700007200000-')]);
    expect(now.sort()).toEqual([...kept, ...rebuilt].sort());
    expect(fs.lstatSync(path.join(dir, `${prefix}0.7.0-link.v8`)).isSymbolicLink()).toBe(true);
  });
});
