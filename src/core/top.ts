// reraise top, the pure part: what a key means, the order of the rows, and the frame to draw (SPEC 15.2).
import { plainText, withoutColours } from './terminal-text.js';

/** `-d S`: seconds, a tenth at least, so that the panel itself costs little. */
export function parseDelay(value: unknown): { ok: true; ms: number } | { ok: false; message: string } {
  if (value === undefined) return { ok: true, ms: 1000 };
  const text = String(value);
  const seconds = Number(text);
  if (text.trim() === '' || !Number.isFinite(seconds) || seconds < 0.1) {
    return { ok: false, message: `top: -d takes seconds, a number of at least 0.1 (got "${text}")` };
  }
  return { ok: true, ms: Math.round(seconds * 1000) };
}

export type Order = 'name' | 'cpu' | 'mem';

const ORDERS: readonly Order[] = ['name', 'cpu', 'mem'];

/** `o` goes name, CPU, MEM, then name again. */
export function nextOrder(order: Order): Order {
  return ORDERS[(ORDERS.indexOf(order) + 1) % ORDERS.length];
}

/** What a service's figures are for sorting; undefined when it does not run. */
export interface Sortable {
  name: string;
  cpu?: number;
  rss?: number;
}

/** By name; or the most costly first, names breaking ties, what does not run last. */
export function sortRows<T extends Sortable>(rows: readonly T[], order: Order): T[] {
  const figure = (row: T): number => (order === 'cpu' ? row.cpu : row.rss) ?? -1;
  const byName = (a: T, b: T): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  return [...rows].sort(order === 'name' ? byName : (a, b) => figure(b) - figure(a) || byName(a, b));
}

export type Verb = 'restart' | 'stop' | 'start';

export type Command =
  /** `q` is soft: in the followed log it goes back to the panel. Ctrl-C always quits. */
  | { kind: 'quit'; soft: boolean }
  | { kind: 'move'; by: number }
  | { kind: 'order' }
  | { kind: 'follow' }
  | { kind: 'act'; verb: Verb };

/** Keys of the panel, as the terminal sends them in raw mode. */
const KEYS: ReadonlyArray<readonly [string, Command]> = [
  ['\x1b[A', { kind: 'move', by: -1 }], ['\x1bOA', { kind: 'move', by: -1 }], ['k', { kind: 'move', by: -1 }],
  ['\x1b[B', { kind: 'move', by: 1 }], ['\x1bOB', { kind: 'move', by: 1 }], ['j', { kind: 'move', by: 1 }],
  ['\x1b[5~', { kind: 'move', by: -10 }], ['\x1b[6~', { kind: 'move', by: 10 }],
  ['q', { kind: 'quit', soft: true }], ['\x03', { kind: 'quit', soft: false }], ['\x04', { kind: 'quit', soft: false }],
  ['o', { kind: 'order' }], ['f', { kind: 'follow' }], ['l', { kind: 'follow' }], ['\r', { kind: 'follow' }],
  ['r', { kind: 'act', verb: 'restart' }], ['x', { kind: 'act', verb: 'stop' }], ['u', { kind: 'act', verb: 'start' }],
];

/**
 * The commands in what one read of the terminal gave: several keys may come at once (a held
 * arrow); a sequence it does not know is skipped whole, an escape sequence with it.
 */
export function parseKeys(input: string): Command[] {
  const commands: Command[] = [];
  let at = 0;
  while (at < input.length) {
    const known = KEYS.find(([key]) => input.startsWith(key, at));
    if (known) {
      commands.push(known[1]);
      at += known[0].length;
      continue;
    }
    at += input[at] === '\x1b' ? unknownEscapeLength(input, at) : 1;
  }
  return commands;
}

/** ESC [ ... final byte, ESC O x, or a lone ESC. */
function unknownEscapeLength(input: string, at: number): number {
  const csi = /^\x1b\[[0-9;?]*[\x40-\x7e]/.exec(input.slice(at));
  if (csi) return csi[0].length;
  return input[at + 1] === 'O' && at + 2 < input.length ? 3 : 1;
}

/** The selection moved by `by`, kept on the rows there are. */
export function moveSelection(selected: number, by: number, count: number): number {
  if (count === 0) return 0;
  return Math.min(count - 1, Math.max(0, selected + by));
}

/** `line` cut to `width` columns; colour codes (which take no room) are kept, and closed when cut. */
export function fitWidth(line: string, width: number): string {
  let shown = 0;
  let out = '';
  let coloured = false;
  // Sticky: a code is looked for where the scan is, without copying the rest of a long line.
  const colourCode = /\x1b\[[0-9;]*m/y;
  for (let at = 0; at < line.length;) {
    colourCode.lastIndex = at;
    const code = colourCode.exec(line);
    if (code) {
      out += code[0];
      coloured = code[0] !== '\x1b[0m';
      at += code[0].length;
      continue;
    }
    if (shown === width) return coloured ? `${out}\x1b[0m` : out;
    out += line[at];
    shown++;
    at++;
  }
  return out;
}

export interface Frame {
  /** The first line: what is shown, and how. */
  title: string;
  /** The status table's header. */
  header: string;
  /** One line a service, in order. */
  rows: readonly string[];
  selected: number;
  /** The selected service's last log lines, oldest first. */
  log: readonly string[];
  /** The last thing said: an action's outcome, or a problem. */
  message: string;
  help: string;
  width: number;
  height: number;
}

const INVERSE = '\x1b[7m';
const RESET = '\x1b[0m';

/**
 * The screen, top to bottom: title, header, the rows (scrolled to keep the selection in view,
 * at most half the screen when there is a log to show), a rule, the log lines that fit, the
 * message, the keys. Every line fits the width.
 */
export function renderFrame(f: Frame): string[] {
  const fixed = 5; // title, header, rule, message, help
  const room = Math.max(1, f.height - fixed);
  const tableRoom = f.log.length > 0 ? Math.max(1, Math.min(f.rows.length, Math.ceil(room / 2))) : Math.min(f.rows.length, room);
  const first = Math.min(Math.max(0, f.selected - tableRoom + 1), Math.max(0, f.rows.length - tableRoom));
  const shownRows = f.rows.slice(first, first + tableRoom).map((row, i) => {
    const line = fitWidth(row, f.width);
    // The selection in reverse video over its whole width; its own colours would end the reverse early.
    if (first + i !== f.selected) return line;
    const plain = withoutColours(line);
    return `${INVERSE}${plain.padEnd(f.width)}${RESET}`;
  });
  const logRoom = Math.max(0, room - shownRows.length);
  const logLines = f.log.slice(Math.max(0, f.log.length - logRoom)).map((line) => fitWidth(plainText(line), f.width));
  const rule = '─'.repeat(f.width);
  const lines = [
    fitWidth(f.title, f.width), fitWidth(f.header, f.width), ...shownRows,
    rule, ...logLines,
  ];
  while (lines.length < f.height - 2) lines.push('');
  lines.push(fitWidth(f.message, f.width), fitWidth(f.help, f.width));
  return lines.slice(0, f.height);
}
