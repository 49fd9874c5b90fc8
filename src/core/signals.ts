// Signal names and numbers, both ways (SPEC 3: "TERM", "SIGTERM" or a number).
import { constants } from 'node:os';

const byName = constants.signals as Readonly<Record<string, number>>;

/** The number of a signal given as `TERM`, `SIGTERM`, `term` or `15`; undefined when there is none. */
export function signalNumber(text: string): number | undefined {
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    return Object.values(byName).includes(n) ? n : undefined;
  }
  const upper = text.toUpperCase();
  const name = upper.startsWith('SIG') ? upper : `SIG${upper}`;
  return byName[name];
}

/** `TERM` for 15; the number itself as text when the platform has no name for it. */
export function signalName(num: number): string {
  for (const [name, n] of Object.entries(byName)) {
    if (n === num && name !== 'SIGIOT' && name !== 'SIGPOLL') return name.slice(3);
  }
  return String(num);
}

/** The exit status a shell reports for a death by signal (SPEC 4: 128+N). */
export function exitCodeOfSignal(num: number): number {
  return 128 + num;
}
