// Who answered a probe, from /proc/net/tcp and tcp6 as the kernel prints them (SPEC 14.1).
import { describe, expect, it } from 'vitest';
import { answererUids, listenerAddresses } from '../../src/core/tcp-table.js';

const HEADER = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode';
const full = (n: number, local: string, remote: string, st: string, uid: number): string =>
  `   ${n}: ${local} ${remote} ${st} 00000000:00000000 00:00000000 00000000 ${String(uid).padStart(5)}        0 5678${n} 1 00000000b284e829 100 0 0 10 0`;
// A time-wait socket's line: shorter, uid 0, inode 0.
const timeWait = (n: number, local: string, remote: string, st: string): string =>
  `   ${n}: ${local} ${remote} ${st} 00000000:00000000 03:000010E7 00000000     0        0 0 3 000000002bedb6db`;
// A connection not yet accepted: shorter too, but its uid is the listener's.
const request = (n: number, local: string, remote: string, uid: number): string =>
  `   ${n}: ${local} ${remote} 03 00000000:00000000 02:000000C8 00000000 ${String(uid).padStart(5)}        0 0 1 00000000f0e7ad3a`;

// 127.0.0.1:47123 (0xB813) and our end at 54816 (0xD620).
const LO = '0100007F';
const at = (address: string, port: number): string => `${address}:${port.toString(16).toUpperCase().padStart(4, '0')}`;
const listener = (uid: number, address = LO): string => full(1, at(address, 47123), '00000000:0000', '0A', uid);
const serverEnd = (uid: number): string => full(5, at(LO, 47123), at(LO, 54816), '01', uid);
const ourEnd = full(4, at(LO, 54816), at(LO, 47123), '01', 0);
const table = (...lines: string[]): string => [HEADER, ...lines].join('\n');

const V6_ZEROS = '0'.repeat(32);
const V6_MAPPED_LO = '0000000000000000FFFF00000100007F';
const V6_LO = '00000000000000000000000001000000';

describe('answererUids', () => {
  it.each<[string, string, string, number[]]>([
    ['the server end of our connection, not our own end or the listener', table(listener(1001), ourEnd, serverEnd(1001)), '127.0.0.1', [1001]],
    ['the server end names the answerer even beside a listener of another uid', table(listener(1000), ourEnd, serverEnd(1001)), '127.0.0.1', [1001]],
    ['a connection still in the queue (SYN_RECV): the listener\'s uid', table(request(6, at(LO, 47123), at(LO, 54816), 1001)), '127.0.0.1', [1001]],
    ['the end is gone to time-wait (a server that closed at once): the listeners say', table(listener(1001), timeWait(6, at(LO, 47123), at(LO, 54816), '05')), '127.0.0.1', [1001]],
    ['no end and no listener: nothing known', table(ourEnd), '127.0.0.1', []],
    ['a listener on every address takes it', table(listener(1002, '00000000')), '127.0.0.1', [1002]],
    ['a listener on another loopback address does not', table(listener(1002, '0200007F')), '127.0.0.1', []],
    ['a dual-stack listener takes it, and one on ::ffff:127.0.0.1', table(listener(1003, V6_ZEROS), listener(1004, V6_MAPPED_LO)), '127.0.0.1', [1003, 1004]],
    ['[::1]: its own listener and the wildcard', table(listener(1005, V6_LO), listener(1006, V6_ZEROS), listener(1007)), '::1', [1005, 1006]],
    ['127.1.2.3: only that address or the wildcard', table(listener(1008, '0302017F'), listener(1009)), '127.1.2.3', [1008]],
    ['a listener on another port does not count', table(full(1, at(LO, 8080), '00000000:0000', '0A', 1001)), '127.0.0.1', []],
    ['an empty table, a header alone', '', '127.0.0.1', []],
    ['lines cut short, a port not hex, a uid not a number', 'x\n 1: 0100007F:ZZZZ 0100007F:D620 01 0 0 0 1000 0 0 1 0 0\n' +
      ` 2: ${at(LO, 47123)} ${at(LO, 54816)} 01 0 0 0 abc 0 0 1 0 0 0`, '127.0.0.1', []],
  ])('%s', (_, tables, address, uids) => {
    expect(answererUids(tables, address, 47123, 54816)).toEqual(uids);
  });
});

describe('listenerAddresses', () => {
  it('127.0.0.1 in either byte order, the v4 wildcard, the v6 wildcard, and as v4-mapped', () => {
    expect(listenerAddresses('127.0.0.1')).toEqual(new Set(['0100007F', '7F000001', '00000000', V6_ZEROS,
      V6_MAPPED_LO, '0000000000000000FFFF00007F000001', '00000000000000000000FFFF0100007F', '00000000000000000000FFFF7F000001']));
  });
  it('::1 in either byte order and the v6 wildcard', () => {
    expect(listenerAddresses('::1')).toEqual(new Set([V6_ZEROS, V6_LO, '00000000000000000000000000000001']));
  });
});
