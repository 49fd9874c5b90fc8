// The pid dir and the log dir on a shared host, with a hostile second user (SPEC 2, 4, 5.7, 6 `clean`, 12.1, 12.2):
// never used through a link or a directory another user controls, checked again by a worker that finds its
// pid dir gone, and `clean` removes only pid records and its own leftovers. Runs as root, with real users.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  BASE_PATH, CAN_USE_USERS, credentials, environ, mkdirFor, ppidOf, argvOf, processesOf, runAs, scratch, spawnAs, stays,
  ROOT, useUsers, usePackage, userBox, waitFor, writeFor, type RunResult, type User,
} from './users.js';

const LONG = 'config_start_sec=0.2\nconfig_stop_sec=1\nexec sleep 1000\n';

/** What a directory holds, without following links: name -> type, owner, mode, and content (or link target). */
function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string, prefix: string): void => {
    for (const name of fs.readdirSync(d).sort()) {
      const full = path.join(d, name);
      const st = fs.lstatSync(full);
      const id = `${st.uid}:${(st.mode & 0o7777).toString(8)}:${st.ino}`;
      if (st.isSymbolicLink()) out[prefix + name] = `link ${id} -> ${fs.readlinkSync(full)}`;
      else if (st.isDirectory()) {
        out[prefix + name] = `dir ${id}`;
        walk(full, `${prefix}${name}/`);
      } else if (st.isFile()) out[prefix + name] = `file ${id} ${crypto.createHash('sha256').update(fs.readFileSync(full)).digest('hex')}`;
      else out[prefix + name] = `other ${id}`;
    }
  };
  walk(dir, '');
  return out;
}

/** Exit 1 and an error on stderr that names every needle. */
function expectRefused(r: RunResult, what: string, ...needles: string[]): void {
  expect(r.timedOut, `${what}: timed out`).toBe(false);
  expect(r.exitCode, `${what}: exit code (stdout ${JSON.stringify(r.stdout)}, stderr ${JSON.stringify(r.stderr)})`).toBe(1);
  expect(r.stderr, `${what}: stderr`).toMatch(/^reraise: /m);
  for (const needle of needles) expect(r.stderr, `${what}: stderr names ${needle}`).toContain(needle);
}

/** The error says who owns the directory: their uid (or name). */
function expectNamesOwner(r: RunResult, owner: User): void {
  expect(r.stderr.includes(String(owner.uid)) || r.stderr.includes(owner.name), `the error names uid ${owner.uid}: ${r.stderr}`).toBe(true);
}

/** No process of the user is left (a refused start forks nothing that stays). */
async function nothingRunsAs(user: User): Promise<void> {
  await waitFor(`no process of ${user.name}`, () => processesOf(user.uid).length === 0, 3000);
}

/** The attacker's environment: nothing of the owner's. */
function attackerEnv(attacker: User): Record<string, string> {
  return { HOME: '/', PATH: BASE_PATH, USER: attacker.name, LOGNAME: attacker.name };
}

/** The service process: alive, run as the owner, RERAISE_SERVICE=NAME, child of its `auto-reraise NAME` worker. */
function isTheService(pid: number, name: string, user: User): boolean {
  const c = credentials(pid);
  const parent = ppidOf(pid);
  return !!c && c.uid[0] === user.uid && environ(pid).includes(`RERAISE_SERVICE=${name}`) &&
    parent !== undefined && argvOf(parent).join(' ') === `auto-reraise ${name}`;
}

describe.runIf(CAN_USE_USERS)('the default pid dir, made first by another user', () => {
  const users = useUsers();
  const pkg = usePackage();

  it('as a symlink to a directory of the owner\'s: start, status and clean refuse, naming it and RERAISE_PIDDIR; nothing is written there', async () => {
    const { owner, attacker } = users;
    const box = userBox(pkg, owner, { defaultPidDir: true });
    box.script('web', LONG);
    fs.writeFileSync(path.join(box.dir, 'notes.txt'), 'the owner\'s own file\n');
    fs.chownSync(path.join(box.dir, 'notes.txt'), owner.uid, owner.gid);
    const before = tree(box.dir);
    const ln = await runAs(attacker, ['ln', '-s', box.dir, box.pidDir], attackerEnv(attacker));
    expect(ln.exitCode, ln.stderr).toBe(0);
    expect(fs.lstatSync(box.pidDir).uid).toBe(attacker.uid);

    for (const args of [['start', 'web'], ['status'], ['clean'], ['status', 'web'], ['stop', 'web']]) {
      const r = await box.reraise(...args);
      expect(tree(box.dir), `after ${args.join(' ')}: the owner's service dir is untouched`).toEqual(before);
      expectRefused(r, args.join(' '), box.pidDir, 'RERAISE_PIDDIR');
    }
    await nothingRunsAs(owner);
    expect(fs.lstatSync(box.pidDir).isSymbolicLink()).toBe(true);
  });

  it('as a real directory of theirs: refused, naming the uid that owns it', async () => {
    const { owner, attacker } = users;
    const box = userBox(pkg, owner, { defaultPidDir: true });
    box.script('web', LONG);
    for (const mode of ['0755', '1777']) {
      const mk = await runAs(attacker, ['sh', '-c', `mkdir "$0" && chmod ${mode} "$0"`, box.pidDir], attackerEnv(attacker));
      expect(mk.exitCode, mk.stderr).toBe(0);
      for (const args of [['start', 'web'], ['status'], ['clean']]) {
        const r = await box.reraise(...args);
        expectRefused(r, `${args.join(' ')} (mode ${mode})`, box.pidDir, 'RERAISE_PIDDIR');
        expectNamesOwner(r, attacker);
      }
      await nothingRunsAs(owner);
      expect(fs.readdirSync(box.pidDir), 'nothing of the owner\'s written in the attacker\'s directory').toEqual([]);
      fs.rmdirSync(box.pidDir);
    }
  });

  it('appearing between two commands (after a tmp cleaner removed it): the next start, status and clean refuse it', async () => {
    const { owner, attacker } = users;
    const box = userBox(pkg, owner, { defaultPidDir: true });
    box.script('web', LONG);
    const first = await box.reraise('start', 'web');
    expect(first.exitCode, first.stderr).toBe(0);
    expect((await box.reraise('stop', 'web')).exitCode).toBe(0);
    expect(fs.lstatSync(box.pidDir).isDirectory()).toBe(true);
    fs.rmSync(box.pidDir, { recursive: true }); // a tmp cleaner
    const before = tree(box.dir);
    const ln = await runAs(attacker, ['ln', '-s', box.dir, box.pidDir], attackerEnv(attacker));
    expect(ln.exitCode, ln.stderr).toBe(0);
    for (const args of [['start', 'web'], ['status'], ['clean']]) {
      const r = await box.reraise(...args);
      expect(tree(box.dir), `after ${args.join(' ')}: the owner's service dir is untouched`).toEqual(before);
      expectRefused(r, args.join(' '), box.pidDir, 'RERAISE_PIDDIR');
    }
    await nothingRunsAs(owner);
  });
});

describe.runIf(CAN_USE_USERS)('named directories in a place the attacker can write to', () => {
  const users = useUsers();
  const pkg = usePackage();

  /** A shared sticky directory owned by root, like /tmp. */
  function sharedDir(base: string): string {
    return mkdirFor(path.join(base, 'shared'), undefined, 0o1777);
  }

  it('a log dir made first by the attacker as a symlink to a directory of the owner\'s: refused, naming it and RERAISE_LOGDIR; nothing written there', async () => {
    const { owner, attacker } = users;
    const logDir = path.join(sharedDir(scratch()), 'logs');
    const box = userBox(pkg, owner, { env: { RERAISE_LOGDIR: logDir } });
    box.script('web', LONG);
    const keep = mkdirFor(path.join(box.home, 'keep'), owner, 0o755);
    const ln = await runAs(attacker, ['ln', '-s', keep, logDir], attackerEnv(attacker));
    expect(ln.exitCode, ln.stderr).toBe(0);
    const r = await box.reraise('start', 'web');
    expect(fs.readdirSync(keep), 'nothing written into the owner\'s directory through the link').toEqual([]);
    expectRefused(r, 'start web', logDir, 'RERAISE_LOGDIR');
    await nothingRunsAs(owner);
  });

  it('a log dir made first by the attacker as their own directory (mode 0777): refused, naming the uid that owns it', async () => {
    const { owner, attacker } = users;
    const logDir = path.join(sharedDir(scratch()), 'logs');
    const box = userBox(pkg, owner, { env: { RERAISE_LOGDIR: logDir } });
    box.script('web', 'config_start_sec=0.2\nconfig_stop_sec=1\necho secret-output\nexec sleep 1000\n');
    const mk = await runAs(attacker, ['sh', '-c', 'mkdir "$0" && chmod 0777 "$0"', logDir], attackerEnv(attacker));
    expect(mk.exitCode, mk.stderr).toBe(0);
    const r = await box.reraise('start', 'web');
    await nothingRunsAs(owner);
    expect(fs.readdirSync(logDir), 'nothing of the owner\'s in the attacker\'s directory').toEqual([]);
    expectRefused(r, 'start web', logDir, 'RERAISE_LOGDIR');
    expectNamesOwner(r, attacker);
  });

  it.each(['the owner', 'root, for a script of the owner\'s'])('a process of the attacker dressed as a lost run of the service, as %s runs it: start and revive never take it for one, nor signal it', async (who) => {
    const { owner, attacker } = users;
    // Root reads every environment: only the uid of the user or the script's owner counts.
    const box = userBox(pkg, who === 'the owner' ? owner : ROOT);
    box.script('web', LONG, owner);
    // A group leader with stdin from /dev/null and the markers a worker gives its service (SPEC 13.2).
    const decoy = spawnAs(attacker, ['setsid', 'env', 'RERAISE_SERVICE=web', `RERAISE_PIDDIR=${box.pidDir}`, 'sleep', '1000'], attackerEnv(attacker));
    try {
      await waitFor('the decoy', () => argvOf(decoy.pid!)[0] === 'sleep');
      const runner = box.user.uid === 0 ? undefined : owner;
      mkdirFor(box.logDir, runner, 0o700);
      writeFor(path.join(mkdirFor(path.join(box.logDir, '.want'), runner, 0o700), 'web'), runner, 'up\n', 0o600);
      const revived = await box.reraise('revive');
      expect(revived.exitCode, revived.stderr).toBe(0);
      expect(revived.stdout).toMatch(/^web: started \(pid \d+\)$/);
      expect(box.pidRecord('web')?.[2]).not.toBe(String(decoy.pid));
      const started = await box.reraise('start', 'web');
      expect(started.stdout).toBe('web: skip (already running)');
      expect((await box.reraise('stop', 'web')).stdout).toBe('web: stopped');
      expect(argvOf(decoy.pid!)[0], 'the attacker\'s process is untouched').toBe('sleep');
    } finally {
      decoy.kill('SIGKILL');
    }
  });

  it('want files the owner cannot use (unreadable, or root\'s): revive names each, starts nothing for them, and the others still run', async () => {
    const { owner } = users;
    const box = userBox(pkg, owner);
    for (const name of ['locked', 'roots', 'web']) box.script(name, LONG);
    mkdirFor(box.logDir, owner, 0o700);
    const wantDir = mkdirFor(path.join(box.logDir, '.want'), owner, 0o700);
    writeFor(path.join(wantDir, 'locked'), owner, 'up\n', 0o000);
    writeFor(path.join(wantDir, 'roots'), undefined, 'up\n', 0o644);
    writeFor(path.join(wantDir, 'web'), owner, 'up\n', 0o600);
    const r = await box.reraise('revive');
    expect(r.exitCode, r.stderr).toBe(1);
    expect(r.stderr).toContain(`reraise: locked: unable to use want ${path.join(wantDir, 'locked')} (RERAISE_WANTDIR, default): permission denied; taken as no want`);
    expect(r.stderr).toContain(`reraise: roots: unable to use want ${path.join(wantDir, 'roots')} (RERAISE_WANTDIR, default): owned by uid 0, not by you; taken as no want`);
    expect(r.stdout).toMatch(/^web: started \(pid \d+\)$/);
    expect(box.pidRecord('locked')).toBeUndefined();
    expect(box.pidRecord('roots')).toBeUndefined();
    await box.reraise('stop', 'web');
  });

  it('a want dir made first by the attacker as a symlink to a directory of the owner\'s: start, stop and revive refused, naming it; nothing written there', async () => {
    const { owner, attacker } = users;
    const wantDir = path.join(sharedDir(scratch()), 'wants');
    const box = userBox(pkg, owner, { env: { RERAISE_WANTDIR: wantDir } });
    box.script('web', LONG);
    const keep = mkdirFor(path.join(box.home, 'keep'), owner, 0o755);
    const ln = await runAs(attacker, ['ln', '-s', keep, wantDir], attackerEnv(attacker));
    expect(ln.exitCode, ln.stderr).toBe(0);
    for (const args of [['start', 'web'], ['stop', 'web'], ['revive']]) {
      expectRefused(await box.reraise(...args), args.join(' '), wantDir, 'RERAISE_WANTDIR', 'a symbolic link');
    }
    expect(fs.readdirSync(keep), 'nothing written into the owner\'s directory through the link').toEqual([]);
    await nothingRunsAs(owner);
  });

  it.each(['RERAISE_PIDDIR', 'RERAISE_LOGDIR', 'RERAISE_WANTDIR'])('%s under a directory the attacker owns (mode 0777): refused, naming that directory', async (variable) => {
    const { owner, attacker } = users;
    const base = scratch();
    const theirs = path.join(base, 'theirs');
    mkdirFor(theirs, attacker, 0o777);
    const inside = path.join(theirs, variable === 'RERAISE_PIDDIR' ? 'pids' : variable === 'RERAISE_LOGDIR' ? 'logs' : 'wants');
    const box = userBox(pkg, owner, { base, env: { [variable]: inside } });
    box.script('web', LONG);
    const commands = { RERAISE_PIDDIR: [['start', 'web'], ['status']], RERAISE_LOGDIR: [['start', 'web']], RERAISE_WANTDIR: [['start', 'web'], ['revive']] };
    for (const args of commands[variable as keyof typeof commands]) {
      expectRefused(await box.reraise(...args), args.join(' '), inside, variable, theirs);
    }
    await nothingRunsAs(owner);
  });

  it('a pid dir reached through a symlink the attacker owns: refused, naming the link', async () => {
    const { owner, attacker } = users;
    const base = scratch();
    const box0 = userBox(pkg, owner, { base });
    const link = path.join(sharedDir(base), 'mine');
    // The link points at the owner's own area for now; its owner can point it elsewhere at any moment.
    const ln = await runAs(attacker, ['ln', '-s', box0.root, link], attackerEnv(attacker));
    expect(ln.exitCode, ln.stderr).toBe(0);
    const pidDir = path.join(link, 'pids');
    const box = userBox(pkg, owner, { env: { RERAISE_PIDDIR: pidDir } });
    box.script('web', LONG);
    expectRefused(await box.reraise('start', 'web'), 'start web', pidDir, 'RERAISE_PIDDIR', link);
    await nothingRunsAs(owner);
    expect(fs.existsSync(path.join(box0.root, 'pids'))).toBe(false);
  });
});

describe.runIf(CAN_USE_USERS)('clean, as the owner in their own pid dir', () => {
  const users = useUsers();
  const pkg = usePackage();

  it('never removes or renames a directory, a symlink or a file that is not a pid record; still removes stale and ERROR records', async () => {
    const { owner } = users;
    const box = userBox(pkg, owner);
    for (const name of ['web', 'api', 'junk', 'old', 'bad']) box.script(name, LONG);
    expect((await box.reraise('status')).exitCode).toBe(0); // makes the pid dir
    const dead = 9_999_999; // above any pid_max: never a live process
    const precious = writeFor(path.join(box.home, 'precious.txt'), owner, 'the owner\'s file\n', 0o644);
    const as = async (script: string): Promise<void> => {
      const r = await runAs(owner, ['sh', '-c', script], box.env, { cwd: box.pidDir });
      expect(r.exitCode, r.stderr).toBe(0);
    };
    await as([
      'mkdir web && echo inside > web/file',              // a directory named like a service
      `ln -s ${precious} api`,                             // a symlink named like a service
      'printf "hello\\n" > junk',                         // a file that is not a pid record
      `echo "RUN - ${dead} ${dead} 1700000000 restarts=0" > old`, // stale: its worker is gone
      'echo "ERROR 1 - - 1700000000 restarts=0" > bad',   // ERROR
      `mkdir .web.${dead}.tmp`,                            // a directory with a temp name of a dead writer
      `ln -s ${precious} .api.${dead}.tmp`,                // a symlink with a temp name of a dead writer
      `printf "x" > .junk.${dead}.tmp`,                    // a real leftover: removed
    ].join(' && '));
    const precious0 = fs.readFileSync(precious, 'utf8');
    const r = await box.reraiseWithin(10_000, 'clean');
    expect(r.timedOut).toBe(false);
    expect(r.stderr).not.toContain('internal error');
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout.split('\n').filter((l) => l.includes('removed')).sort())
      .toEqual(['bad: removed ERROR pid file (exit code 1)', 'old: removed stale pid file']);
    const left = fs.readdirSync(box.pidDir).sort();
    expect(left).toEqual([`.api.${dead}.tmp`, `.web.${dead}.tmp`, 'api', 'junk', 'web'].sort());
    expect(fs.lstatSync(path.join(box.pidDir, 'web')).isDirectory()).toBe(true);
    expect(fs.readFileSync(path.join(box.pidDir, 'web', 'file'), 'utf8')).toBe('inside\n');
    expect(fs.lstatSync(path.join(box.pidDir, 'api')).isSymbolicLink()).toBe(true);
    expect(fs.readlinkSync(path.join(box.pidDir, 'api'))).toBe(precious);
    expect(fs.lstatSync(path.join(box.pidDir, `.api.${dead}.tmp`)).isSymbolicLink()).toBe(true);
    expect(fs.readFileSync(path.join(box.pidDir, 'junk'), 'utf8')).toBe('hello\n');
    expect(fs.readFileSync(precious, 'utf8')).toBe(precious0);
    // status calls them stale and leaves them be; a second clean still removes nothing.
    const again = await box.reraiseWithin(10_000, 'clean');
    expect({ exit: again.exitCode, timedOut: again.timedOut }).toEqual({ exit: 0, timedOut: false });
    expect(again.stdout).not.toContain('removed');
    expect(fs.readdirSync(box.pidDir).sort()).toEqual(left);
  });
});

describe.runIf(CAN_USE_USERS)('a worker that finds its pid dir gone', () => {
  const users = useUsers();
  const pkg = usePackage();

  /**
   * The owner's `web` runs; a directory of the owner's holds a file named like the service (the
   * worker's pid file would replace it, its removal would remove it); then the pid dir goes (what a
   * tmp cleaner does) and the attacker puts a link to that directory in its place.
   */
  async function linkedAway(body: string) {
    const { owner, attacker } = users;
    const box = userBox(pkg, owner, { defaultPidDir: true });
    box.script('web', body);
    const keep = mkdirFor(path.join(box.home, 'keep'), owner, 0o755);
    writeFor(path.join(keep, 'web'), owner, 'the owner\'s file named web\n', 0o644);
    const before = tree(keep);
    const started = await box.reraise('start', 'web');
    expect(started.exitCode, started.stderr).toBe(0);
    const [, , pid, workerPid] = box.pidRecord('web')!;
    const rm = await runAs(owner, ['rm', '-rf', box.pidDir], box.env);
    expect(rm.exitCode, rm.stderr).toBe(0);
    const ln = await runAs(attacker, ['ln', '-s', keep, box.pidDir], attackerEnv(attacker));
    expect(ln.exitCode, ln.stderr).toBe(0);
    return { owner, box, keep, before, pid: Number(pid), workerPid: Number(workerPid) };
  }

  it('re-creates it with the checks: a symlink the attacker put there meanwhile is not written through, and the log says so', async () => {
    const { owner, box, keep, before, pid, workerPid } = await linkedAway('config_start_sec=0\nconfig_stop_sec=1\nexec sleep 1000\n');
    // config_start_sec=0: every run is a success, so the killed one is started again at once, and the worker writes its record.
    process.kill(pid, 'SIGKILL');
    await waitFor('the worker to react: a new run, its exit, or a line in its log about the pid dir', () =>
      box.log('web').includes(box.pidDir) ||
      processesOf(owner.uid).some((p) => p !== workerPid && isTheService(p, 'web', owner)) ||
      !processesOf(owner.uid).includes(workerPid), 5000);
    await stays('anything written into the owner\'s directory through the link', () =>
      JSON.stringify(tree(keep)) !== JSON.stringify(before), 500);
    expect(tree(keep)).toEqual(before);
    expect(box.log('web'), 'the worker says so in its log').toContain(box.pidDir);
  });

  // The removal of the pid file at a stop goes by path too (SPEC 12.2): it must not unlink the owner's file.
  it('stopped after the attacker put a link in its place: removes nothing through it', async () => {
    const { owner, box, keep, before, pid, workerPid } = await linkedAway('config_start_sec=0.2\nconfig_stop_sec=1\nexec sleep 1000\n');
    // What a shutdown does: SIGTERM to the worker, which stops its service and removes its pid file.
    process.kill(workerPid, 'SIGTERM');
    await waitFor('the worker gone', () => !processesOf(owner.uid).includes(workerPid), 5000);
    await waitFor('the service gone', () => !processesOf(owner.uid).includes(pid), 5000);
    expect(tree(keep)).toEqual(before);
    expect(box.log('web'), 'the worker says so in its log').toContain(box.pidDir);
  });

  // A cleaner that removes some files of the pid dir (the record and the lock), not the directory.
  it('its record and lock removed while it runs: status says unknown, never not running; start makes no second worker', async () => {
    const { owner } = users;
    const box = userBox(pkg, owner);
    box.script('web', 'config_start_sec=0.2\nconfig_stop_sec=1\nexec sleep 1000\n');
    box.script('other', 'config_start_sec=0.2\nconfig_stop_sec=1\nexec sleep 1000\n');
    expect((await box.reraise('start', 'web', 'other')).exitCode).toBe(0);
    const [, , , workerPid] = box.pidRecord('web')!;
    for (const f of fs.readdirSync(box.pidDir).filter((f) => f === 'web' || f.startsWith('.web.lock.'))) {
      expect((await runAs(owner, ['rm', '-f', path.join(box.pidDir, f)], box.env)).exitCode).toBe(0);
    }
    const status = await box.reraise('status', 'web');
    expect(status.stdout).toMatch(new RegExp(`^web +unknown +- +${workerPid} `, 'm'));
    const start = await box.reraise('start', 'web');
    expect(start.exitCode, start.stderr).toBe(0);
    expect(start.stdout).toBe('web: skip (already running)');
    await stays('a second worker of web', () => processesOf(owner.uid).filter((p) => argvOf(p).join(' ') === 'auto-reraise web').length > 1, 500);
    const stop = await box.reraise('stop', 'web');
    expect(stop.stdout).toBe('web: stopped');
    await waitFor('the worker gone', () => !processesOf(owner.uid).includes(Number(workerPid)), 5000);
    await box.reraise('stop', 'other');
  });
});
