// Who answered a connection, from the kernel's tables of TCP sockets as /proc/net/tcp and tcp6 print them (SPEC 14.1).

const LISTEN = '0A';
const SYN_RECV = '03';
/** A full socket's line goes on past the inode; a time-wait one stops there, and its uid is always 0. */
const SHORT_LINE_FIELDS = 12;

interface Line {
  local: string;
  localPort: number;
  remote: string;
  remotePort: number;
  state: string;
  uid: number;
  full: boolean;
}

function parse(line: string): Line | undefined {
  // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode ...
  const fields = line.trim().split(/\s+/);
  if (fields.length < SHORT_LINE_FIELDS || !/^\d+$/.test(fields[7])) return undefined;
  const [local, localPort] = endpoint(fields[1]);
  const [remote, remotePort] = endpoint(fields[2]);
  if (localPort === undefined || remotePort === undefined) return undefined;
  return { local, localPort, remote, remotePort, state: fields[3], uid: Number(fields[7]), full: fields.length > SHORT_LINE_FIELDS };
}

/** `ADDRESS:PORT`, both in hex: the address as printed, the port as a number. */
function endpoint(text: string): [string, number | undefined] {
  const colon = text.lastIndexOf(':');
  const hex = text.slice(colon + 1);
  return [text.slice(0, colon).toUpperCase(), colon > 0 && /^[0-9A-Fa-f]{4}$/.test(hex) ? parseInt(hex, 16) : undefined];
}

/** 32 bits as the kernel prints them: in the machine's byte order, either one. */
function orders(bytes: readonly number[]): string[] {
  const hex = (list: readonly number[]): string => list.map((b) => b.toString(16).padStart(2, '0')).join('').toUpperCase();
  return [hex([...bytes].reverse()), hex(bytes)];
}

const V6_ZEROS = '0'.repeat(32);

/**
 * How the tables print `address` (a dotted IPv4 address, or `::1`): as itself, and an IPv4 one as
 * IPv4-mapped IPv6. Nothing for any other: the probes only ever connect to these.
 */
export function printedAddresses(address: string): Set<string> {
  if (address === '::1') return new Set(orders([0, 0, 0, 1]).map((word) => '0'.repeat(24) + word));
  if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(address)) return new Set();
  const words = orders(address.split('.').map(Number));
  const [mappedLittle, mappedBig] = orders([0, 0, 0xff, 0xff]);
  return new Set([...words, '0'.repeat(16) + mappedLittle + words[0], '0'.repeat(16) + mappedBig + words[1]]);
}

/** The local addresses of a listener that may take a connection to `address`: itself, or a wildcard. */
export function listenerAddresses(address: string): Set<string> {
  return new Set([...printedAddresses(address), ...(address === '::1' ? [] : ['00000000']), V6_ZEROS]);
}

/** Our connection, from `from`:`peerPort` to `to`:`port`. */
export interface Connection {
  to: string;
  port: number;
  from: string;
  peerPort: number;
}

/**
 * The uids that answered `connection`: the owner of the server's end of that very connection; or,
 * once that end is gone (a server that closed it at once), the owners of the listeners that take
 * such a connection. Undefined when the tables show neither: nothing proves who answered.
 */
export function answererUids(tables: string, connection: Connection): number[] | undefined {
  const { to, port, from, peerPort } = connection;
  const lines = tables.split('\n').map(parse).filter((line): line is Line => line !== undefined && line.localPort === port);
  const here = printedAddresses(to);
  const there = printedAddresses(from);
  const end = lines.find((line) => line.state !== LISTEN && line.remotePort === peerPort && here.has(line.local) && there.has(line.remote) &&
    (line.full || line.state === SYN_RECV));
  if (end) return [end.uid];
  const addresses = listenerAddresses(to);
  const listeners = lines.filter((line) => line.state === LISTEN && addresses.has(line.local));
  return listeners.length > 0 ? [...new Set(listeners.map((line) => line.uid))] : undefined;
}
