// One verdict line per service; errors on stderr as `reraise: ...`; the exit status counts failures (SPEC 6).

export interface Report {
  /** Lines for stdout: `NAME: what happened`. */
  out: string[];
  /** Lines for stderr, without the `reraise: ` prefix. */
  err: string[];
  /** Lines for stderr as they are, after `err`: for example the end of a log. */
  detail?: string[];
  failed: boolean;
}

export function emptyReport(): Report {
  return { out: [], err: [], failed: false };
}

export function said(line: string): Report {
  return { out: [line], err: [], failed: false };
}

export function failure(...lines: string[]): Report {
  return { out: [], err: lines, failed: true };
}

export function merge(reports: readonly Report[]): Report {
  return {
    out: reports.flatMap((r) => r.out),
    err: reports.flatMap((r) => r.err),
    detail: reports.flatMap((r) => r.detail ?? []),
    failed: reports.some((r) => r.failed),
  };
}

export function print(report: Report): void {
  for (const line of report.out) process.stdout.write(`${line}\n`);
  for (const line of report.err) process.stderr.write(`reraise: ${line}\n`);
  for (const line of report.detail ?? []) process.stderr.write(`${line}\n`);
}

/**
 * Acts on every target at once but prints in name order as soon as each
 * line's turn comes, so that slow stops do not hold back the lines before them.
 */
export async function eachInOrder<T>(items: readonly T[], act: (item: T) => Promise<Report>): Promise<Report> {
  const pending = items.map((item) => act(item));
  const done: Report[] = [];
  for (const report of pending) {
    const r = await report;
    print(r);
    done.push({ ...r, out: [], err: [], detail: [] });
  }
  return merge(done);
}
