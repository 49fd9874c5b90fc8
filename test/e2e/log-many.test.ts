// reraise log PATTERN... through the real bin/reraise: many services in time order with their names, -n per
// service, --json, --local, following services that appear later; and stamps by default (SPEC 15.3, 15.7).
import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { isAlive, never, RERAISE, sandbox, type Sandbox } from './sandbox.js';
import { follow, logFiles, until } from './log-files.js';

const T0 = Date.parse('2026-11-22T04:30:12.123Z');
const at = (ms: number): string => new Date(T0 + ms).toISOString();
const STAMPED = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z /;
const R0 = '20261122T043000.000000Z.log';

/** Two services' logs, their stamps interleaved, one unstamped line among them; `db`'s script is gone. */
function twoLogs(box: Sandbox): void {
  box.script('web', 'exec sleep 1000\n');
  logFiles(box, 'web', {
    [R0]: `${at(0)} w1\n${at(20)} w2\n`,
    current: `${at(40)} w3\n  w3 continued\n${at(60)} w4\n`,
  });
  logFiles(box, 'db', { current: `${at(10)} d1\n${at(30)} d2\n${at(50)} d3\n` });
}

describe('reraise log PATTERN...: the last lines of many services', () => {
  it('merges the logs by their stamps, each line behind its name padded to the longest, -n per service', async () => {
    const box = sandbox();
    twoLogs(box);
    logFiles(box, 'cache-server', { current: `${at(35)} c1\n` });
    const [both, glob, n1, three] = await Promise.all([
      box.reraise('log', 'web', 'db'), box.reraise('log', '{web,db}'), box.reraise('log', '-n', '1', 'web', 'db'),
      box.reraise('log', '*'),
    ]);
    const merged = [
      `db  | ${at(10)} d1`, `web | ${at(20)} w2`, `db  | ${at(30)} d2`, `web | ${at(40)} w3`, 'web |   w3 continued',
      `db  | ${at(50)} d3`, `web | ${at(60)} w4`,
    ];
    expect({ exit: both.exitCode, err: both.stderr, out: both.stdout }).toEqual({ exit: 0, err: '', out: [`web | ${at(0)} w1`, ...merged].join('\n') });
    expect(glob.stdout).toBe(both.stdout);
    expect(n1.stdout).toBe([`db  | ${at(50)} d3`, `web | ${at(60)} w4`].join('\n'));
    expect(three.stdout.split('\n')).toEqual([
      `web          | ${at(0)} w1`, `db           | ${at(10)} d1`, `web          | ${at(20)} w2`, `db           | ${at(30)} d2`,
      `cache-server | ${at(35)} c1`, `web          | ${at(40)} w3`, 'web          |   w3 continued', `db           | ${at(50)} d3`,
      `web          | ${at(60)} w4`,
    ]);
  });

  it('one glob that matches one service still names it; one plain name prints the file as it is', async () => {
    const box = sandbox();
    twoLogs(box);
    const [glob, plain] = await Promise.all([box.reraise('log', '-n', '1', 'd*'), box.reraise('log', '-n', '1', 'db')]);
    expect(glob.stdout).toBe(`db | ${at(50)} d3`);
    expect(plain.stdout).toBe(`${at(50)} d3`);
  });

  it('a pattern that matches nothing, a plain name that is no service: exit 1 naming each, the others still printed', async () => {
    const box = sandbox();
    twoLogs(box);
    const r = await box.reraise('log', '-n', '1', 'web', 'x*', 'nope');
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toBe(`web | ${at(60)} w4`);
    const errors = r.stderr.split('\n');
    expect(errors).toHaveLength(2);
    expect(errors[0]).toMatch(/^reraise: x\*: no such service in /);
    expect(errors[1]).toMatch(/^reraise: nope: no such service in /);
  });

  it('a log that cannot be read is an error naming it; the others are printed', async () => {
    const box = sandbox();
    twoLogs(box);
    const dir = logFiles(box, 'bad', {});
    fs.symlinkSync(path.join(box.logDir, 'db', 'current'), path.join(dir, 'current'));
    const r = await box.reraise('log', '-n', '1', '*');
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toBe([`db  | ${at(50)} d3`, `web | ${at(60)} w4`].join('\n'));
    expect(r.stderr).toBe(`reraise: bad: unable to read its log in ${dir}: ${path.join(dir, 'current')}: a symbolic link`);
  });

  it('--json: one object per line, its stamp as time, even for one name', async () => {
    const box = sandbox();
    twoLogs(box);
    const [many, one] = await Promise.all([box.reraise('log', '--json', '-n', '2', 'web', 'db'), box.reraise('log', '--json', '-n', '2', 'web')]);
    expect(many.exitCode).toBe(0);
    expect(many.stdout.split('\n').map((line) => JSON.parse(line))).toEqual([
      // The first line of web's, unstamped, sorts at the start.
      { service: 'web', line: '  w3 continued' },
      { service: 'db', line: 'd2', time: at(30) },
      { service: 'db', line: 'd3', time: at(50) },
      { service: 'web', line: 'w4', time: at(60) },
    ]);
    expect(one.stdout.split('\n').map((line) => JSON.parse(line))).toEqual([{ service: 'web', line: '  w3 continued' }, { service: 'web', line: 'w4', time: at(60) }]);
  });

  it('--local shows the stamps in the local time of TZ, with its offset', async () => {
    const box = sandbox();
    twoLogs(box);
    const env = { ...box.env, TZ: 'Asia/Kathmandu' };
    const [local, json] = await Promise.all([
      execa(RERAISE, ['log', '--local', '-n', '2', 'web'], { env, reject: false }),
      execa(RERAISE, ['log', '--local', '--json', '-n', '1', 'db'], { env, reject: false }),
    ]);
    expect({ exit: local.exitCode, out: local.stdout }).toEqual({ exit: 0, out: '  w3 continued\n2026-11-22T10:15:12.183+05:45 w4' });
    expect(JSON.parse(json.stdout)).toEqual({ service: 'db', line: 'd3', time: '2026-11-22T10:15:12.173+05:45' });
  });
});

describe('colours (SPEC 15.4)', () => {
  it('with colour on, each name is in its colour, padded after the codes; one plain name and --json are never coloured', async () => {
    const box = sandbox();
    twoLogs(box);
    const env = { ...box.env, FORCE_COLOR: '1' };
    const run = (...args: string[]) => execa(RERAISE, ['log', '-n', '1', ...args], { env, reject: false });
    const [many, off, plain, json] = await Promise.all([run('web', 'db'), run('--no-color', 'web', 'db'), run('web'), run('--json', 'web', 'db')]);
    const lines = many.stdout.split('\n');
    expect(lines).toEqual([
      expect.stringMatching(new RegExp(`^\x1b\\[3\\dmdb\x1b\\[0m  \\| ${at(50)} d3$`)),
      expect.stringMatching(new RegExp(`^\x1b\\[3\\dmweb\x1b\\[0m \\| ${at(60)} w4$`)),
    ]);
    expect(many.stdout.replace(/\x1b\[\d+m/g, '')).toBe(off.stdout);
    expect(off.stdout).toBe([`db  | ${at(50)} d3`, `web | ${at(60)} w4`].join('\n'));
    expect(plain.stdout).toBe(`${at(60)} w4`);
    expect(json.stdout).not.toContain('\x1b');
  });
});

describe('reraise log -f PATTERN...: following many services', () => {
  it('follows every match across rotations, picks up a service whose log appears later, ends at SIGINT with exit 0', async () => {
    const box = sandbox();
    twoLogs(box);
    const web = path.join(box.logDir, 'web');
    const f = follow(box, '-f', '-n', '1', '*');
    try {
      let expected = `db  | ${at(50)} d3\nweb | ${at(60)} w4\n`;
      await until(box, f, expected);

      fs.appendFileSync(path.join(box.logDir, 'db', 'current'), `${at(70)} d4\n`);
      await until(box, f, (expected += `db  | ${at(70)} d4\n`));

      // A rotation of web's log: the old file is read to its end, then the new current.
      fs.appendFileSync(path.join(web, 'current'), `${at(80)} w5\n`);
      fs.renameSync(path.join(web, 'current'), path.join(web, '20261122T043013.000000Z.log'));
      fs.writeFileSync(path.join(web, 'current'), `${at(90)} w6\n`);
      await until(box, f, (expected += `web | ${at(80)} w5\nweb | ${at(90)} w6\n`));

      // A service that appears later: its whole log, and the names are padded to it from then on.
      logFiles(box, 'later-one', { current: `${at(100)} l1\n${at(110)} l2\n` });
      await until(box, f, (expected += `later-one | ${at(100)} l1\nlater-one | ${at(110)} l2\n`));
      fs.appendFileSync(path.join(box.logDir, 'db', 'current'), `${at(120)} d5\n`);
      await until(box, f, (expected += `db        | ${at(120)} d5\n`));

      await never(() => f.out() !== expected);
      f.child.kill('SIGINT');
      const result = await f.child;
      expect({ exit: result.exitCode, signal: result.signal, out: f.out(), err: f.err() }).toEqual({ exit: 0, signal: undefined, out: expected, err: '' });
    } finally {
      f.child.kill('SIGKILL');
      await f.child;
    }
  });

  it('a glob that matches nothing yet is waited for', async () => {
    const box = sandbox();
    const f = follow(box, '-f', 'web*');
    try {
      await never(() => f.out() !== '' || f.err() !== '');
      logFiles(box, 'web', { current: 'first\n' });
      await until(box, f, 'web | first\n');
      f.child.kill('SIGTERM');
      const result = await f.child;
      expect({ exit: result.exitCode, err: f.err() }).toEqual({ exit: 0, err: '' });
    } finally {
      f.child.kill('SIGKILL');
      await f.child;
    }
  });
});

describe('stamps by default (SPEC 15.7)', () => {
  it('a service\'s lines and the worker\'s are stamped; config_log_stamp=0 writes them as they come', async () => {
    const box = sandbox();
    box.script('stamped', 'config_start_sec=0.2\necho hello\nexec sleep 1000\n');
    box.script('plain', 'config_start_sec=0.2\nconfig_log_stamp=0\necho hello\nexec sleep 1000\n');
    const workers: number[] = [];
    try {
      expect((await box.reraise('start', 'stamped', 'plain')).exitCode).toBe(0);
      for (const name of ['stamped', 'plain']) workers.push(Number(box.pidFile(name)!.workerPid));
      await box.waitFor('both hellos', () => box.log('stamped').includes('hello\n') && box.log('plain').includes('hello\n'));
      const stamped = box.log('stamped').split('\n').filter(Boolean);
      expect(stamped.every((line) => STAMPED.test(line)), stamped.join('\n')).toBe(true);
      expect(stamped.some((line) => /Z auto-reraise\[\d+\]: stamped: started/.test(line))).toBe(true);
      expect(stamped).toContainEqual(expect.stringMatching(/Z hello$/));
      const plain = box.log('plain').split('\n').filter(Boolean);
      expect(plain).toContain('hello');
      expect(plain.some((line) => STAMPED.test(line)), plain.join('\n')).toBe(false);

      const shown = await box.reraise('log', 'stamped');
      expect(`${shown.stdout}\n`).toBe(box.log('stamped'));
      const json = await box.reraise('log', '--json', 'stamped', 'plain');
      const objects = json.stdout.split('\n').map((line) => JSON.parse(line));
      expect(objects).toContainEqual({ service: 'stamped', line: 'hello', time: expect.stringMatching(/Z$/) });
      expect(objects).toContainEqual({ service: 'plain', line: 'hello' });
    } finally {
      await box.reraise('stop', 'stamped', 'plain');
      for (const pid of workers) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
    }
  });
});
