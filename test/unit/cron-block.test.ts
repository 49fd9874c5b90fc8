// The crontab block of `reraise boot` (SPEC 13.3): its lines, the quoting, and finding, replacing and removing it.
import { describe, expect, it } from 'vitest';
import {
  asCrontabInput, beginMarker, bootBlock, cronWord, endMarker, findBlock, programsOf, withBlock, withoutBlock,
  type BootCommand,
} from '../../src/core/cron-block.js';

const ME: BootCommand = {
  node: '/usr/bin/node', reraise: '/opt/reraise/bin/reraise', path: '/usr/local/bin:/usr/bin:/bin',
  service: '/home/me/reraise.d', pid: '/var/tmp/reraise-1000', log: '/home/me/.local/state/reraise',
  want: '/home/me/.local/state/reraise/.want',
};

const COMMAND = "/usr/bin/env 'PATH=/usr/local/bin:/usr/bin:/bin' 'RERAISE_DIR=/home/me/reraise.d' 'RERAISE_PIDDIR=/var/tmp/reraise-1000'"
  + " 'RERAISE_LOGDIR=/home/me/.local/state/reraise' 'RERAISE_WANTDIR=/home/me/.local/state/reraise/.want' '/usr/bin/node' '/opt/reraise/bin/reraise' revive";

const BLOCK = [
  '# reraise boot: begin /home/me/reraise.d (written by "reraise boot install"; "reraise boot remove" takes it out)',
  `@reboot ${COMMAND}`,
  `*/5 * * * * ${COMMAND}`,
  '# reraise boot: end /home/me/reraise.d',
];
const BLOCK_TEXT = BLOCK.map((l) => `${l}\n`).join('');

function block(c: BootCommand = ME): string[] {
  const b = bootBlock(c);
  if (!b.ok) throw new Error(b.message);
  return b.value;
}

/** What cron hands to sh (\% is %, a bare % ends the command), then what sh makes of single quotes and backslashes. */
function asShSeesIt(word: string): string {
  let command = '';
  for (let i = 0; i < word.length; i++) {
    if (word[i] === '\\' && word[i + 1] === '%') command += word[++i];
    else if (word[i] === '%') throw new Error(`a bare % in ${word}`);
    else command += word[i];
  }
  let value = '';
  for (let i = 0; i < command.length; i++) {
    if (command[i] === "'") {
      const close = command.indexOf("'", i + 1);
      value += command.slice(i + 1, close);
      i = close;
    } else if (command[i] === '\\') {
      value += command[++i];
    } else {
      value += command[i];
    }
  }
  return value;
}

describe('bootBlock (SPEC 13.3)', () => {
  it('markers keyed by the service dir, @reboot and every 5 minutes, env with PATH and the four directories, absolute node and bin/reraise', () => {
    expect(block()).toEqual(BLOCK);
  });

  it.each<[string, Partial<BootCommand>, RegExp]>([
    ['a newline in RERAISE_DIR', { service: '/home/me/a\nb' }, /^RERAISE_DIR holds a newline, which would end the cron line: "\/home\/me\/a\\nb"$/],
    ['a newline in PATH', { path: '/usr/bin\n* * * * * evil' }, /^PATH holds a newline/],
    ['a tab in RERAISE_PIDDIR', { pid: '/tmp/a\tb' }, /^RERAISE_PIDDIR holds a control character \("\\t"\)/],
    ['a carriage return in RERAISE_LOGDIR', { log: '/tmp/a\rb' }, /^RERAISE_LOGDIR holds a control character \("\\r"\)/],
    ['an escape in RERAISE_WANTDIR', { want: '/tmp/\u001b[31m' }, /^RERAISE_WANTDIR holds a control character/],
    ['a DEL in the node path', { node: '/usr/bin/no\u007fde' }, /^node holds a control character/],
    ['a NUL in the bin/reraise path', { reraise: '/opt/\u0000/reraise' }, /^bin\/reraise holds a control character/],
    ['a C1 control in PATH', { path: '/usr/bin:/a\u0085b' }, /^PATH holds a control character/],
    ['a relative node', { node: 'node' }, /^node is not an absolute path: "node"$/],
    ['an = in the bin/reraise path', { reraise: '/opt/a=b/bin/reraise' }, /^bin\/reraise holds "=", which \/usr\/bin\/env would take for a variable/],
  ])('%s is refused, naming it', (_label, change, message) => {
    const b = bootBlock({ ...ME, ...change });
    expect(b.ok).toBe(false);
    if (!b.ok) expect(b.message).toMatch(message);
  });

  it('odd but printable values are quoted, never refused', () => {
    const b = block({ ...ME, service: "/home/me/it's 50% done\\", path: '/a b:/c$d' });
    expect(b[0]).toBe('# reraise boot: begin /home/me/it\'s 50% done\\ (written by "reraise boot install"; "reraise boot remove" takes it out)');
    expect(b[1]).toContain(" 'PATH=/a b:/c$d' 'RERAISE_DIR=/home/me/it'\\''s 50\\% done\\''' ");
  });
});

describe('cronWord: one word for sh, through cron', () => {
  it.each<[string, string]>([
    ['/usr/bin/node', "'/usr/bin/node'"],
    ['', "''"],
    ["it's", "'it'\\''s'"],
    ['50%', "'50\\%'"],
    ['a\\b', "'a\\''b'"],
    ['a\\%b', "'a\\''\\%b'"],
    ['$HOME `x` "y" *', "'$HOME `x` \"y\" *'"],
  ])('%j is written %s', (value, word) => {
    expect(cronWord(value)).toBe(word);
  });

  it.each([
    '/usr/bin/node', "it's", "''", '50%', '%%', '\\%', '\\\\%', 'a\\', '\\', "\\'", "'\\", 'PATH=/a b:$c:`d`:"e":~f', '100% \\ 0%\'',
  ])('%j reaches the program as it is, and holds no \\\\ nor a \\ before a % of the value', (value) => {
    const word = cronWord(value);
    expect(asShSeesIt(word)).toBe(value);
    // Crons differ on these two; the only \% in a word is the escape of a %.
    expect(word).not.toContain('\\\\');
    expect(word.replace(/\\%/g, '').includes('%')).toBe(false);
  });
});

describe('findBlock', () => {
  const dir = ME.service;
  it.each<[string, string, { start: number; end: number } | undefined]>([
    ['an empty crontab', '', undefined],
    ['the user\'s lines only', '@reboot /usr/bin/reraise start \'*\'\n# reraise boot: by hand\n', undefined],
    ['only the block', BLOCK_TEXT, { start: 0, end: BLOCK_TEXT.length }],
    ['the block after a line', `MAILTO=me\n${BLOCK_TEXT}`, { start: 10, end: 10 + BLOCK_TEXT.length }],
    ['the block ending the file without a newline', `x\n${BLOCK_TEXT.slice(0, -1)}`, { start: 2, end: 1 + BLOCK_TEXT.length }],
    ['another service dir\'s block only', BLOCK_TEXT.replaceAll(dir, '/srv/other'), undefined],
    ['the block of a dir that starts like this one', BLOCK_TEXT.replaceAll(dir, `${dir} (old)`), undefined],
    ['a begin marker with trailing blanks (edited)', `${BLOCK[0]} \n${BLOCK.slice(1).join('\n')}\n`, undefined],
    ['a stray end line before the block', `${BLOCK[3]}\n${BLOCK_TEXT}`, { start: BLOCK[3].length + 1, end: BLOCK[3].length + 1 + BLOCK_TEXT.length }],
  ])('%s', (_label, text, span) => {
    const found = findBlock(text, dir);
    expect(found.ok).toBe(true);
    if (found.ok) expect(found.value && { start: found.value.start, end: found.value.end }).toEqual(span);
  });

  it.each<[string, string, RegExp]>([
    ['two blocks for one dir', `${BLOCK_TEXT}x\n${BLOCK_TEXT}`, /holds 2 blocks for \/home\/me\/reraise\.d \(lines 1, 6\)/],
    ['a begin without its end', `${BLOCK.slice(0, 3).join('\n')}\n0 1 * * * mine\n`, /begins on line 1 has no end line/],
    ['another block\'s marker inside it', `${BLOCK.slice(0, 2).join('\n')}\n${BLOCK_TEXT.replaceAll(dir, '/srv/b')}${BLOCK[3]}\n`, /holds line 3 of another block/],
  ])('%s is an error, not a guess', (_label, text, message) => {
    const found = findBlock(text, dir);
    expect(found.ok).toBe(false);
    if (!found.ok) expect(found.message).toMatch(message);
  });
});

describe('withBlock and withoutBlock: every byte outside the block stays', () => {
  const dir = ME.service;
  const mine = "# my jobs\nMAILTO=\"\"\n0 1 * * * date +\\%F >> /tmp/d\n0 2 * * * echo 50% done\n@reboot /usr/bin/reraise start '*'\n\n";
  const other = BLOCK_TEXT.replaceAll(dir, '/srv/other');

  it.each<[string, string, string]>([
    ['into an empty crontab', '', BLOCK_TEXT],
    ['after the user\'s lines', mine, mine + BLOCK_TEXT],
    ['after a last line without a newline: one is put between', '0 1 * * * x', `0 1 * * * x\n${BLOCK_TEXT}`],
    ['beside another service dir\'s block', other, other + BLOCK_TEXT],
  ])('install %s', (_label, before, after) => {
    expect(withBlock(before, dir, BLOCK)).toEqual({ ok: true, value: { text: after, change: 'installed' } });
    expect(withoutBlock(after, dir)).toEqual({ ok: true, value: { text: after === BLOCK_TEXT ? '' : after.slice(0, -BLOCK_TEXT.length), removed: true } });
  });

  it('installed as it is: unchanged, the same text', () => {
    const text = mine + BLOCK_TEXT + other;
    expect(withBlock(text, dir, BLOCK)).toEqual({ ok: true, value: { text, change: 'unchanged' } });
  });

  it('installed without the newline after its end line: still unchanged', () => {
    const text = mine + BLOCK_TEXT.slice(0, -1);
    expect(withBlock(text, dir, BLOCK)).toEqual({ ok: true, value: { text, change: 'unchanged' } });
  });

  it('a block that differs is replaced where it stands', () => {
    const old = block({ ...ME, node: '/opt/old/node' });
    const oldText = old.map((l) => `${l}\n`).join('');
    const after = '0 3 * * * mine, after the block\n';
    const r = withBlock(mine + oldText + other + after, dir, BLOCK);
    expect(r).toEqual({ ok: true, value: { text: mine + BLOCK_TEXT + other + after, change: 'updated' } });
  });

  it('remove takes out exactly the block, from the middle, and keeps a last line without a newline as it is', () => {
    const text = `${mine}${other}${BLOCK_TEXT}0 4 * * * last, no newline`;
    expect(withoutBlock(text, dir)).toEqual({ ok: true, value: { text: `${mine}${other}0 4 * * * last, no newline`, removed: true } });
  });

  it('remove without the block: nothing removed, the same text', () => {
    expect(withoutBlock(mine + other, dir)).toEqual({ ok: true, value: { text: mine + other, removed: false } });
  });

  it('a block that is not one (two begins) is neither replaced nor removed', () => {
    expect(withBlock(BLOCK_TEXT + BLOCK_TEXT, dir, BLOCK).ok).toBe(false);
    expect(withoutBlock(BLOCK_TEXT + BLOCK_TEXT, dir).ok).toBe(false);
  });
});

describe('asCrontabInput', () => {
  it.each([['', ''], ['a\n', 'a\n'], ['a', 'a\n'], ['a\n\n', 'a\n\n']])('%j is given to crontab as %j', (text, input) => {
    expect(asCrontabInput(text)).toBe(input);
  });
});

describe('programsOf: what an installed block runs', () => {
  it('node and bin/reraise, once each', () => {
    expect(programsOf(BLOCK)).toEqual([{ what: 'node', file: '/usr/bin/node' }, { what: 'bin/reraise', file: '/opt/reraise/bin/reraise' }]);
  });

  it('paths that need quoting read back as written', () => {
    const odd = block({ ...ME, node: "/opt/it's 100%/node", reraise: '/opt/a\\b/bin/reraise' });
    expect(programsOf(odd)).toEqual([{ what: 'node', file: "/opt/it's 100%/node" }, { what: 'bin/reraise', file: '/opt/a\\b/bin/reraise' }]);
  });

  it('each line counts: a line edited by hand to another node names both', () => {
    const edited = [BLOCK[0], BLOCK[1], BLOCK[2].replace("'/usr/bin/node'", '/opt/node20/bin/node'), BLOCK[3]];
    expect(programsOf(edited).map((p) => p.file)).toEqual(['/usr/bin/node', '/opt/reraise/bin/reraise', '/opt/node20/bin/node']);
  });

  it.each([
    ['a line that does not run env', '@reboot reraise revive'],
    ['an unclosed quote', "@reboot /usr/bin/env 'PATH=/x"],
    ['relative programs', "@reboot /usr/bin/env 'PATH=/x' node reraise revive"],
  ])('%s names none', (_label, line) => {
    expect(programsOf([beginMarker(ME.service), line, endMarker(ME.service)])).toEqual([]);
  });
});
