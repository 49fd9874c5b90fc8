// config_KEY=VALUE lines of a starter script -> values plus diagnostics (SPEC 3). Text only: nothing is run.
import { signalNumber } from './signals.js';

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
  /** 1: an ISO-8601 UTC timestamp before each line. */
  logStamp: number;
  /** The first gap before `revive` tries a service in ERROR again (SPEC 13.2). */
  reviveSec: number;
}

export const DEFAULT_CONFIG: Readonly<ServiceConfig> = Object.freeze({
  startSec: 10,
  maxRetry: 2,
  retrySec: 2,
  stopSec: 10,
  stopSignal: 15,
  logSize: 1 << 20,
  logKeep: 10,
  logStamp: 0,
  reviveSec: 60,
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

type Reader = (value: string) => number | undefined;

const seconds: Reader = (value) => {
  if (!/^(\d+(\.\d*)?|\.\d+)$/.test(value)) return undefined;
  const n = Number(value);
  return n <= MAX_SECONDS ? n : undefined;
};

const count: Reader = (value) => {
  if (!/^\d+$/.test(value)) return undefined;
  const n = Number(value);
  return n <= 1_000_000 ? n : undefined;
};

const UNITS: Readonly<Record<string, number>> = { '': 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 };

/** Bytes, with an optional k, M, G or T suffix (powers of 1024); from 1 KiB, so that rotation cannot thrash, to 1 TiB. */
const bytes: Reader = (value) => {
  const match = /^(\d+)([kKmMgGtT]?)$/.exec(value);
  if (!match) return undefined;
  const n = Number(match[1]) * UNITS[match[2].toLowerCase()];
  return n >= 1024 && n <= 2 ** 40 ? n : undefined;
};

const flag: Reader = (value) => (value === '0' || value === '1' ? Number(value) : undefined);

interface KeySpec {
  field: keyof ServiceConfig;
  read: Reader;
  expected: string;
}

const KEYS: Readonly<Record<string, KeySpec>> = {
  start_sec: { field: 'startSec', read: seconds, expected: `seconds, like 10 or 0.5, at most ${MAX_SECONDS}` },
  max_retry: { field: 'maxRetry', read: count, expected: 'a whole number, like 2' },
  retry_sec: { field: 'retrySec', read: seconds, expected: `seconds, like 2 or 0.5, at most ${MAX_SECONDS}` },
  stop_sec: { field: 'stopSec', read: seconds, expected: `seconds, like 10 or 0.5, at most ${MAX_SECONDS}` },
  stop_signal: { field: 'stopSignal', read: signalNumber, expected: 'a signal name like TERM or SIGINT, or its number' },
  log_size: { field: 'logSize', read: bytes, expected: 'bytes, like 1048576, 512k or 1M, from 1k to 1T' },
  log_keep: { field: 'logKeep', read: count, expected: 'a whole number, like 10' },
  log_stamp: { field: 'logStamp', read: flag, expected: '0 or 1' },
  revive_sec: { field: 'reviveSec', read: seconds, expected: `seconds, like 60, at most ${MAX_SECONDS}` },
};

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

/**
 * Reads every config line of `text`; later lines win. A key without a line has its default;
 * a key whose value is bad keeps its value from `lastGood` (the previous run's config).
 */
export function parseConfig(text: string, file: string, lastGood: ServiceConfig = DEFAULT_CONFIG): ParsedConfig {
  const config: ServiceConfig = { ...DEFAULT_CONFIG };
  const diagnostics: Diagnostic[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const match = CONFIG_LINE.exec(lines[i].replace(/\r$/, ''));
    if (!match) continue;
    const [, key, raw] = match;
    const line = i + 1;
    const spec = Object.hasOwn(KEYS, key) ? KEYS[key] : undefined;
    if (!spec) {
      diagnostics.push({
        severity: 'warning', line, key, value: raw,
        message: `${file}:${line}: config_${key}: unknown key, ignored`,
      });
      continue;
    }
    const value = unquote(raw.trim());
    const parsed = value === undefined ? undefined : spec.read(value);
    if (parsed === undefined) {
      const shown = value ?? raw.trim();
      diagnostics.push({
        severity: 'error', line, key, value: shown,
        message: `${file}:${line}: config_${key}: bad value ${JSON.stringify(shown)} (expected ${spec.expected})`,
      });
      config[spec.field] = lastGood[spec.field];
      continue;
    }
    config[spec.field] = parsed;
  }
  return { config, diagnostics };
}

export function hasErrors(parsed: ParsedConfig): boolean {
  return parsed.diagnostics.some((d) => d.severity === 'error');
}
