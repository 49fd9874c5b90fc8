// One worker per service: a lock that the kernel releases when its holder dies, however it dies.
import { Server, connect as netConnect, createServer } from 'node:net';
import { realpathSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/** 64-bit FNV-1a, as hex: a short, stable name for (pid dir, service). */
function fnv1a64(text: string): string {
  let hash = 0xcbf29ce484222325n;
  for (const byte of Buffer.from(text)) {
    hash ^= BigInt(byte);
    hash = (hash * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return hash.toString(16).padStart(16, '0');
}

function listen(server: Server, address: string): Promise<'held' | 'busy'> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      if (error.code === 'EADDRINUSE') resolve('busy');
      else reject(error);
    };
    server.once('error', onError);
    server.listen(address, () => {
      server.off('error', onError);
      resolve('held');
    });
  });
}

/** A socket file stays behind when its holder is killed: a refused connection means nobody holds it. */
function isStaleSocket(file: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = netConnect(file);
    socket.once('connect', () => { socket.destroy(); resolve(false); });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
  });
}

/**
 * Takes the lock of service `name` under `pidDir` for the life of this process.
 * Linux: an abstract Unix socket, which vanishes with the process (no file to go stale).
 * Elsewhere: a socket file in the pid dir, reclaimed when nobody answers on it.
 */
export async function lockService(pidDir: string, name: string): Promise<'held' | 'busy'> {
  const server = createServer((socket) => socket.destroy());
  server.unref();
  if (process.platform === 'linux') {
    return listen(server, `\0reraise-${fnv1a64(`${realpathSync(pidDir)}\0${name}`)}`);
  }
  const file = join(pidDir, `.${name}.lock`);
  const first = await listen(server, file);
  if (first === 'held' || !(await isStaleSocket(file))) return first;
  rmSync(file, { force: true });
  return listen(server, file);
}
