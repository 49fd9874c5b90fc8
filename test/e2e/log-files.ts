// The log tests' own tools: a service's log dir written by hand, and `reraise log` left running and read as it prints.
import { execa } from 'execa';
import fs from 'node:fs';
import path from 'node:path';
import { RERAISE, type Sandbox } from './sandbox.js';

/** `<log dir>/NAME` holding `files` (name -> text); returns the directory. */
export function logFiles(box: Sandbox, name: string, files: Record<string, string> = {}): string {
  const dir = path.join(box.logDir, name);
  fs.mkdirSync(dir, { recursive: true });
  for (const [file, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, file), text);
  return dir;
}

/** `reraise log ARGS` left running, its output read as it comes. */
export function follow(box: Sandbox, ...args: string[]) {
  const child = execa(RERAISE, ['log', ...args], { env: box.env, reject: false, buffer: false, stdin: 'ignore' });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => { out += d; });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => { err += d; });
  return { child, out: () => out, err: () => err };
}

/** Waits until the follower has printed exactly `expected`; fails at once on anything else that is not a prefix of it. */
export async function until(box: Sandbox, f: ReturnType<typeof follow>, expected: string): Promise<void> {
  await box.waitFor(`output ${JSON.stringify(expected.slice(-40))}`, () => {
    if (!expected.startsWith(f.out())) throw new Error(`unexpected output: ${JSON.stringify(f.out())}, wanted ${JSON.stringify(expected)}`);
    return f.out() === expected;
  });
}
