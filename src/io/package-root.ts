// Where reraise is installed: the nearest directory above this code that holds package.json.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The same whether this code runs from src/ (tests), or bundled into dist/. */
function findRoot(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error('reraise: cannot find its own package.json');
  }
}

export const PACKAGE_ROOT = findRoot();
