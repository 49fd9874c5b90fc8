// What a service wrote, made safe to show on a terminal: its bytes must not move the cursor,
// retitle the window, set the clipboard or hide the lines around it (SPEC 7, 15.2).

/** C0 controls but tab and newline, DEL, and the C1 controls (which some terminals obey as ESC [). */
const CONTROLS = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/g;
/** Colours and text attributes (SGR, `ESC [ ... m`): they change how text looks, not where it goes. */
const SGR = /\x1b\[[0-9;]*m/g;
const RESET = '\x1b[0m';

/**
 * For `log` on a terminal: colours are kept (and reset at the end of a line that has any, so
 * that they do not run into the next), every other control character is shown as `?`.
 */
export function terminalSafe(line: string): string {
  const parts = line.split(SGR);
  const codes = line.match(SGR) ?? [];
  const shown = parts.map((part, i) => part.replace(CONTROLS, '?') + (codes[i] ?? '')).join('');
  const last = codes[codes.length - 1];
  const leftOn = last !== undefined && last !== RESET && last !== '\x1b[m';
  return leftOn ? shown.replace(/(\n?)$/, `${RESET}$1`) : shown;
}

/** The text as it shows, without its colour codes. */
export function withoutColours(text: string): string {
  return text.replace(SGR, '');
}

/** For `top`'s log pane: every control character is shown as `?`, a tab as four spaces. */
export function plainText(line: string): string {
  return line.replace(/\t/g, '    ').replace(/[\x00-\x1f\x7f-\x9f]/g, '?');
}
