// The status panel as text and as JSON, from derived statuses: no processes, no files (SPEC 6 `status`).
import { describe, expect, it } from 'vitest';
import type { ServiceStatus } from '../../src/core/status.js';
import { painter } from '../../src/core/colour.js';
import { renderStatusLines, statusJson, statusNote, type StatusRow } from '../../src/cli/commands/status.js';

const NOW = 1_700_000_000;
const NO_FLAGS = { paused: false, once: false, flapping: false, unhealthy: false, wanted: 'none' as const };
const row = (name: string, status: Partial<ServiceStatus> & Pick<ServiceStatus, 'state'>): StatusRow =>
  ({ name, status: { ...NO_FLAGS, ...status } });

/** A run using 0.3% of a core since a minute ago, 12.3 MiB in 3 processes, its worker 40 MiB. */
const USAGE = {
  cpu: { percent: 0.3, since: NOW - 60 }, group: { ticks: 1234, rssBytes: Math.round(12.3 * 1024 * 1024), processes: 3 }, workerRss: 40 * 1024 * 1024,
};

const running = (name: string, over: Partial<ServiceStatus> = {}): StatusRow =>
  row(name, { state: 'running', pid: 4242, workerPid: 4241, since: NOW - 312, restarts: 0, ...over });

/** The cells of a rendered line, split on the column starts of the header. */
function cellsOf(lines: string[], index: number): Record<string, string> {
  const header = lines[0];
  const names = header.split(/ +/);
  const starts = names.map((n) => header.indexOf(n === 'NAME' ? 'NAME' : ` ${n}`) + (n === 'NAME' ? 0 : 1));
  const line = lines[index];
  return Object.fromEntries(names.map((n, i) => [n, line.slice(starts[i], i + 1 < names.length ? starts[i + 1] : undefined).trim()]));
}

describe('renderStatusLines', () => {
  it('prints a header, then one line a service that starts with the name and the state word', () => {
    const lines = renderStatusLines([running('web'), row('api', { state: 'down' })], NOW);
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^NAME +STATE +PID +WORKER +UP +RESTART +EXIT +FLAGS +CPU +MEM$/);
    expect(lines[1]).toMatch(/^web +running /);
    expect(lines[2]).toMatch(/^api +not running /);
  });

  it('prints nothing at all when there is no service', () => {
    expect(renderStatusLines([], NOW)).toEqual([]);
  });

  it('fills every column of a running service and shows - in empty cells', () => {
    const lines = renderStatusLines([running('web', { restarts: 3 }), row('idle', { state: 'down' })], NOW);
    expect(cellsOf(lines, 1)).toEqual({
      NAME: 'web', STATE: 'running', PID: '4242', WORKER: '4241', UP: '5m12s', RESTART: '3', EXIT: '-', FLAGS: '-', CPU: '-', MEM: '-',
    });
    expect(cellsOf(lines, 2)).toEqual({
      NAME: 'idle', STATE: 'not running', PID: '-', WORKER: '-', UP: '-', RESTART: '-', EXIT: '-', FLAGS: '-', CPU: '-', MEM: '-',
    });
  });

  it.each<[string, Partial<ServiceStatus>, string]>([
    ['an exit code', { exitCode: 1 }, '1'],
    ['exit code 0', { exitCode: 0 }, '0'],
    ['a death by signal, by its name', { exitCode: 137, signal: 'KILL' }, 'SIGKILL'],
    ['no exit known', {}, '-'],
  ])('EXIT shows %s', (_, exit, shown) => {
    expect(cellsOf(renderStatusLines([running('web', exit)], NOW), 1).EXIT).toBe(shown);
  });

  it.each<[Partial<ServiceStatus>, string]>([
    [{}, '-'],
    [{ paused: true }, 'paused'],
    [{ once: true }, 'once'],
    [{ flapping: true }, 'flapping'],
    [{ once: true, flapping: true }, 'once,flapping'],
    [{ paused: true, once: true, flapping: true }, 'paused,once,flapping'],
  ])('FLAGS of %o: %s', (flags, shown) => {
    expect(cellsOf(renderStatusLines([running('web', flags)], NOW), 1).FLAGS).toBe(shown);
  });

  it.each<[string, StatusRow, RegExp]>([
    ['orphaned: how to stop it', row('web', { state: 'orphaned', pid: 4242, since: NOW - 60 }), /worker gone: reraise stop web$/],
    ['stale: how to clean it', row('web', { state: 'stale', since: NOW - 60, note: 'pid file left, no worker' }),
      /pid file left, no worker: reraise clean removes it$/],
    ['not executable: why', row('web', { state: 'not-executable', note: 'not executable (/s/web)' }), /not executable \(\/s\/web\)$/],
    ['restarting: when the next try is', row('web', { state: 'restarting', workerPid: 7, exitCode: 1, next: NOW + 2 }),
      /next try in 2s$/],
    ['restarting, next try due', row('web', { state: 'restarting', workerPid: 7, exitCode: 1, next: NOW - 1 }), /next try now$/],
    ['ERROR: when it gave up', row('web', { state: 'error', exitCode: 2, since: NOW - 100 }),
      /gave up at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \(1m40s ago\)$/],
  ])('NOTE for %s', (_, given, note) => {
    const lines = renderStatusLines([given], NOW);
    expect(lines[0]).toMatch(/ FLAGS +CPU +MEM +NOTE$/);
    expect(lines[1]).toMatch(note);
    expect(lines[1].indexOf(note.exec(lines[1])![0])).toBe(lines[0].indexOf('NOTE'));
  });

  it.each<[ServiceStatus['state'], string]>([
    ['running', 'running'], ['starting', 'starting'], ['restarting', 'restarting'], ['error', 'ERROR'],
    ['down', 'not running'], ['not-executable', 'not executable'], ['stale', 'stale'], ['orphaned', 'orphaned'],
  ])('keeps the state word of %s: %s', (state, word) => {
    const [, line] = renderStatusLines([row('svc', { state })], NOW);
    expect(line).toMatch(new RegExp(`^svc\\s+${word}(\\s|$)`));
  });

  it('no NOTE header and no trailing blanks when no line has a note', () => {
    const lines = renderStatusLines([running('web'), row('x', { state: 'starting', workerPid: 9 })], NOW);
    expect(lines[0]).not.toContain('NOTE');
    for (const line of lines) expect(line).toBe(line.trimEnd());
  });

  it('lines up every column under its header, the NAME column as wide as the longest name', () => {
    const lines = renderStatusLines([
      running('a'),
      running('a-much-longer-name', { pid: 1234567, workerPid: 1234566, restarts: 12, flapping: true }),
      row('mid-name', { state: 'restarting', workerPid: 99, exitCode: 137, signal: 'KILL', restarts: 1, next: NOW + 4 }),
    ], NOW);
    const starts = (line: string): number[] => [...line.matchAll(/(?<=^| )\S/g)].map((m) => m.index!);
    const columns = starts(lines[0]);
    expect(lines[2].slice(0, columns[1])).toMatch(/^a-much-longer-name {1,2}$/);
    expect(starts(lines[2]).slice(0, 8)).toEqual(columns.slice(0, 8));
    for (const line of lines.slice(1)) {
      for (const col of columns.slice(1, 8)) expect(line[col - 1]).toBe(' ');
    }
    expect(cellsOf(lines, 3)).toMatchObject({ STATE: 'restarting', PID: '-', WORKER: '99', EXIT: 'SIGKILL' });
  });

  it('puts two spaces between columns when they fit in 80, else one', () => {
    expect(renderStatusLines([{ ...running('web'), usage: USAGE }], NOW)).toEqual([
      'NAME  STATE    PID   WORKER  UP     RESTART  EXIT  FLAGS  CPU   MEM',
      'web   running  4242  4241    5m12s  0        -     -      0.3%  12.3M',
    ]);
    const wide = renderStatusLines([running('abcdefghij-klmnopqrs', { pid: 1234567, workerPid: 1234566, once: true, flapping: true })], NOW);
    expect(wide[1]).toBe('abcdefghij-klmnopqrs running 1234567 1234566 5m12s 0       -    once,flapping -   -');
  });

  // The issue: 80 columns suffice for names up to 20 characters, every column of 1.0 at its widest
  // included. CPU and MEM come after them (SPEC 15.1), and the NOTE, the want's included, is free text.
  describe('fits 80 columns with a 20-character name', () => {
    const name = 'abcdefghij-klmnopqrs';
    const cases: [string, StatusRow][] = [];
    for (const pid of [12345, 1234567]) {
      for (const flags of [{ paused: true }, { once: true, flapping: true }]) {
        const exits: Partial<ServiceStatus>[] = [{}, { exitCode: 1 }, { exitCode: 143 }];
        exits.push({ exitCode: 137, signal: 'KILL' });
        for (const exit of exits) {
          for (const wanted of ['none', 'up', 'down'] as const) {
            const label = `pid ${pid}, ${Object.keys(flags).join(',')}, exit ${JSON.stringify(exit)}, wanted ${wanted}`;
            cases.push([`running, ${label}`,
              running(name, { pid, workerPid: pid + 1, since: NOW - 3 * 3600 - 42 * 60, restarts: 12, wanted, ...flags, ...exit })]);
            cases.push([`restarting, ${label}`,
              row(name, { state: 'restarting', workerPid: pid + 1, since: NOW, restarts: 2, next: NOW + 2, wanted, ...flags, ...exit })]);
          }
        }
      }
    }
    it.each(cases)('%s', (_, given) => {
      const lines = renderStatusLines([given], NOW);
      const note = statusNote(name, given.status, NOW);
      expect(lines[1].startsWith(`${name} `)).toBe(true);
      if (note) expect(lines[1].endsWith(` ${note}`)).toBe(true);
      const cpuAt = lines[0].indexOf(' CPU');
      for (const line of lines) expect(line.slice(0, cpuAt).trimEnd().length, line).toBeLessThanOrEqual(80);
    });
  });
});

describe('readiness and health in the panel (SPEC 14)', () => {
  it.each<[string, Partial<ServiceStatus> & Pick<ServiceStatus, 'state'>, string | undefined, string, Record<string, unknown>]>([
    ['a run not ready yet', { state: 'starting', pid: 5, workerPid: 4, since: NOW - 12, ready: false }, 'not ready yet (12s)', '-',
      { ready: false, health: null }],
    ['a ready run', { state: 'running', pid: 5, workerPid: 4, since: NOW - 12, ready: true }, undefined, '-', { ready: true, health: 'ok' }],
    ['an unhealthy run', { state: 'running', pid: 5, workerPid: 4, since: NOW - 12, ready: true, unhealthy: true, failedChecks: 2, lastCheck: 'refused' },
      'check failed 2 in a row: refused', 'unhealthy', { ready: true, health: 'unhealthy', failedChecks: 2, lastCheck: 'refused' }],
    ['a run without a rule', { state: 'running', pid: 5, workerPid: 4, since: NOW - 12 }, undefined, '-', { ready: null, health: null, failedChecks: 0 }],
  ])('%s', (_, status, note, flags, json) => {
    const r = row('web', status);
    expect(statusNote('web', r.status, NOW)).toBe(note);
    expect(cellsOf(renderStatusLines([r], NOW), 1).FLAGS).toBe(flags);
    expect(statusJson({ ...r, stored: { kind: 'none' } }, NOW)).toMatchObject(json);
  });
});

describe('statusJson', () => {
  const stored = { kind: 'record' as const, text: 'RUN - 4242 4241 1699999688 restarts=0 once=1\n', record: {} as never };

  it('carries every field, with null for what is unknown', () => {
    const json = statusJson({ ...running('web', { once: true, exitCode: 1 }), entry: { kind: 'script' }, stored }, NOW);
    expect(json).toEqual({
      name: 'web', kind: 'script', state: 'running', text: 'running', pid: 4242, workerPid: 4241, since: NOW - 312,
      uptime: 312, restarts: 0, exitCode: 1, signal: null, paused: false, once: true, flapping: false, next: null,
      ready: null, health: null, failedChecks: 0, lastCheck: null,
      wanted: 'none', nextRevival: null, note: null, pidFile: 'RUN - 4242 4241 1699999688 restarts=0 once=1',
      cpu: null, cpuSince: null, rss: null, processes: null, workerRss: null,
    });
  });

  it('carries what the run costs (SPEC 15.1)', () => {
    const json = statusJson({ ...running('web'), usage: USAGE, entry: { kind: 'script' }, stored }, NOW);
    expect(json).toMatchObject({ cpu: 0.3, cpuSince: NOW - 60, rss: USAGE.group.rssBytes, processes: 3, workerRss: 40 * 1024 * 1024 });
  });

  it('gives the note of the panel and the signal of the last exit', () => {
    const json = statusJson({
      ...row('gone', { state: 'stale', since: NOW - 5, exitCode: 137, signal: 'KILL', note: 'pid file left, no worker' }),
      stored: { kind: 'none' },
    }, NOW);
    expect(json).toMatchObject({
      kind: null, state: 'stale', text: 'stale', uptime: null, exitCode: 137, signal: 'KILL',
      note: 'pid file left, no worker: reraise clean removes it', pidFile: null, paused: false,
    });
  });

  it('carries the want, and when an ERROR wanted up is revived', () => {
    const json = statusJson({
      ...row('web', { state: 'error', exitCode: 1, since: NOW - 100, wanted: 'up', nextRevival: NOW + 240 }),
      stored: { kind: 'none' },
    }, NOW);
    expect(json).toMatchObject({ state: 'error', wanted: 'up', nextRevival: NOW + 240 });
    expect(json.note).toMatch(/ago\); wanted: up: next revival in 4m$/);
  });

  it.each<ServiceStatus['wanted']>(['none', 'up', 'down'])('wanted %s, and no next revival outside ERROR', (wanted) => {
    const json = statusJson({ ...running('web', { wanted }), stored: { kind: 'none' } }, NOW);
    expect(json).toMatchObject({ wanted, nextRevival: null });
  });
});

describe('the want in NOTE (SPEC 11)', () => {
  const states: Record<string, Partial<ServiceStatus> & Pick<ServiceStatus, 'state'>> = {
    running: { state: 'running', pid: 4242, workerPid: 4241, since: NOW - 60 },
    starting: { state: 'starting', workerPid: 4241, since: NOW },
    restarting: { state: 'restarting', workerPid: 4241, next: NOW + 2 },
    orphaned: { state: 'orphaned', pid: 4242, since: NOW - 60 },
    down: { state: 'down' },
    stale: { state: 'stale', since: NOW - 60, note: 'pid file left, no worker' },
    error: { state: 'error', exitCode: 2, since: NOW - 100 },
    unknown: { state: 'unknown', workerPid: 300, note: 'worker pid 300 runs, but its pid file is missing' },
    'not-executable': { state: 'not-executable', note: 'not executable' },
  };

  // Where state and want disagree, the NOTE ends with the want and what comes of it; where they agree, nothing is added.
  it.each<[string, Partial<ServiceStatus>, string | undefined]>([
    ['running', { wanted: 'up' }, undefined],
    ['running', { wanted: 'down' }, 'wanted: down, but running'],
    ['starting', { wanted: 'up' }, undefined],
    ['starting', { wanted: 'down' }, 'wanted: down, but running'],
    ['restarting', { wanted: 'up' }, undefined],
    ['restarting', { wanted: 'down' }, 'wanted: down, but running'],
    ['orphaned', { wanted: 'up' }, 'wanted: up: reraise revive takes it over'],
    ['orphaned', { wanted: 'down' }, 'wanted: down, but running'],
    ['down', { wanted: 'up' }, 'wanted: up, not running: reraise revive starts it'],
    ['down', { wanted: 'down' }, undefined],
    ['stale', { wanted: 'up' }, 'wanted: up, not running: reraise revive starts it'],
    ['stale', { wanted: 'down' }, undefined],
    ['error', { wanted: 'up', nextRevival: NOW + 240 }, 'wanted: up: next revival in 4m'],
    ['error', { wanted: 'up', nextRevival: NOW + 3599 }, 'wanted: up: next revival in 59m59s'],
    ['error', { wanted: 'up', nextRevival: NOW + 1 }, 'wanted: up: next revival in 1s'],
    ['error', { wanted: 'up', nextRevival: NOW }, 'wanted: up: revival due'],
    ['error', { wanted: 'up', nextRevival: NOW - 30 }, 'wanted: up: revival due'],
    ['error', { wanted: 'up' }, 'wanted: up'],
    ['error', { wanted: 'down' }, undefined],
    ['unknown', { wanted: 'up' }, undefined],
    ['unknown', { wanted: 'down' }, 'wanted: down, but running'],
    ['not-executable', { wanted: 'up' }, 'wanted: up, but it cannot run'],
    ['not-executable', { wanted: 'down' }, undefined],
    ...Object.keys(states).map((state) => [state, { wanted: 'none' }, undefined] as [string, Partial<ServiceStatus>, undefined]),
  ])('%s, %j: %s', (state, want, wantNote) => {
    const status = { ...NO_FLAGS, ...states[state] } as ServiceStatus;
    const alone = statusNote('web', status, NOW);
    const note = statusNote('web', { ...status, ...want }, NOW);
    expect(note).toBe([alone, wantNote].filter((part) => part !== undefined).join('; ') || undefined);
    // The panel shows it in NOTE, after the state's own words; where they agree, the line is as it was.
    const lines = renderStatusLines([row('web', { ...states[state], ...want })], NOW);
    if (wantNote === undefined) expect(lines).toEqual(renderStatusLines([row('web', states[state])], NOW));
    if (note === undefined) expect(lines[0]).not.toContain('NOTE');
    else expect(lines[1].slice(lines[0].indexOf('NOTE'))).toBe(note);
  });

  it('a want whose script is gone: revive drops it, unless something of the service still runs', () => {
    const gone = (state: string, wanted: 'up' | 'down'): string | undefined =>
      renderStatusLines([{ ...row('web', { ...states[state], wanted }), entry: undefined }], NOW)[1].split(/ {2,}| (?=wanted)/).find((c) => c.includes('wanted'));
    expect(gone('down', 'up')).toBe('wanted: up, but its script is gone: reraise revive drops the want');
    expect(gone('stale', 'up')).toContain('wanted: up, but its script is gone: reraise revive drops the want');
    expect(gone('orphaned', 'up')).toBeUndefined();
    expect(gone('running', 'down')).toBe('wanted: down, but running');
  });

  it('joins the state\'s note and the want\'s with "; "', () => {
    expect(statusNote('web', { ...NO_FLAGS, ...states.orphaned, wanted: 'up' } as ServiceStatus, NOW))
      .toBe('worker gone: reraise stop web; wanted: up: reraise revive takes it over');
    expect(statusNote('web', { ...NO_FLAGS, ...states.restarting, wanted: 'down' } as ServiceStatus, NOW))
      .toBe('next try in 2s; wanted: down, but running');
  });
});

describe('renderStatusLines in colour (SPEC 15.4)', () => {
  const rows = [
    running('web', { unhealthy: true, paused: true }),
    row('api', { state: 'error', exitCode: 1, since: NOW - 60 }),
    row('db', { state: 'down' }),
  ];
  const plain = renderStatusLines(rows, NOW);
  const coloured = renderStatusLines(rows, NOW, painter(true));

  it('is the plain panel once the codes are taken out: the columns stay where they were', () => {
    expect(coloured.map((line) => line.replace(/\x1b\[[0-9;]*m/g, ''))).toEqual(plain);
  });

  it('colours the state and the flags that mean trouble, nothing else', () => {
    expect(coloured[0]).toBe(plain[0]);
    expect(coloured[1]).toContain('\x1b[32mrunning\x1b[0m');
    expect(coloured[1]).toContain('paused,\x1b[33munhealthy\x1b[0m');
    expect(coloured[2]).toContain('\x1b[31mERROR\x1b[0m');
    expect(coloured[3]).toBe(plain[3]);
    expect(coloured.join('\n').match(/\x1b\[3/g)).toHaveLength(3);
  });
});
