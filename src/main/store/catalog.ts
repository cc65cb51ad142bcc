import { invalidArgument } from '../../shared/errors';
import type { ImageRecord, ImageRef, Page } from '../../shared/types';
import { changeLogLength, type StoreEnv } from './env';
import { isDangling, type CatalogSummary, type ListQuery } from './images';
import { childrenOf, decodeCursor, encodeCursor, type CursorState } from './keys';
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
    // Ties break the way the LMDB indexes order them: (value, namespace, name) is a total order.
    if (q.sort !== 'name') matches.sort(rowOrder(q));
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
    const offset = cursor ? this.continueAt(rows, q, cursor) : (q.offset ?? 0);
    const at = (i: number) => rows[q.order === 'desc' ? total - 1 - i : i]!;
    const items: ImageRecord[] = [];
    let last: Row | undefined;
    for (let i = offset; i < offset + q.limit && i < total; i++) {
      last = at(i);
      const s = this.env.dbs.images.get([last.ns, last.name]);
      if (s) items.push(toImageRecord(last.ns, last.name, s));
    }
    const next = offset + q.limit;
    const nextCursor =
      next < total && last ? encodeCursor({ o: next, p: 'c', s: this.seq, r: [last.name, last.ns, sortValue(last, q)] }) : undefined;
    return { items, total, offset, nextCursor };
  }

  /**
   * Where a cursor's next page starts: its position while nothing changed, else just after its last item in the
   * current order, so that images created or deleted between pages neither repeat nor skip anything.
   */
  private continueAt(rows: Row[], q: ListQuery, cursor: CursorState): number {
    if (cursor.s === this.seq || cursor.r === undefined) return cursor.o;
    const [name, ns, value] = cursor.r;
    const probe: Row = { name, ns, created: value, size: value, mediaType: '', labels: [], dangling: false };
    const compare = rowOrder(q);
    let lo = 0;
    let hi = rows.length;
    if (q.order === 'desc') {
      // Rows are kept ascending; the next page holds the rows before the probe, read backwards.
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (compare(rows[mid]!, probe) < 0) lo = mid + 1;
        else hi = mid;
      }
      return rows.length - lo;
    }
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compare(rows[mid]!, probe) <= 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Every image a filter matches, for "delete all N matching". */
  matching(q: Pick<ListQuery, 'namespace' | 'filter'>): ImageRef[] {
    this.sync();
    return this.resolve({ ...q, sort: 'name', order: 'asc', limit: 1 }).map((r) => ({ namespace: r.ns, name: r.name }));
  }
}

const compareStrings = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

const sortValue = (row: Row, q: Pick<ListQuery, 'sort'>) => (q.sort === 'size' ? row.size : q.sort === 'created' ? row.created : 0);

/** The ascending order of a query: (name, namespace) by name, else (value, namespace, name) like the indexes. */
function rowOrder(q: Pick<ListQuery, 'sort'>): (a: Row, b: Row) => number {
  if (q.sort === 'name') return compareRows;
  const field = q.sort === 'created' ? 'created' : 'size';
  return (a, b) => a[field] - b[field] || compareStrings(a.ns, b.ns) || compareStrings(a.name, b.name);
}

function toRow(name: string, ns: string, [created, size, mediaType, labels]: CatalogSummary): Row {
  return { name, ns, created, size, mediaType, labels, dangling: isDangling(name) };
}
