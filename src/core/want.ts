// A service's want on disk (SPEC 13.1): one line, `up` or `down`. Pure.
import type { Result } from './result.js';

export type Want = 'up' | 'down';

export function encodeWant(want: Want): string {
  return `${want}\n`;
}

/** Exactly one of the two lines; anything else is named, never guessed at. */
export function decodeWant(text: string): Result<Want> {
  if (text === 'up\n' || text === 'down\n') return { ok: true, value: text.slice(0, -1) as Want };
  if (text === '') return { ok: false, message: 'empty' };
  const shown = JSON.stringify(text.length > 20 ? `${text.slice(0, 20)}...` : text);
  // Shown as the text is shown: `"up"` found would read as a match of `expected "up"`.
  return { ok: false, message: `not a want: ${shown} (expected "up\\n" or "down\\n")` };
}
