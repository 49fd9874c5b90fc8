// The one-line pid record (SPEC 4): STATE EXITCODE PID WORKERPID EPOCH [key=value ...], its keys typed. Written and read only here.
import { signalName, signalNumber } from './signals.js';

export type PidState = 'START' | 'RUN' | 'STOP' | 'ERROR';

/** The fields after the fifth, by meaning (SPEC 4 key table). Absent: not written, or not of its kind. */
export interface RecordKeys {
  restarts?: number;
  retries?: number;
  startSec?: number;
  stopSec?: number;
  /** A signal's name without `SIG`: `TERM`. */
  stopSignal?: string;
  /** The real uid the run was started as. */
  uid?: number;
  once?: boolean;
  lastExit?: number;
  lastSignal?: string;
  /** The signal the run of a STOP or ERROR record died of. */
  signal?: string;
  /** When a retry is due, epoch seconds. */
  next?: number;
  /** Failed revivals in a row (SPEC 13.2). */
  revivals?: number;
  reviveSec?: number;
  /** The run has a readiness rule (SPEC 14.1): false until it proves ready, then true. */
  ready?: boolean;
  /** Failed liveness checks in a row, and why the last one failed (SPEC 14.2); absent while healthy. */
  checks?: number;
  check?: string;
}

export interface PidRecord {
  state: PidState;
  exitCode?: number;
  pid?: number;
  workerPid?: number;
  /** Whole seconds since 1970. */
  epoch: number;
  keys: RecordKeys;
  /** Tokens of keys this version does not know (a newer reraise's), in their order. */
  unknown?: readonly string[];
}

interface Kind<T> {
  read(text: string): T | undefined;
  write(value: T): string;
}

const count: Kind<number> = {
  read: (text) => (/^\d{1,15}$/.test(text) ? Number(text) : undefined),
  write: String,
};

const seconds: Kind<number> = {
  // Finite: 400 digits read as Infinity would be written back as `Infinity`, which no reader takes.
  read: (text) => (/^(\d+(\.\d*)?|\.\d+)$/.test(text) && Number.isFinite(Number(text)) ? Number(text) : undefined),
  write: String,
};

/** `KILL` for `KILL`, `SIGKILL`, `kill` or `9`, as records of older versions may have it. */
const signal: Kind<string> = {
  read: (text) => {
    const num = text === '' ? undefined : signalNumber(text);
    return num === undefined ? undefined : signalName(num);
  },
  write: (name) => name,
};

const flag: Kind<boolean> = {
  read: (text) => (text === '1' ? true : undefined),
  write: () => '1',
};

const bit: Kind<boolean> = {
  read: (text) => (text === '1' ? true : text === '0' ? false : undefined),
  write: (on) => (on ? '1' : '0'),
};

/** A short lower-case word: `refused`, `http-503`. */
const word: Kind<string> = {
  read: (text) => (/^[a-z0-9-]{1,32}$/.test(text) ? text : undefined),
  write: (text) => text,
};

/** The keys in the order they are written, each with its name in the file and its kind. */
const KEYS: { [K in keyof RecordKeys]-?: [string, Kind<NonNullable<RecordKeys[K]>>] } = {
  restarts: ['restarts', count],
  retries: ['retries', count],
  startSec: ['start_sec', seconds],
  stopSec: ['stop_sec', seconds],
  stopSignal: ['stop_signal', signal],
  uid: ['uid', count],
  once: ['once', flag],
  lastExit: ['last_exit', count],
  lastSignal: ['last_signal', signal],
  signal: ['signal', signal],
  next: ['next', count],
  revivals: ['revivals', count],
  reviveSec: ['revive_sec', seconds],
  ready: ['ready', bit],
  checks: ['checks', count],
  check: ['check', word],
};

type Field = keyof RecordKeys;
const FIELDS = Object.keys(KEYS) as Field[];
const FIELD_OF: ReadonlyMap<string, Field> = new Map(FIELDS.map((f) => [KEYS[f][0], f]));

const STATES: ReadonlySet<string> = new Set(['START', 'RUN', 'STOP', 'ERROR']);

function field(value: number | undefined): string {
  return value === undefined ? '-' : String(value);
}

function writeKey<F extends Field>(f: F, value: NonNullable<RecordKeys[F]>): string {
  const [key, kind] = KEYS[f] as [string, Kind<NonNullable<RecordKeys[F]>>];
  return `${key}=${kind.write(value)}`;
}

export function encodePidRecord(record: PidRecord): string {
  const head = [record.state, field(record.exitCode), field(record.pid), field(record.workerPid), String(record.epoch)];
  const tail = FIELDS.flatMap((f) => {
    const value = record.keys[f];
    return value === undefined ? [] : [writeKey(f, value as never)];
  });
  return [...head, ...tail, ...(record.unknown ?? [])].join(' ') + '\n';
}

export type Decoded = { ok: true; record: PidRecord } | { ok: false; message: string };

function optionalNumber(text: string): number | undefined | null {
  if (text === '-') return undefined;
  return /^\d{1,10}$/.test(text) ? Number(text) : null;
}

/** Accepts exactly one line; anything else is reported, never guessed at. */
export function decodePidRecord(text: string): Decoded {
  const line = text.endsWith('\n') ? text.slice(0, -1) : text;
  if (line.includes('\n')) return { ok: false, message: 'more than one line' };
  const fields = line.split(' ');
  if (fields.length < 5) return { ok: false, message: `expected at least 5 fields, found ${line === '' ? 0 : fields.length}` };
  const [state, exit, pid, worker, epoch, ...rest] = fields;
  if (!STATES.has(state)) return { ok: false, message: `unknown state ${JSON.stringify(state.slice(0, 20))}` };
  const numbers = [exit, pid, worker].map(optionalNumber);
  if (numbers.includes(null) || !/^\d{1,12}$/.test(epoch)) return { ok: false, message: 'a field is not a number or "-"' };
  if ((numbers[1] === 0) || (numbers[2] === 0)) return { ok: false, message: 'pid 0 is never a process' };
  const keys: RecordKeys = {};
  const unknown: string[] = [];
  for (const token of rest) {
    const eq = token.indexOf('=');
    if (eq <= 0) return { ok: false, message: `bad key=value token ${JSON.stringify(token.slice(0, 20))}` };
    const f = FIELD_OF.get(token.slice(0, eq));
    if (f === undefined) {
      unknown.push(token);
      continue;
    }
    const value = KEYS[f][1].read(token.slice(eq + 1));
    if (value !== undefined) (keys as Record<Field, unknown>)[f] = value;
  }
  const record: PidRecord = {
    state: state as PidState,
    exitCode: numbers[0] ?? undefined,
    pid: numbers[1] ?? undefined,
    workerPid: numbers[2] ?? undefined,
    epoch: Number(epoch),
    keys,
  };
  if (unknown.length > 0) record.unknown = unknown;
  return { ok: true, record };
}
