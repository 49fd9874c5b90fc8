// User and group entries, read from /etc (Node has no getpwuid), and who is in a group.
import { readFileSync, statSync } from 'node:fs';

export interface Account {
  name: string;
  uid: number;
  gid: number;
  home: string;
  shell: string;
}

const tables = new Map<string, { mtimeMs: number; rows: string[][] }>();

/** Read again only when the file changed: a worker lives for months, a status asks many times. */
function table(file: string): string[][] {
  let mtimeMs = -1;
  try {
    mtimeMs = statSync(file).mtimeMs;
  } catch {
    return [];
  }
  const cached = tables.get(file);
  if (cached && cached.mtimeMs === mtimeMs) return cached.rows;
  let rows: string[][] = [];
  try {
    rows = readFileSync(file, 'utf8').split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split(':'));
  } catch {
    // unreadable: no entries
  }
  tables.set(file, { mtimeMs, rows });
  return rows;
}

function toAccount(row: string[]): Account {
  return { name: row[0], uid: Number(row[2]), gid: Number(row[3]), home: row[5] || '/', shell: row[6] || '/bin/sh' };
}

export function accountOf(uid: number): Account | undefined {
  const row = table('/etc/passwd').find((r) => Number(r[2]) === uid);
  return row && toAccount(row);
}

export function userName(uid: number): string {
  return accountOf(uid)?.name ?? String(uid);
}

export function groupName(gid: number): string {
  return table('/etc/group').find((r) => Number(r[2]) === gid)?.[0] ?? String(gid);
}

/** The supplementary groups of an account, as initgroups(3) would set them: its primary group first. */
export function groupsOf(account: Account): number[] {
  const extra = table('/etc/group')
    .filter((r) => (r[3] ?? '').split(',').includes(account.name))
    .map((r) => Number(r[2]));
  return [...new Set([account.gid, ...extra])];
}

/**
 * The groups that nobody but `uid` is in: its primary group, when no other account has it as
 * theirs and it lists no other member (a user private group). A directory writable by such a
 * group is as safe as one writable by its owner alone (umask 002 makes them).
 */
export function privateGroupsOf(uid: number): number[] {
  const account = accountOf(uid);
  if (!account) return [];
  const shared = table('/etc/passwd').some((r) => Number(r[3]) === account.gid && Number(r[2]) !== uid);
  const row = table('/etc/group').find((r) => Number(r[2]) === account.gid);
  const members = (row?.[3] ?? '').split(',').filter(Boolean);
  return shared || members.some((m) => m !== account.name) ? [] : [account.gid];
}
