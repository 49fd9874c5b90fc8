// reraise top [PATTERN...] [-d S]: the status panel, live, with the selected service's log and keys to act on it (SPEC 15.2).
import { painter } from '../../core/colour.js';
import { moveSelection, nextOrder, parseDelay, parseKeys, renderFrame, sortRows, type Command, type Order, type Verb } from '../../core/top.js';
import type { UsageSample } from '../../core/usage.js';
import { runReraise } from '../../io/self-command.js';
import { openScreen, type Screen } from '../../io/tty.js';
import { prepare, type Context } from '../context.js';
import { emptyReport, failure, type Report } from '../report.js';
import { lastLogLines } from '../../io/log-reader.js';
import { readPanel, renderStatusLines, type Panel } from './status.js';

/** Follows the log this often, whatever the panel's delay: a log moves faster than a table. */
const FOLLOW_MS = 250;
/** What ends the panel as q does. */
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
const DOING: Readonly<Record<Verb, string>> = { restart: 'restarting', stop: 'stopping', start: 'starting' };

interface View {
  order: Order;
  /** The selection follows its service when the order or the services change. */
  selected: string | undefined;
  following: boolean;
  message: string;
  busy: boolean;
}

export async function top(ctx: Context, patterns: readonly string[], delay: unknown): Promise<Report | { usage: string }> {
  const every = parseDelay(delay);
  if (!every.ok) return { usage: every.message };
  const ready = prepare(ctx, ['service', 'pid']);
  if (!ready.ok) return failure(ready.message);
  // A pattern that matches nothing is said before the screen is taken.
  const first = readPanel(ctx, patterns, () => new Map());
  if (first.problems.failed) return first.problems;
  const screen = openScreen();
  if (!screen) return failure('top: unable to show the panel: stdin and stdout must be a terminal (reraise status prints it once)');
  try {
    await runPanel(ctx, screen, patterns, every.ms, first);
  } finally {
    screen.restore();
  }
  return emptyReport();
}

/**
 * The panel until a key, a signal or a failure ends it. An action still running when it is asked
 * to end is waited for (and said so): `reraise stop` is not left half done behind the shell.
 */
function runPanel(ctx: Context, screen: Screen, patterns: readonly string[], everyMs: number, first: Panel): Promise<void> {
  const view: View = { order: 'name', selected: undefined, following: false, message: first.warnings[0] ?? '', busy: false };
  // CPU in the panel is averaged over its own refresh; the sample of `status` is left alone.
  let panel = first;
  let sample: UsageSample = first.sample ?? new Map();
  let timer: NodeJS.Timeout | undefined;
  let drawing = Promise.resolve();
  let closing = false;
  let closed = false;

  const refresh = (): void => {
    panel = readPanel(ctx, patterns, () => sample);
    sample = panel.sample ?? sample;
    // What status says on stderr (a pid dir that cannot be written, a want that cannot be used).
    if (!view.busy && panel.warnings.length > 0) view.message = panel.warnings[0];
  };
  const ordered = () => sortRows(panel.rows.map((row) => ({ ...row, cpu: row.usage?.cpu.percent, rss: row.usage?.group.rssBytes })), view.order);

  const draw = async (): Promise<void> => {
    const rows = ordered();
    if (view.selected === undefined || !rows.some((r) => r.name === view.selected)) view.selected = rows[0]?.name;
    const width = screen.columns();
    const height = screen.rows();
    const log = view.selected === undefined ? [] : await logOf(ctx, view.selected, height, width);
    // Asked to end while the log was read: nothing more is drawn, the terminal is being given back.
    if (closed) return;
    if (view.following) {
      screen.draw(renderFrame({
        title: `reraise top: the log of ${view.selected ?? 'nothing'}, followed`, header: '', rows: [], selected: 0,
        log, message: view.message, help: 'f or q back to the panel   Ctrl-C quit', width, height,
      }));
      return;
    }
    const now = Math.floor(Date.now() / 1000);
    const [header, ...lines] = renderStatusLines(rows, now, painter(ctx.colour));
    const running = rows.filter((r) => r.usage !== undefined).length;
    screen.draw(renderFrame({
      title: `reraise top: ${rows.length} service${rows.length === 1 ? '' : 's'}, ${running} running; by ${view.order}; every ${everyMs / 1000}s  ${clock()}`,
      header: header ?? 'no service', rows: lines, selected: Math.max(0, rows.findIndex((r) => r.name === view.selected)),
      log, message: view.message, help: '↑↓ select  o order  r restart  x stop  u start  f follow log  q quit', width, height,
    }));
  };

  return new Promise((resolve, reject) => {
    const end = (error?: unknown): void => {
      if (closed) return;
      closed = true;
      clearTimeout(timer);
      for (const signal of SIGNALS) process.off(signal, quit);
      void drawing.finally(() => (error === undefined ? resolve() : reject(error)));
    };
    // A failure of the panel itself ends it with the terminal given back, then is reported.
    const guarded = (work: () => void | Promise<void>) => async (): Promise<void> => {
      if (closed) return;
      try {
        await work();
      } catch (error) {
        end(error);
      }
    };
    const redraw = (): void => {
      drawing = drawing.then(guarded(draw));
    };
    const tick = guarded(() => {
      // The table is not shown while the log is followed: no pass over /proc for it.
      if (!view.following) refresh();
      redraw();
      timer = setTimeout(tick, view.following ? Math.min(everyMs, FOLLOW_MS) : everyMs);
    });
    function quit(): void {
      if (!view.busy) return end();
      if (closing) return;
      closing = true;
      view.message = `${view.message} (leaving when it is done)`;
      redraw();
    }
    const act = (verb: Verb): void => {
      const name = view.selected;
      if (name === undefined || view.busy || closing) return;
      view.busy = true;
      view.message = `${name}: ${DOING[verb]}...`;
      redraw();
      void runReraise([verb, '--', name]).then((answer) => guarded(() => {
        view.busy = false;
        view.message = answer.text.trim().split('\n').join('; ') || `${name}: ${verb} done`;
        if (closing) return end();
        refresh();
        redraw();
      })());
    };
    const obey = (command: Command): void => {
      switch (command.kind) {
        case 'quit':
          if (view.following && command.soft) view.following = false;
          else return quit();
          break;
        case 'follow':
          view.following = !view.following;
          if (!view.following) refresh();
          break;
        case 'order':
          view.order = nextOrder(view.order);
          break;
        case 'move': {
          const rows = ordered();
          const at = rows.findIndex((r) => r.name === view.selected);
          view.selected = rows[moveSelection(at, command.by, rows.length)]?.name;
          break;
        }
        case 'act':
          act(command.verb);
          break;
      }
      redraw();
    };
    screen.onInput((input) => parseKeys(input).forEach(obey));
    screen.onResize(redraw);
    // A kill or a hang-up ends the panel as q does: the terminal is given back on the way out.
    for (const signal of SIGNALS) process.on(signal, quit);
    // The first frame is of the panel read before the screen was taken; the first refresh comes after one delay.
    redraw();
    timer = setTimeout(tick, everyMs);
  });
}

/**
 * The last lines of the service's log that can fit on the screen, read from no more of its end
 * than the screen can show (a line of gigabytes costs as little as a short one); none when it
 * cannot be read.
 */
async function logOf(ctx: Context, name: string, height: number, width: number): Promise<string[]> {
  try {
    return await lastLogLines(ctx.dirs.log.path, name, height, Math.max(64 * 1024, height * width * 4));
  } catch {
    return [];
  }
}

function clock(): string {
  return new Date().toTimeString().slice(0, 8);
}
