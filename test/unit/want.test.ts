// A service's want on disk (SPEC 13.1): exactly one line, `up` or `down`; anything else is named, never guessed at.
import { describe, expect, it } from 'vitest';
import { decodeWant, encodeWant } from '../../src/core/want.js';

describe('encodeWant', () => {
  it.each([['up', 'up\n'], ['down', 'down\n']] as const)('%s is written as one line', (want, text) => {
    expect(encodeWant(want)).toBe(text);
    expect(decodeWant(encodeWant(want))).toEqual({ ok: true, value: want });
  });
});

describe('decodeWant', () => {
  it.each([['up\n', 'up'], ['down\n', 'down']] as const)('%j is %s', (text, want) => {
    expect(decodeWant(text)).toEqual({ ok: true, value: want });
  });

  // Each message shows what was found, escaped and cut short, so that the file can be fixed by hand.
  it.each<[string, string, string]>([
    ['an empty file', '', 'empty'],
    ['no newline', 'up', 'not a want: "up" (expected "up\\n" or "down\\n")'],
    ['upper case', 'UP\n', 'not a want: "UP\\n" (expected "up\\n" or "down\\n")'],
    ['two lines', 'up\nup\n', 'not a want: "up\\nup\\n" (expected "up\\n" or "down\\n")'],
    ['a trailing blank', 'down \n', 'not a want: "down \\n" (expected "up\\n" or "down\\n")'],
    ['a leading blank', ' up\n', 'not a want: " up\\n" (expected "up\\n" or "down\\n")'],
    ['a CRLF line end', 'up\r\n', 'not a want: "up\\r\\n" (expected "up\\n" or "down\\n")'],
    ['a lone newline', '\n', 'not a want: "\\n" (expected "up\\n" or "down\\n")'],
    ['another word', 'maybe\n', 'not a want: "maybe\\n" (expected "up\\n" or "down\\n")'],
    ['binary garbage', '\u0000\u00ff\u0001\ufffd', 'not a want: "\\u0000ÿ\\u0001\ufffd" (expected "up\\n" or "down\\n")'],
    ['a long text, cut at 20 characters', `${'x'.repeat(30)}\n`, `not a want: "${'x'.repeat(20)}..." (expected "up\\n" or "down\\n")`],
    ['exactly 20 characters, not cut', 'y'.repeat(20), `not a want: "${'y'.repeat(20)}" (expected "up\\n" or "down\\n")`],
  ])('%s: an error saying what was found', (_, text, message) => {
    expect(decodeWant(text)).toEqual({ ok: false, message });
  });

  it('a message is always one line, whatever the file holds', () => {
    for (const text of ['a\nb\nc', '\r', 'up\n\n', '\u001b[31mup\n']) {
      const decoded = decodeWant(text);
      expect(decoded.ok).toBe(false);
      if (!decoded.ok) expect(decoded.message).not.toMatch(/[\n\r\u001b]/);
    }
  });
});
