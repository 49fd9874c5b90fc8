// reraise logger NAME: stdin into NAME's rotating log, for rc.log (`exec reraise logger "$2"`) (SPEC 9).
import { homedir } from 'node:os';
import { existsSync } from 'node:fs';
import { heldBound, LineSplitter } from '../core/log-lines.js';
import { isServiceName } from '../core/names.js';
import { ok } from '../core/result.js';
import { prepareLogDir, resolveDirs } from '../io/dirs.js';
import { prepareServiceLogDir } from '../io/service-log.js';
import { logSettingsOf, RotatingLog } from '../io/log-writer.js';
import { currentConfig, describeEntry } from '../io/service-dir.js';

export async function main(args: readonly string[]): Promise<number> {
  const name = args[0];
  if (args.length !== 1 || !isServiceName(name)) {
    process.stderr.write('reraise: usage: reraise logger NAME (reads stdin into the log of service NAME)\n');
    return 2;
  }
  const dirs = resolveDirs(process.env, process.getuid!(), homedir());
  // The log settings come from the service's own config lines (rc.main, or the script).
  const settings = logSettingsOf(currentConfig(describeEntry(dirs.service.path, name)));
  const me = { uid: process.getuid!(), gid: process.getgid!() };
  // The log dir may be root's, with <log dir>/NAME made for this logger's owner (SPEC 9, 12.4).
  const base = existsSync(dirs.log.path) ? ok(undefined) : prepareLogDir(dirs.log, me.uid);
  const dir = base.ok ? prepareServiceLogDir(dirs.log.path, name, me) : base;
  let log: RotatingLog;
  try {
    if (!dir.ok) throw new Error(dir.message);
    log = new RotatingLog(dir.value, settings);
  } catch (error) {
    process.stderr.write(`reraise: logger: ${name}: ${(error as Error).message}\n`);
    return 1;
  }
  const splitter = new LineSplitter(heldBound(settings.size));
  return new Promise<number>((resolve) => {
    const finish = (): void => {
      log.write(splitter.flush());
      log.close();
      resolve(0);
    };
    process.stdin.on('data', (chunk: Buffer) => log.write(splitter.push(chunk)));
    process.stdin.on('end', finish);
    process.stdin.on('error', finish);
    // Stopped while the pipe lives on: what was read is written, and a half-read line is left
    // open in the file for the next logger to complete, so that no line is cut in two. A long line
    // that was streaming is open there already; nothing of it is held.
    process.on('SIGTERM', () => {
      process.stdin.pause();
      log.writePartial(splitter.takePartial());
      log.close();
      process.exit(0);
    });
  });
}
