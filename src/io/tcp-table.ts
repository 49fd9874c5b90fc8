// The kernel's tables of TCP sockets, read to learn who answered a probe (SPEC 14.1).
import { readFile } from 'node:fs/promises';
import { answererUids } from '../core/tcp-table.js';

const TABLES = ['/proc/net/tcp', '/proc/net/tcp6'];

/** The uids that may have answered our connection from `peerPort`; none where no table says. */
export async function answeringUids(address: string, port: number, peerPort: number): Promise<number[]> {
  const texts = await Promise.all(TABLES.map((table) => readFile(table, 'latin1').catch(() => '')));
  return answererUids(texts.join('\n'), address, port, peerPort);
}
