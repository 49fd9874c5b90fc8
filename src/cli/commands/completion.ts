// reraise completion bash|zsh|fish: the script, made from the table of actions as it is now (SPEC 15.5).
import { ACTIONS, type Shell } from '../commands.js';
import { actionShape } from '../declared.js';
import { GLOBAL_OPTIONS } from '../options.js';
import { skeletonKinds } from './skeleton.js';
import { IGNORED_SUFFIXES } from '../../core/names.js';
import { bashScript } from '../../core/completion/bash.js';
import { fishScript } from '../../core/completion/fish.js';
import { zshScript } from '../../core/completion/zsh.js';
import type { CompletionShape } from '../../core/completion/shape.js';

const SCRIPTS: Readonly<Record<Shell, (shape: CompletionShape) => string>> = { bash: bashScript, zsh: zshScript, fish: fishScript };

export function completionScript(shell: Shell): string {
  const kinds = skeletonKinds();
  return SCRIPTS[shell]({
    program: 'reraise',
    globalOptions: GLOBAL_OPTIONS,
    actions: ACTIONS.map((action) => actionShape(action, kinds)),
    ignoredSuffixes: IGNORED_SUFFIXES,
  });
}
