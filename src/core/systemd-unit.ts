// The systemd user unit of one service (SPEC 15.8): each config line as its systemd counterpart, what has
// none said in a `# reraise:` comment, and every value escaped so that systemd reads it back as it is. Pure.
import type { ServiceConfig } from './config.js';
import { fail, ok, type Result } from './result.js';
import { signalName } from './signals.js';

/** What a unit is made of: the service as its worker would run it (SPEC 5, 8). */
export interface UnitSource {
  name: string;
  kind: 'script' | 'perp';
  /** The script or rc.main, absolute. */
  file: string;
  /** The worker's working directory: the service dir, or the perp directory. */
  cwd: string;
  config: ServiceConfig;
  /** An rc.log beside rc.main, which the unit does not run. */
  rcLog?: string;
  /** `<log dir>/NAME/current`. */
  logFile: string;
  /** The variables the worker gives the service, in the order they are written (SPEC 5.2). */
  environment: readonly (readonly [string, string])[];
}

export interface Unit {
  /** `reraise-NAME.service`, the file name too. */
  name: string;
  text: string;
}

/** The first line of every unit, and what tells a file of an earlier export from one of the user's own. */
export const UNIT_HEADER = '# reraise export systemd: ';

export function isExportedUnit(text: string): boolean {
  return text.startsWith(UNIT_HEADER);
}

/** systemd's limit on a unit name, which is also the limit on a file name. */
const UNIT_NAME_MAX = 255;

/** The bytes a unit name holds as they are; every other byte is `\xNN`, as systemd-escape writes it. */
const UNIT_NAME_BYTE = /^[A-Za-z0-9:_.-]$/;

/** `reraise-NAME.service`: the prefix keeps a service named `dbus` from standing in for the system's `dbus.service`. */
export function unitName(service: string): Result<string> {
  let escaped = '';
  for (const byte of new TextEncoder().encode(service)) {
    const ch = String.fromCharCode(byte);
    escaped += UNIT_NAME_BYTE.test(ch) ? ch : `\\x${byte.toString(16).padStart(2, '0')}`;
  }
  const name = `reraise-${escaped}.service`;
  if (new TextEncoder().encode(name).length > UNIT_NAME_MAX) {
    return fail(`its unit name ${name} is longer than the ${UNIT_NAME_MAX} bytes systemd allows`);
  }
  return ok(name);
}

// C0, DEL and C1: a newline would end the unit line, and the others have no business in a path.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** `%` starts a specifier in every setting written here. */
function specifiers(value: string): string {
  return value.replace(/%/g, '%%');
}

/**
 * One word of a command line or of Environment=: in double quotes, where systemd undoes C escapes.
 * `$` is doubled where systemd substitutes variables: in a command's arguments, not in the path
 * of its program, nor in Environment=.
 */
function word(value: string, substituted: boolean): string {
  const escaped = specifiers(value.replace(/[\\"]/g, '\\$&'));
  return `"${substituted ? escaped.replace(/\$/g, '$$$$') : escaped}"`;
}

/** systemd refuses a program whose path holds one of these, quoted or not ("contains special characters"). */
const UNSAFE_PROGRAM = /["'\\]/;

/** A program and its arguments; a path systemd refuses to run is handed to sh, which execs it. */
function commandLine(program: string, args: readonly string[]): string {
  if (UNSAFE_PROGRAM.test(program)) return commandLine('/bin/sh', ['-c', 'exec "$0" "$@"', program, ...args]);
  return [word(program, false), ...args.map((arg) => word(arg, true))].join(' ');
}

/**
 * A path that systemd takes as it is. A trailing space would be stripped, and a trailing `\`
 * would join the next line to this one; a `/` after them is dropped again when systemd
 * simplifies the path.
 */
function pathValue(path: string): string {
  return specifiers(path) + (/[\s\\]$/.test(path) ? '/' : '');
}

/** Seconds as systemd reads a time span: a plain number, to the microsecond it counts in. */
function span(seconds: number): string {
  return seconds.toFixed(6).replace(/\.?0+$/, '');
}

/** perp's `reset NAME exit CODE` or `reset NAME signal N SIGNAME` (SPEC 8), from what systemd tells ExecStopPost=. */
const RESET_SCRIPT = [
  'case $EXIT_CODE in',
  'exited) exec "$0" reset "$1" exit "$EXIT_STATUS";;',
  // $EXIT_STATUS is the signal's name without SIG; sh's `kill -l N` names signal N, the only way it knows.
  'killed|dumped) n=1; while [ "$n" -lt 65 ] && [ "$(kill -l "$n" 2>/dev/null)" != "$EXIT_STATUS" ]; do n=$((n+1)); done;'
    + ' exec "$0" reset "$1" signal "$n" "SIG$EXIT_STATUS";;',
  'esac',
].join(' ');

/** Every 0.25 s until a TCP connect succeeds, as the worker probes (SPEC 14.1). */
const PORT_SCRIPT = 'until (exec 3<>"/dev/tcp/127.0.0.1/$0") 2>/dev/null; do sleep 0.25; done';

/** Every 0.25 s until GET answers 2xx or 3xx; the status line alone is read, within 2 s. */
const URL_SCRIPT = 'until (exec 3<>"/dev/tcp/$0/$1" && printf \'GET %s HTTP/1.0\\r\\nHost: %s\\r\\nConnection: close\\r\\n\\r\\n\' "$2" "$3" >&3'
  + ' && read -r -t 2 _ code _ <&3 && [[ $code == [23][0-9][0-9] ]]) 2>/dev/null; do sleep 0.25; done';

/** The unit's lines about readiness and liveness (SPEC 14.1, 14.2): a probe where systemd can wait for one, else why not. */
function readinessLines(config: ServiceConfig): string[] {
  const { ready } = config;
  const lines: string[] = [];
  if (ready?.kind === 'port' || ready?.kind === 'url') {
    const probe = ready.kind === 'port'
      ? commandLine('/bin/bash', ['-c', PORT_SCRIPT, String(ready.port)])
      : commandLine('/bin/bash', ['-c', URL_SCRIPT, ready.host.replace(/^\[(.*)\]$/, '$1'), String(ready.port), ready.path, `${ready.host}:${ready.port}`]);
    const rule = ready.kind === 'port' ? `config_ready_port=${ready.port}` : `config_ready_url=${ready.url}`;
    lines.push(
      `# reraise: ${rule}: the unit is started once this probe passes, and fails when it has not within config_ready_sec;`
        + ' unlike reraise, the probe does not look up who answered (SPEC 14.1)',
      `ExecStartPost=${probe}`,
      `TimeoutStartSec=${span(config.readySec)}`,
    );
  }
  // Nothing waits, so nothing gives up in time either.
  const unbounded = `; the unit is started once its program runs, and config_ready_sec=${span(config.readySec)} plays no part`;
  if (ready?.kind === 'fd') {
    lines.push(`# reraise: config_ready_fd=${ready.fd} has no counterpart: a newline on a descriptor is not systemd's READY=1 on $NOTIFY_SOCKET,`
      + ` so Type=notify would wait for ever${unbounded}`);
  }
  if (ready?.kind === 'log') {
    lines.push(`# reraise: config_ready_log=${JSON.stringify(ready.text)} has no counterpart: systemd cannot wait for a line of a file${unbounded}`);
  }
  if (config.checkSec !== undefined) {
    lines.push(`# reraise: config_check_sec=${span(config.checkSec)}, config_check_fail=${config.checkFail} have no counterpart:`
      + ' WatchdogSec= needs the service itself to send WATCHDOG=1');
  }
  return lines;
}

/** `SIGTERM`; a signal this platform has no name for, by its number. */
function killSignal(num: number): string {
  const name = signalName(num);
  return /^\d+$/.test(name) ? name : `SIG${name}`;
}

function unitSection(source: UnitSource, needs: readonly string[]): string[] {
  const { config } = source;
  const burst = config.maxRetry + 1;
  const lines = ['[Unit]', `Description=${specifiers(source.name)} (reraise service)`];
  if (needs.length > 0) {
    lines.push(
      `# reraise: config_needs=${config.needs.join(',')}: starting this unit starts them first and waits until they are started;`
        + ' unlike reraise stop, which only warns, stopping one of them stops this unit too',
      `Requires=${needs.join(' ')}`,
      `After=${needs.join(' ')}`,
    );
  }
  lines.push(
    `# reraise: config_max_retry=${config.maxRetry}, config_start_sec=${span(config.startSec)}: systemd gives up when ${burst} starts`
      + ' fall within the interval, which runs that all last config_start_sec never do; reraise also gives up at once on a quick first run',
    `StartLimitBurst=${burst}`,
    `StartLimitIntervalSec=${span(burst * (config.startSec + config.retrySec))}`,
    `# reraise: config_revive_sec=${span(config.reviveSec)} has no counterpart: a unit that gave up stays failed until it is started again`,
  );
  return lines;
}

function serviceSection(source: UnitSource): string[] {
  const { config } = source;
  const lines = ['[Service]', 'Type=exec'];
  lines.push(`ExecStart=${commandLine(source.file, source.kind === 'perp' ? ['start', source.name] : [])}`);
  if (source.kind === 'perp') lines.push(`ExecStopPost=${commandLine('/bin/sh', ['-c', RESET_SCRIPT, source.file, source.name])}`);
  lines.push(`WorkingDirectory=${pathValue(source.cwd)}`);
  for (const [variable, value] of source.environment) lines.push(`Environment=${word(`${variable}=${value}`, false)}`);
  lines.push(...readinessLines(config));
  lines.push(
    'Restart=always',
    `# reraise: config_retry_sec=${span(config.retrySec)}: reraise waits 0, 1, 2, ... times this after quick exits in a row`
      + ' and not at all after a successful run; systemd waits this after every exit',
    `RestartSec=${span(config.retrySec)}`,
    'KillMode=control-group',
    `KillSignal=${killSignal(config.stopSignal)}`,
  );
  if (config.stopSec === 0) lines.push('# reraise: config_stop_sec=0 (SIGKILL at once) is 1ms: TimeoutStopSec=0 would wait for ever');
  lines.push(`TimeoutStopSec=${config.stopSec === 0 ? '1ms' : span(config.stopSec)}`);
  lines.push(
    `# reraise: config_log_size=${config.logSize}, config_log_keep=${config.logKeep}, config_log_stamp=${config.logStamp} have no counterpart:`
      + ' systemd appends to the log, never rotates it and stamps no line',
  );
  // perp's rc.log reads the service's output; here systemd writes that output itself (SPEC 15.8).
  if (source.rcLog) lines.push(`# reraise: ${source.rcLog} is not run: systemd writes the output itself, to the file below`);
  lines.push(
    `StandardOutput=append:${pathValue(source.logFile)}`,
    `StandardError=append:${pathValue(source.logFile)}`,
  );
  return lines;
}

/** Where each value comes from, for the error about one that no unit line can hold. */
function controlProblem(source: UnitSource): string | undefined {
  const values: [string, string][] = [
    ['the path of the service', source.file], ['its working directory', source.cwd], ['its log file', source.logFile],
    ...source.environment.map(([variable, value]): [string, string] => [variable, value]),
  ];
  for (const [what, value] of values) {
    const control = CONTROL.exec(value)?.[0];
    if (control !== undefined) return `${what} holds a control character (${JSON.stringify(control)}), which no unit line can hold: ${JSON.stringify(value)}`;
  }
  return undefined;
}

/** The unit of one service, or why it cannot be written. */
export function systemdUnit(source: UnitSource): Result<Unit> {
  const problem = controlProblem(source);
  if (problem) return fail(problem);
  const name = unitName(source.name);
  if (!name.ok) return name;
  const needs: string[] = [];
  for (const need of source.config.needs) {
    const unit = unitName(need);
    if (!unit.ok) return fail(`its need ${need}: ${unit.message}`);
    needs.push(unit.value);
  }
  const lines = [
    `${UNIT_HEADER}${name.value} from ${source.file}`,
    '# reraise: made from the service and its config lines; export it again rather than edit it: the next export replaces this file',
    ...unitSection(source, needs),
    '',
    ...serviceSection(source),
    '',
    '[Install]',
    'WantedBy=default.target',
  ];
  return ok({ name: name.value, text: `${lines.join('\n')}\n` });
}
