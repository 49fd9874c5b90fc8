// Who answered a connection, from the kernel's tables of TCP sockets as /proc/net/tcp and tcp6 print them (SPEC 14.1).

const LISTEN = '0A';
const SYN_RECV = '03';
/** A full socket's line goes on past the inode; a time-wait one stops there, and its uid is always 0. */
const SHORT_LINE_FIELDS = 12;

interface Line {
  local: string;
  localPort: number;
  remotePort: number;
  state: string;
  uid: number;
  full: boolean;
}

function parse(line: string): Line | undefined {
  // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode ...
  const fields = line.trim().split(/\s+/);
  if (fields.length < SHORT_LINE_FIELDS) return undefined;
  const [local, localPort] = endpoint(fields[1]);
  const [, remotePort] = endpoint(fields[2]);
  const uid = Number(fields[7]);
  if (localPort === undefined || remotePort === undefined || !/^\d+$/.test(fields[7])) return undefined;
  return { local, localPort, remotePort, state: fields[3], uid, full: fields.length > SHORT_LINE_FIELDS };
}

/** `ADDRESS:PORT`, both in hex: the address as printed, the port as a number. */
function endpoint(text: string): [string, number | undefined] {
  const colon = text.lastIndexOf(':');
  const hex = text.slice(colon + 1);
  return [text.slice(0, colon).toUpperCase(), colon > 0 && /^[0-9A-Fa-f]{4}$/.test(hex) ? parseInt(hex, 16) : undefined];
}

/** 32 bits as the kernel prints them: in the machine's byte order, either one. */
const orders = (bytes: readonly number[]): string[] => {
  const hex = (list: readonly number[]): string => list.map((b) => b.toString(16).padStart(2, '0')).join('').toUpperCase();
  return [hex([...bytes].reverse()), hex(bytes)];
};

/** The local addresses of a listener that takes a connection to `address` (a dotted IPv4 address or `::1`). */
export function listenerAddresses(address: string): Set<string> {
  const zeros = '0'.repeat(32);
  if (address === '::1') return new Set([zeros, ...orders([0, 0, 0, 1]).map((word) => '0'.repeat(24) + word)]);
  const bytes = address.split('.').map(Number);
  const mapped = orders(bytes).flatMap((word) => orders([0, 0, 0xff, 0xff]).map((prefix) => '0'.repeat(16) + prefix + word));
  return new Set([...orders(bytes), '00000000', zeros, ...mapped]);
}

/**
 * The uids that may have answered our connection from `peerPort` to `address`:`port`: the owner of
 * the server's end of that very connection; or, once that end is gone (a server that closed it at
 * once), the owners of the listeners that take such a connection. None when the tables do not say.
 */
export function answererUids(tables: string, address: string, port: number, peerPort: number): number[] {
  const lines = tables.split('\n').map(parse).filter((line): line is Line => line !== undefined && line.localPort === port);
  const end = lines.find((line) => line.state !== LISTEN && line.remotePort === peerPort && (line.full || line.state === SYN_RECV));
  if (end) return [end.uid];
  const addresses = listenerAddresses(address);
  return [...new Set(lines.filter((line) => line.state === LISTEN && addresses.has(line.local)).map((line) => line.uid))];
}
