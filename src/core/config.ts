// config_KEY=VALUE lines of a starter script -> values plus diagnostics (SPEC 3, 14). Text only: nothing is run.
import { isServiceName } from './names.js';
import { signalNumber } from './signals.js';

/** How a run proves it is ready (SPEC 14.1). */
export type Readiness =
  | { kind: 'fd'; fd: number }
  | { kind: 'port'; port: number }
  | { kind: 'url'; host: string; port: number; path: string; url: string }
  | { kind: 'log'; text: string };

/** The rules a probe answers, by port or url: the ones a liveness check uses too (SPEC 14.2). */
export type ProbedReadiness = Extract<Readiness, { kind: 'port' | 'url' }>;

export function isProbed(ready: Readiness): ready is ProbedReadiness {
  return ready.kind === 'port' || ready.kind === 'url';
}

export interface ServiceConfig {
  startSec: number;
  maxRetry: number;
  retrySec: number;
  stopSec: number;
  stopSignal: number;
  /** Bytes at which `current` is rotated (SPEC 7). */
  logSize: number;
  /** Rotated files kept besides `current`. */
  logKeep: number;
  /** 1 (the default): an ISO-8601 UTC timestamp before each line; 0: none (SPEC 7, 15.7). */
  logStamp: number;
  /** The first gap before `revive` tries a service in ERROR again (SPEC 13.2). */
  reviveSec: number;
  /** Absent: a run is up once it has lasted startSec, as without SPEC 14. */
  ready?: Readiness;
  /** A run not ready this long after its spawn is a failed start. */
  readySec: number;
  /** Absent: no checks, no timer. Set only with a port or url readiness rule. */
  checkSec?: number;
  /** Failed checks in a row that restart the service. */
  checkFail: number;
  /** Services that must be ready before this one starts (SPEC 14.3). */
  needs: readonly string[];
  /** The line of config_needs, for what only the service dir can tell wrong (a missing need, a cycle). */
  needsLine?: number;
}

export const DEFAULT_CONFIG: Readonly<ServiceConfig> = Object.freeze({
  startSec: 10,
  maxRetry: 2,
  retrySec: 2,
  stopSec: 10,
  stopSignal: 15,
  logSize: 1 << 20,
  logKeep: 10,
  logStamp: 1,
  reviveSec: 60,
  readySec: 60,
  checkFail: 3,
  needs: Object.freeze([]),
});

export interface Diagnostic {
  severity: 'error' | 'warning';
  line: number;
  key: string;
  value: string;
  /** The whole human sentence: `FILE:LINE: config_KEY: bad value "V" (expected ...)`. */
  message: string;
}

export interface ParsedConfig {
  config: ServiceConfig;
  diagnostics: Diagnostic[];
}

/** Seconds above this would overflow Node's timers (2^31 ms is about 24.8 days). */
const MAX_SECONDS = 2_000_000;

/** A value refused with its own reason, where "expected ..." alone would not say what is wrong. */
interface Refused {
  refused: string;
}

type Reader<T> = (value: string) => T | Refused | undefined;

const seconds: Reader<number> = (value) => {
  if (!/^(\d+(\.\d*)?|\.\d+)$/.test(value)) return undefined;
  const n = Number(value);
  return n <= MAX_SECONDS ? n : undefined;
};

/** Seconds of at least `min`: a probe every 0 seconds would spin. */
const secondsFrom = (min: number): Reader<number> => (value) => {
  const n = seconds(value);
  return typeof n === 'number' && n >= min ? n : undefined;
};

const count: Reader<number> = (value) => {
  if (!/^\d+$/.test(value)) return undefined;
  const n = Number(value);
  return n <= 1_000_000 ? n : undefined;
};

const between = (low: number, high: number): Reader<number> => (value) => {
  if (!/^\d{1,6}$/.test(value)) return undefined;
  const n = Number(value);
  return n >= low && n <= high ? n : undefined;
};

const UNITS: Readonly<Record<string, number>> = { '': 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 };

/** Bytes, with an optional k, M, G or T suffix (powers of 1024); from 1 KiB, so that rotation cannot thrash, to 1 TiB. */
const bytes: Reader<number> = (value) => {
  const match = /^(\d+)([kKmMgGtT]?)$/.exec(value);
  if (!match) return undefined;
  const n = Number(match[1]) * UNITS[match[2].toLowerCase()];
  return n >= 1024 && n <= 2 ** 40 ? n : undefined;
};

const flag: Reader<number> = (value) => (value === '0' || value === '1' ? Number(value) : undefined);

const LOOPBACK = /^(localhost|127\.\d{1,3}\.\d{1,3}\.\d{1,3}|\[::1\])$/;

/** `http://HOST[:PORT][/PATH]` on this machine only (SPEC 14.1). */
const url: Reader<Readiness> = (value) => {
  const match = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)([^#]*)$/.exec(value);
  if (!match) return undefined;
  const [, scheme, authority, rest] = match;
  if (scheme.toLowerCase() !== 'http') return { refused: `not http: the probe speaks plain http:// only` };
  const at = /^(\[[^\]]*\]|[^:]*)(?::(\d{1,5}))?$/.exec(authority);
  if (!at) return undefined;
  const host = at[1].toLowerCase();
  if (!LOOPBACK.test(host) || (host.startsWith('127.') && host.split('.').some((part) => Number(part) > 255))) {
    return { refused: `not a loopback host: only 127.0.0.1 (or 127.x.y.z), localhost or [::1] are probed` };
  }
  const port = at[2] === undefined ? 80 : Number(at[2]);
  if (port < 1 || port > 65535) return undefined;
  const path = rest === '' ? '/' : rest;
  if (!path.startsWith('/') || /[\s\u0000-\u001f\u007f]/.test(path)) return undefined;
  return { kind: 'url', host, port, path, url: value };
};

const logText: Reader<string> = (value) => (value.length >= 1 && new TextEncoder().encode(value).length <= 256 && !/[\u0000-\u001f]/.test(value) ? value : undefined);

const serviceNames: Reader<string[]> = (value) => {
  const names = value.split(/[\s,]+/).filter((n) => n !== '');
  if (names.length === 0) return undefined;
  const bad = names.find((n) => !isServiceName(n));
  return bad === undefined ? [...new Set(names)] : { refused: `${JSON.stringify(bad)} cannot be a service name` };
};

/** What a key's value becomes, and where in the config it goes. */
interface KeySpec<T = unknown> {
  read: Reader<T>;
  expected: string;
  set(config: ServiceConfig, value: T, line: number): void;
  /** The value the last good config had, kept when this one is bad. */
  keep(config: ServiceConfig, lastGood: ServiceConfig): void;
  /** More than one word without quotes (`config_needs=db cache`). */
  words?: boolean;
}

type NumberField = { [K in keyof ServiceConfig]-?: ServiceConfig[K] extends number ? K : never }[keyof ServiceConfig];

/** A spec of any value type, as the table holds them: each reads what it sets. */
function erased<T>(spec: KeySpec<T>): KeySpec {
  return spec as unknown as KeySpec;
}

function numeric(field: NumberField, read: Reader<number>, expected: string): KeySpec {
  return erased<number>({
    read, expected,
    set: (config, value) => { config[field] = value; },
    keep: (config, lastGood) => { config[field] = lastGood[field]; },
  });
}

function rule<T>(read: Reader<T>, expected: string, make: (value: T) => Readiness): KeySpec {
  return erased<T>({
    read, expected,
    set: (config, value) => { config.ready = make(value); },
    keep: (config, lastGood) => { config.ready = lastGood.ready; },
  });
}

const SECONDS = `seconds, like 10 or 0.5, at most ${MAX_SECONDS}`;

const KEYS: Readonly<Record<string, KeySpec>> = {
  start_sec: numeric('startSec', seconds, SECONDS),
  max_retry: numeric('maxRetry', count, 'a whole number, like 2'),
  retry_sec: numeric('retrySec', seconds, `seconds, like 2 or 0.5, at most ${MAX_SECONDS}`),
  stop_sec: numeric('stopSec', seconds, SECONDS),
  stop_signal: numeric('stopSignal', signalNumber, 'a signal name like TERM or SIGINT, or its number'),
  log_size: numeric('logSize', bytes, 'bytes, like 1048576, 512k or 1M, from 1k to 1T'),
  log_keep: numeric('logKeep', count, 'a whole number, like 10'),
  log_stamp: numeric('logStamp', flag, '0 or 1'),
  revive_sec: numeric('reviveSec', seconds, `seconds, like 60, at most ${MAX_SECONDS}`),
  ready_fd: rule(between(3, 255), 'a descriptor number from 3 to 255 (0, 1 and 2 are stdin, stdout and stderr)', (fd) => ({ kind: 'fd', fd })),
  ready_port: rule(between(1, 65535), 'a TCP port from 1 to 65535', (port) => ({ kind: 'port', port })),
  ready_url: rule(url, 'a URL like http://127.0.0.1:8080/health, on a loopback host', (value) => value),
  ready_log: rule(logText, 'text of 1 to 256 bytes, quoted when it has spaces', (text) => ({ kind: 'log', text })),
  ready_sec: numeric('readySec', secondsFrom(0.001), `seconds, more than 0, at most ${MAX_SECONDS}`),
  check_sec: erased<number>({
    read: secondsFrom(0.1), expected: `seconds, from 0.1 to ${MAX_SECONDS}`,
    set: (config, value) => { config.checkSec = value; },
    keep: (config, lastGood) => { config.checkSec = lastGood.checkSec; },
  }),
  check_fail: numeric('checkFail', between(1, 1000), 'a whole number from 1 to 1000'),
  needs: erased<string[]>({
    read: serviceNames, expected: 'service names, like "db cache"', words: true,
    set: (config, value, line) => { config.needs = value; config.needsLine = line; },
    keep: (config, lastGood) => { config.needs = lastGood.needs; config.needsLine = lastGood.needsLine; },
  }),
};

/** The readiness keys: a service has at most one (SPEC 14.1). */
const RULES = ['ready_fd', 'ready_port', 'ready_url', 'ready_log'];

const CONFIG_LINE = /^config_([A-Za-z0-9_]*)=(.*)$/;

/**
 * The value of a config line, quotes and trailing comment removed, or undefined when
 * the text is more than one word (a shell expression such as `$(cmd) x` is never a value).
 */
function unquote(raw: string): string | undefined {
  const quote = raw[0];
  let value: string;
  let rest: string;
  if (quote === '"' || quote === "'") {
    const end = raw.indexOf(quote, 1);
    if (end < 0) return undefined;
    value = raw.slice(1, end);
    rest = raw.slice(end + 1);
  } else {
    const end = raw.search(/\s/);
    value = end < 0 ? raw : raw.slice(0, end);
    rest = end < 0 ? '' : raw.slice(end);
  }
  return /^(\s+#.*|\s*)$/.test(rest) ? value : undefined;
}

/** Several words without quotes, up to a trailing comment; quoted, as unquote. */
function unquoteWords(raw: string): string | undefined {
  if (raw[0] === '"' || raw[0] === "'") return unquote(raw);
  return raw.replace(/\s+#.*$/, '').trim();
}

/**
 * Reads every config line of `text`; later lines win. A key without a line has its default;
 * a key whose value is bad keeps its value from `lastGood` (the previous run's config).
 */
export function parseConfig(text: string, file: string, lastGood: ServiceConfig = DEFAULT_CONFIG): ParsedConfig {
  const config: ServiceConfig = { ...DEFAULT_CONFIG };
  const diagnostics: Diagnostic[] = [];
  const say = (severity: Diagnostic['severity'], line: number, key: string, value: string, what: string): void => {
    diagnostics.push({ severity, line, key, value, message: `${file}:${line}: config_${key}: ${what}` });
  };
  /** The line each key was last given on, and whether its value was good. */
  const given = new Map<string, { line: number; good: boolean; value: string }>();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const match = CONFIG_LINE.exec(lines[i].replace(/\r$/, ''));
    if (!match) continue;
    const [, key, raw] = match;
    const line = i + 1;
    const spec = Object.hasOwn(KEYS, key) ? KEYS[key] : undefined;
    if (!spec) {
      say('warning', line, key, raw, 'unknown key, ignored');
      continue;
    }
    const value = spec.words ? unquoteWords(raw.trim()) : unquote(raw.trim());
    const parsed = value === undefined ? undefined : spec.read(value);
    const shown = value ?? raw.trim();
    if (parsed === undefined || (typeof parsed === 'object' && parsed !== null && 'refused' in parsed)) {
      const why = parsed === undefined ? `expected ${spec.expected}` : parsed.refused;
      say('error', line, key, shown, `bad value ${JSON.stringify(shown)} (${why})`);
      spec.keep(config, lastGood);
      given.set(key, { line, good: false, value: shown });
      continue;
    }
    spec.set(config, parsed, line);
    given.set(key, { line, good: true, value: shown });
  }
  checkTogether(config, lastGood, given, say);
  return { config, diagnostics };
}

/** What a key means only beside another one (SPEC 14.1, 14.2). */
function checkTogether(
  config: ServiceConfig, lastGood: ServiceConfig, given: ReadonlyMap<string, { line: number; good: boolean; value: string }>,
  say: (severity: Diagnostic['severity'], line: number, key: string, value: string, what: string) => void,
): void {
  const rules = RULES.filter((key) => given.has(key)).sort((a, b) => given.get(a)!.line - given.get(b)!.line);
  if (rules.length > 1) {
    const [first, ...others] = rules;
    for (const key of others) {
      const at = given.get(key)!;
      say('error', at.line, key, at.value, `a second readiness rule (config_${first} on line ${given.get(first)!.line}): a service has one`);
    }
    config.ready = lastGood.ready;
  }
  if (rules.length === 0 && given.has('ready_sec')) {
    const at = given.get('ready_sec')!;
    say('warning', at.line, 'ready_sec', at.value, 'no readiness rule (config_ready_fd, _port, _url or _log): ignored');
  }
  const check = given.get('check_sec');
  if (check?.good && config.ready?.kind !== 'port' && config.ready?.kind !== 'url' && rules.every((key) => given.get(key)!.good)) {
    say('error', check.line, 'check_sec', check.value, 'needs config_ready_port or config_ready_url: checks use that probe');
    config.checkSec = lastGood.checkSec;
  }
  if (config.checkSec === undefined && given.has('check_fail')) {
    const at = given.get('check_fail')!;
    say('warning', at.line, 'check_fail', at.value, 'no config_check_sec: ignored');
  }
}

/** Where a service's programs run: beside an rc.log, and through sudo (SPEC 8, 6 `start`). */
export interface RunPlace {
  rcLog: boolean;
  viaSudo: boolean;
}

/** Why a service cannot have its readiness rule where it runs, or undefined (SPEC 14.1). */
export function readinessProblem(config: ServiceConfig, place: RunPlace): string | undefined {
  const { ready } = config;
  if (ready?.kind === 'log' && place.rcLog) {
    return 'config_ready_log needs the worker to write the log, and this service\'s rc.log writes it; use config_ready_fd, _port or _url';
  }
  if (ready?.kind === 'fd' && place.viaSudo) {
    return `config_ready_fd=${ready.fd} cannot reach a service run through sudo, which closes every descriptor above 2; use config_ready_port, _url or _log`;
  }
  return undefined;
}

/** `config_ready_port=8080`: the rule as its line says it, for status and the log. */
export function describeReadiness(ready: Readiness): string {
  switch (ready.kind) {
    case 'fd': return `config_ready_fd=${ready.fd}`;
    case 'port': return `config_ready_port=${ready.port}`;
    case 'url': return `config_ready_url=${ready.url}`;
    case 'log': return `config_ready_log=${JSON.stringify(ready.text)}`;
  }
}

export function hasErrors(parsed: ParsedConfig): boolean {
  return parsed.diagnostics.some((d) => d.severity === 'error');
}
