// A service of another user run through `sudo -n -u OWNER` (SPEC 4, 5.6, 6 `start`, 12.4): status tells the
// truth about it, signal and stop reach it, and a killed worker leads to "orphaned", never to a second copy.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  CAN_USE_USERS, SUDO, argvOf, credentials, mkdirFor, processesOf, scratch, stays, sudoers, useUsers, usePackage,
  userBox, waitFor, writeFor, type Box, type User,
} from './users.js';

if (CAN_USE_USERS && !SUDO) console.warn('sudo tests skipped: sudo is not installed (apt-get install -y sudo)');

interface SudoSetup {
  box: Box;
  script: string;
  marks(): string[];
}

/**
 * The owner's reraise, with a service dir owned by root (so that every directory on the way is root's or the
 * script owner's) holding `web`, owned by owner2; sudoers lets the owner run it as owner2 and keep RERAISE_*.
 */
function setup(pkg: Parameters<typeof userBox>[0], owner: User, owner2: User): SudoSetup {
  const base = scratch('sudo');
  const services = mkdirFor(path.join(base, 'services'), undefined, 0o755);
  const marksDir = mkdirFor(path.join(base, 'marks'), undefined, 0o1777);
  const marks = path.join(marksDir, 'marks');
  const box = userBox(pkg, owner, { base, env: { RERAISE_DIR: services } });
  const script = writeFor(path.join(services, 'web'), owner2, [
    'config_start_sec=0.2', 'config_stop_sec=2',
    `trap 'echo "hup $(id -u)" >> ${marks}' HUP`,
    `echo "up $(id -u) $RERAISE_SERVICE" >> ${marks}`,
    'while :; do sleep 0.1; done', '',
  ].join('\n'));
  sudoers(`${owner.name} ALL=(${owner2.name}) NOPASSWD: ${script}\nDefaults:${owner.name} env_keep += "RERAISE_*"\n`);
  return {
    box, script,
    marks: () => (fs.existsSync(marks) ? fs.readFileSync(marks, 'utf8').split('\n').filter(Boolean) : []),
  };
}

/** owner2's processes running the script itself (`/bin/sh SCRIPT`): one per copy of the service. */
function copies(owner2: User, script: string): number[] {
  return processesOf(owner2.uid).filter((pid) => argvOf(pid).includes(script));
}

async function startIt(s: SudoSetup, owner2: User): Promise<{ pid: number; worker: number }> {
  const r = await s.box.reraise('start', 'web');
  expect({ exit: r.exitCode, stderr: r.stderr }).toEqual({ exit: 0, stderr: '' });
  const rec = s.box.pidRecord('web')!;
  expect(rec[0]).toBe('RUN');
  const pid = Number(rec[2]);
  expect(r.stdout).toBe(`web: started (pid ${pid})`);
  expect(argvOf(pid).slice(0, 6), 'the service process is the sudo its worker spawned').toEqual(['sudo', '-n', '-u', owner2.name, '--', s.script]);
  await waitFor('the script running as owner2', () => s.marks().includes(`up ${owner2.uid} web`));
  expect(copies(owner2, s.script)).toHaveLength(1);
  return { pid, worker: Number(rec[3]) };
}

describe.runIf(CAN_USE_USERS && SUDO !== undefined)('a service started through sudo -n -u OWNER', () => {
  const users = useUsers();
  const pkg = usePackage();

  it('status says running with its pid, signal HUP reaches it, stop stops it', async () => {
    const { owner, owner2 } = users;
    const s = setup(pkg, owner, owner2);
    const { pid, worker } = await startIt(s, owner2);
    const status = await s.box.reraise('status', 'web');
    expect(status.stdout).toMatch(new RegExp(`^web +running +${pid} +${worker} `, 'm'));
    const hup = await s.box.reraise('signal', 'HUP', 'web');
    expect({ exit: hup.exitCode, stdout: hup.stdout, stderr: hup.stderr }).toEqual({ exit: 0, stdout: `web: sent SIGHUP (pid ${pid})`, stderr: '' });
    await waitFor('the HUP trapped by the script, as owner2', () => s.marks().includes(`hup ${owner2.uid}`), 5000);
    expect(copies(owner2, s.script), 'HUP did not end it').toHaveLength(1);
    const stop = await s.box.reraise('stop', 'web');
    expect({ exit: stop.exitCode, stdout: stop.stdout, stderr: stop.stderr }).toEqual({ exit: 0, stdout: 'web: stopped', stderr: '' });
    await waitFor('the script gone', () => copies(owner2, s.script).length === 0, 5000);
    await waitFor('sudo gone too', () => credentials(pid) === undefined, 5000);
    expect((await s.box.reraise('status', 'web')).stdout).toMatch(/^web +not running/m);
  });

  // SIGKILL to sudo's group would end sudo alone (its real uid is the owner's user), never owner2's processes:
  // the worker must not pretend the service stopped, drop its record, and so let start make a second copy.
  it('a script that ignores the stop signal: stop says it could not, the record stays, start makes no second copy', async () => {
    const { owner, owner2 } = users;
    const s = setup(pkg, owner, owner2);
    fs.writeFileSync(s.script, [
      '#!/bin/sh', 'config_start_sec=0.2', 'config_stop_sec=0.5', `trap '' TERM`,
      `echo "up $(id -u) $RERAISE_SERVICE" >> ${path.join(path.dirname(s.script), '..', 'marks', 'marks')}`,
      'while :; do sleep 0.1; done', '',
    ].join('\n'));
    const { pid, worker } = await startIt(s, owner2);
    const stop = await s.box.reraise('stop', 'web');
    expect(stop.exitCode, stop.stdout).toBe(1);
    expect(stop.stderr).toMatch(/^reraise: web: /m);
    expect(copies(owner2, s.script), 'owner2\'s script runs on').toHaveLength(1);
    expect(credentials(pid), 'sudo lives on: it was not sent SIGKILL').toBeDefined();
    expect(s.box.log('web')).toContain('SIGKILL cannot reach');
    const status = await s.box.reraise('status', 'web');
    expect(status.stdout).not.toMatch(/^web +not running/m);
    const again = await s.box.reraise('start', 'web');
    expect(again.stdout).not.toContain('started');
    await stays('a second copy', () => copies(owner2, s.script).length > 1, 500);
    // The test's own clean-up of what only root may kill: owner2's script, then its worker lets go.
    for (const p of copies(owner2, s.script)) process.kill(p, 'SIGKILL');
    await waitFor('the worker gone', () => credentials(worker) === undefined, 8000);
  });

  // SIGSTOP and SIGKILL cannot be caught, so sudo cannot relay them: sent to its group they would stop or
  // end sudo alone, and status would say paused, or the worker start a second copy, while owner2's script runs on.
  it('pause and signal KILL are refused, naming sudo: the script runs on, and status does not say paused', async () => {
    const { owner, owner2 } = users;
    const s = setup(pkg, owner, owner2);
    const { pid } = await startIt(s, owner2);
    for (const args of [['pause', 'web'], ['signal', 'KILL', 'web'], ['signal', 'STOP', 'web']]) {
      const r = await s.box.reraise(...args);
      expect({ exit: r.exitCode, stdout: r.stdout }).toEqual({ exit: 1, stdout: '' });
      expect(r.stderr).toMatch(new RegExp(`^reraise: web: unable to send SIG(STOP|KILL) to pid ${pid}: it runs through sudo`));
    }
    await stays('sudo stopped or gone', () => !/^[RS]/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1] ?? ''), 300);
    expect(copies(owner2, s.script)).toHaveLength(1);
    const status = await s.box.reraise('status', 'web');
    expect(status.stdout).toMatch(new RegExp(`^web +running +${pid} .* - +\\S+% +\\S+$`, 'm'));
    expect((await s.box.reraise('cont', 'web')).exitCode).toBe(0);
    expect((await s.box.reraise('stop', 'web')).stdout).toBe('web: stopped');
    await waitFor('the script gone', () => copies(owner2, s.script).length === 0, 5000);
  });

  it('after kill -9 of its worker: status says orphaned with its pid, start refuses and makes no second copy, stop ends it', async () => {
    const { owner, owner2 } = users;
    const s = setup(pkg, owner, owner2);
    const { pid, worker } = await startIt(s, owner2);
    process.kill(worker, 'SIGKILL');
    await waitFor('the worker gone', () => credentials(worker) === undefined || !processesOf(owner.uid).includes(worker));
    const start = await s.box.reraise('start', 'web');
    await stays('a second copy of the script', () => copies(owner2, s.script).length !== 1, 1000);
    expect(start.exitCode, `start: ${start.stdout} ${start.stderr}`).toBe(1);
    expect(start.stderr).toContain('orphaned');
    const status = await s.box.reraise('status', 'web');
    expect(status.stdout).toMatch(new RegExp(`^web +orphaned +${pid} `, 'm'));
    const stop = await s.box.reraise('stop', 'web');
    expect(stop.exitCode, stop.stderr).toBe(0);
    expect(stop.stdout).toMatch(/^web: stopped orphaned service/);
    await waitFor('the script gone', () => copies(owner2, s.script).length === 0, 5000);
  });

  // sudo closes every descriptor above 2: the readiness pipe could never reach owner2's script (SPEC 14.1).
  it('config_ready_fd through sudo: refused at start with the reason, nothing runs', async () => {
    const { owner, owner2 } = users;
    const s = setup(pkg, owner, owner2);
    fs.writeFileSync(s.script, `config_ready_fd=3\n${fs.readFileSync(s.script, 'utf8')}`);
    const start = await s.box.reraise('start', 'web');
    expect(start.exitCode).toBe(1);
    expect(start.stderr).toContain('config_ready_fd=3 cannot reach a service run through sudo');
    await stays('a copy of the script', () => copies(owner2, s.script).length > 0, 500);
    // Refused before a worker is forked, and before the want is up: revive will not try it again.
    expect(s.box.pidRecord('web')).toBeUndefined();
    expect((await s.box.reraise('status', '--json', 'web')).stdout).toContain('"wanted": "none"');
  });
});
