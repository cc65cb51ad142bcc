// Targets as checks on a row's figures, and the table: printed as text, written as markdown.
import { formatMs, formatRate, type Stats } from './measure';
import { peerIds, peerTitles, type PeerId } from './peers';

export interface Figure {
  value: number;
  /** 'ms': lower is better; 'rate': operations per second, higher is better. */
  unit: 'ms' | 'rate';
  stats?: Stats;
  note?: string;
}

export interface Check {
  target: string;
  /** undefined when a figure it needs is missing. */
  test: (f: Partial<Record<PeerId, Figure>>) => boolean | undefined;
}

export interface Row {
  id: string;
  operation: string;
  figures: Partial<Record<PeerId, Figure>>;
  /** Every check is about imgmeta's figure; none means the row is reported without a target. */
  checks: Check[];
  note?: string;
}

const withBoth = (
  f: Partial<Record<PeerId, Figure>>,
  peer: PeerId,
  test: (mine: number, theirs: number) => boolean,
) => (f.imgmeta && f[peer] ? test(f.imgmeta.value, f[peer]!.value) : undefined);

export const check = {
  under: (ms: number): Check => ({
    target: `< ${ms} ms`,
    test: (f) => (f.imgmeta ? f.imgmeta.value < ms : undefined),
  }),
  ratio: (peer: PeerId, max: number): Check => ({
    target: `<= ${max}x ${peer === 'lmdb' ? 'raw' : peer}`,
    test: (f) => withBoth(f, peer, (mine, theirs) => mine <= max * theirs),
  }),
  faster: (peer: PeerId): Check => ({
    target: `< ${peer}`,
    test: (f) => withBoth(f, peer, (mine, theirs) => mine < theirs),
  }),
  notSlower: (peer: PeerId): Check => ({
    target: `<= ${peer}`,
    test: (f) => withBoth(f, peer, (mine, theirs) => mine <= theirs),
  }),
  rateRatio: (peer: PeerId, min: number): Check => ({
    target: `>= ${min}x ${peer}`,
    test: (f) => withBoth(f, peer, (mine, theirs) => mine >= min * theirs),
  }),
  speedup: (peer: PeerId, min: number): Check => ({
    target: `>= ${min}x faster than ${peer}`,
    test: (f) => withBoth(f, peer, (mine, theirs) => theirs >= min * mine),
  }),
};

export function verdict(row: Row): { text: string; pass?: boolean; failed: string[] } {
  if (row.checks.length === 0) return { text: '-', failed: [] };
  const failed = row.checks.filter((c) => c.test(row.figures) === false).map((c) => c.target);
  return failed.length === 0
    ? { text: 'pass', pass: true, failed }
    : { text: `FAIL (${failed.join('; ')})`, pass: false, failed };
}

const cell = (f: Figure | undefined) =>
  f === undefined ? '-' : f.unit === 'rate' ? formatRate(f.value) : formatMs(f.value);

const header = ['operation', ...peerIds.map((p) => peerTitles[p]), 'target', 'pass/fail'];

function tableRows(rows: Row[]): string[][] {
  return rows.map((r) => [
    r.operation,
    ...peerIds.map((p) => cell(r.figures[p])),
    r.checks.map((c) => c.target).join(', ') || '-',
    verdict(r).text,
  ]);
}

export function renderText(rows: Row[], run: { wallSeconds: number; peakRssMiB: number }): string {
  const table = [header, ...tableRows(rows)];
  const widths = header.map((_, i) => Math.max(...table.map((r) => r[i]!.length)));
  const line = (r: string[]) =>
    r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ');
  const failed = rows.filter((r) => verdict(r).pass === false).length;
  return [
    line(table[0]!),
    widths.map((w) => '-'.repeat(w)).join('-|-'),
    ...table.slice(1).map(line),
    '',
    `${rows.filter((r) => verdict(r).pass).length} targets met, ${failed} missed; wall ${run.wallSeconds.toFixed(0)} s, peak RSS ${run.peakRssMiB.toFixed(0)} MiB`,
    '',
  ].join('\n');
}

export function renderMarkdown(
  rows: Row[],
  run: {
    wallSeconds: number;
    peakRssMiB: number;
    environment: Record<string, unknown>;
    config: Record<string, unknown>;
  },
): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  const md = (r: string[]) => `| ${r.map(esc).join(' | ')} |`;
  const env = run.environment;
  const notes = rows.filter((r) => r.note).map((r) => `- ${r.operation}: ${r.note}`);
  const details = rows.flatMap((r) =>
    peerIds
      .filter((p) => r.figures[p]?.note)
      .map((p) => `- ${r.operation}, ${peerTitles[p]}: ${r.figures[p]!.note}`),
  );
  return [
    '# Store benchmark',
    '',
    `Node ${String(env.node)}, lmdb-js ${String(env.lmdb)}, better-sqlite3 ${String(env.betterSqlite3)}, ${String(env.cpus)} cores` +
      ` (${String(env.cpuModel)}), ${String(env.memoryGiB)} GiB. Wall ${run.wallSeconds.toFixed(0)} s, peak RSS ${run.peakRssMiB.toFixed(0)} MiB.`,
    '',
    md(header),
    md(header.map(() => '---')),
    ...tableRows(rows).map(md),
    '',
    'Latencies are medians (p50) unless the row says otherwise; rates are records per second.',
    `SQLite settings: ${JSON.stringify(env.sqliteSettings)}. No store runs with noSync or noMetaSync; lmdb environments have overlappingSync off.`,
    'Raw lmdb-js deep pages skip with `getKeys({ offset })`; raw and SQLite pages fetch the items only (imgmeta also returns the total).',
    '',
    '## Notes',
    '',
    ...notes,
    ...details,
    '',
  ].join('\n');
}
