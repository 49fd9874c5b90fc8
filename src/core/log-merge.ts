// The lines of many services' logs: their stamps, their time order, and how each is shown (SPEC 15.3, 15.4, 15.7). Pure.
import { serviceColour, type Painter } from './colour.js';
import { terminalSafe } from './terminal-text.js';

/** `2026-11-22T04:30:12.123Z `: the stamp a log writer puts before a line (SPEC 7). */
const STAMP = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) /;
const STAMP_LENGTH = '2026-11-22T04:30:12.123Z '.length;
const NEWLINE = 0x0a;

/** One line of one service's log, without its newline. */
export interface ServiceLine {
  service: string;
  line: Buffer;
  /** The time of its stamp (epoch ms), when it has one. */
  time: number | undefined;
  /** Where it sorts: its own time, else the time of the line before it in its log (-Infinity at the start). */
  sortKey: number;
}

/** The time of a line's stamp, or undefined for a line that has none. */
export function stampTime(line: Buffer): number | undefined {
  if (line.length < STAMP_LENGTH) return undefined;
  const match = STAMP.exec(line.subarray(0, STAMP_LENGTH).toString('latin1'));
  if (!match) return undefined;
  const ms = Date.parse(match[1]);
  return Number.isNaN(ms) ? undefined : ms;
}

/**
 * A service's lines in the order of its log, each given its time. `sortKeyBefore` is the sort key of
 * the line before the first (of an earlier round of following); returns the key of the last.
 */
export function timeLines(service: string, pieces: readonly Buffer[], sortKeyBefore: number): { lines: ServiceLine[]; sortKey: number } {
  let sortKey = sortKeyBefore;
  const lines = pieces.map((piece): ServiceLine => {
    const line = piece.length > 0 && piece[piece.length - 1] === NEWLINE ? piece.subarray(0, piece.length - 1) : piece;
    const time = stampTime(line);
    if (time !== undefined) sortKey = time;
    return { service, line, time, sortKey };
  });
  return { lines, sortKey };
}

/**
 * The lines of many logs in one time order. Each log is in its own order already; a line goes out
 * when no other log's next line sorts before it, so equal keys keep the order of the logs as given.
 */
export function mergeByTime(logs: readonly (readonly ServiceLine[])[]): ServiceLine[] {
  const next = logs.map(() => 0);
  const merged: ServiceLine[] = [];
  for (;;) {
    let pick = -1;
    for (let i = 0; i < logs.length; i++) {
      if (next[i] >= logs[i].length) continue;
      if (pick < 0 || logs[i][next[i]].sortKey < logs[pick][next[pick]].sortKey) pick = i;
    }
    if (pick < 0) return merged;
    merged.push(logs[pick][next[pick]++]);
  }
}

/** How lines are shown: with their service's name padded to `nameWidth` (undefined: no name), as JSON, in local time. */
export interface LineView {
  nameWidth: number | undefined;
  /** Colours a name, one colour a service, or leaves it plain (SPEC 15.4). */
  paint: Painter;
  json: boolean;
  /** On a terminal: a service's control characters are shown as `?`, its colours kept (SPEC 7). */
  terminal: boolean;
  /** Minutes east of UTC at a moment (the `TZ` of the environment), for --local; undefined shows stamps as they are. */
  utcOffsetAt: ((ms: number) => number) | undefined;
}

/** `2026-11-22T05:30:12.123+01:00`: a moment in the local time of the offset. */
export function localStamp(ms: number, offsetMinutes: number): string {
  const shifted = new Date(ms + offsetMinutes * 60_000).toISOString().slice(0, 23);
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  return `${shifted}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

/** A line as it is printed, its newline included. */
export function renderLine(entry: ServiceLine, view: LineView): Buffer {
  const { line, time } = entry;
  const stamp = time === undefined ? undefined : view.utcOffsetAt ? localStamp(time, view.utcOffsetAt(time)) : new Date(time).toISOString();
  if (view.json) {
    const text = (time === undefined ? line : line.subarray(STAMP_LENGTH)).toString('utf8');
    const object = stamp === undefined ? { service: entry.service, line: text } : { service: entry.service, line: text, time: stamp };
    return Buffer.from(`${JSON.stringify(object)}\n`);
  }
  // Padded after the colour, so that a line without its codes is the plain line.
  const padding = ' '.repeat(Math.max(0, (view.nameWidth ?? 0) - entry.service.length));
  const prefix = view.nameWidth === undefined ? '' : `${view.paint(serviceColour(entry.service), entry.service)}${padding} | `;
  const body = stamp === undefined || !view.utcOffsetAt ? line : Buffer.concat([Buffer.from(`${stamp} `), line.subarray(STAMP_LENGTH)]);
  const shown = view.terminal ? Buffer.from(terminalSafe(body.toString('utf8'))) : body;
  return Buffer.concat([Buffer.from(prefix), shown, Buffer.from('\n')]);
}
