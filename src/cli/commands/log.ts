// reraise log PATTERN... [-n N] [-f] [--json] [--local]: the last lines of services' logs, in time order, then what is appended (SPEC 7, 15.3).
import { existsSync } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { painter } from '../../core/colour.js';
import { isGlob, matchNames } from '../../core/glob.js';
import { LineSplitter, MAX_HELD } from '../../core/log-lines.js';
import { mergeByTime, renderLine, timeLines, type LineView, type ServiceLine } from '../../core/log-merge.js';
import { parseLineCount } from '../../core/log-tail.js';
import { isServiceName, patternProblem } from '../../core/names.js';
import { logDirs, POLL_MS, readLog } from '../../io/log-reader.js';
import { listNames } from '../../io/service-dir.js';
import type { Context } from '../context.js';
import { emptyReport, failure, merge, print, type Report } from '../report.js';

export interface LogOptions {
  lines: unknown;
  follow: boolean;
  json: boolean;
  local: boolean;
}

/** Every line of a log, for a service whose log appears while following. */
const WHOLE_LOG = Number.MAX_SAFE_INTEGER;
/**
 * What a follower reads ahead of what it has printed, a log at a time: a slow terminal or pipe
 * holds the readers back instead of growing the process (room for a whole held line, 1 MiB).
 */
const READ_AHEAD = 4 * MAX_HELD;

export async function log(ctx: Context, patterns: readonly string[], options: LogOptions): Promise<Report | { usage: string }> {
  const count = parseLineCount(options.lines);
  if (!count.ok) return { usage: count.message };
  const { names, globs, problems } = resolveLogs(ctx, patterns, options.follow);
  // Said at once: a follower may run for hours before the report is printed.
  for (const problem of problems) print(problem);
  const shown = { ...merge(problems), err: [], detail: [] };
  if (names.length === 0 && (globs.length === 0 || !options.follow)) return shown;
  // Byte for byte only into a pipe or a file: on a terminal a service's bytes are shown safely (SPEC 7).
  const plain = !ctx.tty.stdout && patterns.length === 1 && globs.length === 0 && !options.json && !options.local;
  const stop = new AbortController();
  const interrupt = (): void => stop.abort();
  if (options.follow) {
    process.on('SIGINT', interrupt);
    process.on('SIGTERM', interrupt);
  }
  try {
    const read = { lines: count.value, follow: options.follow, signal: stop.signal };
    const report = plain
      ? await copyLog(ctx, names[0], read)
      : await printMany(ctx, names, globs, read, viewOf(options, names.length > 1 || globs.length > 0, ctx.colour, ctx.tty.stdout));
    return merge([shown, report]);
  } finally {
    process.off('SIGINT', interrupt);
    process.off('SIGTERM', interrupt);
  }
}

/**
 * The services whose logs the patterns ask for, sorted; the globs among the patterns, which a
 * follower matches again each round; one failure per pattern at fault (SPEC 15.3).
 */
function resolveLogs(ctx: Context, patterns: readonly string[], follow: boolean): { names: string[]; globs: string[]; problems: Report[] } {
  const problems: Report[] = [];
  const names = new Set<string>();
  const globs: string[] = [];
  const known = knownNames(ctx);
  for (const pattern of patterns) {
    const glob = isGlob(pattern);
    const problem = patternProblem(pattern) ?? (glob || isServiceName(pattern) ? undefined : 'a service name never ends in ~, .swp, .bak, .orig or .disabled');
    if (problem) {
      problems.push(failure(`${pattern}: not a service name: ${problem}`));
    } else if (!glob) {
      if (known.includes(pattern) || existsSync(join(ctx.dirs.service.path, pattern))) names.add(pattern);
      else problems.push(failure(`${pattern}: no such service in ${ctx.dirs.service.path} (RERAISE_DIR) and no log in ${join(ctx.dirs.log.path, pattern)} (RERAISE_LOGDIR)`));
    } else {
      globs.push(pattern);
      const matched = matchNames(pattern, known);
      for (const name of matched) names.add(name);
      // While following, a glob waits for what it will match.
      if (matched.length === 0 && !follow) {
        problems.push(failure(`${pattern}: no such service in ${ctx.dirs.service.path} (RERAISE_DIR) or log in ${ctx.dirs.log.path} (RERAISE_LOGDIR)`));
      }
    }
  }
  return { names: [...names].sort(), globs, problems };
}

interface Read {
  lines: number;
  follow: boolean;
  signal: AbortSignal;
}

/** One service's log, printed byte for byte as it is (SPEC 7). */
async function copyLog(ctx: Context, name: string, read: Read): Promise<Report> {
  const dir = join(ctx.dirs.log.path, name);
  try {
    for await (const piece of readLog(dir, read)) {
      if ('bytes' in piece) await write(piece.bytes);
    }
  } catch (error) {
    return unreadable(name, dir, error);
  }
  return emptyReport();
}

/** What is read of one service's log and not yet printed. */
interface Source {
  name: string;
  pending: Buffer[];
  /** The sort key of its last line printed, for its next unstamped line. */
  sortKey: number;
  /** Its last lines are all read (or it cannot be read): the first merge waits for this. */
  caughtUp: boolean;
  done: Promise<Report>;
}

/**
 * Many logs, or one as JSON or in local time: every line with its service, in time order (SPEC
 * 15.3). Each log has a reader of its own; once all have given their last lines, those are merged
 * and printed, and then, each round, whatever was read meanwhile, while services that come to
 * match a glob are picked up.
 */
async function printMany(ctx: Context, names: readonly string[], globs: readonly string[], read: Read, view: LineView): Promise<Report> {
  const sources = new Map<string, Source>();
  // The last lines of each, at most a held line (1 MiB) each: a log with a line of any length costs no more.
  const add = (name: string, lines: number, late: boolean): void => {
    sources.set(name, drain(join(ctx.dirs.log.path, name), name, { ...read, lines, maxBytes: Math.max(1, lines) * MAX_HELD }, late));
  };
  const inNameOrder = (): Source[] => [...sources.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
  const everyReport = async (): Promise<Report[]> => Promise.all([...sources.values()].map((source) => source.done));
  for (const name of names) add(name, read.lines, false);
  if (!read.follow) {
    const reports = await everyReport();
    await flush(inNameOrder(), view);
    return merge(reports);
  }
  while (!read.signal.aborted && !inNameOrder().every((source) => source.caughtUp)) await pause(read.signal);
  while (!read.signal.aborted) {
    await flush(inNameOrder(), view);
    for (const name of globs.flatMap((glob) => matchNames(glob, knownNames(ctx)))) {
      if (!sources.has(name)) add(name, WHOLE_LOG, true);
    }
    await pause(read.signal);
  }
  // Interrupted: what the readers had read is still printed, once each has stopped.
  const reports = await everyReport();
  await flush(inNameOrder(), view);
  return merge(reports);
}

/**
 * A reader of one log, its lines (whole up to MAX_HELD, in pieces past it) kept for the next merge.
 * Once it follows (or from the start, for a log that appeared `late`), it waits while what it
 * holds is more than READ_AHEAD; the last lines of the first merge are bounded by `maxBytes`.
 */
function drain(dir: string, name: string, read: Read & { maxBytes: number }, late: boolean): Source {
  const source = { name, pending: [] as Buffer[], sortKey: -Infinity, caughtUp: false };
  const held = (): number => source.pending.reduce((sum, line) => sum + line.length, 0);
  const done = (async (): Promise<Report> => {
    const splitter = new LineSplitter(MAX_HELD);
    try {
      for await (const piece of readLog(dir, read)) {
        if ('caughtUp' in piece) source.caughtUp = true;
        else source.pending.push(...splitter.push(Buffer.from(piece.bytes.buffer, piece.bytes.byteOffset, piece.bytes.length)));
        while (read.follow && (late || source.caughtUp) && held() > READ_AHEAD && !read.signal.aborted) await pause(read.signal);
      }
      source.pending.push(...splitter.flush());
      return emptyReport();
    } catch (error) {
      const report = unreadable(name, dir, error);
      print(report);
      return { ...report, err: [] };
    } finally {
      // A log that cannot be read holds back none of the others.
      source.caughtUp = true;
    }
  })();
  return Object.assign(source, { done });
}

/** A round's sleep; an interrupt ends it at once. */
async function pause(signal: AbortSignal): Promise<void> {
  try {
    await sleep(POLL_MS, undefined, { signal });
  } catch {
    // Aborted: the caller looks at the signal.
  }
}

async function flush(sources: readonly Source[], view: LineView): Promise<void> {
  const logs: ServiceLine[][] = [];
  for (const source of sources) {
    const timed = timeLines(source.name, source.pending.splice(0), source.sortKey);
    source.sortKey = timed.sortKey;
    logs.push(timed.lines);
  }
  const width = view.nameWidth === undefined ? undefined : Math.max(view.nameWidth, ...sources.map((source) => source.name.length));
  view.nameWidth = width;
  for (const line of mergeByTime(logs)) await write(renderLine(line, view));
}

function viewOf(options: LogOptions, prefixed: boolean, colour: boolean, terminal: boolean): LineView {
  return {
    nameWidth: prefixed && !options.json ? 0 : undefined,
    paint: painter(colour),
    json: options.json,
    terminal,
    // getTimezoneOffset counts minutes west of UTC.
    utcOffsetAt: options.local ? (ms) => -new Date(ms).getTimezoneOffset() : undefined,
  };
}

/** EACCES, EISDIR, EIO, a link: expected enough to be said plainly, not as an internal error. */
function unreadable(name: string, dir: string, error: unknown): Report {
  if (!(error as NodeJS.ErrnoException).code) throw error;
  return failure(`${name}: unable to read its log in ${dir}: ${(error as Error).message}`);
}

/** The services whose logs can be asked for: the service dir's, and the log dir's directories named as services. */
function knownNames(ctx: Context): string[] {
  const names = new Set(listNames(ctx.dirs.service.path));
  for (const name of logDirs(ctx.dirs.log.path)) {
    if (patternProblem(name) === undefined && isServiceName(name)) names.add(name);
  }
  return [...names].sort();
}

async function write(piece: Uint8Array): Promise<void> {
  if (!process.stdout.write(piece)) await once(process.stdout, 'drain');
}
