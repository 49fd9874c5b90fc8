// The one-line pid record (SPEC 4): STATE EXITCODE PID WORKERPID EPOCH [key=value ...], its keys typed.
import { describe, expect, it } from 'vitest';
import { decodePidRecord, encodePidRecord, type PidRecord, type RecordKeys } from '../../src/core/pidfile.js';

const E = 1_700_000_000;

/** Encoded to exactly `line`, and `line` decoded to exactly the record: both ways. */
function roundTrip(record: PidRecord, line: string): void {
  expect(encodePidRecord(record)).toBe(`${line}\n`);
  expect(decodePidRecord(`${line}\n`)).toEqual({ ok: true, record });
  expect(decodePidRecord(encodePidRecord(record))).toEqual({ ok: true, record });
}

const keysOf = (text: string): RecordKeys => {
  const decoded = decodePidRecord(text);
  if (!decoded.ok) throw new Error(decoded.message);
  return decoded.record.keys;
};

describe('encode and decode, state by state (SPEC 4 table)', () => {
  it.each<[string, PidRecord, string]>([
    ['START: worker and now', { state: 'START', workerPid: 200, epoch: E, keys: {} }, `START - - 200 ${E}`],
    ['START with its keys', { state: 'START', workerPid: 200, epoch: E, keys: { restarts: 0, stopSec: 10, lastExit: 1 } },
      `START - - 200 ${E} restarts=0 stop_sec=10 last_exit=1`],
    ['RUN: service, worker, start time', { state: 'RUN', pid: 101, workerPid: 200, epoch: E, keys: {} }, `RUN - 101 200 ${E}`],
    ['RUN with its keys', {
      state: 'RUN', pid: 101, workerPid: 200, epoch: E,
      keys: { restarts: 3, retries: 1, startSec: 10, stopSec: 2.5, stopSignal: 'TERM', uid: 1005, once: true, lastExit: 137, lastSignal: 'KILL' },
    }, `RUN - 101 200 ${E} restarts=3 retries=1 start_sec=10 stop_sec=2.5 stop_signal=TERM uid=1005 once=1 last_exit=137 last_signal=KILL`],
    ['STOP: code, worker, exit time', { state: 'STOP', exitCode: 1, workerPid: 200, epoch: E, keys: {} }, `STOP 1 - 200 ${E}`],
    ['STOP with exit code 0', { state: 'STOP', exitCode: 0, workerPid: 200, epoch: E, keys: {} }, `STOP 0 - 200 ${E}`],
    ['STOP with its keys', {
      state: 'STOP', exitCode: 143, workerPid: 200, epoch: E,
      keys: { restarts: 1, retries: 2, startSec: 10, stopSec: 10, stopSignal: 'INT', signal: 'TERM', next: E + 2 },
    }, `STOP 143 - 200 ${E} restarts=1 retries=2 start_sec=10 stop_sec=10 stop_signal=INT signal=TERM next=${E + 2}`],
    ['ERROR: code and exit time only', { state: 'ERROR', exitCode: 2, epoch: E, keys: {} }, `ERROR 2 - - ${E}`],
    ['ERROR with its keys', {
      state: 'ERROR', exitCode: 137, epoch: E,
      keys: { restarts: 0, retries: 2, startSec: 0.5, stopSec: 10, stopSignal: 'TERM', signal: 'KILL', revivals: 3, reviveSec: 60 },
    }, `ERROR 137 - - ${E} restarts=0 retries=2 start_sec=0.5 stop_sec=10 stop_signal=TERM signal=KILL revivals=3 revive_sec=60`],
  ])('%s', (_, record, line) => {
    roundTrip(record, line);
  });

  it('writes the keys in one order, whatever the order they were given in', () => {
    const record: PidRecord = { state: 'STOP', exitCode: 1, workerPid: 200, epoch: E, keys: { next: E, signal: 'HUP', restarts: 4 } };
    expect(encodePidRecord(record)).toBe(`STOP 1 - 200 ${E} restarts=4 signal=HUP next=${E}\n`);
  });

  it('writes nothing for a key whose value is undefined', () => {
    const record: PidRecord = { state: 'RUN', pid: 1, workerPid: 2, epoch: E, keys: { uid: undefined, once: undefined, restarts: 0 } };
    expect(encodePidRecord(record)).toBe(`RUN - 1 2 ${E} restarts=0\n`);
  });
});

describe('every key of the SPEC 4 key table, alone, both ways', () => {
  it.each<[keyof RecordKeys, RecordKeys[keyof RecordKeys], string]>([
    ['restarts', 0, 'restarts=0'],
    ['restarts', 12, 'restarts=12'],
    ['retries', 2, 'retries=2'],
    ['startSec', 10, 'start_sec=10'],
    ['startSec', 0.25, 'start_sec=0.25'],
    ['startSec', 0, 'start_sec=0'],
    ['stopSec', 2.5, 'stop_sec=2.5'],
    ['stopSignal', 'TERM', 'stop_signal=TERM'],
    ['stopSignal', 'USR1', 'stop_signal=USR1'],
    ['uid', 0, 'uid=0'],
    ['uid', 1005, 'uid=1005'],
    ['once', true, 'once=1'],
    ['lastExit', 0, 'last_exit=0'],
    ['lastExit', 255, 'last_exit=255'],
    ['lastSignal', 'KILL', 'last_signal=KILL'],
    ['signal', 'SEGV', 'signal=SEGV'],
    ['next', E + 4, `next=${E + 4}`],
    ['revivals', 0, 'revivals=0'],
    ['revivals', 7, 'revivals=7'],
    ['reviveSec', 60, 'revive_sec=60'],
    ['reviveSec', 7.5, 'revive_sec=7.5'],
    ['ready', false, 'ready=0'],
    ['ready', true, 'ready=1'],
    ['checks', 2, 'checks=2'],
    ['check', 'refused', 'check=refused'],
    ['check', 'http-503', 'check=http-503'],
  ])('%s = %j is %s', (key, value, token) => {
    roundTrip({ state: 'RUN', pid: 101, workerPid: 200, epoch: E, keys: { [key]: value } }, `RUN - 101 200 ${E} ${token}`);
  });
});

describe('a value not of its kind is read as absent (SPEC 4)', () => {
  it.each<[string, keyof RecordKeys]>([
    ['restarts=x', 'restarts'],
    ['ready=2', 'ready'],
    ['ready=yes', 'ready'],
    ['checks=-1', 'checks'],
    ['check=Refused', 'check'],
    ['check=a_b', 'check'],
    [`check=${'x'.repeat(33)}`, 'check'],
    ['restarts=-1', 'restarts'],
    ['restarts=1.5', 'restarts'],
    ['restarts=', 'restarts'],
    ['restarts=1e3', 'restarts'],
    ['restarts=9999999999999999', 'restarts'],
    ['retries=x', 'retries'],
    ['retries=+1', 'retries'],
    ['start_sec=abc', 'startSec'],
    ['start_sec=-1', 'startSec'],
    ['start_sec=1e3', 'startSec'],
    ['start_sec=.', 'startSec'],
    ['start_sec=', 'startSec'],
    ['start_sec=Infinity', 'startSec'],
    ['stop_sec=NaN', 'stopSec'],
    ['stop_signal=NOPE', 'stopSignal'],
    ['stop_signal=SIG', 'stopSignal'],
    ['stop_signal=', 'stopSignal'],
    ['stop_signal=0', 'stopSignal'],
    ['stop_signal=999', 'stopSignal'],
    ['stop_signal=-9', 'stopSignal'],
    ['uid=-1', 'uid'],
    ['uid=x', 'uid'],
    ['uid=', 'uid'],
    ['uid=10.5', 'uid'],
    ['once=2', 'once'],
    ['once=0', 'once'],
    ['once=true', 'once'],
    ['once=', 'once'],
    ['last_exit=-1', 'lastExit'],
    ['last_exit=x', 'lastExit'],
    ['last_signal=NOPE', 'lastSignal'],
    ['signal=', 'signal'],
    ['signal=BOGUS', 'signal'],
    ['next=soon', 'next'],
    ['next=1.5', 'next'],
    ['revivals=-1', 'revivals'],
    ['revivals=many', 'revivals'],
    ['revive_sec=-5', 'reviveSec'],
    ['revive_sec=1h', 'reviveSec'],
  ])('%s: no %s, and the record is still read', (token, key) => {
    const decoded = decodePidRecord(`RUN - 101 200 ${E} restarts=4 ${token}\n`);
    expect(decoded.ok).toBe(true);
    if (!decoded.ok) return;
    expect(decoded.record.keys[key]).toBe(key === 'restarts' ? 4 : undefined);
    // A known key is never kept as an unknown token: rewritten, it is simply gone.
    expect(decoded.record.unknown).toBeUndefined();
    expect(encodePidRecord(decoded.record)).toBe(`RUN - 101 200 ${E} restarts=4\n`);
  });

  // Read as a number, 400 nines are Infinity, which would be written back as `stop_sec=Infinity`.
  it('seconds too many to be a number: absent, not Infinity', () => {
    expect(keysOf(`RUN - 101 200 ${E} stop_sec=${'9'.repeat(400)} start_sec=${'9'.repeat(400)}.5`)).toEqual({});
  });

  it('a bad value does not hide a good one given before it', () => {
    expect(keysOf(`STOP 1 - 200 ${E} retries=2 retries=x`).retries).toBe(2);
  });

  // identity.ts used to read `uid=` itself (runUidOf); the record's typed key replaces it.
  it.each<[string, number | undefined]>([
    [`RUN - 101 200 ${E} uid=1005`, 1005],
    [`RUN - 101 200 ${E} uid=0`, 0],
    [`RUN - 101 200 ${E}`, undefined],
    [`RUN - 101 200 ${E} uid=x`, undefined],
    [`RUN - 101 200 ${E} uid=-1`, undefined],
  ])('the run\'s uid of %s is %s', (line, uid) => {
    expect(keysOf(line).uid).toBe(uid);
  });
});

describe('signal names are read the way older records may have them, and said without SIG', () => {
  it.each<[string, string]>([
    ['KILL', 'KILL'],
    ['SIGKILL', 'KILL'],
    ['kill', 'KILL'],
    ['sigkill', 'KILL'],
    ['Kill', 'KILL'],
    ['9', 'KILL'],
    ['15', 'TERM'],
    ['SIGTERM', 'TERM'],
    ['hup', 'HUP'],
    ['2', 'INT'],
    // One name for a signal that has two.
    ['IOT', 'ABRT'],
    ['SIGIOT', 'ABRT'],
  ])('%s is %s', (text, name) => {
    for (const key of ['stop_signal', 'last_signal', 'signal']) {
      const keys = keysOf(`STOP 137 - 200 ${E} ${key}=${text}`);
      expect(Object.values(keys)).toEqual([name]);
    }
  });

  it('writes back the normalised name', () => {
    const decoded = decodePidRecord(`STOP 137 - 200 ${E} stop_signal=sigterm signal=9\n`);
    expect(decoded.ok && encodePidRecord(decoded.record)).toBe(`STOP 137 - 200 ${E} stop_signal=TERM signal=KILL\n`);
  });
});

describe('keys it does not know (a newer reraise\'s) are kept, in their order, and written back after the known ones', () => {
  it('kept verbatim, split from the known ones', () => {
    const decoded = decodePidRecord(`RUN - 101 200 ${E} paused=1 restarts=2 zeta=9 a=b=c empty= alpha=1\n`);
    expect(decoded).toEqual({
      ok: true,
      record: {
        state: 'RUN', pid: 101, workerPid: 200, epoch: E, keys: { restarts: 2 },
        unknown: ['paused=1', 'zeta=9', 'a=b=c', 'empty=', 'alpha=1'],
      },
    });
  });

  it('written back in their order, after the known keys', () => {
    const decoded = decodePidRecord(`RUN - 101 200 ${E} zeta=9 restarts=2 alpha=1 uid=7\n`);
    expect(decoded.ok && encodePidRecord(decoded.record)).toBe(`RUN - 101 200 ${E} restarts=2 uid=7 zeta=9 alpha=1\n`);
  });

  it('a line with the known keys first comes back byte for byte', () => {
    const line = `ERROR 1 - - ${E} retries=0 revivals=2 revive_sec=60 future_key=x other=`;
    const decoded = decodePidRecord(`${line}\n`);
    expect(decoded.ok && encodePidRecord(decoded.record)).toBe(`${line}\n`);
  });

  it('a record of known keys only has no unknown list at all', () => {
    const decoded = decodePidRecord(`RUN - 101 200 ${E} restarts=0\n`);
    expect(decoded.ok && 'unknown' in decoded.record).toBe(false);
  });

  it('a key is known by its whole name only', () => {
    const decoded = decodePidRecord(`RUN - 101 200 ${E} RESTARTS=1 restarts_x=2 Uid=3\n`);
    expect(decoded).toMatchObject({ ok: true, record: { keys: {}, unknown: ['RESTARTS=1', 'restarts_x=2', 'Uid=3'] } });
  });
});

describe('decode: the five fields', () => {
  it('accepts a line without its trailing newline (as the shell reraise may leave it)', () => {
    expect(decodePidRecord(`RUN - 101 200 ${E}`)).toEqual({
      ok: true, record: { state: 'RUN', pid: 101, workerPid: 200, epoch: E, keys: {} },
    });
  });

  it.each([
    ['an empty file', ''],
    ['a lone newline', '\n'],
    ['one field', 'RUN'],
    ['four fields', 'RUN - 101 200'],
    ['an unknown state', `RUNNING - 101 200 ${E}`],
    ['a state in lower case', `run - 101 200 ${E}`],
    ['a non-numeric pid', `RUN - abc 200 ${E}`],
    ['a non-numeric worker pid', `RUN - 101 x ${E}`],
    ['a non-numeric exit code', `STOP x - 200 ${E}`],
    ['a negative pid', `RUN - -1 200 ${E}`],
    ['a non-numeric epoch', 'RUN - 101 200 yesterday'],
    ['a missing epoch', 'RUN - 101 200 -'],
    ['two lines', `RUN - 101 200 ${E}\nRUN - 102 200 ${E}\n`],
    ['pid 0', `RUN - 0 200 ${E}`],
    ['worker pid 0', `RUN - 101 0 ${E}`],
    ['a token without "="', `RUN - 101 200 ${E} restarts`],
    ['a token with an empty key', `RUN - 101 200 ${E} =3`],
    ['fields separated by two spaces', `RUN - 101  200 ${E}`],
    ['a trailing space', `RUN - 101 200 ${E} `],
    ['a CRLF line end', `RUN - 101 200 ${E}\r\n`],
  ])('reports %s as ok:false with a message', (_, text) => {
    const decoded = decodePidRecord(text);
    expect(decoded.ok).toBe(false);
    if (!decoded.ok) expect(decoded.message).toMatch(/\S/);
  });

  it.each([
    ['two lines', `RUN - 101 200 ${E}\nRUN - 102 200 ${E}`, /line/],
    ['pid 0', `RUN - 0 200 ${E}`, /pid 0/],
    ['an unknown state', `HALT - 101 200 ${E}`, /HALT/],
    ['a bad token', `RUN - 101 200 ${E} oops`, /oops/],
    ['four fields', 'RUN - 101 200', /5 fields, found 4/],
    ['an empty file', '', /found 0/],
  ])('says what is wrong with %s', (_, text, pattern) => {
    const decoded = decodePidRecord(text);
    expect(decoded.ok).toBe(false);
    if (!decoded.ok) expect(decoded.message).toMatch(pattern);
  });
});
