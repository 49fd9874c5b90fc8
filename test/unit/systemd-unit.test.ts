// The unit of `reraise export systemd` (SPEC 15.8): its name, what each config line becomes, and every value
// read back the way systemd reads it (systemd.syntax(7), systemd.service(5)) as it was.
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, parseConfig, type ServiceConfig } from '../../src/core/config.js';
import { isExportedUnit, systemdUnit, unitName, UNIT_HEADER, type UnitSource } from '../../src/core/systemd-unit.js';

const ENVIRONMENT: [string, string][] = [
  ['RERAISE_SERVICE', 'web'], ['RERAISE_DIR', '/home/me/reraise.d'], ['RERAISE_PIDDIR', '/var/tmp/reraise-1000'],
  ['RERAISE_LOGDIR', '/home/me/.local/state/reraise'], ['RERAISE_WANTDIR', '/home/me/.local/state/reraise/.want'],
  ['RERAISE_NODE', '/usr/bin/node'], ['PATH', '/usr/bin:/bin:/opt/reraise/bin'],
];

const WEB: UnitSource = {
  name: 'web', kind: 'script', file: '/home/me/reraise.d/web', cwd: '/home/me/reraise.d', config: DEFAULT_CONFIG,
  logFile: '/home/me/.local/state/reraise/web/current', environment: ENVIRONMENT,
};

function configOf(lines: string): ServiceConfig {
  const parsed = parseConfig(lines, 'web');
  expect(parsed.diagnostics).toEqual([]);
  return parsed.config;
}

function unitOf(source: Partial<UnitSource> = {}): string {
  const unit = systemdUnit({ ...WEB, ...source });
  if (!unit.ok) throw new Error(unit.message);
  return unit.value.text;
}

/** The values of KEY= lines, in order. */
function settings(text: string, key: string): string[] {
  return text.split('\n').filter((line) => line.startsWith(`${key}=`)).map((line) => line.slice(key.length + 1));
}

function setting(text: string, key: string): string {
  const values = settings(text, key);
  expect(values, key).toHaveLength(1);
  return values[0];
}

// ---------------------------------------------------------------------------------------------
// systemd's reader, as its manual says it reads these settings: what the tests hold the unit to.

/** `%%` is `%`; any other specifier would be expanded by systemd, so it must not be there. */
function unspecify(value: string): string {
  return value.replace(/%(.)/g, (_, ch: string) => {
    if (ch !== '%') throw new Error(`a specifier %${ch} in ${value}`);
    return '%';
  });
}

/** `$$` is `$`; a bare `$` would be a variable systemd substitutes in a command's arguments. */
function unsubstitute(value: string): string {
  return value.replace(/\$(.?)/g, (_, ch: string) => {
    if (ch !== '$') throw new Error(`a variable $${ch} in ${value}`);
    return '$';
  });
}

const ESCAPES: Readonly<Record<string, string>> = { '\\': '\\', '"': '"', "'": "'", n: '\n', t: '\t', s: ' ' };

/** Words split at whitespace, each quoted or not, C escapes undone (the QUOTING of systemd.syntax(7)). */
function words(value: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < value.length) {
    if (/\s/.test(value[i])) {
      i++;
      continue;
    }
    const quote = value[i] === '"' || value[i] === "'" ? value[i++] : undefined;
    let current = '';
    for (;;) {
      if (i >= value.length) {
        if (quote) throw new Error(`an unbalanced quote in ${value}`);
        break;
      }
      const ch = value[i++];
      if (quote ? ch === quote : /\s/.test(ch)) {
        if (quote && i < value.length && !/\s/.test(value[i])) throw new Error(`a closing quote not followed by a space in ${value}`);
        break;
      }
      if (ch !== '\\') {
        current += ch;
        continue;
      }
      const next = value[i++];
      if (next === 'x') {
        current += String.fromCharCode(parseInt(value.slice(i, i + 2), 16));
        i += 2;
      } else if (next in ESCAPES) {
        current += ESCAPES[next];
      } else {
        throw new Error(`an unknown escape \\${next} in ${value}`);
      }
    }
    out.push(current);
  }
  return out;
}

/** What runs: the program's path, then its arguments, through the /bin/sh that execs a path systemd refuses. */
function commandOf(value: string): string[] {
  const [program, ...args] = words(value);
  if (/["'\\]/.test(unspecify(program))) throw new Error(`systemd refuses the program ${program}`);
  const argv = [unspecify(program), ...args.map((arg) => unsubstitute(unspecify(arg)))];
  return argv[0] === '/bin/sh' && argv[1] === '-c' && argv[2] === 'exec "$0" "$@"' ? argv.slice(3) : argv;
}

/** A path taken as it is: trailing whitespace stripped by the parser, then simplified (a trailing / dropped). */
function pathOf(value: string): string {
  if (value.endsWith('\\')) throw new Error(`a trailing backslash joins the next line: ${value}`);
  const path = unspecify(value.trimEnd());
  return path.length > 1 ? path.replace(/\/$/, '') : path;
}

function environmentOf(text: string): [string, string][] {
  return settings(text, 'Environment').flatMap(words).map((assignment) => {
    const at = unspecify(assignment).indexOf('=');
    const plain = unspecify(assignment);
    return [plain.slice(0, at), plain.slice(at + 1)];
  });
}

// ---------------------------------------------------------------------------------------------

describe('unitName (SPEC 15.8)', () => {
  it.each<[string, string]>([
    ['web', 'reraise-web.service'],
    ['http-api', 'reraise-http-api.service'],
    ['a.b:c_d', 'reraise-a.b:c_d.service'],
    ['my app', 'reraise-my\\x20app.service'],
    ['tmpl@x', 'reraise-tmpl\\x40x.service'],
    ['100%', 'reraise-100\\x25.service'],
    ['back\\slash', 'reraise-back\\x5cslash.service'],
    ['"q\'', 'reraise-\\x22q\\x27.service'],
    ['café', 'reraise-caf\\xc3\\xa9.service'],
  ])('%j is %s', (service, name) => {
    expect(unitName(service)).toEqual({ ok: true, value: name });
  });

  it('refuses a unit name longer than 255 bytes, counting the escapes', () => {
    // 255 less `reraise-` and `.service`.
    expect(unitName('a'.repeat(239)).ok).toBe(true);
    expect(unitName('a'.repeat(240))).toEqual({ ok: false, message: expect.stringMatching(/longer than the 255 bytes systemd allows$/) });
    expect(unitName(' '.repeat(62)).ok).toBe(false);
  });
});

describe('systemdUnit: a script service with the defaults (SPEC 15.8)', () => {
  it('is this unit, comment for comment', () => {
    expect(unitOf().split('\n')).toEqual([
      `${UNIT_HEADER}reraise-web.service from /home/me/reraise.d/web`,
      '# reraise: made from the service and its config lines; export it again rather than edit it: the next export replaces this file',
      '[Unit]',
      'Description=web (reraise service)',
      '# reraise: config_max_retry=2, config_start_sec=10: systemd gives up when 3 starts fall within the interval, which runs that all last'
        + ' config_start_sec never do; reraise also gives up at once on a quick first run',
      'StartLimitBurst=3',
      'StartLimitIntervalSec=36',
      '# reraise: config_revive_sec=60 has no counterpart: a unit that gave up stays failed until it is started again',
      '',
      '[Service]',
      'Type=exec',
      'ExecStart="/home/me/reraise.d/web"',
      'WorkingDirectory=/home/me/reraise.d',
      'Environment="RERAISE_SERVICE=web"',
      'Environment="RERAISE_DIR=/home/me/reraise.d"',
      'Environment="RERAISE_PIDDIR=/var/tmp/reraise-1000"',
      'Environment="RERAISE_LOGDIR=/home/me/.local/state/reraise"',
      'Environment="RERAISE_WANTDIR=/home/me/.local/state/reraise/.want"',
      'Environment="RERAISE_NODE=/usr/bin/node"',
      'Environment="PATH=/usr/bin:/bin:/opt/reraise/bin"',
      'Restart=always',
      '# reraise: config_retry_sec=2: reraise waits 0, 1, 2, ... times this after quick exits in a row and not at all after a successful run;'
        + ' systemd waits this after every exit',
      'RestartSec=2',
      'KillMode=control-group',
      'KillSignal=SIGTERM',
      'TimeoutStopSec=10',
      '# reraise: config_log_size=1048576, config_log_keep=10, config_log_stamp=1 have no counterpart: systemd appends to the log,'
        + ' never rotates it and stamps no line',
      'StandardOutput=append:/home/me/.local/state/reraise/web/current',
      'StandardError=append:/home/me/.local/state/reraise/web/current',
      '',
      '[Install]',
      'WantedBy=default.target',
      '',
    ]);
  });

  it('starts with the header that tells an exported unit from a file of the user\'s', () => {
    expect(isExportedUnit(unitOf())).toBe(true);
    expect(isExportedUnit('[Unit]\nDescription=mine\n')).toBe(false);
    expect(isExportedUnit(`\n${unitOf()}`)).toBe(false);
  });
});

describe('systemdUnit: each config line (SPEC 15.8)', () => {
  it.each<[string, string, Record<string, string[]>]>([
    ['the retry policy', 'config_max_retry=5\nconfig_retry_sec=0.5\nconfig_start_sec=3', {
      StartLimitBurst: ['6'], StartLimitIntervalSec: ['21'], RestartSec: ['0.5'], Restart: ['always'],
    }],
    ['no retries', 'config_max_retry=0', { StartLimitBurst: ['1'], StartLimitIntervalSec: ['12'] }],
    ['a run that is always a success: no limit', 'config_start_sec=0\nconfig_retry_sec=0', {
      StartLimitIntervalSec: ['0'], RestartSec: ['0'],
    }],
    ['seconds to the microsecond', 'config_stop_sec=0.0000004\nconfig_retry_sec=1.25', { TimeoutStopSec: ['0'], RestartSec: ['1.25'] }],
    ['the stop', 'config_stop_sec=30\nconfig_stop_signal=INT', { TimeoutStopSec: ['30'], KillSignal: ['SIGINT'], KillMode: ['control-group'] }],
    ['a stop signal by number', 'config_stop_signal=1', { KillSignal: ['SIGHUP'] }],
    ['SIGKILL at once', 'config_stop_sec=0', { TimeoutStopSec: ['1ms'] }],
    ['needs', 'config_needs="db cache"', {
      Requires: ['reraise-db.service reraise-cache.service'], After: ['reraise-db.service reraise-cache.service'],
    }],
    ['a need whose name is escaped', 'config_needs="my\\db"', { Requires: ['reraise-my\\x5cdb.service'] }],
    ['no needs', '', { Requires: [], After: [], Wants: [] }],
    ['a port to wait for', 'config_ready_port=8080\nconfig_ready_sec=5', { TimeoutStartSec: ['5'], Type: ['exec'] }],
    ['readiness by descriptor: nothing systemd can wait for', 'config_ready_fd=3', {
      Type: ['exec'], ExecStartPost: [], TimeoutStartSec: [],
    }],
    ['readiness by log line', 'config_ready_log="listening on"', { ExecStartPost: [], TimeoutStartSec: [] }],
    ['no readiness', '', { ExecStartPost: [], TimeoutStartSec: [] }],
  ])('%s', (_what, lines, expected) => {
    const text = unitOf({ config: configOf(lines) });
    for (const [key, values] of Object.entries(expected)) expect(settings(text, key), key).toEqual(values);
  });

  it.each<[string, string, RegExp]>([
    ['config_ready_fd', 'config_ready_fd=3', /^# reraise: config_ready_fd=3 has no counterpart: a newline on a descriptor is not systemd's READY=1 on \$NOTIFY_SOCKET, so Type=notify would wait for ever/m],
    ['config_ready_log', 'config_ready_log="up and running"', /^# reraise: config_ready_log="up and running" has no counterpart: systemd cannot wait for a line of a file/m],
    ['config_ready_sec beside a rule systemd cannot wait for', 'config_ready_fd=4\nconfig_ready_sec=7', /^# reraise: config_ready_fd=4 .*; the unit is started once its program runs, and config_ready_sec=7 plays no part$/m],
    ['config_check_sec', 'config_ready_port=80\nconfig_check_sec=5\nconfig_check_fail=2', /^# reraise: config_check_sec=5, config_check_fail=2 have no counterpart: WatchdogSec= needs the service itself to send WATCHDOG=1$/m],
    ['config_ready_url', 'config_ready_url=http://127.0.0.1:8080/health', /^# reraise: config_ready_url=http:\/\/127.0.0.1:8080\/health: the unit is started once this probe passes, .* does not look up who answered \(SPEC 14.1\)\nExecStartPost=/m],
    ['config_needs', 'config_needs=db', /^# reraise: config_needs=db: starting this unit starts them first .* stopping one of them stops this unit too\nRequires=/m],
    ['config_log_stamp', 'config_log_stamp=1\nconfig_log_keep=0\nconfig_log_size=2M', /^# reraise: config_log_size=2097152, config_log_keep=0, config_log_stamp=1 have no counterpart/m],
    ['config_revive_sec', 'config_revive_sec=300', /^# reraise: config_revive_sec=300 has no counterpart/m],
    ['config_stop_sec=0', 'config_stop_sec=0', /^# reraise: config_stop_sec=0 \(SIGKILL at once\) is 1ms: TimeoutStopSec=0 would wait for ever\nTimeoutStopSec=1ms$/m],
  ])('says what does not map of %s, above the line it is about', (_key, lines, said) => {
    expect(unitOf({ config: configOf(lines) })).toMatch(said);
  });

  it('a port is probed with a TCP connect every 0.25 s', () => {
    const probe = commandOf(setting(unitOf({ config: configOf('config_ready_port=8080') }), 'ExecStartPost'));
    expect(probe).toEqual(['/bin/bash', '-c', 'until (exec 3<>"/dev/tcp/127.0.0.1/$0") 2>/dev/null; do sleep 0.25; done', '8080']);
  });

  it.each<[string, string[]]>([
    ['http://127.0.0.1:8080/health?x=%20', ['127.0.0.1', '8080', '/health?x=%20', '127.0.0.1:8080']],
    ['http://localhost/', ['localhost', '80', '/', 'localhost:80']],
    ['http://[::1]:9000/$HOME', ['::1', '9000', '/$HOME', '[::1]:9000']],
  ])('a url %s is asked with GET, its parts as arguments the script never reads as code', (url, args) => {
    const probe = commandOf(setting(unitOf({ config: configOf(`config_ready_url=${url}`) }), 'ExecStartPost'));
    expect(probe.slice(0, 2)).toEqual(['/bin/bash', '-c']);
    expect(probe[2]).toContain('GET %s HTTP/1.0\\r\\nHost: %s\\r\\n');
    expect(probe[2]).toContain('[[ $code == [23][0-9][0-9] ]]');
    expect(probe.slice(3)).toEqual(args);
  });
});

describe('systemdUnit: a perp-style service (SPEC 8, 15.8)', () => {
  const perp: Partial<UnitSource> = {
    name: 'db', kind: 'perp', file: '/home/me/reraise.d/db/rc.main', cwd: '/home/me/reraise.d/db',
    rcLog: '/home/me/reraise.d/db/rc.log', logFile: '/home/me/.local/state/reraise/db/current',
  };

  it('runs rc.main start NAME in its directory, and rc.main reset after every exit', () => {
    const text = unitOf(perp);
    expect(commandOf(setting(text, 'ExecStart'))).toEqual(['/home/me/reraise.d/db/rc.main', 'start', 'db']);
    expect(pathOf(setting(text, 'WorkingDirectory'))).toBe('/home/me/reraise.d/db');
    const reset = commandOf(setting(text, 'ExecStopPost'));
    expect(reset.slice(0, 2)).toEqual(['/bin/sh', '-c']);
    expect(reset.slice(3)).toEqual(['/home/me/reraise.d/db/rc.main', 'db']);
    expect(reset[2]).toContain('exited) exec "$0" reset "$1" exit "$EXIT_STATUS";;');
    expect(reset[2]).toContain('exec "$0" reset "$1" signal "$n" "SIG$EXIT_STATUS";;');
  });

  it('says that its rc.log is not run', () => {
    expect(unitOf(perp)).toMatch(/^# reraise: \/home\/me\/reraise.d\/db\/rc.log is not run: systemd writes the output itself, to the file below\nStandardOutput=/m);
    expect(unitOf({ ...perp, rcLog: undefined })).not.toMatch(/rc.log/);
  });

  it('a script service has no reset', () => {
    expect(settings(unitOf(), 'ExecStopPost')).toEqual([]);
  });
});

/** Names and paths with every character systemd reads in a way of its own. */
const HOSTILE = ['my app', '100%', '%n%%', '$HOME', '${X}$$', 'a\\b', 'say "hi"', "it's", '; x', '#hash', 'tab\u00a0nbsp', 'café', '\\x41', 'end\\'];

describe('systemdUnit: values read back as they were (SPEC 15.8)', () => {
  it.each(HOSTILE)('a script %j: its path, its working directory, its log file, its environment', (name) => {
    const dir = `/home/${name}/d ir`;
    const file = `${dir}/${name}`;
    const logFile = `/home/${name}/log/${name}/current`;
    const environment: [string, string][] = [['RERAISE_SERVICE', name], ['RERAISE_DIR', dir], ['PATH', `/x/${name}:/bin`]];
    const text = unitOf({ name, file, cwd: dir, logFile, environment });
    expect(commandOf(setting(text, 'ExecStart'))).toEqual([file]);
    expect(pathOf(setting(text, 'WorkingDirectory'))).toBe(dir);
    expect(pathOf(setting(text, 'StandardOutput').replace(/^append:/, ''))).toBe(logFile);
    expect(pathOf(setting(text, 'StandardError').replace(/^append:/, ''))).toBe(logFile);
    expect(environmentOf(text)).toEqual(environment);
    expect(unspecify(setting(text, 'Description'))).toBe(`${name} (reraise service)`);
    // No line but a comment may end in a backslash: it would join the next one.
    expect(text.split('\n').filter((line) => !line.startsWith('#') && line.endsWith('\\'))).toEqual([]);
  });

  it.each(HOSTILE)('a perp service %j: rc.main start NAME, and its reset', (name) => {
    const cwd = `/srv/${name}`;
    const text = unitOf({ name, kind: 'perp', file: `${cwd}/rc.main`, cwd });
    expect(commandOf(setting(text, 'ExecStart'))).toEqual([`${cwd}/rc.main`, 'start', name]);
    expect(commandOf(setting(text, 'ExecStopPost')).slice(3)).toEqual([`${cwd}/rc.main`, name]);
  });

  it('a program systemd would refuse to run (a quote or a backslash in its path) goes through sh, which execs it', () => {
    const text = unitOf({ file: '/home/o\'brien/web' });
    expect(setting(text, 'ExecStart')).toBe('"/bin/sh" "-c" "exec \\"$$0\\" \\"$$@\\"" "/home/o\'brien/web"');
    expect(commandOf(setting(text, 'ExecStart'))).toEqual(['/home/o\'brien/web']);
    expect(setting(unitOf({ file: '/home/me/$web' }), 'ExecStart')).toBe('"/home/me/$web"');
  });

  it('a working directory that ends in a space or a backslash keeps it', () => {
    expect(setting(unitOf({ cwd: '/srv/a ' }), 'WorkingDirectory')).toBe('/srv/a /');
    expect(setting(unitOf({ cwd: '/srv/a\\' }), 'WorkingDirectory')).toBe('/srv/a\\/');
    expect(setting(unitOf({ cwd: '/srv/a' }), 'WorkingDirectory')).toBe('/srv/a');
  });

  it.each<[string, Partial<UnitSource>, RegExp]>([
    ['a newline in the path', { file: '/home/me/a\nb' }, /^the path of the service holds a control character \("\\n"\), which no unit line can hold: "\/home\/me\/a\\nb"$/],
    ['a carriage return in the directory', { cwd: '/srv/a\rb' }, /^its working directory holds a control character \("\\r"\)/],
    ['a tab in the log file', { logFile: '/l/\t/current' }, /^its log file holds a control character/],
    ['an escape in PATH', { environment: [['PATH', '/bin:\u001b[31m']] }, /^PATH holds a control character \("\\u001b"\)/],
  ])('refuses %s, naming where it comes from', (_what, source, message) => {
    const unit = systemdUnit({ ...WEB, ...source });
    expect(unit.ok).toBe(false);
    if (!unit.ok) expect(unit.message).toMatch(message);
  });
});
