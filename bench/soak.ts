// npm run soak [-- --seed N --seconds S --services N --clients C --keep --verbose --without-attacker]
//
// A chaos test of reraise, run through the real bin/reraise in a private RERAISE_DIR/PIDDIR/LOGDIR
// (the want dir is the default one, <log dir>/.want). Several clients do random things at random
// intervals (kill -9 a service process or a worker, SIGSTOP a service briefly, start/stop/restart/
// clean/once/pause/cont/status/revive on random globs, edit a config line), while a sampler thread
// reads every pid file and every want file every few ms and a monitor watches /proc. Now and then
// the machine "reboots": once no command is running, every worker and service of the run is killed
// with SIGKILL at once, the pid dir is kept, emptied or removed (a kept one may name pids "reused"
// since, by a decoy process that must never be signalled), and `reraise revive` runs as cron's
// @reboot line would (SPEC 13.3), which must start exactly the services wanted up. Every `revive`
// is checked as it runs: a line only for a service it matched and acted on, as its want allows,
// exit 1 only for a failure the soak brought about (a bad config it wrote, a process it killed).
// No service ever runs in two process groups at once, at any sample.
//
// At the end, `reraise revive` runs until it is quiet, and each service is compared with its want
// (read from the want file, and cross-checked with `status --json`): wanted up, it runs under a
// live worker (or, made to fail on purpose, is in ERROR with its next revival due), wanted down or
// never, nothing of it runs (but an orphan revive must leave alone), one process group a service;
// the want file must be one the commands the soak issued may have left (start up, stop down, once
// down: never a worker), and every change the sampler saw must come from one of them. Then every
// service is brought to a chosen state and checked. Every process of the run carries
// RERAISE_PIDDIR=<our pid dir> in its environment: that is how we find them, and no other process
// is ever signalled. Prints one line per violation, then one summary line; exits 1 on any
// violation. The end adds a drill: kill -9 the workers of the running services, which must leave
// orphans that status names, start refuses, revive takes over (one copy at a time) and stop ends
// (SPEC 5.6, 13.2).
//
// Four services prove their health (SPEC 14): one by config_ready_fd, one by config_ready_log, a
// node TCP server by config_ready_port and a node HTTP server by config_ready_url, the last two
// checked every config_check_sec. Every RUN record the sampler reads says ready=0|1 exactly for
// those (a run with ready=0 is a legal `starting`), never goes back from 1 to 0, says 1 only after
// the run marked itself ready, and carries checks=N check=WHY only as SPEC 14.2 words it; a run
// may not stay ready=0 under its live worker past config_ready_sec; at the end each of them wanted
// up must be RUN with ready=1, and status --json must agree. A client action makes a checked
// service unhealthy for a while (its socket closed, 503 answers, or SIGSTOP): its worker must
// restart it, never two copies at once, and, when nothing else touched it meanwhile, as SPEC 14.2
// says (the log line, one restart, checks=1 in the record on the way); the finale does it once
// more for each way with nothing else running. A node server that finds its port taken is a
// violation too: an earlier copy of it was still running.
//
// The seed fixes the services, each client's sequence of actions and intervals, the config edits,
// the reboots' times (their kinds come in a fixed turn) and the final choice of services; which pid a kill hits depends on
// what runs at that moment. --keep keeps the temp dir and its journal.log (every action and its
// answer) for a post-mortem. Run as root, a hostile second user joins in (soak-attacker.ts) unless
// --without-attacker.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { spawn, type ChildProcess } from 'node:child_process';
import {
  Rng, bootTime, killEverything, living, parsePidLine, procOf, readPidText, runCli, scan, shq, sleep,
  startEpoch, stillAlive, verifiedKill, workerName, workerTitle, type CliResult, type PidRecord, type Proc,
} from './soak-lib.js';
import type { HealthSeen, SamplerReport, SamplerRule } from './soak-sampler.js';
import { Attack } from './soak-attacker.js';
import { WantModel, matchNames, readWantFile, revivalDue, type WantChange, type WantValue } from './soak-wants.js';

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
/** The default want dir (SPEC 1): RERAISE_WANTDIR is left unset. */
const wantDir = path.join(logDir, '.want');
const journalFile = path.join(root, 'journal.log');
fs.mkdirSync(serviceDir, { mode: 0o700 });
fs.mkdirSync(markDir, { mode: 0o700 });
const MARKER = `RERAISE_PIDDIR=${pidDir}`;
const env: NodeJS.ProcessEnv = { ...process.env, RERAISE_DIR: serviceDir, RERAISE_PIDDIR: pidDir, RERAISE_LOGDIR: logDir };
delete env.RERAISE_SERVICE;
delete env.RERAISE_WANTDIR;
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
 * The probed ones (SPEC 14): ready-fd writes its newline to descriptor 3 after a short random
 * delay; ready-log says a line with its config_ready_log text; ready-port is a node TCP server,
 * ready-url a node HTTP server answering 200 on /health, both checked every config_check_sec.
 * Each of them creates marks/ready.PID just before it becomes ready, so that a record saying
 * ready=1 earlier is caught.
 */
type Kind = 'exec' | 'child' | 'trap' | 'short' | 'noisy' | 'crash' | 'fail' | 'ready-fd' | 'ready-port' | 'ready-url' | 'ready-log';

/** The readiness rule of a probed service (SPEC 14.1) and its liveness checks (SPEC 14.2). */
interface Health {
  rule: 'fd' | 'port' | 'url' | 'log';
  /** config_ready_sec, as its line says it. */
  readySec: string;
  /** config_check_sec and config_check_fail: a port or url rule only. */
  checkSec?: string;
  checkFail?: number;
  /** The TCP port of a port or url service, free when the soak chose it. */
  port?: number;
  /** The host of a url rule: 127.0.0.1 or localhost (the probe never looks a name up). */
  host?: string;
}

interface Service {
  name: string;
  kind: Kind;
  /** Current text of the config_start_sec and config_stop_sec values (may be bad for a while). */
  start: string;
  stop: string;
  /** config_revive_sec: short, so that revive tries a service in ERROR again within the run. */
  revive: string;
  health?: Health;
  /** config_needs (SPEC 14.3): a chain, child -> exec -> ready-fd, that start starts in its order. */
  needs?: string[];
}

/** The text a ready-log service says when it is ready, and its config_ready_log (quoted: it has a space). */
const READY_TEXT = 'now serving';
/**
 * How long a probed service stays unhealthy when the soak makes it so (ms), by how. `sigstop` is
 * a pause, not a sickness: its checks must not count (SPEC 14.2), so it must not be restarted.
 */
type Sickness = 'refuse' | 'http-503' | 'hang' | 'sigstop';
const SICK_MS: Record<Sickness, number> = { refuse: 4000, 'http-503': 4000, hang: 8000, sigstop: 8000 };
/** The `check=` reason (SPEC 14.2) each way of being unhealthy gives. */
const SICK_WHY: Record<Exclude<Sickness, 'sigstop'>, string> = { refuse: 'refused', 'http-503': 'http-503', hang: 'timeout' };
/** The signal that makes a server unhealthy, by how. */
const SICK_SIGNAL: Record<Sickness, NodeJS.Signals> = { refuse: 'SIGUSR2', 'http-503': 'SIGUSR2', hang: 'SIGWINCH', sigstop: 'SIGSTOP' };

/** A short random delay in sh (0.1 to 0.5 s, from the pid), then the mark, just before the run is ready. */
const markReady = (): string => `sleep "0.$(( $$ % 5 + 1 ))"\n: > "${markDir}/ready.$$"`;

/**
 * The node servers (no single quote in them: they are one sh word). argv: port, mark dir, how long
 * SIGUSR2 makes them unhealthy. The port one closes its listening socket for that long (checks are
 * refused); the url one answers 503 for that long, and after SIGWINCH answers nothing for that
 * long (checks time out). A port taken says `listen error` and exits 1.
 */
const PORT_JS = [
  'const net=require("net"),fs=require("fs");const port=Number(process.argv[1]),marks=process.argv[2],sick=Number(process.argv[3]);',
  'let server,closed=false;process.stdout.on("error",()=>{});',
  'function open(){server=net.createServer(s=>s.end());server.on("error",e=>{console.log("listen error "+e.code);process.exit(1)});',
  'fs.writeFileSync(marks+"/ready."+process.pid,"");server.listen(port,"127.0.0.1",()=>console.log("listening on "+port))}',
  'process.on("SIGUSR2",()=>{if(!server||closed)return;closed=true;console.log("closing for a while");server.close();',
  'setTimeout(()=>{closed=false;open()},sick)});setTimeout(open,100+Math.floor(Math.random()*300));',
].join('');
const URL_JS = [
  'const http=require("http"),fs=require("fs");const port=Number(process.argv[1]),marks=process.argv[2],sick=Number(process.argv[3]),hang=Number(process.argv[4]);',
  'let until=0,mute=0;process.stdout.on("error",()=>{});',
  'const server=http.createServer((q,r)=>{if(Date.now()<mute)return;r.writeHead(Date.now()<until?503:q.url==="/health"?200:404);r.end()});',
  'server.on("error",e=>{console.log("listen error "+e.code);process.exit(1)});',
  'process.on("SIGUSR2",()=>{console.log("answering 503 for a while");until=Date.now()+sick});',
  'process.on("SIGWINCH",()=>{console.log("answering nothing for a while");mute=Date.now()+hang});',
  'setTimeout(()=>{fs.writeFileSync(marks+"/ready."+process.pid,"");server.listen(port,"127.0.0.1",()=>console.log("health on "+port))},',
  '100+Math.floor(Math.random()*300));',
].join('');

function body(s: Service): string {
  switch (s.kind) {
    case 'exec': return 'exec sleep 100000';
    case 'child': return 'sleep 100000 &\nwait';
    case 'trap': return "trap '' TERM\nsleep 100000 &\nwait";
    case 'short': return 'sleep 3\necho "short run over"';
    case 'noisy': return 'i=0\nwhile :; do\n  i=$((i+1))\n  echo "tick $i"\n  sleep 0.1\ndone';
    case 'crash': return `m=${markDir}/crash.$PPID\nif [ -e "$m" ]; then echo "crash"; exit 3; fi\n: > "$m"\nsleep 1\nexit 0`;
    case 'fail': return 'echo "no luck"\nexit 1';
    // The newline, and more after it (read and ignored, SPEC 14.1).
    case 'ready-fd': return `${markReady()}\necho ready >&3\necho and more >&3\nexec sleep 100000`;
    case 'ready-log': return `echo "warming up"\n${markReady()}\necho "${READY_TEXT} requests"\nexec sleep 100000`;
    case 'ready-port': return `exec "$RERAISE_NODE" -e '${PORT_JS}' ${s.health!.port} "${markDir}" ${SICK_MS.refuse}`;
    case 'ready-url': return `exec "$RERAISE_NODE" -e '${URL_JS}' ${s.health!.port} "${markDir}" ${SICK_MS['http-503']} ${SICK_MS.hang}`;
  }
}

/**
 * Lines a service's log may hold (config_log_stamp=1: each after its time); anything else is a
 * line cut or mixed up. `Killed` and
 * `Terminated` are what sh says when a child it waits for dies of SIGKILL or SIGTERM. A node
 * server's `listen error` (its port taken: by an earlier copy of itself) is a violation of its own.
 */
const LOG_LINE = new RegExp('^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z (tick \\d+|short run over|crash|no luck|Killed|Terminated|' +
  `warming up|${READY_TEXT} requests|listening on \\d+|health on \\d+|closing for a while|answering 503 for a while|answering nothing for a while|auto-reraise\\[\\d+\\]: .*)$`);

/**
 * Ports that were free a moment ago, for the port and url services: below the ephemeral range, so
 * that no outgoing connection (a probe's among them) takes one while its server is down; chosen
 * at random (not by the seed), so that two soaks at once do not pick the same.
 */
async function freePorts(n: number): Promise<number[]> {
  let low = 32768;
  try {
    low = Number(fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || low;
  } catch {
    // not Linux: the usual range
  }
  const lowest = Math.min(10_000, Math.max(1024, low - 1000));
  const bind = (port: number): Promise<net.Server | undefined> => new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(undefined));
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
  const held: net.Server[] = [];
  for (let tries = 0; held.length < n && tries < 200; tries++) {
    const port = tries < 100 && low > lowest + 100 ? lowest + Math.floor(Math.random() * (low - lowest)) : 0;
    const server = await bind(port);
    if (server) held.push(server);
  }
  const ports = held.map((server) => (server.address() as net.AddressInfo).port);
  await Promise.all(held.map((server) => new Promise((resolve) => server.close(resolve))));
  if (ports.length < n) throw new Error(`soak: could not find ${n} free ports`);
  return ports;
}

const setupRng = new Rng(SEED);
// Its own stream, so that the services, kinds and configs of a seed stay what they were.
const reviveRng = new Rng(SEED * 13 + 5);
// And one for the probed services' rules.
const healthRng = new Rng(SEED * 17 + 11);
const width = Math.max(2, String(SERVICES - 1).length);
const services: Service[] = [];
const [tcpPort, httpPort] = await freePorts(2);
for (let i = 0; i < SERVICES; i++) {
  const fixed: Kind[] = ['crash', 'fail', 'exec', 'child', 'trap', 'noisy', 'short', 'ready-fd', 'ready-port', 'ready-url', 'ready-log'];
  const kind: Kind = i < fixed.length ? fixed[i] : setupRng.weighted({ exec: 4, child: 3, trap: 3, noisy: 2, short: 2 });
  services.push({
    name: `svc-${String(i).padStart(width, '0')}`,
    kind,
    start: goodStart(setupRng),
    stop: goodStop(setupRng),
    revive: String(reviveRng.int(1, 2)),
    health: healthOf(kind),
  });
}
// The dependency chain (SPEC 14.3): the child one needs the exec one, which needs the one that proves it is ready by its fd.
if (services.length > 7) {
  services[2].needs = [services[7].name];
  services[3].needs = [services[2].name];
}
const byName = new Map(services.map((s) => [s.name, s]));
const names = services.map((s) => s.name);

/** The services and all they need: what a start of them starts (SPEC 14.3). */
function withNeeds(list: Iterable<string>): Set<string> {
  const all = new Set<string>();
  const add = (name: string): void => {
    if (all.has(name)) return;
    all.add(name);
    for (const need of byName.get(name)?.needs ?? []) add(need);
  };
  for (const name of list) add(name);
  return all;
}

function goodStart(rng: Rng): string {
  return (rng.int(2, 5) / 10).toFixed(1);
}

function goodStop(rng: Rng): string {
  return (rng.int(10, 20) / 10).toFixed(1);
}

function healthOf(kind: Kind): Health | undefined {
  const checkSec = (): string => (healthRng.int(2, 4) / 10).toFixed(1);
  switch (kind) {
    case 'ready-fd': return { rule: 'fd', readySec: '3' };
    case 'ready-log': return { rule: 'log', readySec: '3' };
    case 'ready-port': return { rule: 'port', readySec: '5', checkSec: checkSec(), checkFail: healthRng.int(2, 3), port: tcpPort };
    // Two failures: a SIGSTOP makes each check wait out the probe's 2 s before it fails.
    case 'ready-url': return { rule: 'url', readySec: '5', checkSec: checkSec(), checkFail: 2, port: httpPort, host: healthRng.pick(['127.0.0.1', 'localhost']) };
    default: return undefined;
  }
}

function healthLines(h: Health): string[] {
  const rule = h.rule === 'fd' ? 'config_ready_fd=3'
    : h.rule === 'log' ? `config_ready_log="${READY_TEXT}"`
    : h.rule === 'port' ? `config_ready_port=${h.port}`
    : `config_ready_url=http://${h.host}:${h.port}/health`;
  const checks = h.checkSec === undefined ? [] : [`config_check_sec=${h.checkSec}`, `config_check_fail=${h.checkFail}`];
  return [rule, `config_ready_sec=${h.readySec}`, ...checks];
}

function scriptText(s: Service): string {
  return [
    '#!/bin/sh',
    `# reraise soak service: ${s.kind}`,
    `config_start_sec=${s.start}`,
    `config_stop_sec=${s.stop}`,
    'config_retry_sec=0.1',
    'config_max_retry=2',
    `config_revive_sec=${s.revive}`,
    'config_log_stamp=1',
    ...(s.health ? healthLines(s.health) : []),
    ...(s.needs ? [`config_needs="${s.needs.join(' ')}"`] : []),
    body(s),
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

/** A run of the CLI: what its patterns matched and when it ran (ms since 1970; e is Infinity while it runs). */
interface Command {
  who: string;
  action: string;
  matched: Set<string>;
  s: number;
  e: number;
}

/** Every command of the run, for the want model and for what a revive at the same time may see. */
const commands: Command[] = [];
const wantModel = new WantModel();

async function reraise(who: string, ...args: string[]): Promise<CliResult> {
  return (await command(who, args)).r;
}

interface CommandOptions {
  /** Called just before the CLI is spawned: what the command will find. */
  before?: (cmd: Command) => void;
  /** Runs it otherwise than `bin/reraise ARGS` with the run's environment (cron's @reboot line). */
  run?: () => Promise<CliResult>;
  /** How the journal and the violations name it. */
  label?: string;
}

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

async function command(who: string, args: string[], options: CommandOptions = {}): Promise<{ r: CliResult; cmd: Command }> {
  const [action, ...rest] = args;
  const patterns = rest.filter((a) => !a.startsWith('--'));
  const all = action === 'revive' || action === 'clean' || action === 'status';
  const matched = matchNames(patterns.length || !all ? patterns : ['*'], names);
  // A start starts what its services need too, and says so for each (SPEC 14.3).
  const cmd: Command = { who, action, matched: action === 'start' ? withNeeds(matched) : matched, s: Date.now(), e: Infinity };
  commands.push(cmd);
  options.before?.(cmd);
  const r = await (options.run ?? (() => runCli(RERAISE, args, env, CLI_TIMEOUT_MS)))();
  cmd.e = Date.now();
  recordWants(cmd, r);
  const label = options.label ?? `reraise ${args.map(shq).join(' ')}`;
  const lines = (r.out + r.err).trim().split('\n').filter(Boolean);
  journal(`${who} ${label} -> ${r.timedOut ? 'TIMEOUT' : r.code ?? r.signal} (${r.ms} ms)` + (lines.length ? ` | ${lines.join(' | ')}` : ''));
  if (r.timedOut) violate('cli-hang', `${label} still running after ${CLI_TIMEOUT_MS / 1000}s`);
  else if (r.code !== 0 && r.code !== 1) violate('cli-exit', `${label} exited ${r.code ?? r.signal}: ${r.err.trim().split('\n').slice(0, 3).join(' | ')}`);
  for (const line of r.err.split('\n')) {
    if (!SUSPICIOUS.test(line)) continue;
    if (action === 'once' && onceUndone(line, cmd.s)) {
      journal(`${who} not a violation: ${line}: a concurrent reraise start cleared the flag (SIGUSR2) before once saw it`);
      continue;
    }
    // What the service looks like right now, for whoever reads the journal.
    const name = /^reraise: ([^:\s]+):/.exec(line)?.[1];
    const now = name === undefined ? '' : ` (pid file now: ${JSON.stringify(readPidText(pidDir, name)?.trim() ?? null)})`;
    violate('cli-failure', `${label}: ${line}${now}`);
    if (name !== undefined) journal(`log of ${name}: ${tail(path.join(logDir, name, 'current'), 15).join(' // ')}`);
  }
  return { r, cmd };
}

/**
 * SPEC 13.1: start writes up for every service it starts or finds running (before it forks; one
 * flagged once too, before it takes the flag away), stop writes down for every service it matched,
 * first, and once writes down for every running service it acts on, before it signals the worker.
 * No worker writes one. A service a command says nothing sure of (a failure, a timeout) may or may
 * not have been written; one it says it left alone was not.
 */
function recordWants(cmd: Command, r: CliResult): void {
  const by = `${cmd.who} ${cmd.action}`;
  for (const name of cmd.matched) {
    const said = (what: string): boolean => !r.timedOut && new RegExp(`^${escape(name)}: (${what})`, 'm').test(r.out);
    const failed = (what: string): boolean => !r.timedOut && new RegExp(`^reraise: ${escape(name)}: (${what})`, 'm').test(r.err);
    if (cmd.action === 'start') {
      wantModel.add(name, 'up', cmd.s, cmd.e, said('started \\(pid|skip \\(already running\\)|not started: its want became down'), by);
    } else if (cmd.action === 'stop') {
      // A want it could not write (the want dir, the file) is said so: the service is stopped all the same.
      const certain = said('stopped|not running') && !failed('.*reraise revive may start it again$');
      wantModel.add(name, 'down', cmd.s, cmd.e, certain, by);
    } else if (cmd.action === 'once') {
      // Nothing written for a service it found not running or orphaned, or whose want it could not write.
      if (said('not running') || failed('not running|orphaned|unable to record its want')) continue;
      // Written before the worker was signalled: whatever became of the signal then.
      const certain = said('once(:|, then started again)') || failed('worker pid \\d+ (is gone|did not answer)');
      wantModel.add(name, 'down', cmd.s, cmd.e, certain, by);
    }
  }
}

/** Commands of `actions` that matched `name` and ran (or still run) while `cmd` did. */
function overlapping(actions: readonly string[], name: string, cmd: Pick<Command, 's' | 'e'>): Command[] {
  return commands.filter((c) => c !== cmd && actions.includes(c.action) && c.matched.has(name) && c.s <= cmd.e && c.e >= cmd.s);
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
  export: 1,
  log: 2,
  'edit-config': 8,
  // What cron does every 5 minutes, and what mends most of the chaos: orphans, ERROR, stale files.
  revive: 6,
  // A checked service made unhealthy for a while (SPEC 14.2): its worker must restart it, one copy at a time.
  unhealthy: 3,
} as const;
type Action = keyof typeof ACTIONS;
/** The client actions, and the reboots (an event of their own, on their own clock). */
const counts = Object.fromEntries([...Object.keys(ACTIONS), 'reboot'].map((a) => [a, 0])) as Record<Action | 'reboot', number>;
let stopping = false;
const contTimers = new Set<NodeJS.Timeout>();

/** When the soak signalled a process of each service (kill -9, SIGSTOP): a revive then may fail. */
const signalledAt = new Map<string, number[]>();
/** When the soak killed a worker of each service (kill -9). */
const workerKilledAt = new Map<string, number[]>();
/** When each service's config had a bad value (the soak's edits): [from, until], until Infinity while it has. */
const badConfig = new Map<string, [number, number][]>();
/** When each reboot ran: [from, until]. */
const rebootSpans: [number, number][] = [];
/** When the soak kept each checked service unhealthy (the unhealthy action): [from, until]. */
const sickSpans = new Map<string, [number, number][]>();
/** The unhealthy drills under way (each watches its service until it runs again, ready). */
const drills = new Set<Promise<unknown>>();
/** Unhealthy drills whose outcome was checked (in the chaos, in the finale), and those something else of the chaos got in the way of. */
const drillTally = { chaos: 0, final: 0, excused: 0 };

function signalled(name: string | undefined): void {
  if (name === undefined) return;
  const list = signalledAt.get(name) ?? [];
  list.push(Date.now());
  signalledAt.set(name, list);
}

function isBadValue(value: string): boolean {
  return BAD_VALUES.some(([, bad]) => bad === value);
}

/** Keeps badConfig up to date after an edit of `s` (or the finale's repair). */
function noteConfig(s: Service): void {
  const list = badConfig.get(s.name) ?? [];
  const open = list.length > 0 && list[list.length - 1][1] === Infinity;
  const bad = isBadValue(s.start) || isBadValue(s.stop);
  if (bad && !open) list.push([Date.now(), Infinity]);
  if (!bad && open) list[list.length - 1][1] = Date.now();
  badConfig.set(s.name, list);
}

function badDuring(name: string, from: number, until: number): boolean {
  return (badConfig.get(name) ?? []).some(([a, b]) => a <= until && b >= from);
}

/**
 * A reboot happens when no command runs (a real one ends them all): clients hold the gate for
 * each action, a reboot waits for them to let go and holds it alone.
 */
let active = 0;
let rebootHold: Promise<void> | undefined;
let drained: (() => void) | undefined;

async function enter(): Promise<void> {
  while (rebootHold) await rebootHold;
  active++;
}

function leave(): void {
  active--;
  if (active === 0) drained?.();
}

async function alone(fn: () => Promise<void>): Promise<void> {
  let release!: () => void;
  rebootHold = new Promise((resolve) => { release = resolve; });
  if (active > 0) await new Promise<void>((resolve) => { drained = resolve; });
  drained = undefined;
  try {
    await fn();
  } finally {
    rebootHold = undefined;
    release();
  }
}

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
      signalled(victim.service);
      const done = verifiedKill(victim, MARKER, 'SIGKILL');
      return journal(`${who} kill -9 ${victim.pid} (${victim.service}: ${victim.cmdline})${done ? '' : ' skipped: gone'}`);
    }
    case 'kill9-worker': {
      const workers = living(scan(MARKER)).filter((p) => workerName(p) !== undefined);
      if (!workers.length) return journal(`${who} kill9-worker: none to kill`);
      const victim = rng.pick(workers);
      signalled(workerName(victim));
      const killedOf = workerName(victim)!;
      workerKilledAt.set(killedOf, [...(workerKilledAt.get(killedOf) ?? []), Date.now()]);
      const done = verifiedKill(victim, MARKER, 'SIGKILL');
      return journal(`${who} kill -9 worker ${victim.pid} (${victim.cmdline})${done ? '' : ' skipped: gone'}`);
    }
    case 'sigstop-service': {
      const procs = serviceProcs();
      if (!procs.length) return journal(`${who} sigstop: none to stop`);
      const victim = rng.pick(procs);
      signalled(victim.service);
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
    case 'log':
      // The logs of several services while they rotate, restart and are stopped: lines or clear refusals.
      await reraise(who, 'log', '-n', String(rng.int(0, 5)), glob(rng), ...(rng.chance(0.3) ? ['--json'] : []));
      return;
    case 'export':
      // Reads what start reads, while scripts change under it: units or clear refusals, never a hang.
      await reraise(who, 'export', 'systemd', glob(rng));
      return;
    case 'revive':
      await reviveAction(rng, who);
      return;
    case 'unhealthy': {
      const checked = services.filter((s) => s.health?.checkSec !== undefined);
      if (!checked.length) return journal(`${who} unhealthy: no checked service`);
      const s = rng.pick(checked);
      const mode: Sickness = s.health!.rule === 'port' ? 'refuse' : rng.pick(['http-503', 'hang', 'sigstop'] as const);
      // Not awaited: the client goes on while the service is unhealthy and its worker restarts it.
      const drill = sicken(s, mode, who).then((outcome) => {
        if (outcome === 'checked') drillTally.chaos++;
        else if (outcome === 'excused') drillTally.excused++;
      });
      drills.add(drill);
      void drill.finally(() => drills.delete(drill));
      return;
    }
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
      noteConfig(s);
      return journal(`${who} edit ${s.name}: config_start_sec=${s.start} config_stop_sec=${s.stop}`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// unhealthy for a while (SPEC 14.2): the worker restarts its service, one copy at a time

/** Every line of every log file of `name` (current and rotated). */
function logLines(name: string): string[] {
  const dir = path.join(logDir, name);
  let files: string[] = [];
  try {
    files = fs.readdirSync(dir);
  } catch {
    return [];
  }
  return files.flatMap((f) => {
    try {
      return fs.readFileSync(path.join(dir, f), 'utf8').split('\n');
    } catch {
      return [];
    }
  });
}

/** What of the chaos, between `from` and `until`, may have changed what the worker of `name` does. */
function interference(name: string, mode: Sickness, from: number, until: number, last: boolean): string | undefined {
  // SIGCONT changes nothing for a server that runs (closed, or answering 503); it ends a SIGSTOP early.
  // A start takes a once flag away (SPEC 10).
  const actions = ['stop', 'restart', 'once', 'pause', ...(mode === 'sigstop' ? ['cont'] : []), ...(last ? ['start'] : [])];
  // Ended before it: a command that ended in the very millisecond the sickness began (the drill's own once) came first.
  const command = commands.find((c) => actions.includes(c.action) && c.matched.has(name) && c.s <= until && c.e > from);
  if (command) return `${command.who} ${command.action} matched it meanwhile`;
  if ((signalledAt.get(name) ?? []).some((t) => t >= from - 100 && t <= until)) return 'the soak signalled a process of it (or its worker) meanwhile';
  if (rebootSpans.some(([a, b]) => a <= until && b >= from)) return 'a reboot came meanwhile';
  if (badDuring(name, from, until)) return 'it had a bad config value meanwhile';
  return undefined;
}

/**
 * Makes a checked service unhealthy for a while: the port server closes its socket (checks are
 * refused), the url server answers 503, or is SIGSTOPped (each check waits out the probe's 2 s).
 * Then watches it: never two process groups at once, and, when nothing else of the chaos touched
 * it, the same worker restarts it (`unhealthy: K checks in a row failed (last: WHY): restarting`,
 * one restart more, no retry counted), the record said `checks=1 check=WHY` on the way, and the
 * new run becomes ready; a run flagged once is its last: it is stopped, its worker leaves and
 * takes its record along, and nothing starts it again (SPEC 14.2). Outcome: checked, excused
 * (something got in the way) or skipped (it was not running healthy under its worker when the
 * soak came to it).
 */
async function sicken(s: Service, mode: Sickness, who: string): Promise<'checked' | 'excused' | 'skipped'> {
  const { name } = s;
  const health = s.health!;
  // A run that is starting is given a moment to be ready.
  const waitUntil = Date.now() + 4000;
  let text: string | undefined;
  let record: PidRecord | undefined;
  let victim: Proc | undefined;
  let worker: Proc | undefined;
  let healthy = false;
  for (;;) {
    text = readPidText(pidDir, name);
    record = parsePidLine(text ?? '');
    victim = record?.state === 'RUN' && record.pid !== undefined ? procOf(record.pid) : undefined;
    worker = record?.workerPid !== undefined ? procOf(record.workerPid) : undefined;
    healthy = record?.extra.ready === '1' && record.extra.checks === undefined && victim?.service === name && victim.pgid === victim.pid &&
      worker?.cmdline === workerTitle(name) && victim.state !== 'T';
    if (healthy || Date.now() > waitUntil || (stopping && !finaleOn)) break;
    await sleep(100);
  }
  if (!healthy || !record || !victim || !worker || (sickSpans.get(name) ?? []).some(([, b]) => b === Infinity)) {
    journal(`${who} unhealthy ${name}: not running healthy under its worker (${JSON.stringify(text?.trim() ?? null)}): nothing done`);
    return 'skipped';
  }
  const signal = SICK_SIGNAL[mode];
  const last = record.extra.once === '1';
  const unhealthyLines = (): number => logLines(name).filter((l) => l.includes(`auto-reraise[${worker!.pid}]: ${name}: unhealthy:`)).length;
  const unhealthyBefore = unhealthyLines();
  const at = Date.now();
  if (!verifiedKill(victim, MARKER, signal)) {
    journal(`${who} unhealthy ${name}: pid ${victim.pid} gone meanwhile: nothing done`);
    return 'skipped';
  }
  const span: [number, number] = [at, Infinity];
  sickSpans.set(name, [...(sickSpans.get(name) ?? []), span]);
  journal(`${who} unhealthy ${name}: kill -${signal.slice(3)} ${victim.pid} (${mode} for ${SICK_MS[mode]} ms; checks every ${health.checkSec}s, ` +
    `${health.checkFail} failures ${last ? 'end its last run (once)' : 'restart it'}), worker ${worker.pid}`);
  if (mode === 'sigstop') return paused(s, who, { victim, worker, at, span, unhealthyBefore, unhealthyLines });
  // Detected within K x (check_sec + a probe's 2 s), then a stop and a new run to be ready.
  const deadline = at + SICK_MS[mode] + 8000;
  let next: PidRecord | undefined;
  let twinsSeen = false;
  while (Date.now() < deadline) {
    const procs = living(scan(MARKER));
    const twins = confirmedTwins(procs, name);
    if (twins && !twinsSeen) {
      twinsSeen = true;
      violate('two-copies', `${name}: made unhealthy (${mode}), live processes in process groups ${twins.join(', ')} at once: ` +
        show(procs.filter((p) => p.service === name)));
    }
    const now = parsePidLine(readPidText(pidDir, name) ?? '');
    if (!stillAlive(victim) && now?.state === 'RUN' && now.pid !== victim.pid && now.extra.ready === '1') {
      next = now;
      break;
    }
    if (last && !stillAlive(victim) && !stillAlive(worker)) break;
    // Ended by something else of the chaos: no restart of the worker's own to wait for.
    if (!stillAlive(victim) && interference(name, mode, at, Date.now(), last)) break;
    await sleep(50);
  }
  span[1] = Date.now();
  // The sampler's news of the records it read meanwhile.
  await sleep(600);
  const why = interference(name, mode, at, Date.now(), last);
  const where = `${name} (${s.kind}) made unhealthy (${mode}) at t=${((at - t0) / 1000).toFixed(3)}`;
  if (why) {
    // Whatever else came, an unhealthy run does not go on: its worker, a stop, a restart or a kill
    // ends it. But not once its worker is killed (an orphan is never checked), nor when a pause
    // made its failed checks not count (SPEC 14.2).
    const healed = commands.some((c) => c.action === 'pause' && c.matched.has(name) && c.s <= Date.now() && c.e >= at);
    const orphaned = (workerKilledAt.get(name) ?? []).some((t) => t >= at - 100);
    if (stillAlive(victim) && !healed && !orphaned) {
      violate('unhealthy-left', `${where}: pid ${victim.pid} still runs ${((Date.now() - at) / 1000).toFixed(1)}s later, worker ${worker.pid} ` +
        `${stillAlive(worker) ? 'alive' : 'gone'} (${why}); pid file ${JSON.stringify(readPidText(pidDir, name)?.trim() ?? null)}`);
    }
    journal(`${who} unhealthy ${name}: not checked: ${why}`);
    return 'excused';
  }
  const reason = SICK_WHY[mode as Exclude<Sickness, 'sigstop'>];
  const ending = last ? 'stopping it (once: its last run)' : 'restarting';
  const said = `auto-reraise[${worker.pid}]: ${name}: unhealthy: ${health.checkFail} checks in a row failed (last: ${reason}): ${ending}`;
  if (!logLines(name).some((l) => l.endsWith(said))) {
    violate('unhealthy-restart', `${where}: its log does not say "${said}": ${tail(path.join(logDir, name, 'current'), 8).join(' // ')}`);
  }
  if (health.checkFail! > 1 && !healthSeen.some((h) => h.name === name && h.pid === victim.pid && h.checks === 1 && h.check === reason)) {
    const seen = healthSeen.filter((h) => h.name === name && h.pid === victim.pid).map((h) => `checks=${h.checks} check=${h.check}`);
    violate('unhealthy-record', `${where}: the sampler never read checks=1 check=${reason} in the record of pid ${victim.pid} (read: ${seen.join(', ') || 'none'})`);
  }
  if (last) {
    const left = readPidText(pidDir, name);
    if (next) violate('unhealthy-once', `${where}: flagged once, yet started again as pid ${next.pid}: ${JSON.stringify(left?.trim() ?? null)}`);
    else if (stillAlive(victim) || stillAlive(worker)) {
      violate('unhealthy-once', `${where}: flagged once: ${((Date.now() - at) / 1000).toFixed(1)}s later pid ${victim.pid} ${stillAlive(victim) ? 'still runs' : 'is gone'}, ` +
        `worker ${worker.pid} ${stillAlive(worker) ? 'still runs' : 'is gone'}; pid file ${JSON.stringify(left?.trim() ?? null)}`);
    } else if (left !== undefined && parsePidLine(left)?.workerPid === worker.pid) {
      violate('unhealthy-once', `${where}: flagged once, its worker ${worker.pid} is gone but left its record ${JSON.stringify(left.trim())}`);
    } else journal(`${who} unhealthy ${name}: flagged once, stopped for good: ${JSON.stringify(left?.trim() ?? null)}`);
    return 'checked';
  }
  if (!next) {
    violate('unhealthy-restart', `${where}: no new ready run under worker ${worker.pid} ${((Date.now() - at) / 1000).toFixed(1)}s later; ` +
      `pid ${victim.pid} ${stillAlive(victim) ? 'still runs' : 'is gone'}, worker ${stillAlive(worker) ? 'alive' : 'gone'}, ` +
      `pid file ${JSON.stringify(readPidText(pidDir, name)?.trim() ?? null)}; log: ${tail(path.join(logDir, name, 'current'), 8).join(' // ')}`);
    return 'checked';
  }
  journal(`${who} unhealthy ${name}: restarted as pid ${next.pid} ${((Date.now() - at) / 1000).toFixed(1)}s later: ${JSON.stringify(readPidText(pidDir, name)?.trim())}`);
  if (next.workerPid !== worker.pid) violate('unhealthy-restart', `${where}: the new run ${next.pid} names worker ${next.workerPid}, not ${worker.pid}`);
  const before = Number(record.extra.restarts ?? 0);
  const after = Number(next.extra.restarts ?? 0);
  if (after !== before + 1) violate('unhealthy-restart', `${where}: restarts=${before} before, restarts=${after} after: not one restart`);
  if (Number(next.extra.retries ?? 0) !== 0) violate('unhealthy-restart', `${where}: the restart counted a retry: ${JSON.stringify(readPidText(pidDir, name)?.trim())}`);
  return 'checked';
}

interface Frozen {
  victim: Proc;
  worker: Proc;
  at: number;
  span: [number, number];
  unhealthyBefore: number;
  unhealthyLines: () => number;
}

/**
 * A checked url service SIGSTOPped for a while, as `reraise pause` leaves it: its checks time out,
 * but a paused service is not restarted for them (SPEC 14.2). Then SIGCONT: the same run, under the
 * same worker, goes on, ready, its log saying once that the checks found it paused. Never two
 * copies. Outcome as sicken's.
 */
async function paused(s: Service, who: string, frozen: Frozen): Promise<'checked' | 'excused'> {
  const { name } = s;
  const { victim, worker, at, span } = frozen;
  const timer = setTimeout(() => {
    contTimers.delete(timer);
    verifiedKill(victim, MARKER, 'SIGCONT');
  }, SICK_MS.sigstop);
  contTimers.add(timer);
  // The cont, then a check or two that pass again.
  const deadline = at + SICK_MS.sigstop + 1500 + Number(s.health!.checkSec) * 2000;
  let twinsSeen = false;
  while (Date.now() < deadline && stillAlive(victim)) {
    const procs = living(scan(MARKER));
    const twins = confirmedTwins(procs, name);
    if (twins && !twinsSeen) {
      twinsSeen = true;
      violate('two-copies', `${name}: paused (sigstop), live processes in process groups ${twins.join(', ')} at once: ${show(procs.filter((p) => p.service === name))}`);
    }
    await sleep(50);
  }
  span[1] = Date.now();
  await sleep(600);
  const where = `${name} (${s.kind}) paused (sigstop) at t=${((at - t0) / 1000).toFixed(3)}`;
  const why = interference(name, 'sigstop', at, Date.now(), false);
  if (why) {
    journal(`${who} unhealthy ${name}: pause not checked: ${why}`);
    return 'excused';
  }
  const raw = readPidText(pidDir, name);
  const record = parsePidLine(raw ?? '');
  const text = raw?.trim() ?? null;
  const log = tail(path.join(logDir, name, 'current'), 8).join(' // ');
  if (frozen.unhealthyLines() !== frozen.unhealthyBefore) violate('paused-restarted', `${where}: its worker called it unhealthy: ${log}`);
  if (!stillAlive(victim) || record?.pid !== victim.pid || record.workerPid !== worker.pid || record.extra.ready !== '1') {
    violate('paused-restarted', `${where}: pid ${victim.pid} ${stillAlive(victim) ? 'runs' : 'is gone'} after its cont, pid file ${JSON.stringify(text)}; log: ${log}`);
  }
  const said = `auto-reraise[${worker.pid}]: ${name}: paused: its failed checks are not counted until it is continued (reraise cont)`;
  if (!logLines(name).some((l) => l.endsWith(said))) violate('paused-restarted', `${where}: its log does not say "${said}": ${log}`);
  journal(`${who} unhealthy ${name}: paused ${((Date.now() - at) / 1000).toFixed(1)}s and not restarted: ${JSON.stringify(text)}`);
  return 'checked';
}

// ---------------------------------------------------------------------------------------------
// revive (SPEC 13.2), checked as it runs

type ReviveLine =
  | { kind: 'started'; pid: number }
  | { kind: 'took-over'; orphan: number; pid: number }
  | { kind: 'revived'; pid: number; revival: number }
  | { kind: 'cleaned' }
  | { kind: 'dropped' };

/** The lines of SPEC 13.2's table, after `NAME: `. */
function parseReviveLine(what: string): ReviveLine | undefined {
  let m = /^started \(pid (\d+)\)$/.exec(what);
  if (m) return { kind: 'started', pid: Number(m[1]) };
  m = /^took over orphaned pid (\d+); running again as pid (\d+)$/.exec(what);
  if (m) return { kind: 'took-over', orphan: Number(m[1]), pid: Number(m[2]) };
  m = /^revived after ERROR \(pid (\d+), revival (\d+)\)$/.exec(what);
  if (m) return { kind: 'revived', pid: Number(m[1]), revival: Number(m[2]) };
  if (what === 'removed stale pid file') return { kind: 'cleaned' };
  if (what.startsWith('want dropped: ')) return { kind: 'dropped' };
  return undefined;
}

function readWants(matched: Iterable<string>): Map<string, WantValue | { bad: string }> {
  return new Map([...matched].map((n) => [n, readWantFile(wantDir, n)]));
}

/** Why a failure of `name` in a revive is one the soak brought about, if it is. */
function excused(name: string, cmd: Command): string | undefined {
  if (badDuring(name, cmd.s, cmd.e)) return 'the soak gave it a bad config value';
  if ((signalledAt.get(name) ?? []).some((t) => t >= cmd.s - 200 && t <= cmd.e)) return 'the soak signalled a process of it meanwhile';
  if (overlapping(['stop'], name, cmd).length) return 'a stop of it ran meanwhile';
  if ((sickSpans.get(name) ?? []).some(([a, b]) => a <= cmd.e && b >= cmd.s - 200)) return 'the soak made it unhealthy meanwhile';
  return undefined;
}

interface ReviveRun {
  r: CliResult;
  cmd: Command;
  /** Each service it printed a line for, and what the line says. */
  lines: Map<string, ReviveLine>;
  /** The services it failed for (`reraise: NAME: ...` on stderr). */
  failed: Set<string>;
}

/**
 * One `reraise revive [PATTERN...]` and the checks that hold whatever else runs: a line only for a
 * service it matched and in the table's words, an act only on a service whose want allows it, an
 * orphan taken over leaving no process of its group behind, exit 1 only for a failure that
 * `excuse` accepts (by default: one the soak brought about).
 */
async function revive(who: string, patterns: string[], options: CommandOptions & { excuse?: (name: string, cmd: Command) => string | undefined } = {}): Promise<ReviveRun> {
  let wants = new Map<string, WantValue | { bad: string }>();
  const { r, cmd } = await command(who, ['revive', ...patterns], {
    ...options,
    before: (c) => { wants = readWants(c.matched); options.before?.(c); },
  });
  const label = options.label ?? `reraise revive${patterns.map((p) => ` ${shq(p)}`).join('')}`;
  const excuse = options.excuse ?? excused;
  const procs = living(scan(MARKER));
  const lines = new Map<string, ReviveLine>();
  for (const line of r.out.split('\n').filter(Boolean)) {
    const m = /^(\S+): (.*)$/.exec(line);
    if (!m || !cmd.matched.has(m[1])) {
      violate('revive-line', `${label}: a line for no service it matched: ${JSON.stringify(line)}`);
      continue;
    }
    const [, name, what] = m;
    const parsed = parseReviveLine(what);
    if (!parsed) {
      violate('revive-line', `${label}: a line in none of SPEC 13.2's forms: ${JSON.stringify(line)}`);
      continue;
    }
    if (lines.has(name)) violate('revive-line', `${label}: a second line for ${name}: ${JSON.stringify(line)}`);
    lines.set(name, parsed);
    const want = wants.get(name);
    const wantSaid = typeof want === 'string' ? want : `unusable (${want?.bad})`;
    switch (parsed.kind) {
      case 'dropped':
        violate('revive-line', `${label}: ${JSON.stringify(line)}, but the script of ${name} was never removed`);
        break;
      case 'cleaned':
        if (want === 'up' && !overlapping(['stop', 'once'], name, cmd).length && !wantModel.mayWrite(name, 'down', cmd.s, cmd.e)) {
          violate('revive-want', `${label}: ${JSON.stringify(line)}, but ${name} was wanted up and nothing made it down meanwhile`);
        }
        break;
      default: {
        if (want !== 'up' && !overlapping(['start'], name, cmd).length) {
          violate('revive-want', `${label}: ${JSON.stringify(line)}, but the want of ${name} was ${wantSaid} and no start of it ran meanwhile`);
        }
        const p = procs.find((q) => q.pid === parsed.pid) ?? procOf(parsed.pid);
        if (p && p.service !== name && p.state !== 'Z') {
          violate('revive-line', `${label}: ${JSON.stringify(line)}, but pid ${parsed.pid} is "${p.cmdline}" (${p.service ? `RERAISE_SERVICE=${p.service}` : 'no RERAISE_SERVICE'})`);
        }
        if (parsed.kind === 'took-over') {
          const left = procs.filter((q) => q.pgid === parsed.orphan && q.service === name);
          if (left.length) {
            violate('two-copies', `${label}: ${JSON.stringify(line)}, but the orphan's group ${parsed.orphan} still has ` +
              left.map((q) => `${q.pid} "${q.cmdline}"`).join(', '));
          }
        }
      }
    }
  }
  const failed = new Set<string>();
  let failures = 0;
  for (const line of r.err.split('\n')) {
    if (!line.startsWith('reraise: ') || line.startsWith('reraise: warning: ')) continue;
    failures++;
    const name = /^reraise: ([^:\s]+): /.exec(line)?.[1];
    const why = name !== undefined && cmd.matched.has(name) ? excuse(name, cmd) : undefined;
    if (name !== undefined) failed.add(name);
    if (why) journal(`${who} not a violation: ${line}: ${why}`);
    else violate('revive-failure', `${label}: ${line}`);
  }
  if (r.code === 1 && failures === 0) violate('revive-exit', `${label} exited 1 and said no failure: ${JSON.stringify(r.err.trim().slice(0, 300))}`);
  if (r.code === 0 && failures > 0) violate('revive-exit', `${label} exited 0 after ${failures} failure(s)`);
  return { r, cmd, lines, failed };
}

async function reviveAction(rng: Rng, who: string): Promise<void> {
  await revive(who, rng.chance(0.5) ? [] : [glob(rng)]);
}

// ---------------------------------------------------------------------------------------------
// the reboot: an event, on its own clock

/** A process of ours without the marker: kept pid files are made to name it, as a pid reused since the boot. */
let decoy: { child: ChildProcess; proc: Proc } | undefined;

function startDecoy(): Proc | undefined {
  if (decoy) return decoy.proc;
  const child = spawn('sleep', ['100000'], { stdio: 'ignore', env: { PATH: '/usr/bin:/bin' } });
  child.on('error', () => {});
  const proc = child.pid === undefined ? undefined : procOf(child.pid);
  if (!proc) return undefined;
  decoy = { child, proc };
  return proc;
}

/** What cron would run at @reboot: the line `reraise boot show` gives (SPEC 13.3), in cron's bare environment. */
let bootLine: string | undefined;

async function cronRevive(who: string, excuse: (name: string) => string | undefined): Promise<ReviveRun> {
  if (bootLine === undefined) {
    const shown = await runCli(RERAISE, ['boot', 'show'], env, CLI_TIMEOUT_MS);
    const line = shown.out.split('\n').find((l) => l.startsWith('@reboot '));
    // Cron reads `\%` as `%`; the run's dirs are in the line as they resolve, the marker among them.
    bootLine = line?.slice('@reboot '.length).replace(/\\%/g, '%');
    if (!bootLine || !bootLine.includes(`'RERAISE_PIDDIR=${pidDir}'`)) {
      violate('boot-line', `reraise boot show gave no @reboot line naming RERAISE_PIDDIR=${pidDir}: ${JSON.stringify(shown.out.slice(0, 500))}`);
      bootLine = ['/usr/bin/env', `PATH=${process.env.PATH ?? '/usr/bin:/bin'}`, `RERAISE_DIR=${serviceDir}`, `RERAISE_PIDDIR=${pidDir}`,
        `RERAISE_LOGDIR=${logDir}`, `RERAISE_WANTDIR=${wantDir}`, process.execPath, RERAISE, 'revive'].map((w) => `'${w.replace(/'/g, `'\\''`)}'`).join(' ');
    }
    journal(`boot: cron's @reboot line: ${bootLine}`);
  }
  const cronEnv = { HOME: os.homedir(), LOGNAME: os.userInfo().username, SHELL: '/bin/sh', PATH: '/usr/bin:/bin' };
  const line = bootLine;
  return revive(who, [], { run: () => runCli('/bin/sh', ['-c', line], cronEnv, CLI_TIMEOUT_MS), label: "cron's @reboot reraise revive", excuse });
}

/** What a boot leaves of the pid dir (SPEC 13.2): /var/tmp keeps it, a tmpfs or a cleaner does not. */
type PidDirAfterBoot = 'kept' | 'kept, pids reused' | 'emptied' | 'gone';

async function reboot(rng: Rng, how: PidDirAfterBoot): Promise<void> {
  const span: [number, number] = [Date.now(), Infinity];
  rebootSpans.push(span);
  try {
    await rebootNow(rng, how);
  } finally {
    span[1] = Date.now();
  }
}

async function rebootNow(rng: Rng, how: PidDirAfterBoot): Promise<void> {
  counts.reboot++;
  const forge = how === 'kept, pids reused';
  const before = living(scan(MARKER));
  const killed = await killEverything(MARKER);
  journal(`reboot: ${before.filter((p) => workerName(p) !== undefined).length} workers and ${before.filter((p) => p.service !== undefined).length} ` +
    `service processes, SIGKILLed at once (${killed} signals); the pid dir is ${how}`);
  if (how === 'emptied' && fs.existsSync(pidDir)) {
    for (const entry of fs.readdirSync(pidDir, { withFileTypes: true })) fs.rmSync(path.join(pidDir, entry.name), { recursive: true, force: true });
  } else if (how === 'gone') {
    fs.rmSync(pidDir, { recursive: true, force: true });
  } else if (forge && fs.existsSync(pidDir)) {
    // Pids are handed out again after a boot: a kept record may name someone else's process now.
    const decoyProc = startDecoy();
    const kept = names.filter((n) => parsePidLine(readPidText(pidDir, n) ?? '')?.state === 'RUN');
    for (const name of rng.shuffle(kept).slice(0, 2)) {
      if (!decoyProc) break;
      const epoch = Math.floor(startEpoch(decoyProc, BOOT));
      const temp = path.join(pidDir, `.${name}.soak-reboot.tmp`);
      // A probed service's record said it was ready: the decoy is marked so for the sampler.
      const ready = byName.get(name)!.health ? ' ready=1' : '';
      if (ready) fs.writeFileSync(path.join(markDir, `ready.${decoyProc.pid}`), '');
      fs.writeFileSync(temp, `RUN - ${decoyProc.pid} ${decoyProc.pid} ${epoch} restarts=0${ready}\n`, { mode: 0o644 });
      fs.renameSync(temp, path.join(pidDir, name));
      journal(`reboot: ${name}'s kept record now names pid ${decoyProc.pid} ("${decoyProc.cmdline}", no marker) as service and worker`);
    }
  }
  await bootRevive();
}

/**
 * Nothing else runs: what revive must do is known exactly (SPEC 13.2, "a reboot"): start every
 * service wanted up (revive one in ERROR only when due), clean the stale records of the others,
 * and say nothing more. It fails only for a service the soak gave a bad config.
 */
async function bootRevive(): Promise<void> {
  const wants = readWants(names);
  const records = new Map(names.map((n) => [n, readPidText(pidDir, n)]));
  const bad = new Set(names.filter((n) => isBadValue(byName.get(n)!.start) || isBadValue(byName.get(n)!.stop)));
  const run = await cronRevive('boot', (name) => (bad.has(name) ? 'the soak gave it a bad config value' : undefined));
  const { cmd, lines, failed } = run;
  for (const name of names) {
    const want = wants.get(name)!;
    const text = records.get(name);
    const record = text === undefined ? undefined : parsePidLine(text);
    const line = lines.get(name);
    // What SPEC 13.2 asks of this service: one kind of line, nothing, or one of the two near a due time.
    let expected: (ReviveLine['kind'] | 'nothing' | 'failure')[];
    if (want === 'up') {
      if (record?.state === 'ERROR') {
        const due = revivalDue(record);
        expected = cmd.e / 1000 < due ? ['nothing'] : cmd.s / 1000 >= due ? ['revived'] : ['revived', 'nothing'];
      } else {
        expected = ['started'];
      }
      if (bad.has(name)) expected = expected.map((e) => (e === 'nothing' ? e : 'failure'));
    } else {
      expected = text !== undefined && record?.state !== 'ERROR' ? ['cleaned'] : ['nothing'];
    }
    const got = failed.has(name) ? 'failure' : line?.kind ?? 'nothing';
    if (!expected.includes(got)) {
      violate('boot-revive', `${name} (${byName.get(name)!.kind}, wanted ${typeof want === 'string' ? want : want.bad}, pid file ` +
        `${JSON.stringify(text?.trim() ?? null)}): expected ${expected.join(' or ')}, got ${got}${line ? ` (${JSON.stringify(line)})` : ''}`);
    }
    if (line?.kind === 'revived' && record) {
      const revivals = Number(record.extra.revivals ?? '0');
      if (line.revival !== revivals + 1) violate('boot-revive', `${name}: revival ${line.revival} after an ERROR record of revivals=${revivals}`);
    }
  }
  const after = readWants(names);
  for (const name of names) {
    if (JSON.stringify(after.get(name)) !== JSON.stringify(wants.get(name))) {
      violate('boot-revive', `${name}: its want was ${JSON.stringify(wants.get(name))} before the boot's revive, ${JSON.stringify(after.get(name))} after`);
    }
  }
}

async function reboots(): Promise<void> {
  const rng = new Rng(SEED * 104729 + 3);
  // Each kind of boot in turn, the one that leaves the most to sort out first (a short run has one).
  const kinds: PidDirAfterBoot[] = ['kept, pids reused', 'emptied', 'gone', 'kept'];
  // The first within the run for sure (even a short one), then every 8 to 20 s.
  let next = t0 + SECONDS * 1000 * (0.3 + 0.3 * rng.float());
  for (let k = 0; !stopping; ) {
    await sleep(Math.min(250, Math.max(0, next - Date.now())));
    if (stopping || Date.now() < next) continue;
    await alone(() => reboot(rng, kinds[k++ % kinds.length]));
    next = Date.now() + rng.int(8000, 20_000);
  }
}

async function client(index: number): Promise<void> {
  const rng = new Rng(SEED * 7919 + index + 1);
  const who = `c${index}`;
  while (!stopping) {
    await sleep(rng.int(10, 300));
    if (stopping) break;
    await enter();
    try {
      await act(rng.weighted(ACTIONS), rng, who);
    } finally {
      leave();
    }
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
    const twins = confirmedTwins(procs, name);
    if (twins && !reported.has(`two-copies:${name}:${twins.join(',')}`)) {
      reported.add(`two-copies:${name}:${twins.join(',')}`);
      violate('two-copies', `${name}: live processes in ${twins.length} process groups at the same moment (pgids ${twins.join(', ')}): ` +
        procs.filter((p) => p.service === name).map((p) => `${p.pid} pgid ${p.pgid} "${p.cmdline}"`).join('; '));
    }
    if (groups.length > 1) {
      seen.set(`twin-services:${name}:${groups.join(',')}`, [`${name}: processes in ${groups.length} process groups at once (pgids ${groups.join(', ')})`, 8000]);
    }
    const record = parsePidLine(readPidText(pidDir, name) ?? '');
    // A run not ready within config_ready_sec is stopped by its live worker (SPEC 14.1): stop_sec, SIGKILL, reaping.
    const health = byName.get(name)!.health;
    if (health && record?.state === 'RUN' && record.extra.ready === '0' && record.workerPid !== undefined && workers.includes(record.workerPid)) {
      seen.set(`stuck-starting:${name}:${record.pid}:${record.workerPid}`,
        [`${name}: RUN ready=0 (pid ${record.pid}) under its live worker ${record.workerPid}, config_ready_sec=${health.readySec}`, (Number(health.readySec) + 6) * 1000]);
    }
    for (const w of workers) {
      if (record?.workerPid === w) continue;
      const says = record ? `names worker ${record.workerPid ?? '-'} (${record.state})` : 'is missing';
      seen.set(`worker-without-pidfile:${name}:${w}`, [`${name}: worker ${w} is alive but the pid file ${says}`, 8000]);
    }
  }
  persisting(seen);
}

/**
 * The process groups of `name` that were all alive at one moment, when there are two or more: a
 * scan reads /proc one process after another, so one group may have ended before the next began.
 * Each group's members are looked at again after the scan, one group after another: a member alive
 * at its second look was alive since the scan saw it, so at the first group's second look too.
 */
function confirmedTwins(procs: readonly Proc[], name: string): number[] | undefined {
  const groups = new Map<number, Proc[]>();
  for (const p of procs) if (p.service === name) groups.set(p.pgid, [...(groups.get(p.pgid) ?? []), p]);
  if (groups.size < 2) return undefined;
  for (const members of groups.values()) if (!members.some(stillAlive)) return undefined;
  return [...groups.keys()].sort((x, y) => x - y);
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
/** Every change of a want file the sampler saw. */
const wantChanges: WantChange[] = [];
/** Each failed-checks count a record of a checked service said, once per run and count (SPEC 14.2). */
const healthSeen: HealthSeen[] = [];

function startSampler(): void {
  const rules: Record<string, SamplerRule> = {};
  for (const s of services) if (s.health) rules[s.name] = { rule: s.health.rule, checkFail: s.health.checkFail ?? null };
  sampler = new Worker(SAMPLER, { workerData: { pidDir, wantDir, markDir, rules, flag: samplerFlag, intervalMs: 2, t0 } });
  samplerFinal = new Promise((resolve, reject) => {
    sampler!.on('message', (m: SamplerReport) => {
      badReads.push(...m.bad);
      wantChanges.push(...m.wants);
      healthSeen.push(...m.health);
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

const show = (ps: Proc[]): string => ps.map((p) => `${p.pid} pgid ${p.pgid} ${p.state} "${p.cmdline}"`).join('; ');

/** What each service looks like in one scan: its workers, its processes, its pid file. */
interface Seen {
  workers: Proc[];
  members: Proc[];
  text?: string;
  record?: PidRecord;
}

function seeService(procs: readonly Proc[], name: string): Seen {
  const text = readPidText(pidDir, name);
  return {
    workers: procs.filter((p) => p.cmdline === workerTitle(name)),
    members: procs.filter((p) => p.service === name),
    text,
    record: text === undefined ? undefined : parsePidLine(text),
  };
}

/**
 * Running as it should: one worker, a RUN record naming it and a live leader of one process group;
 * with a readiness rule (and `ready`), ready=1 (SPEC 14.1). Its pid, once found.
 */
function runningProblems(name: string, procs: readonly Proc[], seen: Seen, problems: string[], ready = true): number | undefined {
  const { workers, members, text, record } = seen;
  if (workers.length !== 1) problems.push(`${name}: should run: ${workers.length} workers${workers.length ? ` (${show(workers)})` : ''}`);
  if (text === undefined) return void problems.push(`${name}: should run: no pid file`);
  if (!record) return void problems.push(`${name}: should run: pid file is not a pid line: ${JSON.stringify(text)}`);
  if (record.state !== 'RUN') return void problems.push(`${name}: should run: pid file says ${JSON.stringify(text.trim())}`);
  const main = procs.find((p) => p.pid === record.pid);
  if (!main || main.service !== name) {
    return void problems.push(`${name}: should run: pid file names pid ${record.pid}, which is no live process of ${name}; its processes: ${show(members) || 'none'}`);
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
  const health = byName.get(name)!.health;
  if (!health && record.extra.ready !== undefined) problems.push(`${name}: no readiness rule, yet its record says ready=${record.extra.ready}: ${JSON.stringify(text.trim())}`);
  if (health && record.extra.ready === undefined) problems.push(`${name}: config_ready_${health.rule}, yet its record has no ready=: ${JSON.stringify(text.trim())}`);
  if (health && ready && record.extra.ready !== '1') problems.push(`${name}: should run and be ready (config_ready_${health.rule}): pid file says ${JSON.stringify(text.trim())}`);
  return main.pid;
}

/**
 * Each service against the final state: `wantRun` running, every other not. With `kept` (after a
 * clean), the pid file of each service it names is there as it was, and every other pid file of a
 * service that should not run is gone.
 */
function evaluate(wantRun: ReadonlySet<string>, kept?: ReadonlyMap<string, string>): Snapshot {
  const afterClean = kept !== undefined;
  const procs = living(scan(MARKER));
  const problems: string[] = [];
  const pids = new Map<string, number>();
  for (const name of names) {
    const seen = seeService(procs, name);
    const { workers, members, text, record } = seen;
    if (wantRun.has(name)) {
      const pid = runningProblems(name, procs, seen, problems);
      if (pid !== undefined) pids.set(name, pid);
    } else if (kept?.has(name)) {
      if (workers.length || members.length) problems.push(`${name}: should not run (wanted up, in ERROR): ${show([...workers, ...members])}`);
      if (text !== kept.get(name)) {
        problems.push(`${name}: wanted up, in ERROR: clean should keep its pid file ${JSON.stringify(kept.get(name)!.trim())}, ` +
          `it is ${JSON.stringify(text?.trim() ?? null)}`);
      }
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
    const snap = evaluate(wantRun);
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
  // The want dir lives there too (SPEC 13.1): a dot name, so no service's.
  for (const name of dirs.filter((d) => !d.startsWith('.'))) {
    const dir = path.join(logDir, name);
    for (const file of fs.readdirSync(dir)) {
      const text = fs.readFileSync(path.join(dir, file), 'utf8');
      const lines = text.split('\n');
      if (lines[lines.length - 1] !== '') violate('log', `${name}/${file}: does not end with a newline: ${JSON.stringify(lines[lines.length - 1].slice(-80))}`);
      lines.pop();
      let shown = 0;
      for (const line of lines) {
        if (/internal error/.test(line)) violate('worker-crash', `${name}/${file}: ${line.slice(0, 300)}`);
        else if (/^\S+ listen error /.test(line)) violate('port-taken', `${name}/${file}: a run found its port taken (by an earlier copy still running?): ${line}`);
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
  // Half of them are taken over by revive (SPEC 13.2), one copy at a time; stop ends the others.
  const takenOver = setupRng.shuffle(orphans).slice(0, Math.ceil(orphans.length / 2)).sort();
  if (takenOver.length) await takeOverDrill(takenOver, before);
  const rest = orphans.filter((n) => !takenOver.includes(n));
  if (!rest.length) return;
  const stop = await reraise('drill', 'stop', ...rest);
  for (const name of rest) {
    if (!stop.out.includes(`${name}: stopped orphaned service`)) violate('orphan', `reraise stop ${name} on an orphan: ${(stop.out + stop.err).split('\n').filter((l) => l.includes(name)).join(' | ')}`);
  }
  const left = living(scan(MARKER)).filter((p) => p.service !== undefined && rest.includes(p.service));
  for (const p of left) violate('orphan', `${p.service}: pid ${p.pid} "${p.cmdline}" is left after reraise stop of the orphan`);
}

/**
 * SPEC 14.2 with nothing else going on: the checked services run (started if need be) and are
 * ready; each is then made unhealthy in each way it can be, one way after another, and each time
 * its worker must restart it (sicken's checks, none of them excused); last, flagged once, and
 * unhealthy again: that run must be its last.
 */
async function healthDrill(): Promise<void> {
  const checked = services.filter((s) => s.health?.checkSec !== undefined);
  if (!checked.length) return;
  const up = await reraise('health', 'start', ...checked.map((s) => s.name));
  if (up.code !== 0) violate('health-drill', `reraise start ${checked.map((s) => s.name).join(' ')} exited ${up.code}: ${(up.out + up.err).trim()}`);
  await Promise.all(checked.map(async (s) => {
    const ways: [Sickness, boolean][] = s.health!.rule === 'port' ? [['refuse', false], ['refuse', true]]
      : [['http-503', false], ['hang', false], ['sigstop', false], ['http-503', true]];
    for (const [mode, once] of ways) {
      const readyBy = Date.now() + 15_000;
      let problems: string[] = [];
      for (;;) {
        const procs = living(scan(MARKER));
        problems = [];
        runningProblems(s.name, procs, seeService(procs, s.name), problems);
        if (!problems.length || Date.now() > readyBy) break;
        await sleep(100);
      }
      if (problems.length) {
        for (const p of problems) violate('health-drill', `before making it unhealthy (${mode}): ${p}`);
        return;
      }
      // Healthy a moment first: a check or two that succeed.
      await sleep(Number(s.health!.checkSec) * 2000);
      if (once) {
        const r = await reraise('health', 'once', s.name);
        if (!r.out.startsWith(`${s.name}: once`)) violate('health-drill', `reraise once ${s.name}: ${(r.out + r.err).trim()}`);
        for (const until = Date.now() + 2000; parsePidLine(readPidText(pidDir, s.name) ?? '')?.extra.once !== '1' && Date.now() < until; ) await sleep(50);
        // A check that passes with the flag set; and the once is over before the sickness begins.
        await sleep(Number(s.health!.checkSec) * 1000);
      }
      const outcome = await sicken(s, mode, 'health');
      if (outcome !== 'checked') violate('health-drill', `${s.name}: made unhealthy (${mode}${once ? ', flagged once' : ''}) with nothing else running, the drill was ${outcome}`);
      else drillTally.final++;
    }
  }));
}

/**
 * revive on orphans wanted up: a new worker stops each orphan and runs it again (SPEC 13.2). /proc
 * is watched all along: never two process groups of one service at once.
 */
async function takeOverDrill(orphans: string[], before: Map<string, { service: Proc; group: Proc[] }>): Promise<void> {
  let watching = true;
  const twinsSeen = new Set<string>();
  const watcher = (async () => {
    while (watching) {
      const procs = living(scan(MARKER));
      for (const name of orphans) {
        const twins = confirmedTwins(procs, name);
        if (!twins || twinsSeen.has(name)) continue;
        twinsSeen.add(name);
        violate('two-copies', `${name}: while revive took over its orphan, live processes in process groups ${twins.join(', ')} at once: ` +
          show(procs.filter((p) => p.service === name)));
      }
      await sleep(20);
    }
  })();
  const run = await revive('drill', orphans, { excuse: () => undefined });
  watching = false;
  await watcher;
  const procs = living(scan(MARKER));
  for (const name of orphans) {
    const { service, group } = before.get(name)!;
    const line = run.lines.get(name);
    if (line?.kind !== 'took-over' || line.orphan !== service.pid) {
      violate('take-over', `revive of ${name}, orphaned pid ${service.pid}, said ${JSON.stringify(line ?? 'nothing')}${run.failed.has(name) ? ' and failed' : ''}`);
      continue;
    }
    const left = group.filter(stillAlive);
    if (left.length) violate('take-over', `${name}: after the take-over, the orphan's ${show(left)} still run`);
    const problems: string[] = [];
    const pid = runningProblems(name, procs, seeService(procs, name), problems, false);
    for (const p of problems) violate('take-over', `after the take-over: ${p}`);
    if (pid !== undefined && pid !== line.pid) violate('take-over', `${name}: revive said it runs again as pid ${line.pid}, the pid file says ${pid}`);
    // revive answers once the new run is spawned; a probed one has to become ready still.
    if (pid !== undefined && byName.get(name)!.health) {
      const readyBy = Date.now() + 10_000;
      let record = parsePidLine(readPidText(pidDir, name) ?? '');
      while (record?.pid === pid && record.extra.ready !== '1' && Date.now() < readyBy) {
        await sleep(50);
        record = parsePidLine(readPidText(pidDir, name) ?? '');
      }
      if (record?.pid !== pid || record.extra.ready !== '1') {
        violate('take-over', `${name}: the run ${pid} after the take-over is not ready 10 s later: ${JSON.stringify(readPidText(pidDir, name)?.trim() ?? null)}`);
      }
    }
    const said = `${name}: taking over orphaned pid ${service.pid} (its worker is gone)`;
    if (!tail(path.join(logDir, name, 'current'), 100).some((l) => l.includes(said))) violate('take-over', `${name}: its log does not say "${said}"`);
  }
}

// ---------------------------------------------------------------------------------------------
// the end, first: every service as its want says (SPEC 13)

/** The kinds made to fail on purpose: wanted up, they may rest in ERROR between revivals. */
const isDoomed = (name: string): boolean => ['crash', 'fail'].includes(byName.get(name)!.kind);

interface WantsCheck {
  problems: string[];
  /** The earliest revival due of a service wanted up that waits in ERROR (ms since 1970). */
  nextDue?: number;
}

/**
 * Each service against its want file. Wanted up: running under a live worker, one process group;
 * a doomed one may be anywhere in its cycle, or in ERROR; any other in ERROR only while its
 * revival is due after `deadline`. Wanted down or never: no worker, no stale record, and no
 * process but those of an orphan that was there before the final revive (revive leaves it alone),
 * or, wanted down, a run flagged once: `once` wrote the want down before it signalled the worker,
 * and the run under way is its last (SPEC 10, 13.1), running as any other until it ends.
 */
function evaluateWants(before: readonly Proc[], deadline: number, notes: Map<string, string>): WantsCheck {
  const procs = living(scan(MARKER));
  const problems: string[] = [];
  let nextDue: number | undefined;
  for (const name of names) {
    const want = readWantFile(wantDir, name);
    const seen = seeService(procs, name);
    const { workers, members, text, record } = seen;
    if (typeof want !== 'string') {
      problems.push(`${name}: ${want.bad}`);
      continue;
    }
    if (want === 'up' && record?.state === 'ERROR') {
      const due = revivalDue(record) * 1000;
      if (workers.length || members.length) problems.push(`${name}: wanted up, in ERROR, yet ${show([...workers, ...members])} run`);
      else if (isDoomed(name)) notes.delete(name);
      else if (due > deadline) notes.set(name, `${name}: wanted up, in ERROR (${JSON.stringify(text!.trim())}): its revival is due after the deadline, at t=${((due - t0) / 1000).toFixed(1)}`);
      else {
        problems.push(`${name}: wanted up, in ERROR until its revival at t=${((due - t0) / 1000).toFixed(1)}: ${JSON.stringify(text!.trim())}`);
        nextDue = Math.min(nextDue ?? Infinity, due);
      }
      continue;
    }
    if (want === 'up' && isDoomed(name)) {
      // Between two ERRORs it starts, runs or waits to run again: under its one worker, which the record names.
      if (workers.length !== 1 || record?.workerPid !== workers[0].pid) {
        problems.push(`${name}: wanted up (${byName.get(name)!.kind}): pid file ${JSON.stringify(text?.trim() ?? null)}, workers: ${show(workers) || 'none'}`);
      }
      const groups = new Set(members.map((p) => p.pgid));
      if (groups.size > 1) problems.push(`${name}: wanted up: processes in ${groups.size} process groups: ${show(members)}`);
      continue;
    }
    if (want === 'up') {
      runningProblems(name, procs, seen, problems);
      continue;
    }
    if (want === 'down' && record?.state === 'RUN' && record.extra.once === '1' && workers.length > 0) {
      const before = problems.length;
      runningProblems(name, procs, seen, problems, false);
      if (problems.length === before) notes.set(name, `${name}: wanted down by once, its last run still under way: ${JSON.stringify(text!.trim())}`);
      continue;
    }
    if (workers.length) problems.push(`${name}: wanted ${want}: worker(s) ${show(workers)}`);
    const orphanGroups = workers.length ? new Set<number>() : new Set(before.filter((p) => p.service === name).map((p) => p.pgid));
    const started = members.filter((p) => !orphanGroups.has(p.pgid));
    if (started.length) problems.push(`${name}: wanted ${want}: process(es) ${show(started)}`);
    else if (members.length) notes.set(name, `${name}: wanted ${want}, orphaned since before the final revive (${show(members)}): left alone, as SPEC 13.2 says`);
    if (!members.length && text !== undefined && record?.state !== 'ERROR') {
      problems.push(`${name}: wanted ${want}: a stale pid file revive left: ${JSON.stringify(text.trim())}`);
    }
  }
  return { problems, nextDue };
}

/**
 * A revive with nothing else running, so that SPEC 13.2 holds exactly: it fails for nothing, a
 * service in ERROR is revived when (and only when) its revival is due, as revival k + 1 after an
 * ERROR of revivals=k, and the next ERROR of a doomed one counts that revival (`fail`: it had no
 * good run) or starts from 0 again (`crash`: it had one).
 */
async function quietRevive(who: string, revived: Map<string, { revival: number; at: number }>): Promise<ReviveRun> {
  const records = new Map(names.map((n) => [n, parsePidLine(readPidText(pidDir, n) ?? '')]));
  const wants = readWants(names);
  for (const [name, { revival, at }] of revived) {
    const record = records.get(name);
    if (!isDoomed(name) || record?.state !== 'ERROR' || record.epoch * 1000 < at - 1000) continue;
    const counted = Number(record.extra.revivals ?? '0');
    const expected = byName.get(name)!.kind === 'fail' ? revival : 0;
    if (counted !== expected) violate('revive-count', `${name} (${byName.get(name)!.kind}): ERROR after revival ${revival} counts revivals=${counted}, not ${expected}`);
    revived.delete(name);
  }
  const run = await revive(who, [], { excuse: () => undefined });
  for (const name of names) {
    const record = records.get(name);
    const line = run.lines.get(name);
    if (record?.state !== 'ERROR') {
      if (line?.kind === 'revived') revived.set(name, { revival: line.revival, at: run.cmd.s });
      continue;
    }
    const due = revivalDue(record);
    if (line?.kind === 'revived') {
      if (run.cmd.e / 1000 < due) violate('revive-early', `${name}: revived at t=${((run.cmd.e - t0) / 1000).toFixed(2)}, its revival due at epoch ${due}: ${JSON.stringify(readPidText(pidDir, name))}`);
      const counted = Number(record.extra.revivals ?? '0');
      if (line.revival !== counted + 1) violate('revive-count', `${name}: "revival ${line.revival}" after an ERROR of revivals=${counted}`);
      revived.set(name, { revival: line.revival, at: run.cmd.s });
    } else if (wants.get(name) === 'up' && run.cmd.s / 1000 >= due + 0.1 && !run.failed.has(name)) {
      violate('revive-missed', `${name}: wanted up, in ERROR, revival due at epoch ${due}: revive at t=${((run.cmd.s - t0) / 1000).toFixed(2)} said ${JSON.stringify(line ?? 'nothing')}`);
    }
  }
  return run;
}

/**
 * After the chaos: revive until it has nothing left to do for the services that can run, then
 * each service against its want, the want file against status --json and against the model.
 */
async function wantsEndState(): Promise<void> {
  const before = living(scan(MARKER));
  const deadline = Date.now() + 45_000;
  const notes = new Map<string, string>();
  const revived = new Map<string, { revival: number; at: number }>();
  let quiet = false;
  for (let pass = 1; ; pass++) {
    const run = await quietRevive(`final-revive-${pass}`, revived);
    const acted = [...run.lines.keys()].filter((n) => !isDoomed(n));
    await sleep(300);
    const check = evaluateWants(before, deadline, notes);
    if (!acted.length && !check.problems.length) {
      quiet = true;
      break;
    }
    if (Date.now() > deadline) {
      for (const p of check.problems) violate('want-state', `${pass} passes of revive later: ${p}`);
      if (acted.length) violate('revive-quiet', `revive still acts on ${acted.join(', ')} after ${pass} passes`);
      break;
    }
    await sleep(Math.min(2000, Math.max(200, (check.nextDue ?? 0) - Date.now())));
  }
  for (const note of notes.values()) journal(`final: not a violation: ${note}`);
  if (quiet) {
    // Nothing to do: nothing said (SPEC 13.2), but for a doomed service whose revival came due.
    const last = await quietRevive('final-revive-quiet', revived);
    for (const [name, line] of last.lines) {
      if (!isDoomed(name) || line.kind !== 'revived') violate('revive-quiet', `${name}: with nothing to do, revive said ${JSON.stringify(line)}`);
    }
  }

  const status = await reraise('final', 'status', '--json');
  let rows: {
    name: string; state: string; wanted: string; nextRevival: number | null;
    ready: boolean | null; health: string | null; failedChecks: number; lastCheck: string | null; pidFile: string | null;
  }[] = [];
  try {
    rows = JSON.parse(status.out);
  } catch {
    violate('want-status', `reraise status --json printed no JSON: ${JSON.stringify(status.out.slice(0, 200))}`);
  }
  // SPEC 14.1, 14.2: a ready run of a probed service is running and healthy, one not ready yet is
  // starting; a run without a rule has neither. (A START record is `starting` too: no run yet.)
  for (const row of rows) {
    const health = byName.get(row.name)?.health;
    const run = row.pidFile?.startsWith('RUN ') ?? false;
    const fine = row.state === 'running' && health ? row.ready === true && row.health === 'ok' && row.failedChecks === 0 && row.lastCheck === null
      : row.state === 'running' ? row.ready === null && row.health === null && row.failedChecks === 0
      : row.state === 'starting' && run ? !!health && row.ready === false && row.health === null
      : true;
    if (!fine) {
      violate('health-status', `${row.name} (${byName.get(row.name)?.kind}), settled: status --json says state ${row.state}, ready ${row.ready}, health ${row.health}, ` +
        `failedChecks ${row.failedChecks}, lastCheck ${row.lastCheck}; pid file ${JSON.stringify(readPidText(pidDir, row.name)?.trim() ?? null)}`);
    }
  }
  for (const name of names) {
    const file = readWantFile(wantDir, name);
    const want = typeof file === 'string' ? file : 'none';
    const row = rows.find((r) => r.name === name);
    if (rows.length && row?.wanted !== want) violate('want-status', `${name}: the want file says ${want}, status --json says ${JSON.stringify(row?.wanted)}`);
    if (row && (row.state === 'error' && want === 'up') !== (typeof row.nextRevival === 'number')) {
      violate('want-status', `${name}: ${row.state}, wanted ${want}, but status --json gives nextRevival ${JSON.stringify(row.nextRevival)}`);
    }
    const allowed = wantModel.allowed(name);
    if (!allowed.has(want)) {
      violate('want-model', `${name}: the want file says ${want}; the commands the soak ran can leave only ${[...allowed].join(' or ')}: ${wantModel.describe(name, t0)}`);
    }
  }
}

/** The finale has begun: nothing of the chaos runs any more. */
let finaleOn = false;

async function finale(): Promise<void> {
  finaleOn = true;
  process.stdout.write(`soak: chaos over after ${elapsed()}s; bringing every service to a known state\n`);
  for (const t of contTimers) clearTimeout(t);
  contTimers.clear();
  // Nothing stays stopped: every process of the run gets SIGCONT (verified by marker and start time).
  for (const p of living(scan(MARKER))) verifiedKill(p, MARKER, 'SIGCONT');
  for (const s of services) {
    s.start = goodStart(setupRng);
    s.stop = goodStop(setupRng);
    writeScript(s, 'final');
    noteConfig(s);
  }

  // 0. Every service as its want says, once revive is done with them (SPEC 13).
  await wantsEndState();

  // 1. Everything down: workers stop their services, orphans are stopped directly.
  const down = await reraise('final', 'stop', '*');
  if (down.code !== 0) violate('final-stop', `reraise stop '*' exited ${down.code}: ${down.err.trim()}`);
  await noneLeft("after the first final reraise stop '*'");
  await reraise('final', 'clean');
  for (const f of pidFiles()) violate('pidfile-left', `after stop '*' and clean: pid file ${f}: ${JSON.stringify(readPidText(pidDir, f))}`);
  for (const f of tempFiles()) violate('temp-left', `after stop '*' and clean: ${f} in the pid dir`);

  // 2. A chosen half up; the crash-looper and the failing one started too (they must end in ERROR).
  const healthy = services.filter((s) => s.kind !== 'crash' && s.kind !== 'fail').map((s) => s.name);
  const wantRun = withNeeds(setupRng.shuffle(healthy).slice(0, Math.ceil(healthy.length / 2)));
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
    // A short service restarts every 3 s: for a moment its record names the run that just ended.
    const second = await settle(wantRun, 1000);
    for (const p of second.problems) violate('final-state', `2 s later: ${p}`);
    for (const [name, pid] of first.pids) {
      const now = second.pids.get(name);
      if (byName.get(name)!.kind !== 'short' && now !== undefined && now !== pid) {
        violate('final-state', `${name} (${byName.get(name)!.kind}) restarted by itself: pid ${pid} became ${now}`);
      }
    }
  }

  // 4. clean: removes the stale and ERROR files (those of the doomed ones too: started above, given
  //    up since, wanted up, SPEC 6 `clean`), never a live one; no temp file is left.
  const errorsWantedUp = new Map<string, string>();
  for (const name of names) {
    const text = readPidText(pidDir, name);
    if (text !== undefined && parsePidLine(text)?.state === 'ERROR' && readWantFile(wantDir, name) === 'up') errorsWantedUp.set(name, text);
  }
  for (const name of doomed) {
    if (!errorsWantedUp.has(name)) violate('final-state', `${name} (${byName.get(name)!.kind}): not in ERROR, wanted up, before clean: ${JSON.stringify(readPidText(pidDir, name)?.trim() ?? null)}`);
  }
  await reraise('final', 'clean');
  // As in 3: a short service restarts every 3 s, and for a moment its record names the run that just ended.
  let afterClean = evaluate(wantRun, new Map());
  const shortOnly = (problems: string[]): boolean => problems.every((p) => byName.get(p.slice(0, p.indexOf(':')))?.kind === 'short');
  for (const until = Date.now() + 1000; afterClean.problems.length && shortOnly(afterClean.problems) && Date.now() < until; ) {
    await sleep(100);
    afterClean = evaluate(wantRun, new Map());
  }
  for (const p of afterClean.problems) violate('after-clean', p);
  for (const f of tempFiles()) violate('temp-left', `after clean: ${f} in the pid dir`);

  // 5. Orphans: kill -9 the workers; the services keep running, status calls them orphaned,
  //    start refuses them without making a worker, and the stop below stops them.
  await orphanDrill(wantRun);

  // 5b. Health: each checked service, made unhealthy with nothing else running, is restarted by its worker.
  await healthDrill();

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
  decoy?.child.kill('SIGKILL');
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
  const loops = [...Array.from({ length: CLIENTS }, (_, i) => client(i)), reboots()];
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
  // The unhealthy drills under way end by themselves (a few seconds at most).
  while (drills.size) await Promise.all([...drills]);

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
    journal(`sampler: ${report.reads} reads and ${report.wantReads} want reads in ${report.sweeps} sweeps, ${report.tempSeen} temp files seen; ` +
      `${wantChanges.length} want changes; monitor: ${monitorSamples} samples; unhealthy drills: ${drillTally.chaos} checked and ${drillTally.excused} excused in the chaos, ${drillTally.final} in the finale`);
    if (!report.reads) violate('sampler', 'the sampler read no pid file at all');
    if (!report.wantReads) violate('sampler', 'the sampler read no want file at all');
  }
  // Every change of a want file has a writer that ran then: a start, a stop or a once, never a worker (SPEC 13.1).
  for (const c of wantChanges) {
    if (wantModel.explain(c)) continue;
    violate('want-write', `${c.name}: its want file became ${c.value} between t=${((c.after - t0) / 1000).toFixed(3)} and t=${((c.at - t0) / 1000).toFixed(3)}, ` +
      `and nothing that writes it ran then: ${wantModel.describe(c.name, t0, c.at)}`);
  }
  // A record naming the decoy after a reboot must not have made anyone signal it (SPEC 4).
  if (decoy && !stillAlive(decoy.proc)) violate('stranger-signalled', `the decoy pid ${decoy.proc.pid}, named by kept pid files after a reboot, is gone`);

  printViolations();
  const actions = Object.values(counts).reduce((a, b) => a + b, 0);
  const detail = (Object.entries(counts) as [Action, number][]).map(([a, n]) => `${n} ${a}`).join(', ');
  process.stdout.write(`soak: seed ${SEED}, ${SERVICES} services, ${Math.round(chaosSeconds)} s, ${actions} actions (${detail}), ` +
    `${violations.length} violations; ${drillTally.chaos + drillTally.final} unhealthy restarts checked (${drillTally.chaos} in the chaos)${attacked}\n`);
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
