// npm run soak [-- --seed N --seconds S --services N --clients C --keep --verbose --without-attacker]
//
// A chaos test of reraise, run through the real bin/reraise in a private RERAISE_DIR/PIDDIR/LOGDIR.
// Several clients do random things at random intervals (kill -9 a service process or a worker,
// SIGSTOP a service briefly, start/stop/restart/clean/once/pause/cont/status on random globs, edit a
// config line), while a sampler thread reads every pid file every few ms and a monitor watches
// /proc. At the end every service is brought to a chosen state and checked. Every process of the
// run carries RERAISE_PIDDIR=<our pid dir> in its environment: that is how we find them, and no
// other process is ever signalled. Prints one line per violation, then one summary line; exits 1
// on any violation. The end adds a drill: kill -9 the workers of the running services, which must
// leave orphans that status names, start refuses and stop ends (SPEC 5.6).
//
// The seed fixes the services, each client's sequence of actions and intervals, the config edits
// and the final choice of services; which pid a kill hits depends on what runs at that moment.
// --keep keeps the temp dir and its journal.log (every action and its answer) for a post-mortem.
// Run as root, a hostile second user joins in (soak-attacker.ts) unless --without-attacker.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import {
  Rng, bootTime, killEverything, living, parsePidLine, readPidText, runCli, scan, shq, sleep,
  startEpoch, verifiedKill, workerName, workerTitle, type CliResult, type Proc,
} from './soak-lib.js';
import type { SamplerReport } from './soak-sampler.js';
import { Attack } from './soak-attacker.js';

const RERAISE = fileURLToPath(new URL('../../bin/reraise', import.meta.url));
const SAMPLER = new URL('./soak-sampler.js', import.meta.url);

// ---------------------------------------------------------------------------------------------
// options

const { values: opts } = parseArgs({
  options: {
    seed: { type: 'string', default: '20261122' },
    seconds: { type: 'string', default: '60' },
    services: { type: 'string', default: '20' },
    clients: { type: 'string', default: '4' },
    keep: { type: 'boolean', default: false },
    verbose: { type: 'boolean', default: false },
    'without-attacker': { type: 'boolean', default: false },
  },
  strict: true,
});

function wholeNumber(name: string, text: string, min: number): number {
  if (!/^\d+$/.test(text) || Number(text) < min) {
    process.stderr.write(`soak: --${name} must be a whole number >= ${min}, not ${JSON.stringify(text)}\n`);
    process.exit(2);
  }
  return Number(text);
}

const SEED = wholeNumber('seed', opts.seed!, 0);
const SECONDS = wholeNumber('seconds', opts.seconds!, 1);
const SERVICES = wholeNumber('services', opts.services!, 3);
const CLIENTS = wholeNumber('clients', opts.clients!, 1);
const KEEP = opts.keep!;
const VERBOSE = opts.verbose!;
const WITH_ATTACKER = !opts['without-attacker'];

// ---------------------------------------------------------------------------------------------
// the sandbox

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'reraise-soak-'));
const serviceDir = path.join(root, 'services');
const pidDir = path.join(root, 'pids');
const logDir = path.join(root, 'logs');
const markDir = path.join(root, 'marks');
const journalFile = path.join(root, 'journal.log');
fs.mkdirSync(serviceDir, { mode: 0o700 });
fs.mkdirSync(markDir, { mode: 0o700 });
const MARKER = `RERAISE_PIDDIR=${pidDir}`;
const env: NodeJS.ProcessEnv = { ...process.env, RERAISE_DIR: serviceDir, RERAISE_PIDDIR: pidDir, RERAISE_LOGDIR: logDir };
delete env.RERAISE_SERVICE;
const t0 = Date.now();
const BOOT = bootTime();
const elapsed = (): string => ((Date.now() - t0) / 1000).toFixed(3);

function journal(line: string): void {
  fs.appendFileSync(journalFile, `${elapsed()} ${line}\n`);
  if (VERBOSE) process.stdout.write(`  ${elapsed()} ${line}\n`);
}

// ---------------------------------------------------------------------------------------------
// violations

interface Violation {
  kind: string;
  detail: string;
}

const violations: Violation[] = [];

function violate(kind: string, detail: string): void {
  violations.push({ kind, detail });
  journal(`VIOLATION ${kind}: ${detail}`);
}

// ---------------------------------------------------------------------------------------------
// services

/**
 * exec: `exec sleep`; child: a shell waiting for its sleep; trap: the same, ignoring TERM (stop
 * needs SIGKILL); short: exits 0 after 3 s (restarted, a success); noisy: a line every 0.1 s;
 * crash: one good run per worker, then quick exits until ERROR; fail: exits at once, always.
 */
type Kind = 'exec' | 'child' | 'trap' | 'short' | 'noisy' | 'crash' | 'fail';

interface Service {
  name: string;
  kind: Kind;
  /** Current text of the config_start_sec and config_stop_sec values (may be bad for a while). */
  start: string;
  stop: string;
}

const BODIES: Record<Kind, string> = {
  exec: 'exec sleep 100000',
  child: 'sleep 100000 &\nwait',
  trap: "trap '' TERM\nsleep 100000 &\nwait",
  short: 'sleep 3\necho "short run over"',
  noisy: 'i=0\nwhile :; do\n  i=$((i+1))\n  echo "tick $i"\n  sleep 0.1\ndone',
  crash: `m=${markDir}/crash.$PPID\nif [ -e "$m" ]; then echo "crash"; exit 3; fi\n: > "$m"\nsleep 1\nexit 0`,
  fail: 'echo "no luck"\nexit 1',
};

/**
 * Lines a service's log may hold (config_log_stamp=1: each after its time); anything else is a
 * line cut or mixed up. `Killed` and
 * `Terminated` are what sh says when a child it waits for dies of SIGKILL or SIGTERM.
 */
const LOG_LINE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (tick \d+|short run over|crash|no luck|Killed|Terminated|auto-reraise\[\d+\]: .*)$/;

const setupRng = new Rng(SEED);
const width = Math.max(2, String(SERVICES - 1).length);
const services: Service[] = [];
for (let i = 0; i < SERVICES; i++) {
  const fixed: Kind[] = ['crash', 'fail', 'exec', 'child', 'trap', 'noisy', 'short'];
  const kind: Kind = i < fixed.length ? fixed[i] : setupRng.weighted({ exec: 4, child: 3, trap: 3, noisy: 2, short: 2 });
  services.push({
    name: `svc-${String(i).padStart(width, '0')}`,
    kind,
    start: goodStart(setupRng),
    stop: goodStop(setupRng),
  });
}
const byName = new Map(services.map((s) => [s.name, s]));
const names = services.map((s) => s.name);

function goodStart(rng: Rng): string {
  return (rng.int(2, 5) / 10).toFixed(1);
}

function goodStop(rng: Rng): string {
  return (rng.int(10, 20) / 10).toFixed(1);
}

function scriptText(s: Service): string {
  return [
    '#!/bin/sh',
    `# reraise soak service: ${s.kind}`,
    `config_start_sec=${s.start}`,
    `config_stop_sec=${s.stop}`,
    'config_retry_sec=0.1',
    'config_max_retry=2',
    'config_log_stamp=1',
    BODIES[s.kind],
    '',
  ].join('\n');
}

/** Atomic: a temp file (a dot name, which reraise ignores), then rename over the script. */
function writeScript(s: Service, tag: string): void {
  const temp = path.join(serviceDir, `.${s.name}.${tag}.edit`);
  fs.writeFileSync(temp, scriptText(s), { mode: 0o755 });
  fs.chmodSync(temp, 0o755);
  fs.renameSync(temp, path.join(serviceDir, s.name));
}

for (const s of services) writeScript(s, 'init');

// ---------------------------------------------------------------------------------------------
// the CLI, with the checks that apply to every run of it

const CLI_TIMEOUT_MS = 60_000;
/** Failures that no chaos excuses: a hang, a crash, a stop or restart that overran its bound. */
const SUSPICIOUS = /internal error|did not exit within|survived SIGKILL|no new run within|did not answer/;

async function reraise(who: string, ...args: string[]): Promise<CliResult> {
  const startedAt = Date.now();
  const r = await runCli(RERAISE, args, env, CLI_TIMEOUT_MS);
  const lines = (r.out + r.err).trim().split('\n').filter(Boolean);
  journal(`${who} reraise ${args.map(shq).join(' ')} -> ${r.timedOut ? 'TIMEOUT' : r.code ?? r.signal} (${r.ms} ms)` +
    (lines.length ? ` | ${lines.join(' | ')}` : ''));
  const cmd = `reraise ${args.map(shq).join(' ')}`;
  if (r.timedOut) violate('cli-hang', `${cmd} still running after ${CLI_TIMEOUT_MS / 1000}s`);
  else if (r.code !== 0 && r.code !== 1) violate('cli-exit', `${cmd} exited ${r.code ?? r.signal}: ${r.err.trim().split('\n').slice(0, 3).join(' | ')}`);
  for (const line of r.err.split('\n')) {
    if (!SUSPICIOUS.test(line)) continue;
    if (args[0] === 'once' && onceUndone(line, startedAt)) {
      journal(`${who} not a violation: ${line}: a concurrent reraise start cleared the flag (SIGUSR2) before once saw it`);
      continue;
    }
    // What the service looks like right now, for whoever reads the journal.
    const name = /^reraise: ([^:\s]+):/.exec(line)?.[1];
    const now = name === undefined ? '' : ` (pid file now: ${JSON.stringify(readPidText(pidDir, name)?.trim() ?? null)})`;
    violate('cli-failure', `${cmd}: ${line}${now}`);
    if (name !== undefined) journal(`log of ${name}: ${tail(path.join(logDir, name, 'current'), 15).join(' // ')}`);
  }
  return r;
}

/**
 * `once` waits for its worker to write once=1; a `start` run at the same moment may take the flag
 * away again (SIGUSR2) before `once` sees it, and `once` then says the worker did not answer. The
 * worker's own log tells: `NAME: once cleared` from that worker since `once` began.
 */
function onceUndone(line: string, since: number): boolean {
  const m = /^reraise: ([^:\s]+): worker pid (\d+) did not answer/.exec(line);
  if (!m) return false;
  const [, name, worker] = m;
  return tail(path.join(logDir, name, 'current'), 200).some((l) => {
    const stamped = /^(\S+) auto-reraise\[(\d+)\]: ([^:]+): once cleared/.exec(l);
    return !!stamped && stamped[2] === worker && stamped[3] === name && Date.parse(stamped[1]) >= since - 100;
  });
}

function tail(file: string, n: number): string[] {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).slice(-n);
  } catch {
    return [];
  }
}

// ---------------------------------------------------------------------------------------------
// chaos

const ACTIONS = {
  'kill9-service': 10,
  'kill9-worker': 3,
  'sigstop-service': 6,
  start: 12,
  stop: 7,
  restart: 7,
  clean: 5,
  once: 3,
  pause: 3,
  cont: 3,
  status: 2,
  'edit-config': 8,
} as const;
type Action = keyof typeof ACTIONS;
const counts = Object.fromEntries(Object.keys(ACTIONS).map((a) => [a, 0])) as Record<Action, number>;
let stopping = false;
const contTimers = new Set<NodeJS.Timeout>();

function glob(rng: Rng): string {
  const r = rng.float();
  if (r < 0.5) return rng.pick(names);
  if (r < 0.8) return `${rng.pick(names).slice(0, -1)}*`;
  if (r < 0.9) return '*';
  return `{${rng.pick(names)},${rng.pick(names)}}`;
}

function serviceProcs(): Proc[] {
  return living(scan(MARKER)).filter((p) => p.service !== undefined);
}

const BAD_VALUES: [keyof Pick<Service, 'start' | 'stop'>, string][] = [
  ['stop', 'soon'], ['start', '-1'], ['stop', '"1 2"'], ['start', '1e3'], ['stop', '3000000'],
];

async function act(action: Action, rng: Rng, who: string): Promise<void> {
  counts[action]++;
  switch (action) {
    case 'kill9-service': {
      const procs = serviceProcs();
      if (!procs.length) return journal(`${who} kill9-service: none to kill`);
      // Mostly a group leader (the service process itself), sometimes any process of a service.
      const leaders = procs.filter((p) => p.pid === p.pgid);
      const victim = rng.chance(0.6) && leaders.length ? rng.pick(leaders) : rng.pick(procs);
      const done = verifiedKill(victim, MARKER, 'SIGKILL');
      return journal(`${who} kill -9 ${victim.pid} (${victim.service}: ${victim.cmdline})${done ? '' : ' skipped: gone'}`);
    }
    case 'kill9-worker': {
      const workers = living(scan(MARKER)).filter((p) => workerName(p) !== undefined);
      if (!workers.length) return journal(`${who} kill9-worker: none to kill`);
      const victim = rng.pick(workers);
      const done = verifiedKill(victim, MARKER, 'SIGKILL');
      return journal(`${who} kill -9 worker ${victim.pid} (${victim.cmdline})${done ? '' : ' skipped: gone'}`);
    }
    case 'sigstop-service': {
      const procs = serviceProcs();
      if (!procs.length) return journal(`${who} sigstop: none to stop`);
      const victim = rng.pick(procs);
      if (!verifiedKill(victim, MARKER, 'SIGSTOP')) return journal(`${who} kill -STOP ${victim.pid} skipped: gone`);
      const ms = rng.int(50, 300);
      journal(`${who} kill -STOP ${victim.pid} (${victim.service}: ${victim.cmdline}), CONT in ${ms} ms`);
      const timer = setTimeout(() => {
        contTimers.delete(timer);
        verifiedKill(victim, MARKER, 'SIGCONT');
      }, ms);
      contTimers.add(timer);
      return;
    }
    case 'start':
    case 'stop':
    case 'restart':
    case 'once':
    case 'pause':
    case 'cont': {
      const patterns = [glob(rng)];
      if (rng.chance(0.15)) patterns.push(glob(rng));
      await reraise(who, action, ...patterns);
      return;
    }
    case 'clean':
      await reraise(who, 'clean', ...(rng.chance(0.3) ? [glob(rng)] : []));
      return;
    case 'status':
      await reraise(who, 'status', ...(rng.chance(0.5) ? [glob(rng)] : []), ...(rng.chance(0.5) ? ['--json'] : []));
      return;
    case 'edit-config': {
      const s = rng.pick(services);
      if (rng.chance(0.1)) {
        const [key, value] = rng.pick(BAD_VALUES);
        s[key] = value;
      } else if (rng.chance(0.5)) {
        s.start = goodStart(rng);
      } else {
        s.stop = goodStop(rng);
      }
      writeScript(s, who);
      return journal(`${who} edit ${s.name}: config_start_sec=${s.start} config_stop_sec=${s.stop}`);
    }
  }
}

async function client(index: number): Promise<void> {
  const rng = new Rng(SEED * 7919 + index + 1);
  const who = `c${index}`;
  while (!stopping) {
    await sleep(rng.int(10, 300));
    if (stopping) break;
    await act(rng.weighted(ACTIONS), rng, who);
  }
}

// ---------------------------------------------------------------------------------------------
// the monitor: things that must never last, watched in /proc during the chaos

/** When each condition was first seen (and seen in every sample since), keyed by what it is. */
const since = new Map<string, number>();
const reported = new Set<string>();
let monitorSamples = 0;

/** Reports each condition of `seen` (key -> [detail, limit ms]) once it has lasted its limit. */
function persisting(seen: Map<string, [string, number]>): void {
  const now = Date.now();
  for (const key of [...since.keys()]) if (!seen.has(key)) since.delete(key);
  for (const [key, [detail, limitMs]] of seen) {
    const first = since.get(key);
    if (first === undefined) {
      since.set(key, now);
    } else if (now - first >= limitMs && !reported.has(key)) {
      reported.add(key);
      violate(key.split(':')[0], `${detail} (for ${((now - first) / 1000).toFixed(1)}s, since t=${((first - t0) / 1000).toFixed(1)})`);
    }
  }
}

/**
 * A second worker of a service lives only until it finds the lock taken (it answers `busy`):
 * 3 s is plenty. Two process groups of one service, or a worker whose pid file names another
 * worker, last at most as long as a stop or a sweep: stop_sec (2 s at most), SIGKILL, reaping,
 * a drain of 1 s: 8 s is plenty.
 */
function monitorOnce(): void {
  monitorSamples++;
  const procs = living(scan(MARKER));
  const seen = new Map<string, [string, number]>();
  for (const name of names) {
    const workers = procs.filter((p) => p.cmdline === workerTitle(name)).map((p) => p.pid).sort((a, b) => a - b);
    if (workers.length > 1) {
      seen.set(`twin-workers:${name}:${workers.join(',')}`, [`${name}: ${workers.length} workers at once (pids ${workers.join(', ')})`, 3000]);
    }
    const groups = [...new Set(procs.filter((p) => p.service === name).map((p) => p.pgid))].sort((a, b) => a - b);
    if (groups.length > 1) {
      seen.set(`twin-services:${name}:${groups.join(',')}`, [`${name}: processes in ${groups.length} process groups at once (pgids ${groups.join(', ')})`, 8000]);
    }
    const record = parsePidLine(readPidText(pidDir, name) ?? '');
    for (const w of workers) {
      if (record?.workerPid === w) continue;
      const says = record ? `names worker ${record.workerPid ?? '-'} (${record.state})` : 'is missing';
      seen.set(`worker-without-pidfile:${name}:${w}`, [`${name}: worker ${w} is alive but the pid file ${says}`, 8000]);
    }
  }
  persisting(seen);
}

async function monitor(): Promise<void> {
  while (!stopping) {
    monitorOnce();
    await sleep(200);
  }
}

// ---------------------------------------------------------------------------------------------
// the sampler thread: every pid file, every few ms

const samplerFlag = new SharedArrayBuffer(4);
let sampler: Worker | undefined;
let samplerFinal: Promise<SamplerReport> | undefined;
const badReads: { at: number; name: string; text: string; why: string }[] = [];

function startSampler(): void {
  sampler = new Worker(SAMPLER, { workerData: { pidDir, flag: samplerFlag, intervalMs: 2, t0 } });
  samplerFinal = new Promise((resolve, reject) => {
    sampler!.on('message', (m: SamplerReport) => {
      badReads.push(...m.bad);
      if (m.type === 'final') resolve(m);
    });
    sampler!.on('error', reject);
    sampler!.on('exit', (code) => reject(new Error(`sampler thread exited (${code}) before its report`)));
  });
}

async function stopSampler(): Promise<SamplerReport | undefined> {
  if (!sampler) return undefined;
  Atomics.store(new Int32Array(samplerFlag), 0, 1);
  Atomics.notify(new Int32Array(samplerFlag), 0);
  try {
    return await samplerFinal;
  } finally {
    sampler = undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// the end: a known wanted state, then checks

interface Snapshot {
  procs: Proc[];
  problems: string[];
  /** RUN pid of each service that should run and does. */
  pids: Map<string, number>;
}

function evaluate(wantRun: ReadonlySet<string>, afterClean: boolean): Snapshot {
  const procs = living(scan(MARKER));
  const problems: string[] = [];
  const pids = new Map<string, number>();
  for (const name of names) {
    const workers = procs.filter((p) => p.cmdline === workerTitle(name));
    const members = procs.filter((p) => p.service === name);
    const text = readPidText(pidDir, name);
    const record = text === undefined ? undefined : parsePidLine(text);
    const show = (ps: Proc[]): string => ps.map((p) => `${p.pid} pgid ${p.pgid} ${p.state} "${p.cmdline}"`).join('; ');
    if (wantRun.has(name)) {
      if (workers.length !== 1) problems.push(`${name}: should run: ${workers.length} workers${workers.length ? ` (${show(workers)})` : ''}`);
      if (text === undefined) {
        problems.push(`${name}: should run: no pid file`);
        continue;
      }
      if (!record) {
        problems.push(`${name}: should run: pid file is not a pid line: ${JSON.stringify(text)}`);
        continue;
      }
      if (record.state !== 'RUN') {
        problems.push(`${name}: should run: pid file says ${JSON.stringify(text.trim())}`);
        continue;
      }
      const main = procs.find((p) => p.pid === record.pid);
      if (!main || main.service !== name) {
        problems.push(`${name}: should run: pid file names pid ${record.pid}, which is no live process of ${name}; its processes: ${show(members) || 'none'}`);
        continue;
      }
      if (Math.abs(startEpoch(main, BOOT) - record.epoch) > 2) {
        problems.push(`${name}: pid ${main.pid} started at ${startEpoch(main, BOOT).toFixed(2)}, the pid file says ${record.epoch}`);
      }
      if (workers.length === 1 && record.workerPid !== workers[0].pid) {
        problems.push(`${name}: pid file names worker ${record.workerPid}, the worker is ${workers[0].pid}`);
      }
      if (main.pgid !== main.pid) problems.push(`${name}: service pid ${main.pid} does not lead its process group (pgid ${main.pgid})`);
      const strays = members.filter((p) => p.pgid !== record.pid);
      if (strays.length) problems.push(`${name}: processes of ${name} outside group ${record.pid}: ${show(strays)}`);
      pids.set(name, main.pid);
    } else {
      if (workers.length) problems.push(`${name}: should not run: worker(s) ${show(workers)}`);
      if (members.length) problems.push(`${name}: should not run: process(es) ${show(members)}`);
      if (text !== undefined && (afterClean || record?.state !== 'ERROR')) {
        problems.push(`${name}: should not run: pid file ${JSON.stringify(text.trim())}${afterClean ? ' left after clean' : ''}`);
      }
    }
  }
  return { procs, problems, pids };
}

async function settle(wantRun: ReadonlySet<string>, ms: number): Promise<Snapshot> {
  const deadline = Date.now() + ms;
  for (;;) {
    const snap = evaluate(wantRun, false);
    if (snap.problems.length === 0 || Date.now() > deadline) return snap;
    await sleep(100);
  }
}

/**
 * Dot files of the pid dir that no live process accounts for: every one but the lock socket of
 * a live worker of its service (`.NAME.lock.PID`, SPEC 12.3).
 */
function tempFiles(): string[] {
  let files: string[];
  try {
    files = fs.readdirSync(pidDir).filter((f) => f.startsWith('.'));
  } catch {
    return [];
  }
  const workers = new Set(living(scan(MARKER)).flatMap((p) => {
    const name = workerName(p);
    return name === undefined ? [] : [`.${name}.lock.${p.pid}`];
  }));
  return files.filter((f) => !workers.has(f));
}

function pidFiles(): string[] {
  try {
    return fs.readdirSync(pidDir).filter((f) => !f.startsWith('.'));
  } catch {
    return [];
  }
}

/** Processes of the run (all of them carry the marker) that should not be there: reported, then killed. */
async function noneLeft(when: string): Promise<void> {
  // A stop returns when the worker is gone; give reaped zombies and exiting children a moment.
  let procs: Proc[] = [];
  for (let i = 0; i < 20; i++) {
    procs = living(scan(MARKER));
    if (!procs.length) return;
    await sleep(100);
  }
  for (const p of procs) {
    const leaderless = !procs.some((q) => q.pid === p.pgid) ? ', its group leader is gone' : '';
    violate('process-left', `${when}: pid ${p.pid} (pgid ${p.pgid}${leaderless}, ppid ${p.ppid}, state ${p.state}, ` +
      `${p.service ? `RERAISE_SERVICE=${p.service}` : 'no RERAISE_SERVICE'}) "${p.cmdline}" is still running`);
  }
  await killEverything(MARKER);
}

function checkLogs(): void {
  let dirs: string[] = [];
  try {
    dirs = fs.readdirSync(logDir);
  } catch {
    return;
  }
  for (const name of dirs) {
    const dir = path.join(logDir, name);
    for (const file of fs.readdirSync(dir)) {
      const text = fs.readFileSync(path.join(dir, file), 'utf8');
      const lines = text.split('\n');
      if (lines[lines.length - 1] !== '') violate('log', `${name}/${file}: does not end with a newline: ${JSON.stringify(lines[lines.length - 1].slice(-80))}`);
      lines.pop();
      let shown = 0;
      for (const line of lines) {
        if (/internal error/.test(line)) violate('worker-crash', `${name}/${file}: ${line.slice(0, 300)}`);
        else if (!LOG_LINE.test(line) && shown++ < 3) violate('log', `${name}/${file}: a line in no expected form (torn, or without its stamp): ${JSON.stringify(line.slice(0, 300))}`);
      }
    }
  }
}

/** SPEC 5.6: a worker killed with SIGKILL leaves its service running, orphaned. */
async function orphanDrill(wantRun: ReadonlySet<string>): Promise<void> {
  // A short run ends by itself within 3 s: only the long-running kinds are left to orphan.
  const drilled = [...wantRun].filter((n) => byName.get(n)!.kind !== 'short').sort();
  const before = new Map<string, { service: Proc; group: Proc[] }>();
  const procs = living(scan(MARKER));
  for (const name of drilled) {
    const record = parsePidLine(readPidText(pidDir, name) ?? '');
    const worker = procs.find((p) => p.cmdline === workerTitle(name));
    const service = procs.find((p) => p.pid === record?.pid && p.service === name);
    if (!record || !worker || !service) {
      violate('orphan', `${name}: not running as it should before the drill (${readPidText(pidDir, name)?.trim() ?? 'no pid file'})`);
      continue;
    }
    // The group's long-lived processes: a noisy service's `sleep 0.1` ends by itself.
    before.set(name, { service, group: procs.filter((p) => p.pgid === service.pid && p.cmdline !== 'sleep 0.1') });
    verifiedKill(worker, MARKER, 'SIGKILL');
    journal(`drill: kill -9 worker ${worker.pid} of ${name} (service pid ${service.pid}, ${byName.get(name)!.kind})`);
  }
  await sleep(1500);
  const after = living(scan(MARKER));
  for (const [name, { service, group }] of before) {
    const gone = group.filter((g) => !after.some((p) => p.pid === g.pid && p.startTicks === g.startTicks));
    if (gone.length) {
      violate('orphan', `${name} (${byName.get(name)!.kind}): 1.5 s after kill -9 of its worker, ${gone.length} of the ${group.length} ` +
        `process(es) of group ${service.pid} are gone: ${gone.map((g) => `${g.pid} "${g.cmdline}"`).join(', ')}`);
    }
    if (after.some((p) => p.cmdline === workerTitle(name))) violate('orphan', `${name}: a worker is alive after kill -9 of its worker`);
  }
  const status = await reraise('drill', 'status', '--json', ...before.keys());
  let rows: { name: string; state: string; pid: number | null }[] = [];
  try {
    rows = JSON.parse(status.out);
  } catch {
    violate('orphan', `reraise status --json printed no JSON: ${JSON.stringify(status.out.slice(0, 200))}`);
  }
  for (const [name, { service }] of before) {
    const row = rows.find((r) => r.name === name);
    const alive = after.some((p) => p.pid === service.pid && p.startTicks === service.startTicks);
    if (alive && (row?.state !== 'orphaned' || row.pid !== service.pid)) {
      violate('orphan', `${name}: service pid ${service.pid} runs without its worker, status says ${JSON.stringify(row ?? null)}`);
    }
  }
  const orphans = [...before.keys()].filter((name) => {
    const { service } = before.get(name)!;
    return after.some((p) => p.pid === service.pid && p.startTicks === service.startTicks);
  });
  if (!orphans.length) return;
  const start = await reraise('drill', 'start', ...orphans);
  if (start.code !== 1) violate('orphan', `reraise start on ${orphans.length} orphans exited ${start.code}, not 1`);
  for (const name of orphans) {
    if (!start.err.includes(`${name}: orphaned`)) violate('orphan', `reraise start ${name} on an orphan did not refuse it: ${(start.out + start.err).split('\n').filter((l) => l.includes(name)).join(' | ')}`);
  }
  await sleep(300);
  for (const p of living(scan(MARKER))) {
    const name = workerName(p);
    if (name !== undefined && orphans.includes(name)) violate('orphan', `${name}: reraise start made worker ${p.pid} beside its orphan`);
  }
  const stop = await reraise('drill', 'stop', ...orphans);
  for (const name of orphans) {
    if (!stop.out.includes(`${name}: stopped orphaned service`)) violate('orphan', `reraise stop ${name} on an orphan: ${(stop.out + stop.err).split('\n').filter((l) => l.includes(name)).join(' | ')}`);
  }
  const left = living(scan(MARKER)).filter((p) => p.service !== undefined && orphans.includes(p.service));
  for (const p of left) violate('orphan', `${p.service}: pid ${p.pid} "${p.cmdline}" is left after reraise stop of the orphan`);
}

async function finale(): Promise<void> {
  process.stdout.write(`soak: chaos over after ${elapsed()}s; bringing every service to a known state\n`);
  for (const t of contTimers) clearTimeout(t);
  contTimers.clear();
  // Nothing stays stopped: every process of the run gets SIGCONT (verified by marker and start time).
  for (const p of living(scan(MARKER))) verifiedKill(p, MARKER, 'SIGCONT');
  for (const s of services) {
    s.start = goodStart(setupRng);
    s.stop = goodStop(setupRng);
    writeScript(s, 'final');
  }

  // 1. Everything down: workers stop their services, orphans are stopped directly.
  const down = await reraise('final', 'stop', '*');
  if (down.code !== 0) violate('final-stop', `reraise stop '*' exited ${down.code}: ${down.err.trim()}`);
  await noneLeft("after the first final reraise stop '*'");
  await reraise('final', 'clean');
  for (const f of pidFiles()) violate('pidfile-left', `after stop '*' and clean: pid file ${f}: ${JSON.stringify(readPidText(pidDir, f))}`);
  for (const f of tempFiles()) violate('temp-left', `after stop '*' and clean: ${f} in the pid dir`);

  // 2. A chosen half up; the crash-looper and the failing one started too (they must end in ERROR).
  const healthy = services.filter((s) => s.kind !== 'crash' && s.kind !== 'fail').map((s) => s.name);
  const wantRun = new Set(setupRng.shuffle(healthy).slice(0, Math.ceil(healthy.length / 2)));
  const doomed = services.filter((s) => s.kind === 'crash' || s.kind === 'fail').map((s) => s.name);
  const up = await reraise('final', 'start', ...[...wantRun].sort(), ...doomed);
  for (const name of wantRun) {
    if (!up.out.split('\n').some((l) => l.startsWith(`${name}: started (pid `))) {
      const said = (up.out + up.err).split('\n').filter((l) => l.includes(name)).join(' | ');
      violate('final-start', `reraise start ${name} from a clean state did not start it: ${said || 'nothing said'}`);
    }
  }

  // 3. Settle, then check; then again a little later: the long-running ones must not have restarted.
  const first = await settle(wantRun, 30_000);
  for (const p of first.problems) violate('final-state', p);
  if (first.problems.length === 0) {
    await sleep(2000);
    const second = evaluate(wantRun, false);
    for (const p of second.problems) violate('final-state', `2 s later: ${p}`);
    for (const [name, pid] of first.pids) {
      const now = second.pids.get(name);
      if (byName.get(name)!.kind !== 'short' && now !== undefined && now !== pid) {
        violate('final-state', `${name} (${byName.get(name)!.kind}) restarted by itself: pid ${pid} became ${now}`);
      }
    }
  }

  // 4. clean: removes the ERROR files, never a live one; no temp file is left.
  await reraise('final', 'clean');
  for (const p of evaluate(wantRun, true).problems) violate('after-clean', p);
  for (const f of tempFiles()) violate('temp-left', `after clean: ${f} in the pid dir`);

  // 5. Orphans: kill -9 the workers; the services keep running, status calls them orphaned,
  //    start refuses them without making a worker, and the stop below stops them.
  await orphanDrill(wantRun);

  // 6. All down: nothing of the run is left, and clean leaves an empty pid dir.
  const all = await reraise('final', 'stop', '*');
  if (all.code !== 0) violate('final-stop', `reraise stop '*' exited ${all.code}: ${all.err.trim()}`);
  await noneLeft("after the last reraise stop '*'");
  await reraise('final', 'clean');
  for (const f of fs.readdirSync(pidDir)) violate('pidfile-left', `after the last stop and clean: ${f}: ${JSON.stringify(readPidText(pidDir, f) ?? '')}`);
  checkLogs();
}

// ---------------------------------------------------------------------------------------------
// main, and cleaning up whatever happens

let cleaned = false;
let attack: Attack | undefined;
async function cleanup(): Promise<void> {
  if (cleaned) return;
  cleaned = true;
  stopping = true;
  for (const t of contTimers) clearTimeout(t);
  await stopSampler().catch(() => undefined);
  await attack?.end().catch((error: Error) => process.stderr.write(`soak: attacker cleanup: ${error.message}\n`));
  attack = undefined;
  await killEverything(MARKER);
  if (KEEP) process.stdout.write(`soak: kept ${root} (journal: ${journalFile})\n`);
  else fs.rmSync(root, { recursive: true, force: true });
}

function onSignal(signal: NodeJS.Signals, code: number): void {
  process.on(signal, () => {
    process.stderr.write(`soak: ${signal}: cleaning up\n`);
    void cleanup().finally(() => process.exit(code));
  });
}
onSignal('SIGINT', 130);
onSignal('SIGTERM', 143);
onSignal('SIGHUP', 129);

function printViolations(): void {
  const shownPerKind = new Map<string, number>();
  for (const v of violations) {
    const n = (shownPerKind.get(v.kind) ?? 0) + 1;
    shownPerKind.set(v.kind, n);
    if (n <= 20) process.stdout.write(`soak: VIOLATION ${v.kind}: ${v.detail}\n`);
  }
  for (const [kind, n] of shownPerKind) if (n > 20) process.stdout.write(`soak: (${n - 20} more ${kind} violations not shown)\n`);
}

async function main(): Promise<number> {
  process.stdout.write(`soak: seed ${SEED}, ${SERVICES} services (${services.map((s) => `${s.name}=${s.kind}`).join(' ')}), ` +
    `${SECONDS} s, ${CLIENTS} clients, in ${root}\n`);
  startSampler();
  if (WITH_ATTACKER) {
    attack = await Attack.begin({
      seed: SEED, packageRoot: fileURLToPath(new URL('../..', import.meta.url)), pidDir, serviceNames: names, marker: MARKER, journal, violate,
    });
  }
  const loops = Array.from({ length: CLIENTS }, (_, i) => client(i));
  const watching = monitor();
  const end = t0 + SECONDS * 1000;
  let nextProgress = t0 + 10_000;
  while (Date.now() < end) {
    await sleep(Math.min(250, Math.max(0, end - Date.now())));
    if (Date.now() >= nextProgress && Date.now() < end) {
      const actions = Object.values(counts).reduce((a, b) => a + b, 0);
      process.stdout.write(`soak: ${Math.round((Date.now() - t0) / 1000)}s of ${SECONDS}, ${actions} actions, ${violations.length} violations and ${badReads.length} bad pid-file reads so far\n`);
      nextProgress += 10_000;
    }
  }
  stopping = true;
  await Promise.all(loops);
  await watching;
  const chaosSeconds = (Date.now() - t0) / 1000;

  // The attacker stays through the finale: a squatted lock must not turn a start into "already running".
  await finale();
  const attacker = attack;
  attack = undefined;
  await attacker?.end();
  const attacked = attacker ? `; attacker: ${attacker.attacks} attacks, ${attacker.victimRuns} victim commands` : '';

  const report = await stopSampler();
  // One violation per distinct bad content of a pid file, however often it was read.
  const distinct = new Map<string, { first: (typeof badReads)[number]; reads: number }>();
  for (const b of badReads) {
    const key = `${b.name}\0${b.text}`;
    const seen = distinct.get(key);
    if (seen) seen.reads++;
    else distinct.set(key, { first: b, reads: 1 });
  }
  for (const { first: b, reads } of distinct.values()) {
    violate('pidfile-read', `t=${b.at.toFixed(3)} ${b.name}: ${b.why}: ${JSON.stringify(b.text)}${reads > 1 ? ` (read ${reads} times)` : ''}`);
  }
  if (report) {
    journal(`sampler: ${report.reads} reads in ${report.sweeps} sweeps, ${report.tempSeen} temp files seen; monitor: ${monitorSamples} samples`);
    if (!report.reads) violate('sampler', 'the sampler read no pid file at all');
  }

  printViolations();
  const actions = Object.values(counts).reduce((a, b) => a + b, 0);
  const detail = (Object.entries(counts) as [Action, number][]).map(([a, n]) => `${n} ${a}`).join(', ');
  process.stdout.write(`soak: seed ${SEED}, ${SERVICES} services, ${Math.round(chaosSeconds)} s, ${actions} actions (${detail}), ` +
    `${violations.length} violations${attacked}\n`);
  return violations.length ? 1 : 0;
}

let exitCode = 1;
try {
  exitCode = await main();
} catch (error) {
  process.stderr.write(`soak: error: ${(error as Error).stack ?? error}\n`);
  exitCode = 1;
} finally {
  await cleanup();
}
process.exit(exitCode);
