// npm run bench [-- --quick]: reraise's performance figures against baselines measured in the same run.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { footprint } from './footprint.js';
import { healthCost } from './health.js';
import { cliLatency, restartLatency } from './latency.js';
import { pssPerService, workerMemoryAndIdle } from './memory.js';
import { makePlan, type Figure } from './plan.js';
import { describeMachine, failedRow, machine, markdownTable, notes, resultsDocument, type Row } from './report.js';
import { installCleanupHandlers, RERAISE, REPO_ROOT } from './sandbox.js';
import { startAll } from './startall.js';

const USAGE = `usage: npm run bench [-- --quick]
  --quick     a smoke run of about a minute: fewer repetitions, the same code paths (also BENCH_QUICK=1)
Prints a markdown table and writes bench/results.json (bench/results.quick.json with --quick).`;

const FIGURES: Figure[] = [workerMemoryAndIdle, pssPerService, restartLatency, cliLatency, startAll, footprint, healthCost];

function progress(message: string): void {
  process.stderr.write(`bench: ${message}\n`);
}

/** bin/reraise must run before anything is measured: a missing build is no performance figure. */
function preflight(): string {
  try {
    return execFileSync(RERAISE, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 }).trim();
  } catch (error) {
    const said = (error as { stderr?: string }).stderr?.trim();
    throw new Error(`${RERAISE} --version fails${said ? `: ${said.split('\n')[0]}` : ''}; ` +
      'run npm install (it builds reraise) or npm run build first');
  }
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const unknown = args.filter((a) => a !== '--quick');
  if (unknown.length > 0) {
    process.stderr.write(`bench: unknown argument ${unknown[0]}\n${USAGE}\n`);
    return 2;
  }
  const quick = args.includes('--quick') || process.env.BENCH_QUICK === '1';
  const plan = makePlan(quick);
  installCleanupHandlers();
  const version = preflight();
  const m = machine();
  const started = new Date();
  const t0 = Date.now();
  progress(`reraise ${version}, ${quick ? 'quick' : 'full'} run`);

  const rows: Row[] = [];
  for (const [i, figure] of FIGURES.entries()) {
    const say = (message: string): void => progress(`[${i + 1}/${FIGURES.length} ${figure.title}] ${message}`);
    say('start');
    try {
      rows.push(...(await figure.run(plan, say)));
    } catch (error) {
      say(`FAILED: ${error instanceof Error ? error.message : String(error)}`);
      rows.push(...figure.rows.map((r) => failedRow(r.id, r.figure, r.unit, r.target, error)));
    }
  }
  rows.sort((a, b) => a.id.localeCompare(b.id));
  const seconds = Math.round((Date.now() - t0) / 1000);
  const loadAtEnd = os.loadavg().map((l) => l.toFixed(2));

  const met = rows.filter((r) => r.pass === true).length;
  const total = rows.filter((r) => r.target).length;
  const command = `npm run bench${quick ? ' -- --quick' : ''}`;
  const out = [
    `# reraise bench${quick ? ' (quick)' : ''}`,
    '',
    `- command: \`${command}\` (${seconds} s)`,
    `- date: ${started.toISOString()}`,
    `- machine: ${describeMachine(m)}, ${loadAtEnd.join(' ')} at the end`,
    `- reraise ${version}; every figure is a median over the runs noted below, beside a baseline measured in the same run`,
    '',
    markdownTable(rows),
    '',
    notes(rows),
    '',
  ].join('\n');
  process.stdout.write(out);

  const file = path.join(REPO_ROOT, 'bench', quick ? 'results.quick.json' : 'results.json');
  const doc = resultsDocument(rows, m, { date: started.toISOString(), command, quick, seconds, reraise: version, loadAverageEnd: loadAtEnd.map(Number) });
  fs.writeFileSync(file, `${JSON.stringify(doc, null, 2)}\n`);
  process.stdout.write(`\nbench: wrote ${path.relative(process.cwd(), file) || file} (${file})\n`);
  process.stdout.write(`bench: ${met} of ${total} targets met\n`);
  return 0;
}

main().then(
  (code) => { process.exitCode = code; },
  (error) => {
    process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
