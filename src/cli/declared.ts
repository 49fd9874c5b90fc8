// What each action declares to yargs, its operands and options, read without yargs: what completion is made from (SPEC 15.5).
import type { Argv } from 'yargs';
import type { Action } from './commands.js';
import type { ActionShape, Offer, Operand, OptionShape } from '../core/completion/shape.js';
import { actionNames } from './commands.js';

interface Declarations {
  choices: Map<string, readonly string[]>;
  options: OptionShape[];
}

interface OptionDeclaration {
  alias?: string | readonly string[];
  type?: string;
  choices?: readonly unknown[];
}

const flag = (name: string): string => (name.length === 1 ? `-${name}` : `--${name}`);

/**
 * Runs the action's builder against a stand-in that notes positionals and options and answers
 * every other call with itself, so a builder of any shape can be read.
 */
function declarations(action: Action): Declarations {
  const found: Declarations = { choices: new Map(), options: [] };
  const option = (name: string, declared: OptionDeclaration = {}): void => {
    const aliases = declared.alias === undefined ? [] : ([] as string[]).concat(declared.alias);
    found.options.push({ flags: [name, ...aliases].map(flag), takesValue: declared.type !== undefined && declared.type !== 'boolean' && declared.type !== 'count' });
  };
  const stand: Argv = new Proxy({} as Argv, {
    get: (_target, method) => (...args: unknown[]) => {
      const [name, declared] = args as [string | Record<string, OptionDeclaration>, OptionDeclaration | undefined];
      if (method === 'positional' && typeof name === 'string' && declared?.choices) found.choices.set(name, declared.choices.map(String));
      if (method === 'choices' && typeof name === 'string') found.choices.set(name, ([] as unknown[]).concat(declared).map(String));
      if (method === 'option' || method === 'options') {
        if (typeof name === 'string') option(name, declared);
        else for (const [key, value] of Object.entries(name)) option(key, value);
      }
      return stand;
    },
  });
  action.builder(stand);
  return found;
}

/** `signal <sig> <patterns..>`: the operands in their order, as yargs reads them from the command. */
function operandNames(action: Action): { name: string; variadic: boolean }[] {
  const [command] = Array.isArray(action.command) ? action.command : [action.command];
  return command.split(' ').slice(1).flatMap((word) => {
    const match = /^[<[]([^.\]>|]+)[^.\]>]*(\.\.)?[>\]]$/.exec(word);
    return match ? [{ name: match[1], variadic: match[2] !== undefined }] : [];
  });
}

/**
 * What completes each operand: its choices when it has a fixed set; else what the action says
 * (`complete`); else service names for `patterns`, which every action that acts on services takes.
 */
export function actionShape(action: Action, skeletonKinds: readonly string[]): ActionShape {
  const { choices, options } = declarations(action);
  const operands = operandNames(action).map(({ name, variadic }): Operand => {
    const said = action.complete?.[name];
    const offers: Offer = choices.get(name) ?? (said === 'skeleton-kinds' ? skeletonKinds : said ?? (name === 'patterns' ? 'services' : []));
    return { offers, variadic };
  });
  return { names: actionNames(action), describe: action.describe, options, operands };
}
