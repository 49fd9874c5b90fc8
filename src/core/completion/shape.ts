// What a completion script is made from: the CLI's declarations, read when the script is printed (SPEC 15.5).

/** What completes one operand: these words, the service names found at the Tab, or nothing. */
export type Offer = readonly string[] | 'services';

export interface Operand {
  offers: Offer;
  /** The last operand may be given any number of times (`patterns..`). */
  variadic: boolean;
}

export interface OptionShape {
  /** `--lines` and `-n`: every spelling of one option. */
  flags: readonly string[];
  takesValue: boolean;
}

export interface ActionShape {
  /** The action's name, then its aliases. */
  names: readonly string[];
  describe: string;
  options: readonly OptionShape[];
  operands: readonly Operand[];
}

export interface CompletionShape {
  program: string;
  globalOptions: readonly string[];
  actions: readonly ActionShape[];
  /** Endings that make an entry of the service dir no service (SPEC 1). */
  ignoredSuffixes: readonly string[];
}

/** A word quoted for sh, bash and zsh alike. */
export function shQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The options of an action that take a value, in every spelling. */
export function valuedFlags(action: ActionShape): string[] {
  return action.options.filter((o) => o.takesValue).flatMap((o) => o.flags);
}

/**
 * The operand at each index: the variadic last one stands for every index from its own on.
 * Returns the fixed indices to spell out, and the variadic one, if any.
 */
export function operandsByIndex(action: ActionShape): { fixed: [number, Operand][]; rest?: Operand } {
  const last = action.operands[action.operands.length - 1];
  const rest = last?.variadic ? last : undefined;
  const fixed = action.operands.slice(0, rest ? -1 : undefined).map((operand, i) => [i, operand] as [number, Operand]);
  return rest ? { fixed, rest } : { fixed };
}
