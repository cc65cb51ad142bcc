import { shortDigest } from '../shared/digest';
import type { TreeNode } from '../shared/types';

/**
 * Everything the CLI prints goes through here: stdout writes wait for the pipe to drain (a million-row listing must
 * not pile up in memory behind a slow reader) and stop quietly once the reader has gone (`imgmeta images ls | head`).
 */

/** Thrown by a write after the reader of stdout closed the pipe; the entry point ends quietly on it. */
export class OutputClosed extends Error {
  constructor() {
    super('stdout was closed by its reader');
    this.name = 'OutputClosed';
  }
}

let closed = false;
// EPIPE (the reader went away) or any other failure: nothing more can be printed.
process.stdout.on('error', () => {
  closed = true;
});

/** Writes text or bytes to stdout as they are, waiting for the pipe when its buffer is full. */
export async function write(chunk: string | Uint8Array): Promise<void> {
  if (closed) throw new OutputClosed();
  if (typeof chunk !== 'string' && chunk.byteLength === 0) return;
  if (process.stdout.write(chunk)) return;
  await new Promise<void>((resolve) => {
    const done = () => {
      process.stdout.off('drain', done);
      process.stdout.off('error', done);
      resolve();
    };
    process.stdout.on('drain', done);
    process.stdout.on('error', done);
  });
  if (closed) throw new OutputClosed();
}

export const println = (line = '') => write(`${line}\n`);

/** One JSON document, indented for people reading it; scripts parse it all the same. */
export const printJson = (value: unknown) => write(`${JSON.stringify(value, null, 2)}\n`);

/**
 * A JSON array printed as its items arrive, one item per line, so that listing every page of a large store is still
 * one JSON document on stdout without holding all of it.
 */
export class JsonArrayWriter {
  private count = 0;

  async push(items: readonly unknown[]): Promise<void> {
    if (items.length === 0) return;
    const body = items.map((item) => JSON.stringify(item)).join(',\n');
    await write(`${this.count === 0 ? '[\n' : ',\n'}${body}`);
    this.count += items.length;
  }

  async end(): Promise<void> {
    await write(this.count === 0 ? '[]\n' : '\n]\n');
  }
}

/**
 * Aligned columns padded with spaces, header in caps, like `ctr images ls`. Rows arrive page by page; a column widens
 * when a later page needs it (rows already printed stay as they were), so nothing has to wait for the last page.
 */
export class TableWriter {
  private widths: number[];
  private headerDone = false;

  constructor(private readonly header: readonly string[]) {
    this.widths = header.map((h) => h.length);
  }

  async push(rows: readonly (readonly string[])[]): Promise<void> {
    for (const row of rows)
      row.forEach((cell, i) => (this.widths[i] = Math.max(this.widths[i] ?? 0, cell.length)));
    const lines: string[] = [];
    if (!this.headerDone) {
      lines.push(this.format(this.header));
      this.headerDone = true;
    }
    for (const row of rows) lines.push(this.format(row));
    if (lines.length > 0) await write(`${lines.join('\n')}\n`);
  }

  /** Prints the header even when there were no rows. */
  async end(): Promise<void> {
    if (!this.headerDone) await this.push([]);
  }

  private format(cells: readonly string[]): string {
    const last = cells.length - 1;
    return cells.map((cell, i) => (i === last ? cell : cell.padEnd(this.widths[i]!))).join('   ');
  }
}

/** A whole table at once, for short lists (namespaces, metadata namespaces). */
export async function printTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
): Promise<void> {
  const table = new TableWriter(header);
  await table.push(rows);
  await table.end();
}

/** `key: value` lines with the values aligned, for inspect and info. */
export function keyValueLines(pairs: readonly (readonly [string, string])[]): string[] {
  const width = Math.max(0, ...pairs.map(([k]) => k.length + 1));
  return pairs.map(([k, v]) => `${`${k}:`.padEnd(width)} ${v}`);
}

const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB'];

/** SI sizes the way docker prints them, with a space: `512 B`, `1.2 MB`, `340 GB`. */
export function humanSize(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 1000) return `${bytes} B`;
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  let text = value < 100 ? value.toFixed(1) : value.toFixed(0);
  // 999.96 kB rounds up to 1000 kB: say 1 MB instead.
  if (Number(text) >= 1000 && unit < units.length - 1) {
    unit++;
    text = (Number(text) / 1000).toFixed(1);
  }
  return `${text.replace(/\.0$/, '')} ${units[unit]}`;
}

export { shortDigest };

const mediaTypeShortNames: Record<string, string> = {
  'application/vnd.oci.image.index.v1+json': 'index',
  'application/vnd.oci.image.manifest.v1+json': 'manifest',
  'application/vnd.docker.distribution.manifest.v2+json': 'docker v2',
  'application/vnd.docker.distribution.manifest.list.v2+json': 'docker list',
  'application/vnd.oci.image.config.v1+json': 'config',
  'application/vnd.docker.container.image.v1+json': 'config',
};

/** What the MEDIA TYPE column shows: the kind of the target, not its whole media type. */
export const shortMediaType = (mediaType: string) => mediaTypeShortNames[mediaType] ?? 'other';

const relativeSteps: [limitSeconds: number, unitSeconds: number, unit: string][] = [
  [60, 1, 'second'],
  [3600, 60, 'minute'],
  [86_400, 3600, 'hour'],
  [30 * 86_400, 86_400, 'day'],
];

/** `5 minutes ago` for the last month, the ISO date beyond that (and for times in the future: clock skew). */
export function relativeTime(iso: string, now = Date.now()): string {
  const then = Date.parse(iso);
  if (Number.isNaN(then)) return iso;
  const seconds = Math.floor((now - then) / 1000);
  if (seconds < 0) return iso.slice(0, 10);
  for (const [limit, unitSeconds, unit] of relativeSteps) {
    if (seconds < limit) {
      const n = Math.floor(seconds / unitSeconds);
      return n === 0 && unit === 'second' ? 'just now' : `${n} ${unit}${n === 1 ? '' : 's'} ago`;
    }
  }
  return iso.slice(0, 10);
}

/** A content tree, one node a line, children indented under their parent. */
export function treeLines(node: TreeNode, depth = 0): string[] {
  const d = node.descriptor;
  const notes: string[] = [];
  if (d.platform)
    notes.push([d.platform.os, d.platform.architecture, d.platform.variant].filter(Boolean).join('/'));
  if (!node.present) notes.push('not stored');
  if (node.truncated) notes.push(node.truncated === 'cycle' ? 'cycle: stops here' : 'too deep: stops here');
  const line = `${'  '.repeat(depth)}${node.role} ${d.digest} ${d.mediaType} ${humanSize(d.size)}${notes.length ? ` (${notes.join(', ')})` : ''}`;
  return [line, ...node.children.flatMap((child) => treeLines(child, depth + 1))];
}

/** `k=v` pairs in key order, for tables and inspect. */
export const labelList = (labels: Record<string, string>) =>
  Object.entries(labels)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`);

export const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
