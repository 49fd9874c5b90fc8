// Reading /proc/net/unix in steps: every line that names the pid dir, wherever a step cuts it (SPEC 12.3).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { socketPathsUnder } from '../../src/io/lock.js';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'socket-table-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

const HEADER = 'Num       RefCount Protocol Flags    Type St Inode Path\n';
const line = (inode: number, where: string): string => `0000000000000000: 00000002 00000000 00010000 0001 01 ${inode} ${where}\n`;

function table(body: string): string {
  const file = path.join(work, `table-${Math.random().toString(36).slice(2)}`);
  fs.writeFileSync(file, HEADER + body);
  return file;
}

function found(dir: string, file: string, step: number): string[] {
  const seen: string[] = [];
  socketPathsUnder(dir, (f) => seen.push(f), file, step);
  return seen;
}

describe('socketPathsUnder', () => {
  const dir = '/var/tmp/reraise-0';
  const mixed = [
    line(1, '/run/systemd/notify'),
    line(2, `${dir}/.web.lock.123.new`),
    line(3, '@/tmp/.X11-unix/X0'),
    line(4, `${dir}/.db.lock.45`),
    line(5, `${dir}-other/.web.lock.9`),
    line(6, ''),
    line(7, `${dir}/.web.lock.77`),
  ].join('');

  it.each([100, 131, 200, 1024, 16 * 1024])('finds each in order with %i-byte steps', (step) => {
    expect(found(dir, table(mixed), step)).toEqual(['.web.lock.123.new', '.db.lock.45', '.web.lock.77']);
  });

  it('the last line without its newline', () => {
    expect(found(dir, table(mixed + `0000: 00000002 00000000 00010000 0001 01 8 ${dir}/.last.lock.5`), 100)).toEqual(
      ['.web.lock.123.new', '.db.lock.45', '.web.lock.77', '.last.lock.5']);
  });

  it('thousands of sockets elsewhere, one in the dir', () => {
    const many = Array.from({ length: 5000 }, (_, i) => line(i, `/run/user/1000/app-${i}/socket`)).join('');
    expect(found(dir, table(many + line(9999, `${dir}/.web.lock.1`) + many), 16 * 1024)).toEqual(['.web.lock.1']);
  });

  it('a line longer than a step (no socket path is) is passed over, the next one is read', () => {
    expect(found(dir, table(line(1, `/run/${'x'.repeat(300)}`) + line(2, `${dir}/.web.lock.3`)), 128)).toEqual(['.web.lock.3']);
  });

  it('an empty table, and none in the dir', () => {
    expect(found(dir, table(''), 64)).toEqual([]);
    expect(found(dir, table(line(1, '/run/a') + line(2, `${dir}x/.web.lock.1`)), 64)).toEqual([]);
  });
});
