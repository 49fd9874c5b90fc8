// reraise signal SIG PATTERN..., pause, cont: a signal to each running service's process group (SPEC 4, 6).
import { constants } from 'node:os';
import { signalName, signalNumber } from '../../core/signals.js';
import { leadsGroup, runsThroughSudo } from '../../io/probe.js';
import { actOnPatterns } from '../act.js';
import type { Context } from '../context.js';
import { inspect } from '../inspect.js';
import { failure, said, type Report } from '../report.js';
import type { Target } from '../targets.js';

export type Parsed = { ok: true; signal: number } | { ok: false; usage: string };

const UNRELAYED = [constants.signals.SIGKILL, constants.signals.SIGSTOP];

/** `HUP`, `SIGUSR1`, `usr1` or `9`. A leading dash never gets here: `-9` is refused as an unknown option. */
export function parseSignal(text: string): Parsed {
  const signal = signalNumber(text);
  if (signal === undefined || signal === 0) {
    return { ok: false, usage: `signal: unknown signal "${text}" (a name like HUP, SIGUSR1 or usr1, or a number like 9)` };
  }
  return { ok: true, signal };
}

/** `SIGUSR1` for 10. */
export function signalLabel(signal: number): string {
  const name = signalName(signal);
  return /^\d+$/.test(name) ? `signal ${name}` : `SIG${name}`;
}

/**
 * Sends `signal` to the service's process group and says `NAME: <done> (pid P)`. Only a running or
 * orphaned service has a process to signal; the others are `not running`, a failure when named.
 */
async function signalOne(ctx: Context, target: Target, signal: number, done: string): Promise<Report> {
  const { name } = target;
  const { status } = inspect(ctx, name);
  // A run not ready yet is `starting` with its pid (SPEC 14.1): it is there to be signalled.
  const signallable = status.state === 'running' || status.state === 'orphaned' || (status.state === 'starting' && status.pid !== undefined);
  if (!signallable || status.pid === undefined) {
    const between = status.state === 'starting' || status.state === 'restarting' || status.state === 'unknown' ? ` (${status.state})` : '';
    const line = `${name}: not running${between}`;
    return target.named ? failure(line) : said(line);
  }
  // inspect() has just checked this pid (start time and RERAISE_SERVICE=NAME), so it is ours. A service
  // that left its own process group keeps only itself: the group it joined is not ours to signal.
  const pid = status.pid;
  // Through sudo the pid is sudo's, which relays what it can catch: KILL and STOP would end or
  // stop sudo alone, and the owner's processes would run on unseen (SPEC 12.1).
  if (UNRELAYED.includes(signal) && runsThroughSudo(pid)) {
    return failure(`${name}: unable to send ${signalLabel(signal)} to pid ${pid}: it runs through sudo, which cannot pass it on to the owner's processes`);
  }
  try {
    process.kill(leadsGroup(pid) ? -pid : pid, signal);
  } catch (error) {
    return failure(`${name}: unable to signal pid ${pid}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  return said(`${name}: ${done} (pid ${pid})`);
}

function signalAll(ctx: Context, patterns: readonly string[], signal: number, done: string): Promise<Report> {
  return actOnPatterns(ctx, patterns, { needs: ['service', 'pid'], withPidDir: true }, (t) => signalOne(ctx, t, signal, done));
}

/** reraise signal SIG PATTERN... */
export async function sendSignal(ctx: Context, text: string, patterns: readonly string[]): Promise<Report | { usage: string }> {
  const parsed = parseSignal(text);
  if (!parsed.ok) return { usage: parsed.usage };
  return signalAll(ctx, patterns, parsed.signal, `sent ${signalLabel(parsed.signal)}`);
}

/** reraise pause PATTERN...: SIGSTOP; status shows the service as paused until `cont`. */
export function pause(ctx: Context, patterns: readonly string[]): Promise<Report> {
  return signalAll(ctx, patterns, constants.signals.SIGSTOP, 'paused');
}

/** reraise cont PATTERN...: SIGCONT. */
export function cont(ctx: Context, patterns: readonly string[]): Promise<Report> {
  return signalAll(ctx, patterns, constants.signals.SIGCONT, 'continued');
}
