// The one-line pid record (SPEC 4): STATE EXITCODE PID WORKERPID EPOCH [key=value ...].
import { describe, expect, it } from 'vitest';
import { decodePidRecord, encodePidRecord, type PidRecord } from '../../src/core/pidfile.js';

const E = 1_700_000_000;

describe('encode and decode, state by state (SPEC 4 table)', () => {
  it.each<[string, PidRecord, string]>([
    ['START: worker and now', { state: 'START', workerPid: 200, epoch: E, extra: {} }, `START - - 200 ${E}`],
    ['START with extras', { state: 'START', workerPid: 200, epoch: E, extra: { restarts: '0', stop_sec: '10' } },
      `START - - 200 ${E} restarts=0 stop_sec=10`],
    ['RUN: service, worker, start time', { state: 'RUN', pid: 101, workerPid: 200, epoch: E, extra: {} }, `RUN - 101 200 ${E}`],
    ['RUN with extras', { state: 'RUN', pid: 101, workerPid: 200, epoch: E, extra: { restarts: '3', stop_signal: 'TERM' } },
      `RUN - 101 200 ${E} restarts=3 stop_signal=TERM`],
    ['STOP: code, worker, exit time', { state: 'STOP', exitCode: 1, workerPid: 200, epoch: E, extra: {} }, `STOP 1 - 200 ${E}`],
    ['STOP with exit code 0', { state: 'STOP', exitCode: 0, workerPid: 200, epoch: E, extra: {} }, `STOP 0 - 200 ${E}`],
    ['STOP with extras', { state: 'STOP', exitCode: 143, workerPid: 200, epoch: E, extra: { signal: 'TERM', next: String(E + 2) } },
      `STOP 143 - 200 ${E} signal=TERM next=${E + 2}`],
    ['ERROR: code and exit time only', { state: 'ERROR', exitCode: 2, epoch: E, extra: {} }, `ERROR 2 - - ${E}`],
    ['ERROR with extras', { state: 'ERROR', exitCode: 137, epoch: E, extra: { signal: 'KILL', retries: '2' } },
      `ERROR 137 - - ${E} signal=KILL retries=2`],
  ])('%s', (_, record, line) => {
    expect(encodePidRecord(record)).toBe(`${line}\n`);
    expect(decodePidRecord(`${line}\n`)).toEqual({ ok: true, record });
    expect(decodePidRecord(encodePidRecord(record))).toEqual({ ok: true, record });
  });
});

describe('decode', () => {
  it('accepts a line without its trailing newline (as the shell reraise may leave it)', () => {
    expect(decodePidRecord(`RUN - 101 200 ${E}`)).toEqual({
      ok: true, record: { state: 'RUN', pid: 101, workerPid: 200, epoch: E, extra: {} },
    });
  });

  it('keeps keys it does not know, so that a rewrite loses nothing', () => {
    const decoded = decodePidRecord(`RUN - 101 200 ${E} paused=1 future_key=x\n`);
    expect(decoded).toMatchObject({ ok: true, record: { extra: { paused: '1', future_key: 'x' } } });
  });

  it('splits a token at its first "=" and allows an empty value', () => {
    const decoded = decodePidRecord(`RUN - 101 200 ${E} a=b=c empty=\n`);
    expect(decoded).toMatchObject({ ok: true, record: { extra: { a: 'b=c', empty: '' } } });
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
  ])('says what is wrong with %s', (_, text, pattern) => {
    const decoded = decodePidRecord(text);
    expect(decoded.ok).toBe(false);
    if (!decoded.ok) expect(decoded.message).toMatch(pattern);
  });
});
