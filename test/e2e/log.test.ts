// reraise log NAME [-n N] [-f] through the real bin/reraise, on log files written by hand: the last lines
// across rotated files, option forms and errors, and following across rotations (SPEC 7).
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { never, sandbox, type Sandbox } from './sandbox.js';
import { follow, logFiles, until } from './log-files.js';

const R0 = '20260101T000000.000000Z.log';
const R1 = '20260101T000001.000000Z.log';
const R2 = '20260101T000002.000000Z.log';
const R3 = '20260101T000003.000000Z.log';
const R4 = '20260101T000004.000000Z.log';

/** `prefix1\n` ... `prefixN\n` */
function lines(prefix: string, from: number, to: number): string {
  let text = '';
  for (let i = from; i <= to; i++) text += `${prefix}${i}\n`;
  return text;
}

type Run = Awaited<ReturnType<Sandbox['reraise']>>;

function expectOut(r: Run, stdout: string): void {
  expect({ exit: r.exitCode, stderr: r.stderr, stdout: r.stdout }).toEqual({ exit: 0, stderr: '', stdout: stdout.replace(/\n$/, '') });
}

function expectUsage(r: Run, needle: string): void {
  expect({ exit: r.exitCode, stdout: r.stdout }).toEqual({ exit: 2, stdout: '' });
  expect(r.stderr).toMatch(/^reraise: /);
  expect(r.stderr).toContain(needle);
}

function expectFailure(r: Run, ...needles: string[]): void {
  expect({ exit: r.exitCode, stdout: r.stdout }).toEqual({ exit: 1, stdout: '' });
  for (const line of r.stderr.split('\n')) expect(line).toMatch(/^reraise: /);
  for (const needle of needles) expect(r.stderr).toContain(needle);
}

/** Whether process `pid` holds `file` open: a follower that prints nothing is ready once it does. */
function holdsOpen(pid: number | undefined, file: string): boolean {
  try {
    return fs.readdirSync(`/proc/${pid}/fd`).some((fd) => {
      try {
        return fs.readlinkSync(`/proc/${pid}/fd/${fd}`) === file;
      } catch {
        return false;
      }
    });
  } catch {
    return false;
  }
}

describe('reraise log NAME: the last lines', () => {
  it('prints the last 10 lines by default, or N with -n, going back through rotated files', async () => {
    const box = sandbox();
    logFiles(box, 'web', {
      [R0]: lines('a', 1, 5), [R1]: lines('b', 1, 4), current: lines('c', 1, 3),
      // Not part of the log: the logger's own file, other files, a name that is not a rotated one.
      'logger.log': 'junk\n', 'notes.txt': 'junk\n', '20260101T000009Z.log': 'junk\n', [`${R4}.gz`]: 'junk\n',
    });
    const [byDefault, n9, n3, n2, n100, zero] = await Promise.all([
      box.reraise('log', 'web'), box.reraise('log', 'web', '-n', '9'), box.reraise('log', 'web', '-n', '3'),
      box.reraise('log', 'web', '-n', '2'), box.reraise('log', 'web', '-n', '100'), box.reraise('log', 'web', '-n', '0'),
    ]);
    expectOut(byDefault, lines('a', 3, 5) + lines('b', 1, 4) + lines('c', 1, 3));
    expectOut(n9, lines('a', 4, 5) + lines('b', 1, 4) + lines('c', 1, 3));
    expectOut(n3, lines('c', 1, 3));
    expectOut(n2, lines('c', 2, 3));
    expectOut(n100, lines('a', 1, 5) + lines('b', 1, 4) + lines('c', 1, 3));
    expectOut(zero, '');
  });

  it('reads the rotated files when current is empty or missing, and an empty log is no error', async () => {
    const box = sandbox();
    logFiles(box, 'empty', { current: '' });
    logFiles(box, 'a', { [R0]: lines('r', 1, 3), current: '' });
    logFiles(box, 'b', { [R0]: lines('r', 1, 3), [R1]: lines('s', 1, 2) });
    const [empty, a, b] = await Promise.all([box.reraise('log', 'empty'), box.reraise('log', 'a', '-n', '2'), box.reraise('log', 'b', '-n', '3')]);
    expectOut(empty, '');
    expectOut(a, lines('r', 2, 3));
    expectOut(b, 'r3\ns1\ns2\n');
  });

  it('counts empty lines, and completes a last line without its newline', async () => {
    const box = sandbox();
    logFiles(box, 'blank', { current: 'x\n\n\ny\n\n' });
    logFiles(box, 'half', { [R0]: 'r1\nr2', current: 'c1\nhalf' });
    const [blank, all, one, two] = await Promise.all([
      box.reraise('log', 'blank', '-n', '3'), box.reraise('log', 'half'), box.reraise('log', 'half', '-n', '1'), box.reraise('log', 'half', '-n', '3'),
    ]);
    // execa drops the final newline of stdout; the empty lines before it show.
    expect(blank.stdout).toBe('\ny\n');
    expectOut(all, 'r1\nr2\nc1\nhalf\n');
    expectOut(one, 'half\n');
    expectOut(two, 'r2\nc1\nhalf\n');
  });

  it('reads the end of big files block by block: many lines, and a line longer than a block', async () => {
    const box = sandbox();
    const pad = 'x'.repeat(60);
    const big = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${prefix}${i} ${pad}\n`);
    const rotated = big('r', 20_000);
    const current = big('c', 50_000); // about 3.4 MiB
    const long = `${'y'.repeat(200_000)}\n`;
    logFiles(box, 'big', { [R0]: rotated.join(''), current: current.join('') });
    logFiles(box, 'long', { current: `before\n${long}after\n` });
    const [tail, across, longLine] = await Promise.all([
      box.reraise('log', 'big', '-n', '3'), box.reraise('log', 'big', '-n', '60000'), box.reraise('log', 'long', '-n', '2'),
    ]);
    expectOut(tail, current.slice(-3).join(''));
    expect(across.exitCode).toBe(0);
    expect(`${across.stdout}\n` === rotated.slice(-10_000).join('') + current.join('')).toBe(true);
    expectOut(longLine, `${long}after\n`);
  });

  it('takes -n in every form yargs reads, the last one when given twice', async () => {
    const box = sandbox();
    logFiles(box, 'web', { current: lines('c', 1, 20) });
    const runs = await Promise.all([
      ['log', 'web', '-n', '5'], ['log', '-n', '5', 'web'], ['log', '-n5', 'web'], ['log', 'web', '--lines=5'],
      ['log', 'web', '--lines', '5'], ['log', 'web', '-n=5'], ['log', 'web', '-n', '2', '-n', '5'], ['log', 'web', '-n', '05'],
    ].map((args) => box.reraise(...args)));
    for (const r of runs) expectOut(r, lines('c', 16, 20));
  });

  it('a service with no log yet prints nothing; a log whose script is gone is still shown', async () => {
    const box = sandbox();
    box.script('quiet', 'exec sleep 1000\n');
    logFiles(box, 'gone', { current: 'last words\n' });
    const [quiet, gone] = await Promise.all([box.reraise('log', 'quiet'), box.reraise('log', 'gone')]);
    expectOut(quiet, '');
    expectOut(gone, 'last words\n');
    expect(fs.existsSync(path.join(box.logDir, 'quiet'))).toBe(false);
  });
});

describe('reraise log: errors', () => {
  it('a bad -n, a missing NAME, an unknown option: usage errors (exit 2)', async () => {
    const box = sandbox();
    logFiles(box, 'web', { current: 'x\n' });
    const bad = await Promise.all(['abc', '-1', '1.5', '', '1e2', '5x'].map((n) => box.reraise('log', 'web', '-n', n)));
    for (const [i, r] of bad.entries()) expectUsage(r, `not "${['abc', '-1', '1.5', '', '1e2', '5x'][i]}"`);
    const [noValue, noName, unknown, valued] = await Promise.all([
      box.reraise('log', 'web', '-n'), box.reraise('log'), box.reraise('log', 'web', '--tail'),
      box.reraise('log', 'web', '--follow=yes'),
    ]);
    expectUsage(noValue, 'whole number');
    expectUsage(noName, 'log: missing NAME');
    expectUsage(unknown, '--tail');
    expectUsage(valued, '--follow takes no value');
  });

  it('an unknown service, a bad name, a glob that matches nothing: exit 1 naming it', async () => {
    const box = sandbox();
    box.script('web', 'exec sleep 1000\n');
    const [nope, slash, dot, dots, backup, glob] = await Promise.all([
      box.reraise('log', 'nope'), box.reraise('log', '../web'), box.reraise('log', '.hidden'), box.reraise('log', '..'),
      box.reraise('log', 'web~'), box.reraise('log', 'x*'),
    ]);
    expectFailure(nope, 'nope: no such service', box.dir, path.join(box.logDir, 'nope'));
    expectFailure(slash, '../web: not a service name', '"/"');
    expectFailure(dot, '.hidden: not a service name', '"."');
    expectFailure(dots, '..: not a service name');
    expectFailure(backup, 'web~: not a service name');
    expectFailure(glob, 'x*: no such service', box.dir, box.logDir);
  });
});

describe('reraise log -f: following', () => {
  it('prints appended lines once each, whole lines only, across rotations, until SIGINT (exit 0)', async () => {
    const box = sandbox();
    const dir = logFiles(box, 'web', { [R0]: 'old\n', current: lines('c', 1, 3) });
    const at = (file: string): string => path.join(dir, file);
    const f = follow(box, 'web', '-n', '2', '-f');
    try {
      let expected = 'c2\nc3\n';
      await until(box, f, expected);

      fs.appendFileSync(at('current'), 'c4\nc5\n');
      await until(box, f, (expected += 'c4\nc5\n'));

      // A line being written is held until its newline.
      fs.appendFileSync(at('current'), 'par');
      await never(() => f.out().includes('par'));
      fs.appendFileSync(at('current'), 'tial\n');
      await until(box, f, (expected += 'partial\n'));

      // A rotation: the old file may still grow until the new current appears; it is read to its end first.
      fs.appendFileSync(at('current'), 'c6\n');
      fs.renameSync(at('current'), at(R1));
      fs.appendFileSync(at(R1), 'c7\n');
      fs.writeFileSync(at('current'), 'd1\n');
      await until(box, f, (expected += 'c6\nc7\nd1\n'));

      // Two rotations between two polls: the file in between is printed whole, in its place.
      fs.appendFileSync(at('current'), 'd2\n');
      fs.renameSync(at('current'), at(R2));
      fs.writeFileSync(at('current'), 'e1\ne2\n');
      fs.renameSync(at('current'), at(R3));
      fs.writeFileSync(at('current'), 'f1\n');
      fs.appendFileSync(at('current'), 'f2\n');
      await until(box, f, (expected += 'd2\ne1\ne2\nf1\nf2\n'));

      // A rotated file deleted at once (config_log_keep=0): what was written to it still comes out.
      fs.appendFileSync(at('current'), 'f3\n');
      fs.renameSync(at('current'), at(R4));
      fs.rmSync(at(R4));
      fs.writeFileSync(at('current'), 'g1\n');
      await until(box, f, (expected += 'f3\ng1\n'));

      await never(() => f.out() !== expected);
      f.child.kill('SIGINT');
      const result = await f.child;
      expect({ exit: result.exitCode, signal: result.signal, out: f.out(), err: f.err() }).toEqual({ exit: 0, signal: undefined, out: expected, err: '' });
    } finally {
      f.child.kill('SIGKILL');
      await f.child;
    }
  });

  it('holds back a last line of current without its newline, then prints it once whole', async () => {
    const box = sandbox();
    const dir = logFiles(box, 'web', { current: 'x1\nx2\npart' });
    const f = follow(box, 'web', '-f');
    try {
      await until(box, f, 'x1\nx2\n');
      await never(() => f.out().includes('part'));
      fs.appendFileSync(path.join(dir, 'current'), 'ial\nx3\n');
      await until(box, f, 'x1\nx2\npartial\nx3\n');
    } finally {
      f.child.kill('SIGKILL');
      await f.child;
    }
  });

  it('-n 0 -f prints only what comes after', async () => {
    const box = sandbox();
    const dir = logFiles(box, 'web', { current: lines('c', 1, 5) });
    const f = follow(box, '-f', '-n', '0', 'web');
    try {
      // Lines written before it has looked at the file are no part of what comes after.
      await box.waitFor('the follower to open current', () => holdsOpen(f.child.pid, path.join(dir, 'current')));
      await never(() => f.out() !== '');
      fs.appendFileSync(path.join(dir, 'current'), 'new\n');
      await until(box, f, 'new\n');
    } finally {
      f.child.kill('SIGKILL');
      await f.child;
    }
  });

  it('waits for a log that does not exist yet, and exits 0 on SIGTERM', async () => {
    const box = sandbox();
    box.script('web', 'exec sleep 1000\n');
    const f = follow(box, 'web', '-fn', '5');
    try {
      // Should the follower start late and find the log there already, it prints it as its tail: the same output.
      await never(() => f.out() !== '');
      logFiles(box, 'web', { current: 'hello\n' });
      await until(box, f, 'hello\n');
      f.child.kill('SIGTERM');
      const result = await f.child;
      expect({ exit: result.exitCode, err: f.err() }).toEqual({ exit: 0, err: '' });
    } finally {
      f.child.kill('SIGKILL');
      await f.child;
    }
  });

  it('starts from the rotated files when there is no current, then takes the new current from its start', async () => {
    const box = sandbox();
    const dir = logFiles(box, 'web', { [R0]: lines('r', 1, 4) });
    const f = follow(box, 'web', '-f', '-n', '2');
    try {
      await until(box, f, 'r3\nr4\n');
      fs.writeFileSync(path.join(dir, 'current'), 'c1\n');
      await until(box, f, 'r3\nr4\nc1\n');
      fs.appendFileSync(path.join(dir, 'current'), 'c2\n');
      await until(box, f, 'r3\nr4\nc1\nc2\n');
    } finally {
      f.child.kill('SIGKILL');
      await f.child;
    }
  });
});
