// Root running services owned by other users (SPEC 5.2, 8, 12.1, 12.4): the owner's uid, groups and an
// environment built for them, none of root's descriptors; the identity decided from the file actually run,
// at each run; every directory on the way owned by root or the owner and closed to others; rc.log of the
// same owner; the owner's logger works. Nothing of the attacker's, or of the owner's, ever runs as root.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  BASE_PATH, CAN_USE_USERS, ROOT, argvOf, credentials, descriptors, environ, groupsOf, makeGroup, mkdirFor,
  processesOf, runAs, runRoot, scratch, stays, useUsers, usePackage, userBox, waitFor, writeFor, type Box, type User,
} from './users.js';

/** Root's environment: secrets and a session of its own that must not reach another user's service. */
const ROOT_ENV = {
  USER: 'root', LOGNAME: 'root', SHELL: '/bin/bash', LANG: 'C.UTF-8', TZ: 'Europe/Paris',
  SECRET_TOKEN: 'x', SSH_AUTH_SOCK: '/tmp/x', MAIL: '/var/mail/root', RERAISE_EXTRA: 'kept',
};

interface Setup {
  base: string;
  box: Box;
  /** A file any script can append to: `echo "who $(id -u)" >> $MARKS`. */
  marks: string;
  lines(): string[];
}

function setup(pkg: Parameters<typeof userBox>[0], extraEnv: Record<string, string> = {}): Setup {
  const base = scratch('root');
  const box = userBox(pkg, ROOT, { base, env: { ...ROOT_ENV, PATH: `${path.join(base, 'rootbin')}:/usr/local/sbin:/usr/sbin:/sbin:${BASE_PATH}`, ...extraEnv } });
  const markDir = mkdirFor(path.join(base, 'marks'), undefined, 0o1777);
  const marks = path.join(markDir, 'marks');
  return {
    base, box, marks,
    lines: () => (fs.existsSync(marks) ? fs.readFileSync(marks, 'utf8').split('\n').filter(Boolean) : []),
  };
}

/** A perp-style service directory in root's service dir: `dir` owned by `dirOwner` with `mode`. */
function perpDir(box: Box, name: string, dirOwner: User | undefined, mode = 0o755): string {
  return mkdirFor(path.join(box.dir, name), dirOwner, mode);
}

/** Exit 1, an error naming every needle, and the service not running. */
function expectRefused(r: Awaited<ReturnType<Box['reraise']>>, ...needles: string[]): void {
  expect(r.timedOut).toBe(false);
  expect(r.exitCode, `exit code; stdout ${JSON.stringify(r.stdout)} stderr ${JSON.stringify(r.stderr)}`).toBe(1);
  expect(r.stderr).toMatch(/^reraise: /m);
  for (const needle of needles) expect(r.stderr, `the error names ${needle}`).toContain(needle);
}

/** The service process of the record: its pid, once RUN. */
function servicePid(box: Box, name: string): number {
  const rec = box.pidRecord(name);
  expect(rec?.[0], `pid record of ${name}: ${rec?.join(' ')}`).toBe('RUN');
  return Number(rec![2]);
}

/** The worker has done something after the kill: a new run recorded, a retry or an ERROR written, or it is gone. */
async function nextRun(box: Box, name: string, before: number, workerPid: number): Promise<void> {
  await waitFor(`the worker of ${name} to run it again or give up`, () => {
    const rec = box.pidRecord(name);
    if (!rec) return true;
    if (rec[0] === 'RUN' && Number(rec[2]) !== before) return true;
    if (rec[0] === 'ERROR' || rec[0] === 'STOP') return true;
    return !processesOf(0).includes(workerPid);
  }, 8000);
}

describe.runIf(CAN_USE_USERS)('as root, a service owned by another user', () => {
  const users = useUsers();
  const pkg = usePackage();

  it('runs with the owner\'s uid, primary gid and supplementary groups; status and stop work', async () => {
    const { owner2 } = users;
    const extra = makeGroup(owner2);
    const { box } = setup(pkg);
    box.script('web', 'config_start_sec=0.2\nconfig_stop_sec=1\nexec sleep 1000\n', owner2);
    const r = await box.reraise('start', 'web');
    expect({ exit: r.exitCode, stderr: r.stderr }).toEqual({ exit: 0, stderr: '' });
    const pid = servicePid(box, 'web');
    expect(r.stdout).toBe(`web: started (pid ${pid})`);
    const c = credentials(pid)!;
    expect(c.uid).toEqual([owner2.uid, owner2.uid, owner2.uid, owner2.uid]);
    expect(c.gid).toEqual([owner2.gid, owner2.gid, owner2.gid, owner2.gid]);
    const expected = groupsOf(owner2);
    expect(expected).toContain(extra.gid);
    expect(c.groups, 'the owner\'s supplementary groups (initgroups)').toEqual(expect.arrayContaining(expected.filter((g) => g !== owner2.gid)));
    for (const g of c.groups) expect(expected, `group ${g} is one of the owner's`).toContain(g);
    const worker = Number(box.pidRecord('web')![3]);
    expect(credentials(worker)!.uid[0], 'the worker stays root').toBe(0);
    expect((await box.reraise('status', 'web')).stdout).toMatch(new RegExp(`^web +running +${pid} +${worker} `, 'm'));
    const stop = await box.reraise('stop', 'web');
    expect({ exit: stop.exitCode, stdout: stop.stdout }).toEqual({ exit: 0, stdout: 'web: stopped' });
    expect(processesOf(owner2.uid)).toEqual([]);
  });

  it('gets an environment built for the owner: HOME, USER, LOGNAME, SHELL, PATH, LANG, TZ and RERAISE_*; nothing else of root\'s', async () => {
    const { owner2 } = users;
    const { base, box } = setup(pkg);
    // Not exec'd: /proc/PID/environ of the service is what the worker gave it.
    box.script('web', 'config_start_sec=0.2\nconfig_stop_sec=1\nwhile :; do sleep 1; done\n', owner2);
    const r = await box.reraise('start', 'web');
    expect(r.exitCode, r.stderr).toBe(0);
    const pid = servicePid(box, 'web');
    expect(credentials(pid)!.uid[0]).toBe(owner2.uid);
    const env = Object.fromEntries(environ(pid).map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
    const allowed = new Set(['HOME', 'USER', 'LOGNAME', 'SHELL', 'PATH', 'LANG', 'TZ']);
    const extra = Object.keys(env).filter((k) => !allowed.has(k) && !k.startsWith('RERAISE_')).sort();
    expect(extra, 'nothing of root\'s environment beyond the list (SECRET_TOKEN, SSH_AUTH_SOCK, MAIL, ...)').toEqual([]);
    expect({ HOME: env.HOME, USER: env.USER, LOGNAME: env.LOGNAME, SHELL: env.SHELL, LANG: env.LANG, TZ: env.TZ }).toEqual({
      HOME: owner2.home, USER: owner2.name, LOGNAME: owner2.name, SHELL: owner2.shell, LANG: 'C.UTF-8', TZ: 'Europe/Paris',
    });
    expect(env.PATH.startsWith('/usr/local/bin:/usr/bin:/bin'), `PATH=${env.PATH}`).toBe(true);
    const reraiseBin = path.join(pkg.root, 'bin');
    for (const dir of env.PATH.split(':')) {
      expect(['/usr/local/bin', '/usr/bin', '/bin', path.dirname(process.execPath), reraiseBin], `PATH has ${dir} (root's own: ${base}/rootbin)`).toContain(dir);
    }
    expect(env).toMatchObject({
      RERAISE_SERVICE: 'web', RERAISE_DIR: box.dir, RERAISE_PIDDIR: box.pidDir, RERAISE_LOGDIR: box.logDir,
      RERAISE_NODE: process.execPath, RERAISE_EXTRA: 'kept',
    });
  });

  it('gets no descriptor of root\'s starter beyond 0-2, and neither does the worker', async () => {
    const { owner2 } = users;
    const { base, box } = setup(pkg);
    const secret = writeFor(path.join(base, 'root-secret'), undefined, 'root only\n', 0o600);
    box.script('web', 'config_start_sec=0.2\nconfig_stop_sec=1\nexec sleep 1000\n', owner2);
    // A low and a high descriptor: Node itself keeps some low ones from its children, not the high ones.
    const r = await runRoot(['bash', '-c', `exec 7<"${secret}"; exec 201>>"${secret}"; exec "$0" start web`, pkg.reraise],
      box.env);
    expect(r.exitCode, r.stderr).toBe(0);
    const pid = servicePid(box, 'web');
    const worker = Number(box.pidRecord('web')![3]);
    const serviceFds = descriptors(pid);
    expect([...serviceFds.keys()].sort(), `the service's descriptors: ${JSON.stringify([...serviceFds])}`).toEqual([0, 1, 2]);
    for (const [fd, target] of descriptors(worker)) expect(target, `worker fd ${fd}`).not.toBe(secret);
    for (const [fd, target] of serviceFds) expect(target, `service fd ${fd}`).not.toBe(secret);
  });

  it('a uid without an account is refused, and nothing runs', async () => {
    const { box, marks, lines } = setup(pkg);
    const passwd = fs.readFileSync('/etc/passwd', 'utf8');
    let uid = 3_900_000 + Math.floor(Math.random() * 90_000);
    while (passwd.includes(`:${uid}:`)) uid++;
    const file = box.script('web', `config_start_sec=0.2\necho "ran $(id -u)" >> ${marks}\nexec sleep 1000\n`);
    fs.chownSync(file, uid, uid);
    const r = await box.reraise('start', 'web');
    await stays('anything ran', () => lines().length > 0, 300);
    expectRefused(r, file);
    expect(processesOf(uid)).toEqual([]);
  });
});

describe.runIf(CAN_USE_USERS)('as root, the directories on the way to what runs', () => {
  const users = useUsers();
  const pkg = usePackage();

  it('a perp directory owned by the attacker, holding an rc.main owned by root: refused, naming it; never run as root', async () => {
    const { attacker } = users;
    const { box, marks, lines } = setup(pkg);
    const dir = perpDir(box, 'svc', attacker);
    writeFor(path.join(dir, 'rc.main'), undefined, `config_start_sec=0.2\necho "main $(id -u)" >> ${marks}\nexec sleep 1000\n`);
    const r = await box.reraise('start', 'svc');
    await stays('rc.main ran', () => lines().length > 0, 300);
    expectRefused(r, dir);
  });

  it('a perp directory owned by the attacker, whose rc.main is their symlink to a root-owned script: refused; never run as root', async () => {
    const { attacker } = users;
    const { base, box, marks, lines } = setup(pkg);
    const rootbin = mkdirFor(path.join(base, 'rootbin'), undefined, 0o755);
    const target = writeFor(path.join(rootbin, 'root-script'), undefined, `config_start_sec=0.2\necho "main $(id -u)" >> ${marks}\nexec sleep 1000\n`);
    const dir = perpDir(box, 'svc', attacker);
    const ln = await runAs(attacker, ['ln', '-s', target, path.join(dir, 'rc.main')], { PATH: BASE_PATH });
    expect(ln.exitCode, ln.stderr).toBe(0);
    const r = await box.reraise('start', 'svc');
    await stays('rc.main ran', () => lines().length > 0, 300);
    expectRefused(r, dir);
  });

  it('a script reached through a directory the attacker owns: refused, naming that directory; never run', async () => {
    const { attacker } = users;
    const { base, box, marks, lines } = setup(pkg);
    const theirs = mkdirFor(path.join(base, 'theirs'), attacker, 0o755);
    const script = writeFor(path.join(theirs, 'web'), undefined, `config_start_sec=0.2\necho "web $(id -u)" >> ${marks}\nexec sleep 1000\n`);
    fs.symlinkSync(script, path.join(box.dir, 'web'));
    const r = await box.reraise('start', 'web');
    await stays('the script ran', () => lines().length > 0, 300);
    expectRefused(r, theirs);
  });

  it.each([
    ['a perp directory of the owner, writable by everyone (0777)', 'perp777'],
    ['a perp directory of the owner, writable by a group the attacker is in (0770)', 'perp770'],
    ['a directory above the script\'s real location, writable by everyone without the sticky bit', 'open777'],
  ])('%s: refused, naming it; never run', async (_label, kind) => {
    const { owner2, attacker } = users;
    const { base, box, marks, lines } = setup(pkg);
    const body = `config_start_sec=0.2\necho "ran $(id -u)" >> ${marks}\nexec sleep 1000\n`;
    let atFault: string;
    let name: string;
    if (kind === 'open777') {
      atFault = mkdirFor(path.join(base, 'open'), undefined, 0o777);
      const script = writeFor(path.join(atFault, 'web'), owner2, body);
      fs.symlinkSync(script, path.join(box.dir, 'web'));
      name = 'web';
    } else {
      name = 'svc';
      atFault = perpDir(box, name, owner2, kind === 'perp777' ? 0o777 : 0o770);
      if (kind === 'perp770') {
        const group = makeGroup(attacker, owner2);
        fs.chownSync(atFault, owner2.uid, group.gid);
        fs.chmodSync(atFault, 0o770);
      }
      writeFor(path.join(atFault, 'rc.main'), owner2, body);
    }
    const r = await box.reraise('start', name);
    await stays('it ran', () => lines().length > 0, 300);
    expectRefused(r, atFault);
  });

  it('a sticky world-writable directory on the way (like /tmp) is no fault: the script runs as its owner', async () => {
    const { owner2 } = users;
    const { base, box, marks, lines } = setup(pkg);
    const sticky = mkdirFor(path.join(base, 'sticky'), undefined, 0o1777);
    const script = writeFor(path.join(sticky, 'web'), owner2, `config_start_sec=0.2\necho "ran $(id -u)" >> ${marks}\nexec sleep 1000\n`);
    fs.symlinkSync(script, path.join(box.dir, 'web'));
    const r = await box.reraise('start', 'web');
    expect({ exit: r.exitCode, stderr: r.stderr }).toEqual({ exit: 0, stderr: '' });
    await waitFor('the script ran', () => lines().length > 0);
    expect(lines()).toEqual([`ran ${owner2.uid}`]);
  });

  // The service dir's link points at a link of the owner's, which points at a root-owned program: the owner
  // can swap their link between the check and the exec, so it must count, and root's program is refused.
  it('a link to a link in the owner\'s directory, to a root-owned program: refused, naming the owner\'s directory; never run as root', async () => {
    const { owner2 } = users;
    const { base, box, marks, lines } = setup(pkg);
    const home = mkdirFor(path.join(base, 'home2'), owner2, 0o755);
    const bin = mkdirFor(path.join(home, 'bin'), owner2, 0o755);
    const rootScript = writeFor(path.join(mkdirFor(path.join(base, 'sys'), undefined, 0o755), 'id'), undefined,
      `config_start_sec=0.2\necho "ran $(id -u)" >> ${marks}\nexec sleep 1000\n`);
    const middle = path.join(bin, 'web');
    const made = await runAs(owner2, ['ln', '-s', rootScript, middle], { PATH: BASE_PATH });
    expect(made.exitCode, made.stderr).toBe(0);
    fs.symlinkSync(middle, path.join(box.dir, 'web'));
    const r = await box.reraise('start', 'web');
    // The first directory on the way that is neither root's nor the program's owner's.
    expectRefused(r, `${home} is a directory owned by uid ${owner2.uid}`);
    await stays('it ran', () => lines().length > 0, 300);
  });

  it('a script of root\'s writable by a group that is not only root\'s: refused, naming the group; never run', async () => {
    const { owner2 } = users;
    const shared = makeGroup(owner2);
    const { box, marks, lines } = setup(pkg);
    const file = box.script('web', `config_start_sec=0.2\necho "ran $(id -u)" >> ${marks}\nexec sleep 1000\n`);
    fs.chownSync(file, 0, shared.gid);
    fs.chmodSync(file, 0o775);
    const r = await box.reraise('start', 'web');
    expectRefused(r, file, 'writable by its group');
    await stays('it ran', () => lines().length > 0, 300);
  });
});

describe.runIf(CAN_USE_USERS)('as root, the identity decided at each run, from the file actually run', () => {
  const users = useUsers();
  const pkg = usePackage();

  it('rc.main of the owner, replaced after start by a symlink to a root-owned script: the next run is never root\'s', async () => {
    const { owner2 } = users;
    const { base, box, marks, lines } = setup(pkg);
    const rootbin = mkdirFor(path.join(base, 'rootbin'), undefined, 0o755);
    const rootScript = writeFor(path.join(rootbin, 'id-u'), undefined,
      `config_start_sec=0\nconfig_max_retry=0\necho "root-script $(id -u)" >> ${marks}\nexec sleep 1000\n`);
    const dir = perpDir(box, 'svc', owner2);
    writeFor(path.join(dir, 'rc.main'), owner2, `config_start_sec=0\nconfig_stop_sec=1\nconfig_max_retry=0\necho "main $(id -u)" >> ${marks}\nexec sleep 1000\n`);
    const r = await box.reraise('start', 'svc');
    expect(r.exitCode, r.stderr).toBe(0);
    await waitFor('the first run', () => lines().includes(`main ${owner2.uid}`));
    const first = servicePid(box, 'svc');
    const worker = Number(box.pidRecord('svc')![3]);
    const swap = await runAs(owner2, ['sh', '-c', `ln -s "$0" "$1.new" && mv -f "$1.new" "$1"`, rootScript, path.join(dir, 'rc.main')], { PATH: BASE_PATH });
    expect(swap.exitCode, swap.stderr).toBe(0);
    process.kill(first, 'SIGKILL');
    await nextRun(box, 'svc', first, worker);
    await stays('a run as root', () => lines().some((l) => l.endsWith(' 0')), 500);
    for (const pid of processesOf(0)) expect(environ(pid).includes('RERAISE_SERVICE=svc') && argvOf(pid).includes('sleep'), `pid ${pid} is svc run as root`).toBe(false);
  });

  it('rc.main that is the owner\'s symlink to a root-owned script: refused at start, and the owner\'s own code never runs as root after a swap', async () => {
    const { owner2 } = users;
    const { base, box, marks, lines } = setup(pkg);
    const rootbin = mkdirFor(path.join(base, 'rootbin'), undefined, 0o755);
    const benign = writeFor(path.join(rootbin, 'benign'), undefined,
      `config_start_sec=0\nconfig_stop_sec=1\nconfig_max_retry=0\necho "benign $(id -u)" >> ${marks}\nexec sleep 1000\n`);
    const dir = perpDir(box, 'svc', owner2);
    const evil = writeFor(path.join(dir, 'evil'), owner2, `config_start_sec=0\nconfig_max_retry=0\necho "evil $(id -u)" >> ${marks}\nexec sleep 1000\n`);
    const ln = await runAs(owner2, ['ln', '-s', benign, path.join(dir, 'rc.main')], { PATH: BASE_PATH });
    expect(ln.exitCode, ln.stderr).toBe(0);
    const r = await box.reraise('start', 'svc');
    if (r.exitCode === 0) {
      // It runs (today, as root): the owner of the directory now swaps in their own code.
      await waitFor('the first run', () => lines().length > 0);
      const first = servicePid(box, 'svc');
      const worker = Number(box.pidRecord('svc')![3]);
      const swap = await runAs(owner2, ['sh', '-c', `ln -s "$0" "$1.new" && mv -f "$1.new" "$1"`, evil, path.join(dir, 'rc.main')], { PATH: BASE_PATH });
      expect(swap.exitCode, swap.stderr).toBe(0);
      process.kill(first, 'SIGKILL');
      await nextRun(box, 'svc', first, worker);
      await stays('the owner\'s code run as root', () => lines().includes('evil 0'), 500);
    }
    expect(lines(), 'nothing ran as root from a directory of the owner\'s').toEqual([]);
    expectRefused(r, dir);
  });
});

describe.runIf(CAN_USE_USERS)('as root, rc.log and the owner\'s logger', () => {
  const users = useUsers();
  const pkg = usePackage();

  it('an rc.log owned by the attacker next to the owner\'s rc.main (root-owned perp dir): refused, naming both; it never runs', async () => {
    const { owner2, attacker } = users;
    const { box, marks, lines } = setup(pkg);
    const dir = perpDir(box, 'svc', undefined);
    const main = writeFor(path.join(dir, 'rc.main'), owner2, `config_start_sec=0.2\nconfig_stop_sec=1\necho "main $(id -u)" >> ${marks}\nexec sleep 1000\n`);
    const log = writeFor(path.join(dir, 'rc.log'), attacker, `echo "log $(id -u)" >> ${marks}\nexec cat > /dev/null\n`);
    const r = await box.reraise('start', 'svc');
    await stays('rc.log ran', () => lines().some((l) => l.startsWith('log ')), 1500);
    expectRefused(r, log, main);
    expect(lines()).toEqual([]);
  });

  /** A perp service of owner2 whose rc.log is `exec reraise logger "$2"`, started by root. */
  async function withLogger(box: Box, owner2: User, marks: string, rcLog = 'exec reraise logger "$2"\n'): Promise<string> {
    const dir = perpDir(box, 'talk', owner2);
    writeFor(path.join(dir, 'rc.main'), owner2,
      `config_start_sec=0.2\nconfig_stop_sec=1\necho "hello from $(id -u)"\necho "main $(id -u)" >> ${marks}\nexec sleep 1000\n`);
    writeFor(path.join(dir, 'rc.log'), owner2, rcLog);
    const r = await box.reraise('start', 'talk');
    expect({ exit: r.exitCode, stderr: r.stderr }).toEqual({ exit: 0, stderr: '' });
    return dir;
  }

  /** The rc.log processes of the service `talk` (`reraise logger talk` once exec'd). */
  function loggers(uid: number): number[] {
    return processesOf(uid).filter((pid) => argvOf(pid).includes('talk') && argvOf(pid).some((a) => a === 'logger' || a.endsWith('rc.log')));
  }

  it('`exec reraise logger "$2"` as rc.log: runs as the owner, in a log directory of theirs, and the output reaches the log', async () => {
    const { owner2 } = users;
    const { box, marks } = setup(pkg);
    await withLogger(box, owner2, marks);
    const current = path.join(box.logDir, 'talk', 'current');
    await waitFor('the output in <log dir>/talk/current', () => box.log('talk').includes(`hello from ${owner2.uid}`), 8000);
    expect(fs.statSync(path.join(box.logDir, 'talk')).uid, '<log dir>/talk is the owner\'s').toBe(owner2.uid);
    expect(fs.statSync(current).uid).toBe(owner2.uid);
    const shown = await box.reraise('log', 'talk');
    expect(shown.exitCode, shown.stderr).toBe(0);
    expect(shown.stdout).toContain(`hello from ${owner2.uid}`);
    const [logger] = loggers(owner2.uid);
    expect(logger, 'the logger runs as the owner').toBeDefined();
    expect(loggers(0), 'no logger runs as root').toEqual([]);
  });

  it('a log dir the owner cannot reach (0700, as reraise makes it): a service with rc.log is refused, naming it, not run with its output lost', async () => {
    const { owner2 } = users;
    const { box, marks, lines } = setup(pkg);
    fs.chmodSync(box.logDir, 0o700);
    const dir = perpDir(box, 'talk', owner2);
    writeFor(path.join(dir, 'rc.main'), owner2, `config_start_sec=0.2\nconfig_stop_sec=1\necho "main $(id -u)" >> ${marks}\nexec sleep 1000\n`);
    writeFor(path.join(dir, 'rc.log'), owner2, 'exec reraise logger "$2"\n');
    const r = await box.reraise('start', 'talk');
    await stays('rc.main ran', () => lines().length > 0, 300);
    expectRefused(r, box.logDir);
  });

  it('the owner turns logger.log into a symlink to a root-owned file: the worker never writes through it, nor lets rc.log write into it', async () => {
    const { owner2 } = users;
    const { base, box, marks } = setup(pkg);
    const secret = writeFor(path.join(base, 'root-secret'), undefined, 'root only\n', 0o600);
    await withLogger(box, owner2, marks, 'echo "rc.log says $(id -u)"\nexec reraise logger "$2"\n');
    await waitFor('the logger running', () => loggers(owner2.uid).length === 1, 8000);
    const loggerLog = path.join(box.logDir, 'talk', 'logger.log');
    const plant = await runAs(owner2, ['sh', '-c', 'ln -sf "$0" "$1.new" && mv -f "$1.new" "$1"', secret, loggerLog], { PATH: BASE_PATH });
    expect(plant.exitCode, `the owner can plant in their own <log dir>/talk: ${plant.stderr}`).toBe(0);
    const [first] = loggers(owner2.uid);
    process.kill(first, 'SIGKILL');
    // The worker notes the logger's exit in logger.log, and starts it again after a second with its output there
    // (or refuses to: either way, nothing reaches root's file).
    await stays('root\'s file written through the link', () => fs.readFileSync(secret, 'utf8') !== 'root only\n', 2500);
    expect(fs.lstatSync(secret).uid).toBe(0);
  });
});
