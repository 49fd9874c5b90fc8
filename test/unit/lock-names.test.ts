// The names of a service's lock sockets in the pid dir (SPEC 12.3).
import { describe, expect, it } from 'vitest';
import { fnv1a64, lockFileName, lockPrefix, parseAnyLockFile, parseLockFile, pendingLockFileName, tempFileName } from '../../src/core/lock-names.js';

describe('lock names', () => {
  it('a short name is in the file name; a long one is hashed, short enough for a socket path', () => {
    expect(lockFileName('web', 4242)).toBe('.web.lock.4242');
    expect(pendingLockFileName('web', 4242)).toBe('.web.lock.4242.new');
    const long = 'x'.repeat(200);
    expect(lockPrefix(long)).toBe(`.#${fnv1a64(long)}.lock.`);
    expect(Buffer.byteLength(pendingLockFileName(long, 4_194_304))).toBeLessThanOrEqual(96);
    expect(lockPrefix('y'.repeat(200))).not.toBe(lockPrefix(long));
  });

  it.each<[string, string, ReturnType<typeof parseLockFile>]>([
    ['.web.lock.4242', 'web', { pid: 4242, pending: false }],
    ['.web.lock.4242.new', 'web', { pid: 4242, pending: true }],
    ['.web.lock.x', 'web', undefined],
    ['.web.lock.', 'web', undefined],
    ['.webby.lock.1', 'web', undefined],
    ['.a.lock.5.lock.7', 'a', undefined],
    ['.a.lock.5.lock.7', 'a.lock.5', { pid: 7, pending: false }],
    ['web', 'web', undefined],
    ['.web.4242.tmp', 'web', undefined],
  ])('%s of %s', (file, name, expected) => {
    expect(parseLockFile(file, name)).toEqual(expected);
  });

  it.each<[string, ReturnType<typeof parseAnyLockFile>]>([
    ['.web.lock.12', { pid: 12, pending: false }],
    [`.#${fnv1a64('z')}.lock.9.new`, { pid: 9, pending: true }],
    ['.web.12.tmp', undefined],
    ['web', undefined],
  ])('any service: %s', (file, expected) => {
    expect(parseAnyLockFile(file)).toEqual(expected);
  });

  it('temp names keep the name while it fits in NAME_MAX, else a hash of it', () => {
    expect(tempFileName('web', 4242, 'tmp')).toBe('.web.4242.tmp');
    const long = 'y'.repeat(250);
    expect(tempFileName(long, 4_194_304, 'clean')).toBe(`.#${fnv1a64(long)}.4194304.clean`);
    expect(Buffer.byteLength(tempFileName('z'.repeat(238), 4_194_304, 'clean'))).toBeLessThanOrEqual(255);
  });

  it('fnv1a64 is the standard one', () => {
    expect(fnv1a64('')).toBe('cbf29ce484222325');
    expect(fnv1a64('a')).toBe('af63dc4c8601ec8c');
  });
});
