// The lock of a service can be taken only by its user, and `start` says "already running" only for a verified
// worker (SPEC 4, 6 `start`, 12.1, 12.3). The attacker binds every socket name they can: the lock name of
// reraise 1.0, which anyone can compute, and every name the owner's worker was seen holding.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  BASE_PATH, CAN_USE_USERS, ROOT, scratch, stays, argvOf, credentials, descriptors, environ, ppidOf, processesOf, runAs, spawnAs,
  useUsers, usePackage, userBox, waitFor, type Box, type User,
} from './users.js';

const LONG = 'config_start_sec=0.2\nconfig_stop_sec=1\nexec sleep 1000\n';

/** reraise 1.0's lock (src/io/lock.ts): an abstract socket `\0reraise-` + 64-bit FNV-1a of realpath(pid dir) NUL name. */
function oldLockName(pidDir: string, name: string): string {
  let hash = 0xcbf29ce484222325n;
  for (const byte of Buffer.from(`${fs.realpathSync(pidDir)}\0${name}`)) {
    hash ^= BigInt(byte);
    hash = (hash * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return `\0reraise-${hash.toString(16).padStart(16, '0')}`;
}

/** The Unix socket names the process holds (abstract ones start with NUL), from its fds and /proc/net/unix. */
function socketNames(pid: number): string[] {
  const inodes = new Set([...descriptors(pid).values()].map((t) => /^socket:\[(\d+)\]$/.exec(t)?.[1]).filter(Boolean));
  const names: string[] = [];
  for (const line of fs.readFileSync('/proc/net/unix', 'utf8').split('\n').slice(1)) {
    const cols = line.trim().split(/\s+/);
    if (cols.length < 8 || !inodes.has(cols[6])) continue;
    // Abstract names show NUL bytes as '@' (libuv pads them to the whole sun_path); a listen() pads them again.
    names.push(cols[7].startsWith('@') ? cols[7].replace(/@/g, '\0').replace(/\0+$/, '') : cols[7]);
  }
  return names;
}

/**
 * The attacker's squatter: binds each name it can (abstract or a path), titled `auto-reraise NAME` and with the
 * owner's RERAISE_* in its environment, so that only its uid tells it from a worker. Prints `ready N`.
 */
const SQUATTER = `
const net = require('net');
const names = JSON.parse(process.argv[1]);
process.title = 'auto-reraise ' + process.argv[2];
let left = names.length, bound = 0;
const done = () => { if (--left <= 0) console.log('ready ' + bound); };
if (left === 0) { left = 1; done(); }
for (const name of names) {
  const server = net.createServer((c) => c.destroy());
  server.on('error', done);
  server.listen(name, () => { bound++; done(); });
}
setInterval(() => {}, 1 << 30);
`;

function attackerEnv(attacker: User, extra: Record<string, string> = {}): Record<string, string> {
  return { HOME: '/', PATH: BASE_PATH, USER: attacker.name, LOGNAME: attacker.name, ...extra };
}

/** Starts the squatter as the attacker on these names; resolves with how many it bound. */
async function squat(attacker: User, box: Box, service: string, names: string[]): Promise<number> {
  const child = spawnAs(attacker, [process.execPath, '-e', SQUATTER, JSON.stringify(names), service],
    attackerEnv(attacker, { RERAISE_PIDDIR: box.pidDir, RERAISE_DIR: box.dir, RERAISE_SERVICE: service }));
  const line = await waitFor('the squatter to be ready', () => child.lines.find((l) => l.startsWith('ready ')), 5000);
  return Number(line.split(' ')[1]);
}

/** The workers of `name` that run as the user: `auto-reraise NAME`. */
function workersOf(user: User, name: string): number[] {
  return processesOf(user.uid).filter((pid) => argvOf(pid).join(' ') === `auto-reraise ${name}`);
}

/** Service processes of `name`: run as the user, RERAISE_SERVICE=NAME, children of a worker of the user. */
function servicesOf(user: User, name: string): number[] {
  return processesOf(user.uid).filter((pid) => {
    const parent = ppidOf(pid);
    return environ(pid).includes(`RERAISE_SERVICE=${name}`) && parent !== undefined && workersOf(user, name).includes(parent);
  });
}

/** `start` said `started (pid N)`, and N is really the service: alive, the owner's, under its worker. */
function expectReallyStarted(stdout: string, user: User, name: string): number {
  expect(stdout, 'start must not claim a service runs when nothing does').not.toContain('already running');
  const match = new RegExp(`^${name}: started \\(pid (\\d+)\\)$`, 'm').exec(stdout);
  expect(match, `start says "${name}: started (pid N)"; it said ${JSON.stringify(stdout)}`).not.toBeNull();
  const pid = Number(match![1]);
  expect(credentials(pid)?.uid[0], 'the pid is alive and the owner\'s').toBe(user.uid);
  expect(servicesOf(user, name)).toEqual([pid]);
  return pid;
}

describe.runIf(CAN_USE_USERS)('the lock, against another user binding sockets', () => {
  const users = useUsers();
  const pkg = usePackage();

  it('the attacker holds the lock name of reraise 1.0: start web really starts web', async () => {
    const { owner, attacker } = users;
    const box = userBox(pkg, owner);
    box.script('web', LONG);
    expect((await box.reraise('status')).exitCode).toBe(0); // the pid dir exists: its realpath is known
    expect(await squat(attacker, box, 'web', [oldLockName(box.pidDir, 'web')])).toBe(1);
    const r = await box.reraise('start', 'web');
    expectReallyStarted(r.stdout, owner, 'web');
    expect({ exit: r.exitCode, stderr: r.stderr }).toEqual({ exit: 0, stderr: '' });
    expect(workersOf(owner, 'web')).toHaveLength(1);
    expect((await box.reraise('status', 'web')).stdout).toMatch(/^web +running /m);
  });

  it('the attacker binds every socket name the owner\'s worker was seen holding: start web really starts web', async () => {
    const { owner, attacker } = users;
    const box = userBox(pkg, owner);
    box.script('web', LONG);
    expect((await box.reraise('start', 'web')).exitCode).toBe(0);
    const [worker] = workersOf(owner, 'web');
    const names = socketNames(worker);
    expect((await box.reraise('stop', 'web')).exitCode).toBe(0);
    await waitFor('the worker gone', () => workersOf(owner, 'web').length === 0, 5000);
    // As many as it can: abstract names always; socket files only where the attacker may create them.
    await squat(attacker, box, 'web', names);
    const r = await box.reraise('start', 'web');
    expectReallyStarted(r.stdout, owner, 'web');
    expect(r.exitCode).toBe(0);
  });

  it('with the attacker squatting, three starts at once make one worker and one service', async () => {
    const { owner, attacker } = users;
    const box = userBox(pkg, owner);
    box.script('web', LONG);
    expect((await box.reraise('status')).exitCode).toBe(0);
    await squat(attacker, box, 'web', [oldLockName(box.pidDir, 'web')]);
    const runs = await Promise.all([1, 2, 3].map(() => box.reraise('start', 'web')));
    for (const r of runs) expect({ exit: r.exitCode, stderr: r.stderr }).toEqual({ exit: 0, stderr: '' });
    const said = runs.map((r) => r.stdout).sort();
    const started = said.filter((s) => /^web: started \(pid \d+\)$/.test(s));
    expect(started, `exactly one start starts it; they said ${JSON.stringify(said)}`).toHaveLength(1);
    expect(said.filter((s) => s === 'web: skip (already running)')).toHaveLength(2);
    expectReallyStarted(started[0], owner, 'web');
    // A worker that lost the lock answers "busy" and leaves; on a loaded machine it may still be on its way out.
    await waitFor('one worker of web left', () => workersOf(owner, 'web').length === 1, 5000);
    expect(servicesOf(owner, 'web')).toHaveLength(1);
  });

  it('in a shared pid dir (mode 1777), lock sockets the attacker made there: start never says "already running" with nothing running', async () => {
    const { owner, attacker } = users;
    const box = userBox(pkg, owner);
    box.script('web', LONG);
    expect((await box.reraise('status')).exitCode).toBe(0);
    fs.chmodSync(box.pidDir, 0o1777); // shared on purpose (SPEC 2), still the owner's
    const names = [oldLockName(box.pidDir, 'web'), path.join(box.pidDir, '.web.lock'),
      ...Array.from({ length: 10 }, (_, n) => path.join(box.pidDir, `.web.lock.${n}`))];
    expect(await squat(attacker, box, 'web', names)).toBe(names.length);
    const r = await box.reraise('start', 'web');
    expect(r.stdout, 'start must not claim a service runs when nothing does').not.toContain('already running');
    if (r.exitCode === 0) {
      expectReallyStarted(r.stdout, owner, 'web');
    } else {
      // Held up, which another user of a shared pid dir may do: then it says so, with the path at fault.
      expect(r.exitCode).toBe(1);
      expect(r.stderr).toContain(box.pidDir);
      expect(servicesOf(owner, 'web')).toEqual([]);
    }
  });

  it('in a shared pid dir, a pid record the attacker planted for their own look-alike processes: neither running nor orphaned', async () => {
    const { owner, attacker } = users;
    const box = userBox(pkg, owner);
    box.script('web', LONG);
    expect((await box.reraise('status')).exitCode).toBe(0);
    fs.chmodSync(box.pidDir, 0o1777);
    // A fake worker (titled auto-reraise web) and a fake service (RERAISE_SERVICE=web), both with the owner's RERAISE_PIDDIR.
    const env = attackerEnv(attacker, { RERAISE_PIDDIR: box.pidDir, RERAISE_DIR: box.dir, RERAISE_SERVICE: 'web' });
    const fakeWorker = spawnAs(attacker, [process.execPath, '-e', SQUATTER, '[]', 'web'], env);
    await waitFor('the fake worker', () => fakeWorker.lines.includes('ready 0'), 5000);
    const fakeService = spawnAs(attacker, ['sleep', '1000'], env);
    await waitFor('the fake service', () => fakeService.pid !== undefined && argvOf(fakeService.pid).join(' ') === 'sleep 1000', 5000);
    const epoch = Math.floor(Date.now() / 1000);
    const plant = await runAs(attacker, ['sh', '-c', `echo "RUN - ${fakeService.pid} ${fakeWorker.pid} ${epoch} restarts=0" > "$0"`,
      path.join(box.pidDir, 'web')], env);
    expect(plant.exitCode, plant.stderr).toBe(0);
    const status = await box.reraise('status', 'web');
    expect(status.stdout, 'status must not say a service runs when it does not').not.toMatch(/^web +(running|orphaned|starting|restarting)\b/m);
    const start = await box.reraise('start', 'web');
    expect(start.stdout).not.toContain('already running');
    expect(start.stderr, 'start must not call the attacker\'s process an orphan of the owner\'s').not.toContain('orphaned');
    if (start.exitCode === 0) expectReallyStarted(start.stdout, owner, 'web');
    else expect(start.stderr).toContain(box.pidDir);
    expect(credentials(fakeService.pid!)?.uid[0], 'the attacker\'s process was not signalled').toBe(attacker.uid);
  });

  it('in a shared pid dir, a waiting mark the attacker planted: status does not believe it, and a link there is replaced, never followed', async () => {
    const { owner, attacker } = users;
    const box = userBox(pkg, owner);
    box.script('db', LONG);
    box.script('app', `config_needs=db\n${LONG}`);
    expect((await box.reraise('status')).exitCode).toBe(0);
    fs.chmodSync(box.pidDir, 0o1777);
    const env = attackerEnv(attacker, { RERAISE_PIDDIR: box.pidDir });
    const mark = path.join(box.pidDir, '.app.waiting');
    // A mark of the attacker's naming a live process of theirs, with its true start time.
    const sleeper = spawnAs(attacker, ['sleep', '1000'], env);
    await waitFor('the attacker\'s process', () => sleeper.pid !== undefined && argvOf(sleeper.pid).join(' ') === 'sleep 1000', 5000);
    const since = Math.round(Date.now() / 1000);
    const plant = await runAs(attacker, ['sh', '-c', `echo "${sleeper.pid} ${since} db" > "$0"`, mark], env);
    expect(plant.exitCode, plant.stderr).toBe(0);
    expect((await box.reraise('status', 'app')).stdout).toMatch(/^app +not running/m);
    // Then a link in its place, to a file of the owner's: the start's mark goes in by rename, over the link.
    const victim = path.join(box.root, 'victim');
    fs.writeFileSync(victim, 'keep\n');
    fs.chownSync(victim, owner.uid, owner.gid);
    expect((await runAs(attacker, ['sh', '-c', 'rm -f "$0" && ln -s "$1" "$0"', mark, victim], env)).exitCode).toBe(0);
    const start = await box.reraise('start', 'app');
    expect(start.exitCode, start.all).toBe(0);
    expect(fs.readFileSync(victim, 'utf8')).toBe('keep\n');
    expect(fs.lstatSync(mark, { throwIfNoEntry: false }), 'the start removed its own mark, and the link went with the rename').toBeUndefined();
    expect(credentials(sleeper.pid!)?.uid[0], 'the attacker\'s process was not signalled').toBe(attacker.uid);
    await box.reraise('stop', 'app', 'db');
  });

  // Root can read everyone's environment: a record of the attacker's own, naming a process of theirs
  // that carries RERAISE_SERVICE=web, would pass every identity check but the owner of the file (SPEC 4).
  it('root\'s shared pid dir: a record the attacker planted is not trusted, their process is neither orphaned nor stopped', async () => {
    const { attacker } = users;
    const box = userBox(pkg, ROOT, { base: scratch('root') });
    box.script('web', LONG);
    expect((await box.reraise('status')).exitCode).toBe(0);
    fs.chmodSync(box.pidDir, 0o1777);
    const env = attackerEnv(attacker, { RERAISE_SERVICE: 'web' });
    const fake = spawnAs(attacker, ['sleep', '1000'], env);
    await waitFor('the look-alike', () => fake.pid !== undefined && argvOf(fake.pid).join(' ') === 'sleep 1000', 5000);
    const started = Math.floor(Date.now() / 1000);
    const plant = await runAs(attacker, ['sh', '-c', `echo "RUN - ${fake.pid} ${fake.pid} ${started} restarts=0" > "$0"`,
      path.join(box.pidDir, 'web')], env);
    expect(plant.exitCode, plant.stderr).toBe(0);
    const status = await box.reraise('status', 'web');
    expect(status.stdout).toMatch(/^web +stale\b.*owned by uid/m);
    const stop = await box.reraise('stop', 'web');
    expect(stop.stdout).toBe('web: not running');
    const start = await box.reraise('start', 'web');
    expect(start.stderr).not.toContain('orphaned');
    expect(credentials(fake.pid!)?.uid[0], 'the attacker\'s process was not signalled').toBe(attacker.uid);
    await stays('the look-alike signalled away', () => credentials(fake.pid!) === undefined, 300);
    await box.reraise('stop', 'web');
  });
});
