// Who answered a probe, from /proc/net/tcp and tcp6 as the kernel prints them (SPEC 14.1).
import { describe, expect, it } from 'vitest';
import { answererUids, listenerAddresses, printedAddresses, type Connection } from '../../src/core/tcp-table.js';

const HEADER = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode';
const full = (local: string, remote: string, st: string, uid: number): string =>
  `   1: ${local} ${remote} ${st} 00000000:00000000 00:00000000 00000000 ${String(uid).padStart(5)}        0 56786 1 00000000b284e829 100 0 0 10 0`;
// A time-wait socket's line: shorter, uid 0, inode 0.
const timeWait = (local: string, remote: string, st: string): string =>
  `   2: ${local} ${remote} ${st} 00000000:00000000 03:000010E7 00000000     0        0 0 3 000000002bedb6db`;
// A connection not yet accepted: shorter too, but its uid is the listener's.
const request = (local: string, remote: string, uid: number): string =>
  `   3: ${local} ${remote} 03 00000000:00000000 02:000000C8 00000000 ${String(uid).padStart(5)}        0 0 1 00000000f0e7ad3a`;

const LO = '0100007F';
const LO2 = '0200007F';
const V6_ZEROS = '0'.repeat(32);
const V6_MAPPED_LO = '0000000000000000FFFF00000100007F';
const V6_LO = '00000000000000000000000001000000';
const at = (address: string, port: number): string => `${address}:${port.toString(16).toUpperCase().padStart(4, '0')}`;

// Our probe: from 127.0.0.1:54816 to 127.0.0.1:47123.
const PROBE: Connection = { to: '127.0.0.1', port: 47123, from: '127.0.0.1', peerPort: 54816 };
const listener = (uid: number, address = LO): string => full(at(address, 47123), '00000000:0000', '0A', uid);
const serverEnd = (uid: number, local = LO, remote = LO): string => full(at(local, 47123), at(remote, 54816), '01', uid);
const ourEnd = full(at(LO, 54816), at(LO, 47123), '01', 0);
const table = (...lines: string[]): string => [HEADER, ...lines].join('\n');

describe('answererUids', () => {
  it.each<[string, string, Connection, number[] | undefined]>([
    ['the server end of our connection, not our own end or the listener', table(listener(1001), ourEnd, serverEnd(1001)), PROBE, [1001]],
    ['the server end names the answerer even beside a listener of another uid', table(listener(1000), ourEnd, serverEnd(1001)), PROBE, [1001]],
    ['a dual-stack listener\'s end, as IPv4-mapped, in tcp6', table(serverEnd(1003, V6_MAPPED_LO, V6_MAPPED_LO)), PROBE, [1003]],
    ['a connection of someone else on another address with the same ports is not ours: the listener says',
      table(listener(1000), full(at(LO2, 47123), at(LO2, 54816), '01', 1001)), PROBE, [1000]],
    ['a connection still in the queue (SYN_RECV): the listener\'s uid', table(request(at(LO, 47123), at(LO, 54816), 1001)), PROBE, [1001]],
    ['the end gone to time-wait (a server that closed at once): the listeners say', table(listener(1001), timeWait(at(LO, 47123), at(LO, 54816), '05')), PROBE, [1001]],
    ['the end in time-wait, and no listener left (one that closes and listens again): nothing proved',
      table(timeWait(at(LO, 47123), at(LO, 54816), '06')), PROBE, undefined],
    ['no end and no listener: nothing proved', table(ourEnd), PROBE, undefined],
    ['a listener on every address takes it', table(listener(1002, '00000000')), PROBE, [1002]],
    ['a listener on another loopback address does not', table(listener(1002, LO2)), PROBE, undefined],
    ['a dual-stack listener takes it, and one on ::ffff:127.0.0.1', table(listener(1003, V6_ZEROS), listener(1004, V6_MAPPED_LO)), PROBE, [1003, 1004]],
    ['two listeners of one uid: that uid once', table(listener(1003, V6_ZEROS), listener(1003)), PROBE, [1003]],
    ['[::1]: its own listener and the v6 wildcard, not the v4 one',
      table(listener(1005, V6_LO), listener(1006, V6_ZEROS), listener(1007, '00000000')), { ...PROBE, to: '::1', from: '::1' }, [1005, 1006]],
    ['[::1]: the server end', table(full(at(V6_LO, 47123), at(V6_LO, 54816), '01', 1008)), { ...PROBE, to: '::1', from: '::1' }, [1008]],
    ['127.1.2.3: only that address or the wildcard', table(listener(1008, '0302017F'), listener(1009)), { ...PROBE, to: '127.1.2.3' }, [1008]],
    ['a listener on another port does not count', table(full(at(LO, 8080), '00000000:0000', '0A', 1001)), PROBE, undefined],
    ['an empty table', '', PROBE, undefined],
    ['lines cut short, a port not hex, a uid not a number', 'x\n 1: 0100007F:ZZZZ 0100007F:D620 01 0 0 0 1000 0 0 1 0 0\n' +
      ` 2: ${at(LO, 47123)} ${at(LO, 54816)} 01 0 0 0 abc 0 0 1 0 0 0`, PROBE, undefined],
  ])('%s', (_, tables, connection, uids) => {
    expect(answererUids(tables, connection)).toEqual(uids);
  });
});

describe('printedAddresses and listenerAddresses', () => {
  it('127.0.0.1 in either byte order, and as IPv4-mapped', () => {
    expect(printedAddresses('127.0.0.1')).toEqual(new Set(['0100007F', '7F000001', V6_MAPPED_LO, '00000000000000000000FFFF7F000001']));
  });
  it('::1 in either byte order', () => {
    expect(printedAddresses('::1')).toEqual(new Set([V6_LO, '00000000000000000000000000000001']));
  });
  it('nothing for an address a probe never uses', () => {
    expect(printedAddresses('::ffff:127.0.0.1')).toEqual(new Set());
    expect(printedAddresses('localhost')).toEqual(new Set());
  });
  it('a listener may also be on a wildcard: both for IPv4, the IPv6 one for ::1', () => {
    expect(listenerAddresses('127.0.0.1')).toEqual(new Set([...printedAddresses('127.0.0.1'), '00000000', V6_ZEROS]));
    expect(listenerAddresses('::1')).toEqual(new Set([...printedAddresses('::1'), V6_ZEROS]));
  });
});
