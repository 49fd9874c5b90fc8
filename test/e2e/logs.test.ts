// Logs and perp-style services through bin/reraise: rotation, bursts, rc.main reset, rc.log, once (SPEC 7-11).
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { MAX_WAITING } from '../../src/core/waiting-lines.js';
import { RERAISE, WORKER, argv, cmdline, isAlive, procStat, sandbox, type Sandbox } from './sandbox.js';

const ROTATED = /^\d{8}T\d{6}\.\d{6}Z\.log$/;

/** Every file of the log, oldest first: rotated ones by name, then current. */
function logFiles(box: Sandbox, name: string): string[] {
  const dir = path.join(box.logDir, name);
  const rotated = fs.readdirSync(dir).filter((f) => ROTATED.test(f)).sort();
  return [...rotated, 'current'].map((f) => path.join(dir, f)).filter((f) => fs.existsSync(f));
}

/** The log as one text; a file rotated away between listing and reading is read as empty (polls retry). */
function wholeLog(box: Sandbox, name: string): string {
  return logFiles(box, name).map((f) => {
    try {
      return fs.readFileSync(f, 'utf8');
    } catch {
      return '';
    }
  }).join('');
}

/** A perp-style service directory with rc.main (and rc.log, when given). */
function perp(box: Sandbox, name: string, main: string, log?: string): string {
  const dir = path.join(box.dir, name);
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'rc.main'), `#!/bin/sh\n${main}`, { mode: 0o755 });
  if (log !== undefined) fs.writeFileSync(path.join(dir, 'rc.log'), `#!/bin/sh\n${log}`, { mode: 0o755 });
  return dir;
}

/** Signal numbers sent to process `pid` and not yet delivered (ShdPnd of /proc/PID/status). */
function pendingSignals(pid: number): Set<number> {
  const mask = BigInt(`0x${/^ShdPnd:\s*([0-9a-f]+)$/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))![1]}`);
  const pending = new Set<number>();
  for (let signal = 1; signal <= 64; signal++) if (mask & (1n << BigInt(signal - 1))) pending.add(signal);
  return pending;
}

/** Lines `run R line N` for N = 1..count, as fast as the shell can write them. */
const burst = (count: number): string =>
  `awk -v r="$run" 'BEGIN { for (i = 1; i <= ${count}; i++) printf "run %s line %07d %s\\n", r, i, "abcdefghijklmnopqrstuvwxyz0123456789" }'`;

function expectEveryLine(text: string, runs: number[], count: number): void {
  // Only the runs asked about: a later one may have been stopped mid-line, its last line completed as it was.
  const lines = text.split('\n').filter((l) => l.startsWith('run ') && runs.includes(Number(l.split(' ')[1])));
  for (const line of lines) expect(line).toMatch(/^run \d+ line \d{7} abcdefghijklmnopqrstuvwxyz0123456789$/);
  for (const run of runs) {
    const numbers = lines.filter((l) => l.startsWith(`run ${run} `)).map((l) => Number(l.split(' ')[3]));
    expect(numbers.length, `run ${run}: ${numbers.length} lines`).toBe(count);
    expect(numbers.every((n, i) => n === i + 1), `run ${run} in order, once each`).toBe(true);
  }
}

describe('the log writer', () => {
  it('a multi-MiB burst through rotation: every line once, whole, in order; files bounded by size and count', async () => {
    const box = sandbox();
    box.script('loud', [
      'config_start_sec=0.2', 'config_log_size=64k', 'config_log_keep=200', 'config_log_stamp=0',
      'run=1', burst(100_000), 'exec sleep 1000',
    ].join('\n'));
    await box.reraise('start', 'loud');
    await box.waitFor('the whole burst', () => wholeLog(box, 'loud').includes('run 1 line 0100000'), 20_000);
    const files = logFiles(box, 'loud');
    expect(files.length).toBeGreaterThan(50);
    for (const file of files) expect(fs.statSync(file).size).toBeLessThanOrEqual(64 * 1024);
    expectEveryLine(wholeLog(box, 'loud'), [1], 100_000);
  });

  it('keeps config_log_keep rotated files, the oldest go first', async () => {
    const box = sandbox();
    box.script('keep', ['config_start_sec=0.2', 'config_log_size=4k', 'config_log_keep=3', 'run=1', burst(2000), 'exec sleep 1000'].join('\n'));
    await box.reraise('start', 'keep');
    await box.waitFor('the burst', () => box.log('keep').includes('line 0002000'), 10_000);
    const rotated = fs.readdirSync(path.join(box.logDir, 'keep')).filter((f) => ROTATED.test(f));
    expect(rotated).toHaveLength(3);
    const text = wholeLog(box, 'keep');
    expect(text).not.toContain('line 0000001 ');
    expect(text).toContain('line 0002000 ');
  });

  it('no line is lost or doubled across restarts of a bursting service', async () => {
    const box = sandbox();
    const count = path.join(box.root, 'count');
    box.script('cycle', [
      'config_start_sec=0.1', 'config_log_size=32k', 'config_log_keep=500', 'config_log_stamp=0',
      `run=$(( $(cat ${count} 2>/dev/null || echo 0) + 1 )); echo $run > ${count}`,
      burst(5000), 'printf "partial-$run"', 'sleep 0.2',
    ].join('\n'));
    await box.reraise('start', 'cycle');
    await box.waitFor('five runs', () => Number(fs.readFileSync(count, 'utf8')) >= 6, 20_000);
    await box.reraise('stop', 'cycle');
    const text = wholeLog(box, 'cycle');
    expectEveryLine(text, [1, 2, 3, 4, 5], 5000);
    // A last line without its newline is completed, never glued to the next run's first line.
    expect(text).toMatch(/^partial-1$/m);
  });

  it('config_log_stamp=1 puts an ISO-8601 UTC timestamp before each line', async () => {
    const box = sandbox();
    box.script('stamped', 'config_start_sec=0.2\nconfig_log_stamp=1\necho hello\nexec sleep 1000\n');
    await box.reraise('start', 'stamped');
    await box.waitFor('hello', () => box.log('stamped').includes('hello'));
    expect(box.log('stamped')).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z hello$/m);
  });

  it('config_log_stamp=1 also stamps the line of a worker that refuses a config gone bad since start checked it', async () => {
    const box = sandbox();
    box.script('stamped', 'config_log_stamp=1\nconfig_start_sec=1e3\nexec sleep 1000\n');
    // The worker as `start` runs it, by hand: start itself refuses this config before forking one.
    const worker = await execa(WORKER, ['stamped'], { env: box.env, reject: false, stdin: 'ignore' });
    expect(worker.exitCode).toBe(1);
    expect(worker.stderr).toMatch(/^auto-reraise: stamped: .*config_start_sec: bad value "1e3"/);
    const lines = box.log('stamped').split('\n').filter(Boolean);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z auto-reraise\[\d+\]: stamped: .*config_start_sec: bad value "1e3"/);
    expect(box.pidFile('stamped')).toBeUndefined();
  });
});

/** Peak resident memory of process `pid`, in KiB (VmHWM of /proc/PID/status). */
function peakKiB(pid: number): number {
  return Number(/^VmHWM:\s*(\d+) kB$/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
}

const MIB = 1 << 20;
/** The largest config_log_size there is (SPEC 7: at most 1T; the suffixes are k and M). */
const ONE_TIB = '1T';
/** One line of N x's. */
const xLine = (n: number): string => `head -c ${n} /dev/zero | tr '\\0' x; echo`;
/** N x's in lines of 1 KiB: the same bytes, and nothing to hold. */
const xLines = (n: number): string => `head -c ${n} /dev/zero | tr '\\0' x | fold -w 1023; echo`;
/**
 * For a service whose test looks at where lines are: it prints nothing before the worker's line
 * about its start is in the log (the worker says it after spawning it, and the service is quick).
 */
const afterStarted = (name: string): string =>
  `until grep -qs ': ${name}: started' "$RERAISE_LOGDIR/${name}/current"; do sleep 0.02; done`;
const STAMP_LENGTH = '2026-11-22T04:30:12.123Z '.length;

/** Runs of 100 x's or more as `x*N`, by hand: a regular expression runs out of stack on 10 MiB of them. */
function runsOfX(line: string): string {
  let out = '';
  for (let i = 0; i < line.length;) {
    const start = line.indexOf('x'.repeat(100), i);
    if (start < 0) return out + line.slice(i);
    let end = start;
    while (line.charCodeAt(end) === 0x78) end++;
    out += `${line.slice(i, start)}x*${end - start}`;
    i = end;
  }
  return out;
}

/**
 * A log file's lines, told short: a stamp as `S `, a run of x's as `x*N`, the worker's prefix as
 * `W: `, a pid as P. The last is '' for a file that ends with a newline.
 */
function shape(file: string): string[] {
  return fs.readFileSync(file, 'latin1').split('\n').map((line) => runsOfX(line)
    .replace(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z /, 'S ')
    .replace(/auto-reraise\[\d+\]: /, 'W: ')
    .replace(/\(pid \d+\)/, '(pid P)'));
}

/** The size of a file, -1 while it is not there (a rotation renames `current` before it opens the next one). */
function sizeOf(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return -1;
  }
}

/** The end of NAME's `current`: a poll of a log of many MiB reads no more than that. */
function endOf(box: Sandbox, name: string, length = 64): string {
  try {
    const fd = fs.openSync(path.join(box.logDir, name, 'current'), 'r');
    try {
      const size = fs.fstatSync(fd).size;
      const bytes = Buffer.alloc(Math.min(length, size));
      fs.readSync(fd, bytes, 0, bytes.length, size - bytes.length);
      return bytes.toString('latin1');
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return '';
  }
}

describe('long lines: a writer holds at most min(config_log_size, 1 MiB) of a line (SPEC 7)', () => {
  it('a 10 MiB line under config_log_size=1T: whole, stamped once, in a file of its own; the worker\'s peak memory is that of short lines', async () => {
    const box = sandbox();
    const head = ['config_start_sec=0.2', `config_log_size=${ONE_TIB}`, 'config_log_stamp=1'];
    box.script('long', [...head, afterStarted('long'), xLine(10 * MIB), 'echo done', 'exec sleep 1000'].join('\n'));
    box.script('short', [...head, afterStarted('short'), xLines(10 * MIB), 'echo done', 'exec sleep 1000'].join('\n'));
    expect((await box.reraise('start', 'long', 'short')).exitCode).toBe(0);
    for (const name of ['long', 'short']) await box.waitFor(`${name}: done`, () => endOf(box, name).endsWith(' done\n'), 20_000);
    const peak = { long: peakKiB(Number(box.pidFile('long')!.workerPid)), short: peakKiB(Number(box.pidFile('short')!.workerPid)) };
    expect(peak.long - peak.short, `VmHWM in KiB: ${JSON.stringify(peak)}`).toBeLessThan(8 * 1024);

    expect(logFiles(box, 'long').map(shape)).toEqual([['S W: long: started (pid P)', ''], [`S x*${10 * MIB}`, 'S done', '']]);
  });

  it('the same through reraise logger: the line whole in a file it starts; the logger\'s peak memory is that of short lines', async () => {
    const box = sandbox();
    const main = (name: string, print: string): string => [
      'config_start_sec=0.2', `config_log_size=${ONE_TIB}`, 'config_log_stamp=1', 'exec 2>&1',
      `case $1 in start) ${afterStarted(name)}; ${print}; echo done; exec sleep 1000 ;; reset) exit 0 ;; esac`, '',
    ].join('\n');
    perp(box, 'long', main('long', xLine(10 * MIB)), 'exec reraise logger "$2"\n');
    perp(box, 'short', main('short', xLines(10 * MIB)), 'exec reraise logger "$2"\n');
    expect((await box.reraise('start', 'long', 'short')).exitCode).toBe(0);
    for (const name of ['long', 'short']) await box.waitFor(`${name}: done`, () => endOf(box, name).endsWith(' done\n'), 20_000);
    const loggerOf = (name: string): number => {
      const worker = box.pidFile(name)!.workerPid;
      return box.ourProcesses().find((p) => argv(p).slice(-2).join(' ') === `logger ${name}` && procStat(p)?.[1] === worker)!;
    };
    const peak = { long: peakKiB(loggerOf('long')), short: peakKiB(loggerOf('short')) };
    expect(peak.long - peak.short, `VmHWM in KiB: ${JSON.stringify(peak)}`).toBeLessThan(8 * 1024);
    expect(logFiles(box, 'long').map(shape)).toEqual([['S W: long: started (pid P)', ''], [`S x*${10 * MIB}`, 'S done', '']]);
  });

  it.each<[string, string, number, string[][]]>([
    ['a line between 1 MiB and config_log_size starts a file', '4M', 2 * MIB, [['W: w: started (pid P)', 'before', ''], [`x*${2 * MIB}`, 'after', '']]],
    ['a line longer than config_log_size is alone in its file', '1M', 3 * MIB, [['W: w: started (pid P)', 'before', ''], [`x*${3 * MIB}`, ''], ['after', '']]],
    ['a line of 1 MiB or less is held, and goes by the size rule', '4M', MIB - 1, [['W: w: started (pid P)', 'before', `x*${MIB - 1}`, 'after', '']]],
  ])('%s', async (_, size, length, expected) => {
    const box = sandbox();
    box.script('w', ['config_start_sec=0.2', `config_log_size=${size}`, 'config_log_stamp=0', afterStarted('w'), 'echo before', xLine(length), 'echo after', 'exec sleep 1000'].join('\n'));
    await box.reraise('start', 'w');
    await box.waitFor('after', () => /(^|\n)after\n$/.test(endOf(box, 'w')));
    expect(logFiles(box, 'w').map(shape)).toEqual(expected);
  });

  it('the worker\'s own lines wait for the end of a long line; past MAX_WAITING the oldest are dropped and counted', async () => {
    const box = sandbox();
    // The long line on the first run only: the next run's would rotate `current` while it is read below.
    const once = path.join(box.root, 'printed');
    box.script('w', `config_start_sec=0.2\nconfig_log_stamp=0\n${afterStarted('w')}\n[ -e ${once} ] || { : > ${once}; head -c ${2 * MIB} /dev/zero | tr '\\0' x; }\nexec sleep 1000\n`);
    await box.reraise('start', 'w');
    const current = path.join(box.logDir, 'w', 'current');
    await box.waitFor('the open line in the file', () => sizeOf(current) === 2 * MIB);
    const { workerPid, pid } = box.pidFile('w')!;
    // Each once and once-cleared is a line of the worker's, said while the line is open.
    const toggles = MAX_WAITING + 2;
    for (let i = 1; i <= toggles; i++) {
      process.kill(Number(workerPid), i % 2 ? 'SIGUSR1' : 'SIGUSR2');
      await box.waitFor(`toggle ${i}`, () => (box.pidFile('w')?.extra.once === '1') === (i % 2 === 1));
    }
    expect(sizeOf(current), 'nothing written inside the line').toBe(2 * MIB);
    expect((await box.reraise('restart', 'w')).exitCode).toBe(0);
    await box.waitFor('the next run', () => (wholeLog(box, 'w').match(/: w: started/g) ?? []).length === 2);
    const lines = logFiles(box, 'w').flatMap(shape).filter(Boolean);
    const said = (i: number): string => (i % 2 ? 'W: w: once: it will not be started again after this run' : 'W: w: once cleared: it will be started again');
    const kept = Array.from({ length: toggles }, (_, i) => said(i + 1)).slice(-(MAX_WAITING - 1));
    expect(lines.slice(0, lines.indexOf('W: w: started (pid P)', 1) + 1)).toEqual([
      'W: w: started (pid P)',
      `x*${2 * MIB}`,
      'W: 3 lines dropped: too many came while a long line was written',
      ...kept,
      `W: w: restart asked for; stopping pid ${pid}`,
      'W: w: started (pid P)',
    ]);
  });

  it('a long line the service leaves open when it exits is completed before the worker says so', async () => {
    const box = sandbox();
    const marker = path.join(box.root, 'ran');
    box.script('w', [
      'config_start_sec=0', 'config_log_stamp=0', afterStarted('w'), `[ -e ${marker} ] && exec sleep 1000`, `touch ${marker}`,
      `head -c ${2 * MIB} /dev/zero | tr '\\0' x`, 'exit 3',
    ].join('\n'));
    await box.reraise('start', 'w');
    await box.waitFor('the next run', () => (wholeLog(box, 'w').match(/: w: started/g) ?? []).length === 2);
    expect(logFiles(box, 'w').flatMap(shape).filter(Boolean)).toEqual([
      'W: w: started (pid P)',
      `x*${2 * MIB}`,
      expect.stringMatching(/^W: w: exited \(exit code 3\) after .*; starting again$/),
      'W: w: started (pid P)',
    ]);
  });

  it('a line a killed worker left open is completed by the next worker, before its own lines', async () => {
    const box = sandbox();
    box.script('w', `config_start_sec=0.2\nconfig_log_stamp=0\n${afterStarted('w')}\necho hello\nexec sleep 1000\n`);
    fs.mkdirSync(path.join(box.logDir, 'w'), { recursive: true });
    fs.writeFileSync(path.join(box.logDir, 'w', 'current'), 'earlier\nhalf of a');
    await box.reraise('start', 'w');
    await box.waitFor('hello', () => box.log('w').endsWith('\nhello\n'));
    expect(shape(logFiles(box, 'w')[0])).toEqual(['earlier', 'half of a', 'W: w: started (pid P)', 'hello', '']);
  });
});

describe('perp-style services', () => {
  // config_start_sec=0: the test kills the first run at once, and that must count as a good run.
  const SEED_MAIN = [
    'config_start_sec=0', 'config_stop_sec=2', 'exec 2>&1', 'TARGET=$1', 'SVNAME=$2',
    'start() { echo "*** ${SVNAME}: starting in $(pwd)"; exec sleep 1000; }',
    'reset() { echo "*** ${SVNAME}: reset $*"; exit 0; }',
    'eval ${TARGET} "$@"', '',
  ].join('\n');

  it('the seed pair: rc.main start/reset with exec 2>&1, rc.log that execs the logger', async () => {
    const box = sandbox();
    const dir = perp(box, 'seed', SEED_MAIN, 'exec reraise logger "$2"\n');
    const started = await box.reraise('start', 'seed');
    expect(started.exitCode).toBe(0);
    await box.waitFor('start line', () => box.log('seed').includes(`*** seed: starting in ${dir}`));
    const first = Number(box.pidFile('seed')!.pid);
    process.kill(first, 'SIGKILL');
    await box.waitFor('reset with the signal', () => box.log('seed').includes('*** seed: reset reset seed signal 9 SIGKILL'));
    await box.waitFor('a second run', () => (box.log('seed').match(/starting in/g) ?? []).length === 2);
    const stopped = await box.reraise('stop', 'seed');
    expect(stopped.exitCode).toBe(0);
    expect(box.log('seed')).toContain('*** seed: reset reset seed signal 15 SIGTERM');
    expect(box.ourProcesses()).toEqual([]);
  });

  it('reset receives the exit code', async () => {
    const box = sandbox();
    perp(box, 'coded', [
      'config_start_sec=0.2', 'config_max_retry=0', 'exec 2>&1',
      'case $1 in start) sleep 0.3; exit 42 ;; reset) echo "reset: $*"; exit 0 ;; esac', '',
    ].join('\n'));
    await box.reraise('start', 'coded');
    await box.waitFor('the reset', () => box.log('coded').includes('reset: reset coded exit 42'));
  });

  it('the logger is supervised: killed mid-burst, it is started again and no line is lost', async () => {
    const box = sandbox();
    perp(box, 'piped', [
      'config_start_sec=0.2', 'config_log_size=256k', 'config_log_keep=100', 'config_log_stamp=0', 'exec 2>&1',
      'case $1 in start) run=1; ' + burst(60_000) + '; exec sleep 1000 ;; reset) exit 0 ;; esac', '',
    ].join('\n'), 'exec reraise logger "$2"\n');
    await box.reraise('start', 'piped');
    const worker = Number(box.pidFile('piped')!.workerPid);
    const loggerPid = (): number | undefined => box.ourProcesses().find((p) =>
      cmdline(p).includes('logger') && procStat(p)?.[1] === String(worker));
    const firstLogger = await box.waitFor('the logger', loggerPid);
    await box.waitFor('some lines', () => wholeLog(box, 'piped').includes('line 0001000'));
    process.kill(firstLogger, 'SIGTERM');
    await box.waitFor('a new logger', () => { const p = loggerPid(); return p !== undefined && p !== firstLogger && p; });
    await box.waitFor('the whole burst', () => wholeLog(box, 'piped').includes('run 1 line 0060000'), 20_000);
    expectEveryLine(wholeLog(box, 'piped'), [1], 60_000);
    expect(fs.readFileSync(path.join(box.logDir, 'piped', 'logger.log'), 'utf8')).toContain('starting it again');
  });

  it('the perp skeleton (reraise new NAME perp) runs with its logger, which is reraise logger', async () => {
    const box = sandbox();
    const made = await box.reraise('new', 'pair', 'perp');
    expect(made.exitCode).toBe(0);
    for (const file of ['rc.main', 'rc.log']) expect(fs.statSync(path.join(box.dir, 'pair', file)).mode & 0o777).toBe(0o755);
    const skeleton = await box.reraise('skeleton', 'perp');
    expect(skeleton.exitCode).toBe(2);
    expect(skeleton.stderr).toContain('reraise new NAME perp');
    expect((await box.reraise('start', 'pair')).exitCode).toBe(0);
    await box.waitFor('the stamped start line', () => /^\S+Z \*\*\* pair: starting$/m.test(box.log('pair')));
    const worker = Number(box.pidFile('pair')!.workerPid);
    const children = box.ourProcesses().filter((p) => procStat(p)?.[1] === String(worker));
    const argvs = children.map(argv);
    // `node .../bin/reraise logger pair`: rc.log's exec, found through the PATH the worker extends.
    expect(argvs.some((a) => a.slice(-2).join(' ') === 'logger pair' && a.at(-3)?.endsWith('/bin/reraise'))).toBe(true);
    expect((await box.reraise('stop', 'pair')).exitCode).toBe(0);
    expect(box.log('pair')).toMatch(/\*\*\* pair: killed by SIGTERM/);
    expect(box.ourProcesses()).toEqual([]);
  });

  it('a directory without rc.log logs through the worker', async () => {
    const box = sandbox();
    perp(box, 'plain', SEED_MAIN);
    await box.reraise('start', 'plain');
    await box.waitFor('start line', () => box.log('plain').includes('*** plain: starting'));
  });

  it('an rc.log that is not executable is skipped with a warning, stamped like the rest of the log', async () => {
    const box = sandbox();
    const dir = perp(box, 'skipped', `config_start_sec=0.2\nconfig_log_stamp=1\necho "running $1"\nexec sleep 1000\n`, 'exec cat\n');
    fs.chmodSync(path.join(dir, 'rc.log'), 0o644);
    expect((await box.reraise('start', 'skipped')).exitCode).toBe(0);
    await box.waitFor('the service\'s line', () => box.log('skipped').includes('running start'));
    const lines = box.log('skipped').split('\n').filter(Boolean);
    const stamp = '\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z ';
    expect(lines[0]).toMatch(new RegExp(`^${stamp}auto-reraise\\[\\d+\\]: skipped: warning: .*rc\\.log is not executable; logging without it$`));
    expect(lines.every((line) => new RegExp(`^${stamp}`).test(line)), lines.join('\n')).toBe(true);
  });
});

describe('once', () => {
  it('leaves the running service to finish, does not start it again, and status shows it', async () => {
    const box = sandbox();
    const marker = path.join(box.root, 'finish');
    box.script('job', `config_start_sec=0.2\nwhile [ ! -e ${marker} ]; do sleep 0.05; done\necho done\n`);
    await box.reraise('start', 'job');
    const rec = box.pidFile('job')!;
    const once = await box.reraise('once', 'job');
    expect(once.exitCode).toBe(0);
    expect(once.stdout).toBe(`job: once: pid ${rec.pid} may finish, it will not be started again`);
    expect(box.pidFile('job')!.extra.once).toBe('1');
    expect((await box.reraise('status', 'job')).stdout).toMatch(/once/);
    fs.writeFileSync(marker, '');
    await box.waitFor('the worker to leave', () => !isAlive(Number(rec.workerPid)));
    expect(box.pidFile('job')).toBeUndefined();
    expect(box.log('job')).toContain('once, so not started again');
  });

  it('start on a service flagged once takes the flag away', async () => {
    const box = sandbox();
    box.script('web', 'config_start_sec=0.2\nexec sleep 1000\n');
    await box.reraise('start', 'web');
    await box.reraise('once', 'web');
    const again = await box.reraise('start', 'web');
    expect(again.stdout).toBe('web: skip (already running); once cleared');
    await box.waitFor('once=1 gone', () => box.pidFile('web')?.extra.once === undefined);
  });

  it('a start that clears the flag before once looks: once says so at once, not "did not answer"', async () => {
    const box = sandbox();
    box.script('web', 'config_start_sec=0.2\nexec sleep 1000\n');
    await box.reraise('start', 'web');
    const worker = Number(box.pidFile('web')!.workerPid);
    // The order is forced: the worker is held while once signals it, then once is held while the
    // worker answers and a start clears the flag again.
    process.kill(worker, 'SIGSTOP');
    const once = execa(RERAISE, ['once', 'web'], { env: box.env, reject: false, stdin: 'ignore' });
    try {
      await box.waitFor('SIGUSR1 pending at the held worker', () => pendingSignals(worker).has(10));
      process.kill(once.pid!, 'SIGSTOP');
    } finally {
      process.kill(worker, 'SIGCONT');
    }
    await box.waitFor('once=1', () => box.pidFile('web')?.extra.once === '1');
    expect((await box.reraise('start', 'web')).stdout).toBe('web: skip (already running); once cleared');
    await box.waitFor('once=1 gone', () => box.pidFile('web')?.extra.once === undefined);
    const resumedAt = Date.now();
    process.kill(once.pid!, 'SIGCONT');
    const result = await once;
    expect(result.stdout).toBe('web: once, then started again by a later start');
    expect(result.exitCode).toBe(0);
    expect(Date.now() - resumedAt, 'answered at its next look, not after its 5 s deadline').toBeLessThan(2500);
  });
});

describe('reraise logger NAME', () => {
  it('writes stdin into the rotating log with the service\'s settings, completing the last line at EOF', async () => {
    const box = sandbox();
    box.script('fed', 'config_log_size=2k\nconfig_log_keep=50\nconfig_log_stamp=0\nexec sleep 1000\n');
    const input = Array.from({ length: 1000 }, (_, i) => `line ${String(i + 1).padStart(4, '0')}`).join('\n');
    const r = await execa(RERAISE, ['logger', 'fed'], { env: box.env, input, reject: false });
    expect(r.exitCode).toBe(0);
    const files = logFiles(box, 'fed');
    expect(files.length).toBeGreaterThan(3);
    for (const file of files) expect(fs.statSync(file).size).toBeLessThanOrEqual(2048);
    expect(wholeLog(box, 'fed')).toBe(`${input}\n`);
  });

  it('stopped with SIGTERM mid-line, leaves the half line for the next logger to complete', async () => {
    const box = sandbox();
    box.script('fed', 'config_log_stamp=0\nexec sleep 1000\n');
    const first = execa(RERAISE, ['logger', 'fed'], { env: box.env, reject: false, stdin: 'pipe' });
    first.stdin!.write('whole line\nhalf of a ');
    await box.waitFor('the whole line', () => box.log('fed').includes('whole line\n'));
    first.kill('SIGTERM');
    expect((await first).exitCode).toBe(0);
    const second = await execa(RERAISE, ['logger', 'fed'], { env: box.env, input: 'line\nnext\n', reject: false });
    expect(second.exitCode).toBe(0);
    expect(box.log('fed')).toBe('whole line\nhalf of a line\nnext\n');
  });

  it('stopped with SIGTERM inside a long line, leaves it open: the next logger completes it, unstamped, in the same file', async () => {
    const box = sandbox();
    box.script('fed', 'config_log_stamp=1\nexec sleep 1000\n');
    const first = execa(RERAISE, ['logger', 'fed'], { env: box.env, reject: false, stdin: 'pipe' });
    first.stdin!.write(`whole line\n${'x'.repeat(2 * MIB)}`);
    const current = path.join(box.logDir, 'fed', 'current');
    await box.waitFor('the long line in the file', () => sizeOf(current) === STAMP_LENGTH + 2 * MIB);
    first.kill('SIGTERM');
    expect((await first).exitCode).toBe(0);
    const second = await execa(RERAISE, ['logger', 'fed'], { env: box.env, input: 'yyy\nnext\n', reject: false });
    expect(second.exitCode).toBe(0);
    expect(logFiles(box, 'fed').map(shape)).toEqual([['S whole line', ''], [`S x*${2 * MIB}yyy`, ''], ['S next', '']]);
  });

  it('a bad name is a usage error', async () => {
    const box = sandbox();
    const r = await box.reraise('logger', '../x');
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/^reraise: usage: reraise logger NAME/);
  });
});
