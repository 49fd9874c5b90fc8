// A service's bytes shown on a terminal: colours kept, every other control character shown as ? (SPEC 7).
import { describe, expect, it } from 'vitest';
import { terminalSafe } from '../../src/core/terminal-text.js';

describe('terminalSafe', () => {
  it.each([
    ['plain text\n', 'plain text\n'],
    ['tab\tkept\n', 'tab\tkept\n'],
    ['\x1b]0;OWNED\x07title\n', '?]0;OWNED?title\n'],
    ['\x1b]52;c;cm0gLXJmIH4K\x07clip', '?]52;c;cm0gLXJmIH4K?clip'],
    ['\x1b[1A\r\x1b[2Kfake: all good\n', '?[1A??[2Kfake: all good\n'],
    ['\x9b2J C1 CSI', '?2J C1 CSI'],
    ['bell\x07 del\x7f nul\x00', 'bell? del? nul?'],
    ['\x1b[32mgreen\x1b[0m ok\n', '\x1b[32mgreen\x1b[0m ok\n'],
    // A colour left on is reset at the end of its line, before the newline.
    ['\x1b[31mred to the end\n', '\x1b[31mred to the end\x1b[0m\n'],
    ['\x1b[1;31mbold red', '\x1b[1;31mbold red\x1b[0m'],
    ['héllo ✓ 日本\n', 'héllo ✓ 日本\n'],
  ])('%j', (input, expected) => {
    expect(terminalSafe(input)).toBe(expected);
  });
});
