// The terminal of a full-screen panel: raw keys in, frames out, and the terminal given back as it was (SPEC 15.2).

const ENTER = '\x1b[?1049h\x1b[?25l\x1b[H\x1b[2J';
const LEAVE = '\x1b[?25h\x1b[?1049l';

export interface Screen {
  columns(): number;
  rows(): number;
  /** Draws `lines` from the top left, clearing what each line and the screen below leave over. */
  draw(lines: readonly string[]): void;
  /** Everything one read of the keyboard gave, as text. */
  onInput(listener: (input: string) => void): void;
  onResize(listener: () => void): void;
  /** Cursor, main screen and cooked mode back; safe to call more than once. */
  restore(): void;
}

/** The panel's screen, or undefined when stdin or stdout is not a terminal. */
export function openScreen(): Screen | undefined {
  const { stdin, stdout } = process;
  if (!stdin.isTTY || !stdout.isTTY) return undefined;
  let open = true;
  const restore = (): void => {
    if (!open) return;
    open = false;
    stdin.setRawMode(false);
    stdin.pause();
    stdout.write(LEAVE);
  };
  // Whatever ends the process, the terminal is given back: a kill, a hang-up, an exception.
  process.once('exit', restore);
  stdin.setRawMode(true);
  stdin.setEncoding('utf8');
  stdin.resume();
  stdout.write(ENTER);
  return {
    columns: () => stdout.columns || 80,
    rows: () => stdout.rows || 24,
    draw(lines) {
      stdout.write(`\x1b[H${lines.map((line) => `${line}\x1b[K`).join('\r\n')}\x1b[J`);
    },
    onInput(listener) {
      stdin.on('data', (data: string) => listener(data));
    },
    onResize(listener) {
      stdout.on('resize', listener);
    },
    restore,
  };
}
