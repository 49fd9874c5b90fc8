// When output is coloured, and how: states the way users read them, and one colour a service (SPEC 15.4).

export type Colour = 'red' | 'green' | 'yellow' | 'blue' | 'magenta' | 'cyan';

const CODES: Readonly<Record<Colour, string>> = {
  red: '31', green: '32', yellow: '33', blue: '34', magenta: '35', cyan: '36',
};

/** What decides colour: the --color/--no-color flag if given, the environment, the terminal. */
export interface ColourInputs {
  flag: boolean | undefined;
  env: Readonly<Record<string, string | undefined>>;
  isTTY: boolean;
}

/**
 * The flag first; then FORCE_COLOR (`0` or `false` turns colour off, anything else on), which
 * wins over NO_COLOR as it does for Node itself; then NO_COLOR (any value but the empty one);
 * else a terminal that is not `dumb`.
 */
export function wantsColour({ flag, env, isTTY }: ColourInputs): boolean {
  if (flag !== undefined) return flag;
  const force = env.FORCE_COLOR;
  if (force !== undefined) return force !== '0' && force !== 'false';
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return isTTY && env.TERM !== 'dumb';
}

export function paint(colour: Colour, text: string): string {
  return `\x1b[${CODES[colour]}m${text}\x1b[0m`;
}

/** A paint that does nothing when colour is off, so callers need not ask. */
export type Painter = (colour: Colour | undefined, text: string) => string;

export function painter(on: boolean): Painter {
  return (colour, text) => (on && colour !== undefined && text !== '' ? paint(colour, text) : text);
}

/** The colour of a state word of status (SPEC 6): green runs, red has given up, yellow needs a look. */
export function stateColour(state: string): Colour | undefined {
  switch (state) {
    case 'running': return 'green';
    case 'error': case 'not-executable': return 'red';
    case 'orphaned': case 'stale': case 'unknown': case 'restarting': return 'yellow';
    case 'starting': case 'waiting': return 'cyan';
    default: return undefined;
  }
}

/** FLAGS that mean trouble: `unhealthy` and `flapping` are yellow; `paused` and `once` are plain. */
export function flagColour(flag: string): Colour | undefined {
  return flag === 'unhealthy' || flag === 'flapping' ? 'yellow' : undefined;
}

const SERVICE_COLOURS: readonly Colour[] = ['cyan', 'magenta', 'blue', 'yellow', 'green', 'red'];

/** The same colour for a service's name every time, whatever else is shown beside it. */
export function serviceColour(name: string): Colour {
  let hash = 0;
  for (let i = 0; i < name.length; i++) hash = (hash * 31 + name.charCodeAt(i)) >>> 0;
  return SERVICE_COLOURS[hash % SERVICE_COLOURS.length];
}
