// Figure 7: the size of the npm package, and of a production install of it (node_modules, dependencies included).
import fs from 'node:fs';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { row, type Row } from './report.js';
import { type Figure, type RowSpec } from './plan.js';
import { REPO_ROOT, removeTempDir, tempDir } from './sandbox.js';

const KiB = 1024;

const packed: RowSpec = { id: '7a-pack', figure: 'npm pack tarball', unit: 'KiB', target: null };
const installed: RowSpec = { id: '7b-install', figure: 'production install (node_modules)', unit: 'KiB',
  target: { of: 'value', op: '<=', limit: 600, text: '<= 600 KiB' } };

function npm(args: readonly string[], cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('npm', args, { cwd, maxBuffer: 64 * 1024 * 1024, timeout: 240_000 }, (error, stdout, stderr) => {
      if (error) {
        const said = stderr.split('\n').filter((l) => l.includes('ERR')).slice(0, 4).join(' / ');
        reject(new Error(`npm ${args[0]} failed: ${said || error.message}`));
      } else {
        resolve(stdout);
      }
    });
  });
}

interface Tree {
  bytes: number;
  /** du -k style: allocated blocks. */
  allocatedBytes: number;
  files: number;
}

/** Regular files under dir (symbolic links not followed), by size and by allocated blocks. */
function treeSize(dir: string): Tree {
  const tree: Tree = { bytes: 0, allocatedBytes: 0, files: 0 };
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      const sub = treeSize(file);
      tree.bytes += sub.bytes;
      tree.allocatedBytes += sub.allocatedBytes;
      tree.files += sub.files;
    } else if (entry.isFile()) {
      const st = fs.statSync(file);
      tree.bytes += st.size;
      tree.allocatedBytes += st.blocks * 512;
      tree.files += 1;
    }
  }
  return tree;
}

export const footprint: Figure = {
  title: 'footprint',
  rows: [packed, installed],
  async run(_plan, progress): Promise<Row[]> {
    const dir = tempDir('pack');
    try {
      progress('npm pack');
      // --ignore-scripts: measure what is built (npm install built it), never rebuild in the middle of a run.
      const packJson = await npm(['pack', '--json', '--ignore-scripts', '--pack-destination', dir], REPO_ROOT);
      const info = (JSON.parse(packJson) as Array<{ filename: string; unpackedSize: number; entryCount: number }>)[0];
      const tgz = path.join(dir, path.basename(info.filename));
      const tgzBytes = fs.statSync(tgz).size;
      const own = info.unpackedSize / KiB;
      const rows = [row({ ...packed, decimals: 1, median: tgzBytes / KiB, baseline: own, baselineLabel: 'its files unpacked',
        samples: [tgzBytes / KiB], baselineSamples: [own],
        note: `${info.entryCount} files; deterministic, measured once; ratio = compression` })];

      progress('npm install --omit=dev of the tarball');
      const prefix = path.join(dir, 'install');
      fs.mkdirSync(prefix);
      try {
        await npm(['install', '--omit=dev', '--no-audit', '--no-fund', '--ignore-scripts', '--prefix', prefix, tgz], dir);
      } catch (error) {
        throw new Error(`${error instanceof Error ? error.message : String(error)} (the registry may be unreachable while ` +
          'reraise still has runtime dependencies)');
      }
      const modules = path.join(prefix, 'node_modules');
      const tree = treeSize(modules);
      const packages = fs.readdirSync(modules).filter((n) => !n.startsWith('.'));
      rows.push(row({ ...installed, decimals: 1, median: tree.bytes / KiB, baseline: own, baselineLabel: 'reraise alone',
        samples: [tree.bytes / KiB], baselineSamples: [own],
        note: `sum of file sizes of the whole node_modules (${tree.files} files; du -k style ${Math.round(tree.allocatedBytes / KiB)} KiB); ` +
          `top level: ${packages.join(', ')}; deterministic, measured once` }));
      return rows;
    } finally {
      removeTempDir(dir);
    }
  },
};
