import { invalidArgument } from '../../shared/errors';
import type { ImageRecord, ImageRef, Page } from '../../shared/types';
import { changeLogLength, type StoreEnv } from './env';
import { isDangling, type CatalogSummary, type ListQuery } from './images';
import { childrenOf, decodeCursor, encodeCursor } from './keys';
import { toImageRecord } from './records';

interface Row {
  name: string;
  ns: string;
  created: number;
  size: number;
  mediaType: string;
  labels: string[];
  dangling: boolean;
}

const compareRows = (a: Row, b: Row) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.ns < b.ns ? -1 : a.ns > b.ns ? 1 : 0);

/** Past this many changed names a full rebuild (one range scan) is cheaper than splicing each into place. */
const maxIncrementalChanges = 200;

/**
 * An in-memory list of every image's sort and filter fields, in (name, namespace) order, built from the covering
 * `['n*', name, ns]` index with one range scan and then kept current from the change log, so that a reader pays
 * only for what changed since it last looked, including changes other processes made.
 *
 * It answers what the LMDB indexes cannot answer with one seek: name-substring, media-type and dangling filters,
 * combined filters, and jumps to any position in any order (a virtual list scrolled to row 900,000).
 * Query results are memoized per change sequence, so paging through one result costs a slice.
 */
export class Catalog {
  private rows: Row[] = [];
  private seq = -1;
  private readonly results = new Map<string, Row[]>();

  constructor(private readonly env: StoreEnv) {}

  /** Brings the rows up to the store's current change sequence. */
  sync(): void {
    const current = this.env.changeSeq();
    if (current === this.seq) return;
    const changed = this.seq < 0 ? undefined : this.changesSince(this.seq, current);
    if (changed === undefined) this.rebuild();
    else for (const [ns, name] of changed) this.refresh(ns, name);
    this.seq = current;
    this.results.clear();
  }

  private changesSince(from: number, to: number): [string, string][] | undefined {
    // The log keeps the last changeLogLength sequences; further behind, entries may be gone: rebuild.
    if (to - from >= changeLogLength) return undefined;
    const refs: [string, string][] = [];
    // Transactions that touched no image (metadata writes) log nothing, so walk the range, not each seq.
    for (const { value } of this.env.dbs.changes.getRange({ start: from + 1, end: to + 1 })) {
      if (value === 'reset') return undefined;
      refs.push(...value);
      if (refs.length > maxIncrementalChanges) return undefined;
    }
    return refs;
  }

  private rebuild(): void {
    const rows: Row[] = [];
    for (const { key, value } of this.env.dbs.index.getRange({ ...childrenOf(['n*']), snapshot: true })) {
      const [, name, ns] = key as [string, string, string];
      rows.push(toRow(name, ns, value as CatalogSummary));
    }
    this.rows = rows;
  }

  private refresh(ns: string, name: string): void {
    const probe = { name, ns } as Row;
    let lo = 0;
    let hi = this.rows.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareRows(this.rows[mid]!, probe) < 0) lo = mid + 1;
      else hi = mid;
    }
    const exists = lo < this.rows.length && compareRows(this.rows[lo]!, probe) === 0;
    const summary = this.env.dbs.index.get(['n*', name, ns]) as CatalogSummary | undefined;
    if (summary && exists) this.rows[lo] = toRow(name, ns, summary);
    else if (summary) this.rows.splice(lo, 0, toRow(name, ns, summary));
    else if (exists) this.rows.splice(lo, 1);
  }

  /** The query's rows in order, memoized until the store changes. */
  private resolve(q: ListQuery): Row[] {
    const f = q.filter ?? {};
    const id = JSON.stringify([q.namespace, f.name ?? '', [...(f.labels ?? [])].sort(), f.mediaType, f.dangling, q.sort]);
    const cached = this.results.get(id);
    if (cached) return cached;
    const needle = f.name ?? '';
    const labels = f.labels ?? [];
    const matches = this.rows.filter(
      (r) =>
        (q.namespace === undefined || r.ns === q.namespace) &&
        (needle === '' || r.name.includes(needle)) &&
        (f.mediaType === undefined || r.mediaType === f.mediaType) &&
        (f.dangling === undefined || r.dangling === f.dangling) &&
        labels.every((pair) => r.labels.includes(pair)),
    );
    if (q.sort !== 'name') {
      // Ties break the way the LMDB indexes order them: namespace, then name (rows are already in name order).
      const field = q.sort === 'created' ? 'created' : 'size';
      const position = new Map(matches.map((r, i) => [r, i]));
      matches.sort((a, b) => a[field] - b[field] || (a.ns < b.ns ? -1 : a.ns > b.ns ? 1 : position.get(a)! - position.get(b)!));
    }
    if (this.results.size >= 8) this.results.delete(this.results.keys().next().value!);
    this.results.set(id, matches);
    return matches;
  }

  list(q: ListQuery): Page<ImageRecord> {
    this.sync();
    const cursor = q.cursor !== undefined ? decodeCursor(q.cursor) : undefined;
    if (q.cursor !== undefined && !cursor) throw invalidArgument('cursor is not one this store issued');
    const rows = this.resolve(q);
    const total = rows.length;
    const offset = cursor ? cursor.o : (q.offset ?? 0);
    const items: ImageRecord[] = [];
    for (let i = 0; i < q.limit && offset + i < total; i++) {
      const row = rows[q.order === 'desc' ? total - 1 - offset - i : offset + i]!;
      const s = this.env.dbs.images.get([row.ns, row.name]);
      if (s) items.push(toImageRecord(row.ns, row.name, s));
    }
    const next = offset + q.limit;
    return { items, total, offset, nextCursor: next < total ? encodeCursor({ o: next, p: 'c' }) : undefined };
  }

  /** Every image a filter matches, for "delete all N matching". */
  matching(q: Pick<ListQuery, 'namespace' | 'filter'>): ImageRef[] {
    this.sync();
    return this.resolve({ ...q, sort: 'name', order: 'asc', limit: 1 }).map((r) => ({ namespace: r.ns, name: r.name }));
  }
}

function toRow(name: string, ns: string, [created, size, mediaType, labels]: CatalogSummary): Row {
  return { name, ns, created, size, mediaType, labels, dangling: isDangling(name) };
}
