// The names of a service's lock sockets in the pid dir (SPEC 12.3). Pure.

/**
 * A socket's path is at most 108 bytes (104 on macOS); the lock is bound relative to the pid
 * dir, so its own name must fit, with the pid and `.new`. A longer service name is hashed.
 */
const MAX_FILE_NAME = 96;

/** 64-bit FNV-1a, as hex: a short, stable stand-in for a long service name. */
export function fnv1a64(text: string): string {
  let hash = 0xcbf29ce484222325n;
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= BigInt(byte);
    hash = (hash * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return hash.toString(16).padStart(16, '0');
}

/**
 * NAME where it fits in a file name of the pid dir with `room` bytes around it, else `#HASH`:
 * a service name may take all of NAME_MAX (255 bytes) itself.
 */
export function shortName(name: string, room: number, max = 255): string {
  return Buffer.byteLength(name) + room <= max ? name : `#${fnv1a64(name)}`;
}

/** `.NAME.PID.KIND`: a writer's temporary file in the pid dir (`tmp`, `clean`, `fifo`), which `clean` knows as a leftover once PID is gone. */
export function tempFileName(name: string, pid: number, kind: 'tmp' | 'clean' | 'fifo' | 'wtmp'): string {
  return `.${shortName(name, 2 + 10 + 1 + kind.length)}.${pid}.${kind}`;
}

/** `.NAME.waiting`: a start's note that it waits for what NAME needs before it starts it (SPEC 14.3). */
export function waitingFileName(name: string): string {
  return `.${shortName(name, 1 + '.waiting'.length)}.waiting`;
}

/** `.NAME.lock.`, or `.#HASH.lock.` for a name too long for a socket path. */
export function lockPrefix(name: string): string {
  const plain = `.${name}.lock.`;
  return plain.length + 'PIDPIDPIDP.new'.length <= MAX_FILE_NAME ? plain : `.#${fnv1a64(name)}.lock.`;
}

/** The lock socket of the worker with pid `pid`. */
export function lockFileName(name: string, pid: number): string {
  return `${lockPrefix(name)}${pid}`;
}

/** Where a worker binds first: its lock appears under lockFileName only once it answers. */
export function pendingLockFileName(name: string, pid: number): string {
  return `${lockFileName(name, pid)}.new`;
}

/** The holder's pid of a lock socket of `name`, and whether it is still pending; undefined for other files. */
export function parseLockFile(file: string, name: string): { pid: number; pending: boolean } | undefined {
  const prefix = lockPrefix(name);
  if (!file.startsWith(prefix)) return undefined;
  const match = /^(\d{1,10})(\.new)?$/.exec(file.slice(prefix.length));
  return match ? { pid: Number(match[1]), pending: match[2] !== undefined } : undefined;
}

/** Any service's lock socket (for `clean`, which also meets those of deleted services). */
export function parseAnyLockFile(file: string): { pid: number; pending: boolean } | undefined {
  const match = /^\..+\.lock\.(\d{1,10})(\.new)?$/.exec(file);
  return match ? { pid: Number(match[1]), pending: match[2] !== undefined } : undefined;
}
