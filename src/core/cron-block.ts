// The crontab block of `reraise boot` (SPEC 13.3): its lines, each word quoted for sh and cron, and
// finding, replacing or removing it in a user's crontab without touching any other line. Pure.
import { fail, ok, type Result } from './result.js';

/** What the block's lines run, all as they resolve now: cron's environment is bare. */
export interface BootCommand {
  /** Absolute path of node. */
  node: string;
  /** Absolute path of bin/reraise. */
  reraise: string;
  /** The PATH in force: the services get it. */
  path: string;
  service: string;
  pid: string;
  log: string;
  want: string;
}

export const ENV_PROGRAM = '/usr/bin/env';
const MARKER = '# reraise boot: ';
const SCHEDULES = ['@reboot', '*/5 * * * *'];

export function beginMarker(serviceDir: string): string {
  return `${MARKER}begin ${serviceDir} (written by "reraise boot install"; "reraise boot remove" takes it out)`;
}

export function endMarker(serviceDir: string): string {
  return `${MARKER}end ${serviceDir}`;
}

/**
 * One word for sh inside a cron command: single quotes, a ' as '\'', and a % as \% (cron turns a
 * bare % into a newline, and \% into %). A backslash of the value is followed at once by '' (the
 * quote closed and opened again): crons differ in what they make of \\ and of \ before %, and this
 * way no backslash of the value ever stands before one of them.
 */
export function cronWord(value: string): string {
  let word = "'";
  for (const ch of value) word += ch === "'" ? "'\\''" : ch === '%' ? '\\%' : ch === '\\' ? "\\''" : ch;
  return `${word}'`;
}

// C0, DEL and C1: a newline would end the cron line, and the others have no business in a path.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

function valueProblem(name: string, value: string): string | undefined {
  const control = CONTROL.exec(value)?.[0];
  if (control === '\n') return `${name} holds a newline, which would end the cron line: ${JSON.stringify(value)}`;
  if (control !== undefined) return `${name} holds a control character (${JSON.stringify(control)}): ${JSON.stringify(value)}`;
  return undefined;
}

function programProblem(name: string, file: string): string | undefined {
  // cron starts in HOME; env takes a word with = for a variable, not for the program.
  if (!file.startsWith('/')) return `${name} is not an absolute path: ${JSON.stringify(file)}`;
  if (file.includes('=')) return `${name} holds "=", which ${ENV_PROGRAM} would take for a variable: ${JSON.stringify(file)}`;
  return undefined;
}

/** The variables env sets, by their names. */
function variablesOf(c: BootCommand): [string, string][] {
  return [['PATH', c.path], ['RERAISE_DIR', c.service], ['RERAISE_PIDDIR', c.pid], ['RERAISE_LOGDIR', c.log], ['RERAISE_WANTDIR', c.want]];
}

/** The programs env runs, by the names an error gives them. */
function programsOfCommand(c: BootCommand): [string, string][] {
  return [['node', c.node], ['bin/reraise', c.reraise]];
}

/** The revive command line, after the schedule. */
function reviveCommand(c: BootCommand): string {
  const variables = variablesOf(c).map(([name, value]) => cronWord(`${name}=${value}`));
  const programs = programsOfCommand(c).map(([, file]) => cronWord(file));
  return [ENV_PROGRAM, ...variables, ...programs, 'revive'].join(' ');
}

/** The block's lines, without newlines; refused when a value could not be written into a cron line. */
export function bootBlock(c: BootCommand): Result<string[]> {
  const problem = variablesOf(c).map(([name, value]) => valueProblem(name, value))
    .concat(programsOfCommand(c).map(([name, file]) => valueProblem(name, file) ?? programProblem(name, file)))
    .find((p) => p !== undefined);
  if (problem) return fail(problem);
  const command = reviveCommand(c);
  return ok([beginMarker(c.service), ...SCHEDULES.map((when) => `${when} ${command}`), endMarker(c.service)]);
}

// ---------------------------------------------------------------------------------------------
// The block in a crontab's text.

interface Line {
  text: string;
  /** Offset of its first character. */
  start: number;
  /** Offset after its newline, or the end of the text for a last line without one. */
  end: number;
}

function linesOf(text: string): Line[] {
  const lines: Line[] = [];
  for (let start = 0; start < text.length;) {
    const newline = text.indexOf('\n', start);
    const end = newline < 0 ? text.length : newline + 1;
    lines.push({ text: text.slice(start, newline < 0 ? text.length : newline), start, end });
    start = end;
  }
  return lines;
}

export interface FoundBlock {
  /** Offsets of the block in the text: from its begin line to after its end line. */
  start: number;
  end: number;
  /** Its lines as they stand, markers included. */
  lines: string[];
}

/**
 * The block of this service dir: its begin and end lines must be exactly ours. Whatever cannot be
 * taken for one block (two begins, a begin without its end, another block's marker inside it) is
 * an error rather than a guess: a guess could take out the user's own lines.
 */
export function findBlock(crontab: string, serviceDir: string): Result<FoundBlock | undefined> {
  const lines = linesOf(crontab);
  const begin = beginMarker(serviceDir);
  const end = endMarker(serviceDir);
  const begins = lines.flatMap((line, i) => (line.text === begin ? [i + 1] : []));
  if (begins.length === 0) return ok(undefined);
  if (begins.length > 1) {
    return fail(`the crontab holds ${begins.length} blocks for ${serviceDir} (lines ${begins.join(', ')}): keep one with "crontab -e"`);
  }
  const first = begins[0] - 1;
  for (let i = first + 1; i < lines.length; i++) {
    if (lines[i].text === end) {
      return ok({ start: lines[first].start, end: lines[i].end, lines: lines.slice(first, i + 1).map((l) => l.text) });
    }
    if (lines[i].text.startsWith(MARKER)) {
      return fail(`the block for ${serviceDir} that begins on line ${first + 1} holds line ${i + 1} of another block before its end: mend it with "crontab -e"`);
    }
  }
  return fail(`the block for ${serviceDir} that begins on line ${first + 1} has no end line ("${end}"): mend it with "crontab -e"`);
}

export function sameLines(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((line, i) => line === b[i]);
}

function blockText(block: readonly string[]): string {
  return block.map((line) => `${line}\n`).join('');
}

export type InstallChange = 'installed' | 'unchanged' | 'updated';

/**
 * The crontab with this block: replaced where it stands when it differs, else added at the end
 * (after a newline, when the user's last line has none). Every other byte stays as it was.
 */
export function withBlock(crontab: string, serviceDir: string, block: readonly string[]): Result<{ text: string; change: InstallChange }> {
  const found = findBlock(crontab, serviceDir);
  if (!found.ok) return found;
  if (found.value) {
    if (sameLines(found.value.lines, block)) return ok({ text: crontab, change: 'unchanged' });
    return ok({ text: crontab.slice(0, found.value.start) + blockText(block) + crontab.slice(found.value.end), change: 'updated' });
  }
  const separator = crontab === '' || crontab.endsWith('\n') ? '' : '\n';
  return ok({ text: crontab + separator + blockText(block), change: 'installed' });
}

/** The crontab without this service dir's block, and whether it had one. */
export function withoutBlock(crontab: string, serviceDir: string): Result<{ text: string; removed: boolean }> {
  const found = findBlock(crontab, serviceDir);
  if (!found.ok) return found;
  if (!found.value) return ok({ text: crontab, removed: false });
  return ok({ text: crontab.slice(0, found.value.start) + crontab.slice(found.value.end), removed: true });
}

/**
 * The text as crontab takes it: Vixie cron and cronie refuse a crontab whose last line has no
 * newline, so one is added, and only then (a user's line after the block, written without one).
 */
export function asCrontabInput(text: string): string {
  return text === '' || text.endsWith('\n') ? text : `${text}\n`;
}

// ---------------------------------------------------------------------------------------------
// What an installed block runs.

/** Cron's own unescaping: \% is a %, and a bare % ends the command (the rest is its stdin). */
function cronCommand(command: string): string {
  let out = '';
  for (let i = 0; i < command.length; i++) {
    if (command[i] === '\\' && command[i + 1] === '%') {
      out += '%';
      i++;
    } else if (command[i] === '%') {
      break;
    } else {
      out += command[i];
    }
  }
  return out;
}

/** sh's words, as far as the quoting this file writes goes: plain characters, single quotes, backslashes; undefined for an unclosed quote. */
function shWords(command: string): string[] | undefined {
  const words: string[] = [];
  let word: string | undefined;
  for (let i = 0; i < command.length; i++) {
    const ch = command[i];
    if (ch === ' ' || ch === '\t') {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else if (ch === "'") {
      const close = command.indexOf("'", i + 1);
      if (close < 0) return undefined;
      word = (word ?? '') + command.slice(i + 1, close);
      i = close;
    } else if (ch === '\\' && i + 1 < command.length) {
      word = (word ?? '') + command[++i];
    } else {
      word = (word ?? '') + ch;
    }
  }
  if (word !== undefined) words.push(word);
  return words;
}

/** The command of a cron line: after `@reboot`, or after the five fields of a time. */
function commandOfCronLine(line: string): string | undefined {
  const trimmed = line.trimStart();
  if (trimmed === '' || trimmed.startsWith('#')) return undefined;
  const fields = trimmed.startsWith('@') ? 1 : 5;
  const match = new RegExp(`^(?:\\S+[ \\t]+){${fields}}(.*)$`).exec(trimmed);
  return match?.[1];
}

export interface BlockProgram {
  what: 'node' | 'bin/reraise';
  file: string;
}

/**
 * node and bin/reraise as each line of an installed block runs them (`env VAR=... NODE RERAISE
 * revive`), each once. A line that does not read so (edited by hand) names none.
 */
export function programsOf(block: readonly string[]): BlockProgram[] {
  const programs: BlockProgram[] = [];
  for (const line of block) {
    const command = commandOfCronLine(line);
    const words = command === undefined ? undefined : shWords(cronCommand(command));
    if (!words || words[0] !== ENV_PROGRAM) continue;
    // As env reads its arguments: the variables, then the program and its arguments.
    const program = words.findIndex((w, i) => i > 0 && !w.includes('='));
    const [node, reraise] = program < 0 ? [] : words.slice(program);
    for (const found of [{ what: 'node', file: node }, { what: 'bin/reraise', file: reraise }] as const) {
      if (found.file?.startsWith('/') && !programs.some((p) => p.what === found.what && p.file === found.file)) {
        programs.push({ what: found.what, file: found.file });
      }
    }
  }
  return programs;
}
