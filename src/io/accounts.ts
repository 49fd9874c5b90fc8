// User and group names for ids, and passwd entries, read from /etc (Node has no getpwuid).
import { readFileSync } from 'node:fs';

export interface Account {
  name: string;
  uid: number;
  gid: number;
  home: string;
  shell: string;
}

function table(file: string): string[][] {
  try {
    return readFileSync(file, 'utf8').split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split(':'));
  } catch {
    return [];
  }
}

export function accountOf(uid: number): Account | undefined {
  const row = table('/etc/passwd').find((r) => Number(r[2]) === uid);
  return row && { name: row[0], uid, gid: Number(row[3]), home: row[5] ?? '/', shell: row[6] ?? '/bin/sh' };
}

export function userName(uid: number): string {
  return accountOf(uid)?.name ?? String(uid);
}

export function groupName(gid: number): string {
  return table('/etc/group').find((r) => Number(r[2]) === gid)?.[0] ?? String(gid);
}
