// Where reraise is installed: the nearest directory above this code that holds package.json.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The same whether this code runs from src/ (tests), or bundled into dist/. */
function findRoot(): string {
  for (let dir = path.dirname(fileURLToPath(import.meta.url)); ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) throw new Error('reraise: cannot find its own package.json');
  }
}

export const PACKAGE_ROOT = findRoot();
