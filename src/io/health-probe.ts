// One probe of a service on this machine: a TCP connect, or an HTTP GET's status line, bounded in time (SPEC 14.1, 14.2).
import { connect } from 'node:net';
import type { ProbedReadiness } from '../core/config.js';
import { answeringUids } from './tcp-table.js';

/**
 * `why`: refused, timeout, reset, http-CODE, bad-answer, or the error's code in lower case; or,
 * for a probe with trusted uids, `foreign` when `foreignUid`, a uid not trusted, answered, and
 * `unproved` when the kernel's tables did not show who answered.
 */
export type ProbeResult = { ok: true } | { ok: false; why: string; foreignUid?: number };

export interface Probe {
  result: Promise<ProbeResult>;
  /** Ends it now; its result is then never reported. */
  cancel(): void;
}

/** A probe that hangs is a failed one: the worker goes on handling its signals meanwhile. */
export const PROBE_TIMEOUT_MS = 2000;

/** The most of an answer read for its status line. */
const STATUS_LINE_MAX = 1024;

/** No name lookup: `localhost` is 127.0.0.1, so that a probe never waits on a resolver. */
function addressOf(host: string): string {
  if (host === 'localhost') return '127.0.0.1';
  return host.startsWith('[') ? host.slice(1, -1) : host;
}

function whyOf(error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case 'ECONNREFUSED': return 'refused';
    case 'ECONNRESET':
    case 'EPIPE': return 'reset';
    case 'ETIMEDOUT': return 'timeout';
    default: return (error.code ?? 'error').toLowerCase().replace(/[^a-z0-9-]/g, '').slice(0, 32) || 'error';
  }
}

/** The verdict of an HTTP status line: 2xx and 3xx are ready (SPEC 14.1). */
export function statusVerdict(line: string): ProbeResult {
  const match = /^HTTP\/\d(\.\d)? (\d{3})(\s|$)/.exec(line);
  if (!match) return { ok: false, why: 'bad-answer' };
  const code = Number(match[2]);
  return code >= 200 && code < 400 ? { ok: true } : { ok: false, why: `http-${code}` };
}

/** `trusted`: the uids that may answer; without it, any answer counts (a check of a ready run). */
export function probe(target: ProbedReadiness, trusted?: ReadonlySet<number>, timeoutMs = PROBE_TIMEOUT_MS): Probe {
  const host = target.kind === 'url' ? addressOf(target.host) : '127.0.0.1';
  const socket = connect({ host, port: target.port });
  let settle: (result: ProbeResult) => void = () => {};
  let done = false;
  const result = new Promise<ProbeResult>((resolve) => {
    settle = (value) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(value);
    };
  });
  const timer = setTimeout(() => settle({ ok: false, why: 'timeout' }), timeoutMs);
  // Until the answerer is known to be the service's, what it says or does is kept, not believed.
  let believed = false;
  let connected = false;
  let answer = '';
  let ended = false;
  const judge = (): void => {
    const end = answer.indexOf('\r\n');
    if (end >= 0) settle(statusVerdict(answer.slice(0, end)));
    else if (answer.length > STATUS_LINE_MAX) settle({ ok: false, why: 'bad-answer' });
    else if (ended) settle(answer === '' ? { ok: false, why: 'reset' } : statusVerdict(answer));
  };
  const ask = (): void => {
    believed = true;
    if (target.kind === 'port') return settle({ ok: true });
    const hostHeader = target.host === 'localhost' ? `localhost:${target.port}` : `${target.host}:${target.port}`;
    if (!ended) socket.write(`GET ${target.path} HTTP/1.0\r\nHost: ${hostHeader}\r\nUser-Agent: reraise\r\nConnection: close\r\n\r\n`);
    judge();
  };
  // A port probe has its answer once connected: a server that closes at once is still there.
  socket.on('error', (error: NodeJS.ErrnoException) => {
    if (!(connected && target.kind === 'port')) settle({ ok: false, why: whyOf(error) });
  });
  socket.on('connect', () => {
    connected = true;
    const connection = { to: socket.remoteAddress!, port: target.port, from: socket.localAddress!, peerPort: socket.localPort! };
    // With nothing listening, a port of the ephemeral range can connect to itself: no one answered.
    if (connection.peerPort === connection.port && connection.from === connection.to) return settle({ ok: false, why: 'refused' });
    if (!trusted) return ask();
    // Who is at the other end is known while the connection stands: another user may hold the port (SPEC 14.1).
    void answeringUids(connection).then((uids) => {
      if (done) return;
      if (uids === 'no-tables') return ask();
      if (uids === undefined) return settle({ ok: false, why: 'unproved' });
      const foreign = uids.find((uid) => !trusted.has(uid));
      if (foreign === undefined) ask();
      else settle({ ok: false, why: 'foreign', foreignUid: foreign });
    });
  });
  socket.setEncoding('latin1');
  socket.on('data', (chunk: string) => {
    // Past the most a status line may be, more is not kept: a server may send for ever.
    if (answer.length <= STATUS_LINE_MAX) answer += chunk;
    if (believed) judge();
  });
  socket.on('end', () => {
    ended = true;
    if (believed && target.kind === 'url') judge();
  });
  return {
    result,
    cancel: () => {
      done = true;
      clearTimeout(timer);
      socket.destroy();
    },
  };
}
