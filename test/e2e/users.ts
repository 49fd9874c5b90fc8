// Tests with real local users (SPEC 12): made with useradd for this run and removed after it, a copy of the
// built package that every user can run, commands run as a user through setpriv with an environment built
// here, and cleanup of every process the tests started, found by the run's tag in its environment or by
// the uid of a user made here. Nothing is ever killed by name, nothing the tests did not start is signalled.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';

export const IS_ROOT = process.getuid!() === 0;
const REPO = fileURLToPath(new URL('../../', import.meta.url));

/** This test file's tag: every environment built here carries RERAISE_TEST_TAG=TAG, and so do the processes started with it. */
export const TAG = crypto.randomBytes(6).toString('hex');
const TAG_ENTRY = `RERAISE_TEST_TAG=${TAG}`;

export interface User {
  name: string;
  uid: number;
  gid: number;
  home: string;
  shell: string;
}

export interface RunResult {
  exitCode?: number;
  stdout: string;
  stderr: string;
  all: string;
  timedOut: boolean;
}

export type Env = Record<string, string>;

// ---------------------------------------------------------------------------------------------
// Why a suite cannot run here (checked once, synchronously, so that describe.runIf can use it).

function which(program: string): string | undefined {
  for (const dir of (process.env.PATH ?? '/usr/bin:/bin').split(':')) {
    const file = path.join(dir, program);
    try {
      fs.accessSync(file, fs.constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  for (const dir of ['/usr/sbin', '/sbin', '/usr/bin', '/bin']) if (fs.existsSync(path.join(dir, program))) return path.join(dir, program);
  return undefined;
}

/** Whether a user other than root can run `node`: every directory above it searchable by others, the file executable by them. */
function nodeProblem(): string | undefined {
  const node = fs.realpathSync(process.execPath);
  for (let dir = path.dirname(node); ; dir = path.dirname(dir)) {
    if ((fs.statSync(dir).mode & 0o001) === 0) return `${dir} is not searchable by other users, so they cannot run ${node}`;
    if (dir === '/') break;
  }
  if ((fs.statSync(node).mode & 0o005) !== 0o005) return `${node} cannot be run by other users`;
  return undefined;
}

function usersProblem(): string | undefined {
  if (!IS_ROOT) return 'not root';
  if (process.platform !== 'linux') return 'not Linux';
  for (const tool of ['useradd', 'userdel', 'groupadd', 'groupdel', 'usermod', 'setpriv']) {
    if (!which(tool)) return `${tool} is not installed`;
  }
  return nodeProblem();
}

/** Undefined when tests with real users can run; else why not (printed once). */
export const USERS_PROBLEM = usersProblem();
if (USERS_PROBLEM && IS_ROOT) console.warn(`tests with real users skipped: ${USERS_PROBLEM}`);
export const CAN_USE_USERS = USERS_PROBLEM === undefined;

export const SUDO = which('sudo');

/** Where the tests' directories go: $TMPDIR when every user can reach it (CI may set it under /root), else /tmp. */
function sharedTmp(): string {
  const tmp = fs.realpathSync(os.tmpdir());
  for (let dir = tmp; ; dir = path.dirname(dir)) {
    if ((fs.statSync(dir).mode & 0o001) === 0) return '/tmp';
    if (dir === '/') return tmp;
  }
}
const TMP = IS_ROOT ? sharedTmp() : os.tmpdir();

let mountable: boolean | undefined;
/** Whether this process may mount a tmpfs (root in a container may not); probed once, on a scratch directory. */
export function canMount(): boolean {
  if (mountable === undefined) {
    mountable = false;
    if (IS_ROOT && process.platform === 'linux') {
      const dir = fs.mkdtempSync(path.join(TMP, 'rr-mount-'));
      mountable = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=16k', 'tmpfs', dir]).status === 0;
      if (mountable) spawnSync('umount', [dir]);
      fs.rmdirSync(dir);
      if (!mountable) console.warn('tests that mount a tmpfs skipped: mount -t tmpfs is not allowed here');
    }
  }
  return mountable;
}
export const VISUDO = which('visudo');

// ---------------------------------------------------------------------------------------------
// Users and groups.

const madeUsers: User[] = [];
const madeGroups: string[] = [];

function shortId(): string {
  return crypto.randomBytes(3).toString('hex');
}

/** useradd and groupadd take a lock on /etc/passwd: when another test file holds it, try again. */
function withRetry(tool: string, args: string[]): void {
  for (let attempt = 0; ; attempt++) {
    const r = spawnSync(tool, args, { encoding: 'utf8' });
    if (r.status === 0) return;
    if (attempt >= 40) throw new Error(`${tool} ${args.join(' ')}: exit ${r.status}: ${r.stderr}`);
    spawnSync('sleep', ['0.05']);
  }
}

function passwdEntry(name: string): User {
  const row = fs.readFileSync('/etc/passwd', 'utf8').split('\n').map((l) => l.split(':')).find((r) => r[0] === name);
  if (!row) throw new Error(`no passwd entry for ${name}`);
  return { name, uid: Number(row[2]), gid: Number(row[3]), home: row[5], shell: row[6] };
}

/**
 * A new local user `rr` + role letter + 6 hex digits (at most 16 characters), with a private group (-U),
 * no home made (-M; `home` is only its passwd entry), and /bin/sh as shell. Removed in afterAll.
 */
export function makeUser(role: string, home = '/nonexistent'): User {
  const name = `rr${role.slice(0, 1)}${shortId()}`;
  withRetry('useradd', ['-M', '-U', '-d', home, '-s', '/bin/sh', name]);
  const user = passwdEntry(name);
  madeUsers.push(user);
  return user;
}

/** A new group with these members (usermod -aG), removed in afterAll. */
export function makeGroup(...members: User[]): { name: string; gid: number } {
  const name = `rrg${shortId()}`;
  withRetry('groupadd', [name]);
  madeGroups.push(name);
  for (const m of members) withRetry('usermod', ['-aG', name, m.name]);
  const row = fs.readFileSync('/etc/group', 'utf8').split('\n').map((l) => l.split(':')).find((r) => r[0] === name)!;
  return { name, gid: Number(row[2]) };
}

/** The ids `id -G` gives for the user: primary group first, then the supplementary ones. */
export function groupsOf(user: User): number[] {
  return execFileSync('id', ['-G', user.name], { encoding: 'utf8' }).trim().split(/\s+/).map(Number);
}

function removeUser(user: User): void {
  // userdel refuses while a process of the user lives: those were all started by the tests.
  killOurs();
  removeDefaultPidDir(user.uid);
  const r = spawnSync('userdel', [user.name], { encoding: 'utf8' });
  if (r.status !== 0) spawnSync('userdel', ['-f', user.name]);
  if (fs.readFileSync('/etc/group', 'utf8').split('\n').some((l) => l.startsWith(`${user.name}:`))) spawnSync('groupdel', [user.name]);
  // Its uid is free now, and another test file running at the same time may be given it for a user
  // of its own: from here on, a process with that uid is not this file's to kill.
  madeUsers.splice(madeUsers.indexOf(user), 1);
}

export interface Users {
  /** Runs reraise as an ordinary user. */
  owner: User;
  /** Another local user, hostile. */
  attacker: User;
  /** Owns a service that root (or the owner through sudo) runs. */
  owner2: User;
}

/** The three users of a test file, made in beforeAll and removed in afterAll (after the file's tests, even failed ones). */
export function useUsers(): Users {
  const users = {} as Users;
  beforeAll(() => {
    users.owner = makeUser('owner');
    users.attacker = makeUser('attacker');
    users.owner2 = makeUser('2owner');
  });
  return users;
}

// ---------------------------------------------------------------------------------------------
// A copy of the package that every user can run.

export interface Package {
  root: string;
  reraise: string;
  worker: string;
  bundle: string;
}

function chmodTree(dir: string): void {
  fs.chmodSync(dir, 0o755);
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) chmodTree(full);
    else if (entry.isFile()) fs.chmodSync(full, fs.statSync(full).mode & 0o100 ? 0o755 : 0o644);
  }
}

/** bin/, dist/, skeletons/ and package.json, copied into a fresh root-owned directory with mode 0755 all the way. */
export function copyPackage(): Package {
  const root = fs.mkdtempSync(path.join(TMP, 'reraise-pkg-'));
  for (const part of ['bin', 'dist', 'skeletons', 'package.json']) {
    fs.cpSync(path.join(REPO, part), path.join(root, part), { recursive: true });
  }
  chmodTree(root);
  for (let dir = root; dir !== '/'; dir = path.dirname(dir)) {
    if ((fs.statSync(dir).mode & 0o001) === 0) throw new Error(`${dir} is not searchable by other users`);
  }
  packages.push(root);
  return {
    root,
    reraise: path.join(root, 'bin', 'reraise'),
    worker: path.join(root, 'bin', 'auto-reraise'),
    bundle: path.join(root, 'dist', 'cli', 'main.cjs'),
  };
}
const packages: string[] = [];

/** One copy per test file, made in beforeAll. */
export function usePackage(): Package {
  const pkg = {} as Package;
  beforeAll(() => {
    Object.assign(pkg, copyPackage());
  });
  return pkg;
}

// ---------------------------------------------------------------------------------------------
// Scratch directories, each test's own, under one root-owned 0755 directory of this file.

let scratchRoot: string | undefined;

/** A fresh directory owned by root, mode 0755 (searchable by every user), removed after the test. */
export function scratch(label = 'sec'): string {
  if (!scratchRoot) {
    scratchRoot = fs.mkdtempSync(path.join(TMP, 'rr-sec-'));
    fs.chmodSync(scratchRoot, 0o755);
  }
  const dir = fs.mkdtempSync(path.join(scratchRoot, `${label}-`));
  fs.chmodSync(dir, 0o755);
  later(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** mkdir (parents included) and give it to `owner` with `mode` (root-owned when owner is undefined). */
export function mkdirFor(dir: string, owner: User | undefined, mode = 0o755): string {
  fs.mkdirSync(dir, { recursive: true });
  if (owner) fs.chownSync(dir, owner.uid, owner.gid);
  fs.chmodSync(dir, mode);
  return dir;
}

/** Writes a file (a `#!/bin/sh` script when body does not start with `#!` and mode is executable) owned by `owner`. */
export function writeFor(file: string, owner: User | undefined, body: string, mode = 0o755): string {
  const text = mode & 0o111 && !body.startsWith('#!') ? `#!/bin/sh\n${body}` : body;
  fs.writeFileSync(file, text);
  if (owner) fs.chownSync(file, owner.uid, owner.gid);
  fs.chmodSync(file, mode);
  return file;
}

// ---------------------------------------------------------------------------------------------
// Running commands, as root or as a user.

/** The PATH of every environment built here: the usual three, and node's directory. */
export const BASE_PATH = ['/usr/local/bin', '/usr/bin', '/bin', path.dirname(process.execPath)]
  .filter((d, i, all) => all.indexOf(d) === i).join(':');

function asUser(user: User, args: readonly string[]): string[] {
  return [`--reuid=${user.uid}`, `--regid=${user.gid}`, '--init-groups', '--', ...args];
}

function result(r: { exitCode?: number; stdout?: unknown; stderr?: unknown; all?: unknown; timedOut?: boolean }): RunResult {
  return {
    exitCode: r.exitCode, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? ''), all: String(r.all ?? ''),
    timedOut: r.timedOut === true,
  };
}

export interface RunOptions {
  /** Milliseconds; the command is killed after it (timedOut is then true). Default 20 s. */
  timeout?: number;
  cwd?: string;
}

/** Runs `args` as `user` (setpriv --reuid --regid --init-groups), with exactly `env` (plus the tag), stdin ignored. */
export async function runAs(user: User, args: readonly string[], env: Env, options: RunOptions = {}): Promise<RunResult> {
  const r = await execa('setpriv', asUser(user, args), {
    env: { ...env, RERAISE_TEST_TAG: TAG }, extendEnv: false, reject: false, all: true, stdin: 'ignore',
    timeout: options.timeout ?? 20_000, cwd: options.cwd ?? '/',
  });
  return result(r);
}

/** Runs `args` as root, with exactly `env` (plus the tag). */
export async function runRoot(args: readonly string[], env: Env, options: RunOptions = {}): Promise<RunResult> {
  const [file, ...rest] = args;
  const r = await execa(file, rest, {
    env: { ...env, RERAISE_TEST_TAG: TAG }, extendEnv: false, reject: false, all: true, stdin: 'ignore',
    timeout: options.timeout ?? 20_000, cwd: options.cwd ?? '/',
  });
  return result(r);
}

/** A background process as `user` (or root when user is undefined); stopped in afterEach with the others. */
export function spawnAs(user: User | undefined, args: readonly string[], env: Env): ChildProcess & { lines: string[] } {
  const full = user ? ['setpriv', ...asUser(user, args)] : [...args];
  const child = spawn(full[0], full.slice(1), {
    env: { ...env, RERAISE_TEST_TAG: TAG }, stdio: ['ignore', 'pipe', 'pipe'], cwd: '/',
  }) as ChildProcess & { lines: string[] };
  child.lines = [];
  let text = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    text += chunk;
    const parts = text.split('\n');
    text = parts.pop()!;
    child.lines.push(...parts);
  });
  child.stderr!.resume();
  child.on('error', () => {});
  return child;
}

// ---------------------------------------------------------------------------------------------
// Facts from /proc.

function readProc(pid: number, what: string): string | undefined {
  try {
    return fs.readFileSync(`/proc/${pid}/${what}`, 'utf8');
  } catch {
    return undefined;
  }
}

export function environ(pid: number): string[] {
  return (readProc(pid, 'environ') ?? '').split('\0').filter(Boolean);
}

/** Uid, Gid (real, effective, saved, fs) and Groups of /proc/PID/status; undefined once gone. */
export function credentials(pid: number): { uid: number[]; gid: number[]; groups: number[] } | undefined {
  const status = readProc(pid, 'status');
  if (!status) return undefined;
  const field = (name: string): number[] =>
    (new RegExp(`^${name}:(.*)$`, 'm').exec(status)?.[1] ?? '').trim().split(/\s+/).filter(Boolean).map(Number);
  return { uid: field('Uid'), gid: field('Gid'), groups: field('Groups') };
}

/** Where each open descriptor of the process points: fd number -> readlink. */
export function descriptors(pid: number): Map<number, string> {
  const fds = new Map<number, string>();
  try {
    for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
      try {
        fds.set(Number(fd), fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
      } catch {
        // closed meanwhile
      }
    }
  } catch {
    // gone
  }
  return fds;
}

export function ppidOf(pid: number): number | undefined {
  const stat = readProc(pid, 'stat');
  if (!stat) return undefined;
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}

export function argvOf(pid: number): string[] {
  return (readProc(pid, 'cmdline') ?? '').split('\0').filter(Boolean);
}

function alive(pid: number): boolean {
  const stat = readProc(pid, 'stat');
  if (!stat) return false;
  const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
  return state !== 'Z' && state !== 'X';
}

export function allPids(): number[] {
  return fs.readdirSync('/proc').filter((e) => /^\d+$/.test(e)).map(Number);
}

/** Live processes whose real or effective uid is `uid`. */
export function processesOf(uid: number): number[] {
  return allPids().filter((pid) => {
    const c = credentials(pid);
    return !!c && (c.uid[0] === uid || c.uid[1] === uid) && alive(pid);
  });
}

/** Live processes started by this test file: its tag in their environment, or a uid of a user made here. */
export function ourProcesses(): number[] {
  const uids = new Set(madeUsers.map((u) => u.uid));
  return allPids().filter((pid) => {
    if (pid === process.pid || !alive(pid)) return false;
    const c = credentials(pid);
    if (c && (uids.has(c.uid[0]) || uids.has(c.uid[1]))) return true;
    return environ(pid).includes(TAG_ENTRY);
  });
}

/** SIGKILL to each of ours, by pid, until none is left (a worker may start a service between two scans). */
export function killOurs(): void {
  for (let round = 0; round < 100; round++) {
    const pids = ourProcesses();
    if (pids.length === 0) return;
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone already
      }
    }
    spawnSync('sleep', ['0.02']);
  }
}

// ---------------------------------------------------------------------------------------------
// A user's own reraise: service dir, pid dir, log dir and home under the test's scratch directory.

export interface Box {
  user: User;
  /** The user's area, owned by the user, mode 0755. */
  root: string;
  home: string;
  dir: string;
  /** The pid dir: RERAISE_PIDDIR, or the default /var/tmp/reraise-UID when made with defaultPidDir. */
  pidDir: string;
  logDir: string;
  env: Env;
  /** bin/reraise ARGS of the package copy, as the user. */
  reraise(...args: string[]): Promise<RunResult>;
  /** The same with a timeout (ms): for commands that must not block. */
  reraiseWithin(ms: number, ...args: string[]): Promise<RunResult>;
  /** A script owned by the user (or by `owner`) in the service dir. */
  script(name: string, body: string, owner?: User, mode?: number): string;
  pidRecord(name: string): string[] | undefined;
  log(name: string): string;
}

export interface BoxOptions {
  /** Use the user's default pid dir, /var/tmp/reraise-UID (only for a user made here: its uid is unique). */
  defaultPidDir?: boolean;
  /** Variables to add to (or, with undefined, remove from) the environment. */
  env?: Record<string, string | undefined>;
  /** The directory to make the user's area in (default: a scratch directory of its own). */
  base?: string;
}

/** The default pid dir of a uid made here; removed after each test, whatever it is (link, file, directory). */
export function defaultPidDir(uid: number): string {
  return `/var/tmp/reraise-${uid}`;
}

function removeDefaultPidDir(uid: number): void {
  if (!madeUsers.some((u) => u.uid === uid)) throw new Error(`refusing to touch the default pid dir of uid ${uid}: not a user made here`);
  const dir = defaultPidDir(uid);
  let st: fs.Stats;
  try {
    st = fs.lstatSync(dir);
  } catch {
    return;
  }
  if (st.isDirectory()) fs.rmSync(dir, { recursive: true, force: true });
  else fs.unlinkSync(dir);
}

/** Root, as a user of userBox: its commands run as the test process runs (root), with the environment built here. */
export const ROOT: User = { name: 'root', uid: 0, gid: 0, home: '/root', shell: '/bin/bash' };

/**
 * A user's own reraise in a fresh area of theirs (mode 0755): home, services, pids (made by reraise) and logs.
 * For ROOT the log dir is made beforehand with mode 0755, as a root user who runs services of others
 * would make it, so that an owner can reach `<log dir>/NAME` (SPEC 12.4).
 */
export function userBox(pkg: Package, user: User, options: BoxOptions = {}): Box {
  const root = mkdirFor(fs.mkdtempSync(path.join(options.base ?? scratch(user.name), `${user.name}-`)), user, 0o755);
  const home = mkdirFor(path.join(root, 'home'), user, 0o755);
  const dir = mkdirFor(path.join(root, 'services'), user, 0o755);
  const pidDir = options.defaultPidDir ? defaultPidDir(user.uid) : path.join(root, 'pids');
  const logDir = path.join(root, 'logs');
  if (options.defaultPidDir) later(() => removeDefaultPidDir(user.uid));
  if (user.uid === 0) mkdirFor(logDir, undefined, 0o755);
  const run = (args: string[], opts: RunOptions = {}): Promise<RunResult> =>
    user.uid === 0 ? runRoot([pkg.reraise, ...args], env, opts) : runAs(user, [pkg.reraise, ...args], env, opts);
  const base: Record<string, string | undefined> = {
    HOME: home, PATH: BASE_PATH, USER: user.name, LOGNAME: user.name, SHELL: '/bin/sh',
    XDG_CACHE_HOME: path.join(home, '.cache'),
    RERAISE_DIR: dir, RERAISE_LOGDIR: logDir,
    ...(options.defaultPidDir ? {} : { RERAISE_PIDDIR: pidDir }),
    ...options.env,
  };
  const env: Env = {};
  for (const [k, v] of Object.entries(base)) if (v !== undefined) env[k] = v;
  const box: Box = {
    user, root, home, dir, pidDir, logDir, env,
    reraise: (...args) => run(args),
    reraiseWithin: (ms, ...args) => run(args, { timeout: ms }),
    script: (name, body, owner = user, mode = 0o755) => writeFor(path.join(dir, name), owner, body, mode),
    pidRecord(name) {
      try {
        const st = fs.lstatSync(path.join(pidDir, name));
        if (!st.isFile()) return undefined;
        return fs.readFileSync(path.join(pidDir, name), 'utf8').trim().split(' ');
      } catch {
        return undefined;
      }
    },
    log(name) {
      try {
        return fs.readFileSync(path.join(logDir, name, 'current'), 'utf8');
      } catch {
        return '';
      }
    },
  };
  return box;
}

// ---------------------------------------------------------------------------------------------
// Waiting, and cleanup.

/** Polls until the probe gives a value (not undefined or false), or fails after timeoutMs. */
export async function waitFor<T>(what: string, probe: () => T | undefined | false, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value as T;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Shows that something does NOT happen: for `ms`, the probe stays false. */
export async function stays(what: string, probe: () => boolean, ms = 500): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    expect(probe(), what).toBe(false);
    if (Date.now() > deadline) return;
    await new Promise((r) => setTimeout(r, 25));
  }
}

let laters: (() => void)[] = [];

/** Runs fn after this test (most recent first), whether it passed or not. */
export function later(fn: () => void): void {
  laters.push(fn);
}

function runLaters(): void {
  const todo = laters.reverse();
  laters = [];
  for (const fn of todo) {
    try {
      fn();
    } catch (error) {
      console.warn(`cleanup: ${(error as Error).message}`);
    }
  }
}

/** A tmpfs on `dir` (made if missing), unmounted after the test. */
export function mountTmpfs(dir: string, options: string): void {
  fs.mkdirSync(dir, { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir]);
  later(() => {
    killOurs();
    if (spawnSync('umount', [dir]).status !== 0) spawnSync('umount', ['-l', dir]);
  });
}

/** A sudoers drop-in, checked with visudo -cf, removed after the test. */
export function sudoers(text: string): string {
  const file = `/etc/sudoers.d/rr-test-${TAG}-${shortId()}`;
  fs.writeFileSync(file, text, { mode: 0o440 });
  later(() => fs.rmSync(file, { force: true }));
  fs.chmodSync(file, 0o440);
  const check = spawnSync(VISUDO ?? 'visudo', ['-cf', file], { encoding: 'utf8' });
  if (check.status !== 0) throw new Error(`visudo -cf ${file}: ${check.stdout}${check.stderr}`);
  return file;
}

if (CAN_USE_USERS) {
  afterEach(() => {
    killOurs();
    runLaters();
  });
  afterAll(() => {
    killOurs();
    runLaters();
    // Removed while still listed: killOurs finds their processes by uid, removeDefaultPidDir checks they are ours.
    for (const user of [...madeUsers].reverse()) removeUser(user);
    for (const group of madeGroups.splice(0)) spawnSync('groupdel', [group]);
    for (const dir of packages.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
    if (scratchRoot) fs.rmSync(scratchRoot, { recursive: true, force: true });
    scratchRoot = undefined;
  });
  // A run killed midway (Ctrl-C) still removes its users.
  process.once('exit', () => {
    if (madeUsers.length === 0) return;
    killOurs();
    for (const user of madeUsers) spawnSync('userdel', ['-f', user.name]);
    for (const group of madeGroups) spawnSync('groupdel', [group]);
  });
}
