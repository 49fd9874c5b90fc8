// What services need first (SPEC 14.3): the services to start for some, in an order that puts needs first, and why any cannot start. Pure.

/** A service's config_needs as its config has it; undefined for a name that is no service. */
export interface NeedsOf {
  needs: readonly string[];
  file: string;
  /** The line of config_needs, when it has one. */
  line?: number;
}

export interface NeedsPlan {
  /** The services asked for and all they need, each after what it needs. */
  order: string[];
  /** What each of them needs. */
  needs: ReadonlyMap<string, readonly string[]>;
  /** Why a service cannot start: a line of its own config, or a need that cannot start. */
  problems: ReadonlyMap<string, string>;
  /** The services that others of the plan need: started, they are waited for until up. */
  needed: ReadonlySet<string>;
}

export function planNeeds(roots: readonly string[], specOf: (name: string) => NeedsOf | undefined): NeedsPlan {
  const specs = new Map<string, NeedsOf>();
  const problems = new Map<string, string>();
  const order: string[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const at = (spec: NeedsOf): string => `${spec.file}${spec.line === undefined ? '' : `:${spec.line}`}: config_needs`;

  const visit = (name: string): void => {
    if (state.get(name) === 'done') return;
    if (state.get(name) === 'open') {
      // A cycle: every service on it says so, from its own line.
      const cycle = [...path.slice(path.indexOf(name)), name];
      for (const member of cycle.slice(0, -1)) {
        if (!problems.has(member)) problems.set(member, `${at(specs.get(member)!)}: a cycle: ${cycle.join(' -> ')}`);
      }
      return;
    }
    const spec = specOf(name);
    if (!spec) return;
    specs.set(name, spec);
    state.set(name, 'open');
    path.push(name);
    for (const need of spec.needs) {
      if (need === name || specOf(need) !== undefined) visit(need);
      else if (!problems.has(name)) problems.set(name, `${at(spec)}: no service ${JSON.stringify(need)}`);
    }
    path.pop();
    state.set(name, 'done');
    order.push(name);
  };
  for (const root of roots) visit(root);

  // A service that needs one that cannot start cannot start either (in order: needs come first).
  for (const name of order) {
    if (problems.has(name)) continue;
    const blocked = specs.get(name)!.needs.find((need) => problems.has(need));
    if (blocked !== undefined) problems.set(name, `its need ${blocked} cannot start: ${problems.get(blocked)}`);
  }
  const needs = new Map(order.map((name) => [name, specs.get(name)!.needs.filter((need) => specs.has(need))]));
  // A need is started only for a service that can start: one that cannot starts nothing for itself.
  const kept = new Set<string>();
  const keep = (name: string): void => {
    if (kept.has(name) || !specs.has(name)) return;
    kept.add(name);
    if (!problems.has(name)) for (const need of needs.get(name)!) keep(need);
  };
  for (const root of roots) keep(root);
  const planned = order.filter((name) => kept.has(name));
  const needed = new Set(planned.flatMap((name) => (problems.has(name) ? [] : needs.get(name)!)));
  return { order: planned, needs, problems, needed };
}
