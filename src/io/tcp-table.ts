// The kernel's tables of TCP sockets, read to learn who answered a probe (SPEC 14.1).
import { readFile } from 'node:fs/promises';
import { answererUids, type Connection } from '../core/tcp-table.js';

const TABLES = ['/proc/net/tcp', '/proc/net/tcp6'];

/**
 * The uids that answered `connection`; undefined when the tables prove nothing; `no-tables`
 * where neither can be read (no /proc): nothing can be proved there.
 */
export async function answeringUids(connection: Connection): Promise<number[] | undefined | 'no-tables'> {
  const texts = await Promise.all(TABLES.map((table) => readFile(table, 'latin1').catch(() => undefined)));
  if (texts.every((text) => text === undefined)) return 'no-tables';
  return answererUids(texts.filter((text) => text !== undefined).join('\n'), connection);
}
