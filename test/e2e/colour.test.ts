// Colours only on a terminal, NO_COLOR and --no-color off, FORCE_COLOR on; grep keeps working (SPEC 15.4).
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { RERAISE, sandbox, type Sandbox } from './sandbox.js';
import { hasTmux, openTerminal, type Terminal } from './terminal.js';

const ESC = '\x1b[';
const GREEN_RUNNING = '\x1b[32mrunning\x1b[0m';

let terminals: Terminal[] = [];
afterEach(async () => {
  await Promise.all(terminals.map((t) => t.close()));
  terminals = [];
});

async function withWeb(): Promise<Sandbox> {
  const box = sandbox();
  box.script('web', 'config_start_sec=0.2\nexec sleep 1000\n');
  expect((await box.reraise('start', '--wait', 'web')).exitCode).toBe(0);
  return box;
}

const statusWith = (box: Sandbox, env: Record<string, string>, ...args: string[]) =>
  execa(RERAISE, ['status', ...args], { env: { ...box.env, ...env }, reject: false, stdin: 'ignore' });

describe('colours (SPEC 15.4)', () => {
  it('none into a pipe, so that grep and awk read the panel as before', async () => {
    const box = await withWeb();
    const piped = await box.reraise('status', 'web');
    expect(piped.stdout).not.toContain(ESC);
    expect(piped.stdout).toMatch(/^web +running /m);
    await box.reraise('stop', 'web');
  });

  it('FORCE_COLOR turns them on into a pipe; --no-color wins over it; FORCE_COLOR=0 is off', async () => {
    const box = await withWeb();
    expect((await statusWith(box, { FORCE_COLOR: '1' }, 'web')).stdout).toContain(GREEN_RUNNING);
    expect((await statusWith(box, { FORCE_COLOR: '1' }, '--no-color', 'web')).stdout).not.toContain(ESC);
    expect((await statusWith(box, { FORCE_COLOR: '0' }, 'web')).stdout).not.toContain(ESC);
    expect((await statusWith(box, {}, '--color', 'web')).stdout).toContain(GREEN_RUNNING);
    // --json is for programs: never coloured.
    expect((await statusWith(box, { FORCE_COLOR: '1' }, '--json', 'web')).stdout).not.toContain(ESC);
    await box.reraise('stop', 'web');
  });

  it.skipIf(!hasTmux)('on a real terminal: running is green; NO_COLOR and --no-color turn it off', async () => {
    const box = await withWeb();
    const seen = async (env: Record<string, string>, ...args: string[]): Promise<string> => {
      const terminal = await openTerminal(`${RERAISE} status ${args.join(' ')} web`, { ...box.env, ...env });
      terminals.push(terminal);
      return terminal.waitForScreen('the panel', (s) => /^web +/m.test(s.replace(/\x1b\[[0-9;]*m/g, '')), 10_000, true);
    };
    expect(await seen({})).toMatch(/\x1b\[32mrunning/);
    expect(await seen({ NO_COLOR: '1' })).not.toMatch(/\x1b\[32m/);
    expect(await seen({}, '--no-color')).not.toMatch(/\x1b\[32m/);
    expect(await seen({ TERM: 'dumb' })).not.toMatch(/\x1b\[32m/);
    await box.reraise('stop', 'web');
  });
});
