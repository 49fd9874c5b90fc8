// The order of starts by config_needs, missing needs and cycles (SPEC 14.3).
import { describe, expect, it } from 'vitest';
import { planNeeds, type NeedsOf } from '../../src/core/needs.js';

const DIR = '/home/u/reraise.d';
/** Services by name: what each needs (line 3 of its file when it needs anything). */
function specs(table: Record<string, string[]>): (name: string) => NeedsOf | undefined {
  return (name) => (Object.hasOwn(table, name) ? { needs: table[name], file: `${DIR}/${name}`, line: table[name].length ? 3 : undefined } : undefined);
}

describe('planNeeds', () => {
  it.each<[string, Record<string, string[]>, string[], string[]]>([
    ['no needs: the roots as asked', { a: [], b: [] }, ['b', 'a'], ['b', 'a']],
    ['a need comes first, even when not asked for', { app: ['db'], db: [] }, ['app'], ['db', 'app']],
    ['a chain', { app: ['api'], api: ['db'], db: [] }, ['app'], ['db', 'api', 'app']],
    ['a diamond: each once', { app: ['db', 'cache'], db: ['disk'], cache: ['disk'], disk: [] }, ['app'], ['disk', 'db', 'cache', 'app']],
    ['asked for with its need: once', { app: ['db'], db: [] }, ['app', 'db'], ['db', 'app']],
    ['the need asked first', { app: ['db'], db: [] }, ['db', 'app'], ['db', 'app']],
  ])('%s', (_, table, roots, order) => {
    const plan = planNeeds(roots, specs(table));
    expect(plan.order).toEqual(order);
    expect([...plan.problems]).toEqual([]);
  });

  it('what is needed is waited for; what nothing needs is not', () => {
    const plan = planNeeds(['app', 'other'], specs({ app: ['db'], db: [], other: [] }));
    expect([...plan.needed]).toEqual(['db']);
    expect(plan.needs.get('app')).toEqual(['db']);
  });

  it('a need that names no service: refused with the file and line, and what needs that service too', () => {
    const plan = planNeeds(['top'], specs({ top: ['app'], app: ['dbx'] }));
    expect(plan.problems.get('app')).toBe(`${DIR}/app:3: config_needs: no service "dbx"`);
    expect(plan.problems.get('top')).toBe(`its need app cannot start: ${DIR}/app:3: config_needs: no service "dbx"`);
  });

  it.each<[string, Record<string, string[]>, string, Record<string, string>]>([
    ['two services', { app: ['db'], db: ['app'] }, 'app', {
      app: `${DIR}/app:3: config_needs: a cycle: app -> db -> app`,
      db: `${DIR}/db:3: config_needs: a cycle: app -> db -> app`,
    }],
    ['itself', { app: ['app'] }, 'app', { app: `${DIR}/app:3: config_needs: a cycle: app -> app` }],
    ['three, entered from outside', { top: ['a'], a: ['b'], b: ['c'], c: ['a'] }, 'top', {
      a: `${DIR}/a:3: config_needs: a cycle: a -> b -> c -> a`,
      b: `${DIR}/b:3: config_needs: a cycle: a -> b -> c -> a`,
      c: `${DIR}/c:3: config_needs: a cycle: a -> b -> c -> a`,
      top: `its need a cannot start: ${DIR}/a:3: config_needs: a cycle: a -> b -> c -> a`,
    }],
  ])('a cycle of %s: each service on it refused, naming the cycle', (_, table, root, problems) => {
    expect(Object.fromEntries(planNeeds([root], specs(table)).problems)).toEqual(problems);
  });

  it('the needs of a service that cannot start are not started for it', () => {
    const plan = planNeeds(['app'], specs({ app: ['db', 'dbx'], db: [] }));
    expect(plan.order).toEqual(['app']);
    expect([...plan.needed]).toEqual([]);
  });

  it('a service beside a broken one starts', () => {
    const plan = planNeeds(['ok', 'bad'], specs({ ok: [], bad: ['nope'] }));
    expect(plan.problems.has('ok')).toBe(false);
    expect(plan.order).toEqual(['ok', 'bad']);
  });
});
