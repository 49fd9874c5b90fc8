// Encode and decode the one-line pid record (SPEC 4): STATE EXITCODE PID WORKERPID EPOCH [key=value ...].

export type PidState = 'START' | 'RUN' | 'STOP' | 'ERROR';

export interface PidRecord {
  state: PidState;
  exitCode?: number;
  pid?: number;
  workerPid?: number;
  /** Whole seconds since 1970. */
  epoch: number;
  /** The fields after the fifth; unknown keys are kept so that a rewrite loses nothing. */
  extra: Record<string, string>;
}

const STATES: ReadonlySet<string> = new Set(['START', 'RUN', 'STOP', 'ERROR']);

function field(value: number | undefined): string {
  return value === undefined ? '-' : String(value);
}

export function encodePidRecord(record: PidRecord): string {
  const head = [record.state, field(record.exitCode), field(record.pid), field(record.workerPid), String(record.epoch)];
  const tail = Object.entries(record.extra).map(([k, v]) => `${k}=${v}`);
  return [...head, ...tail].join(' ') + '\n';
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
  const extra: Record<string, string> = {};
  for (const token of rest) {
    const eq = token.indexOf('=');
    if (eq <= 0) return { ok: false, message: `bad key=value token ${JSON.stringify(token.slice(0, 20))}` };
    extra[token.slice(0, eq)] = token.slice(eq + 1);
  }
  return {
    ok: true,
    record: {
      state: state as PidState,
      exitCode: numbers[0] ?? undefined,
      pid: numbers[1] ?? undefined,
      workerPid: numbers[2] ?? undefined,
      epoch: Number(epoch),
      extra,
    },
  };
}
