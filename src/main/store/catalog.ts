import { invalidArgument } from '../../shared/errors';
import type { ImageRecord, ImageRef, Page } from '../../shared/types';
import {
  Columns,
  ColumnsBuilder,
  Tables,
  compareNames,
  isDanglingFast,
  toCatalogRow,
  type CatalogRow,
} from './catalog-columns';
import { changeLogLength, type StoreEnv } from './env';
import type { CatalogSummary, ListQuery } from './images';
import { childrenOf, decodeCursor, encodeCursor, namespacedKey, type CursorState } from './keys';
import { toImageRecord } from './records';
import { loadCatalog, saveCatalog } from './saved-catalog';

/**
 * From this many images on, a process that scanned the name index saves the catalog for the next process: below it
 * the scan takes a few tens of ms, not worth a write in a read.
 */
export const minSavedRows = 10_000;

/**
 * Changed rows and removed column rows kept beside the columns before they are merged into new columns (a merge
 * copies every column); a query pays a little for each meanwhile.
 */
export const overlayLimit = (rows: number) => Math.max(1024, rows >> 6);

/** A row created or changed since the columns were built, and where it goes: how many column rows sort before it. */
interface ChangedRow {
  row: CatalogRow;
  at: number;
}

/** A row of a query's result: a column row's index, or columns.length + k for changed[k]. */
type RowId = number;

/**
 * An in-memory list of every image's filter and sort fields, in (name, namespace) order, for the queries the LMDB
 * indexes cannot answer with a seek: name substring, media type, dangling, several labels, a label in another order.
 * The rows live in columns (catalog-columns.ts) built from the covering `['n*', name, ns]` index with one range scan
 * the first time such a query comes, or loaded from the copy a process saved in the store (saved-catalog.ts), and
 * are then kept current from the change log: a reader pays for what changed since it last looked, including changes
 * other processes made. Changes stay beside the columns (a removed flag, a short sorted list of new rows) until there
 * are enough to merge. Results are memoized until an image changes, so paging through one result costs a slice.
 */
export class Catalog {
  private columns = Columns.empty();
  /** removed[i] = 1: column row i was deleted or changed since the columns were built. */
  private removed = new Uint8Array(0);
  private removedCount = 0;
  /** Rows created or changed since the columns were built, in (name, namespace) order. */
  private changed: ChangedRow[] = [];
  private seq = -1;
  /** The image sequence of the saved catalog this process loaded or last tried to save; -1: none. */
  private savedSeq = -1;
  /** Where this process's rows first came from: the saved catalog or a scan of the name index. */
  origin: 'saved' | 'index' | undefined;
  private readonly results = new Map<string, RowId[]>();

  constructor(private readonly env: StoreEnv) {}

  /** Brings the rows up to the store's last image change. */
  sync(): void {
    const current = this.env.imagesSeq();
    if (current === this.seq) return;
    if (this.seq < 0) {
      if (!this.load(current)) this.rebuild();
    } else {
      const changes = this.changesSince(this.seq, current);
      if (changes === undefined) this.rebuild();
      else this.apply(changes);
    }
    this.results.clear();
    this.seq = current;
    this.saveIfBehind();
  }

  private changesSince(from: number, to: number): [string, string][] | undefined {
    // The log keeps the last changeLogLength sequences; further behind, entries may be gone: rebuild.
    if (to - from >= changeLogLength) return undefined;
    const refs: [string, string][] = [];
    // Transactions that touched no image (metadata writes) log nothing and leave imagesSeq alone.
    for (const { value } of this.env.dbs.changes.getRange({ start: from + 1, end: to + 1 })) {
      if (value.r === 'reset') return undefined;
      refs.push(...value.r);
    }
    return refs;
  }

  /**
   * Loads the saved columns and brings them up to `current`; false when no save applies. A save that then does not
   * hold as many rows as the store holds images is not used either: a cheap guard against a save that passed its
   * checksum but is not this store's catalog (written by a faulty build, say).
   */
  private load(current: number): boolean {
    const saved = loadCatalog(this.env);
    if (!saved || saved.seq > current) return false;
    const changes = this.changesSince(saved.seq, current);
    if (changes === undefined) return false;
    this.setColumns(saved.columns);
    this.apply(changes);
    if (this.rowCount() !== this.env.count(['images*'])) return false;
    this.savedSeq = saved.seq;
    this.origin = 'saved';
    return true;
  }

  private rowCount(): number {
    return this.columns.length - this.removedCount + this.changed.length;
  }

  private rebuild(): void {
    this.origin ??= 'index';
    this.savedSeq = -1;
    const builder = new ColumnsBuilder(new Tables(), this.env.count(['images*']));
    for (const { key, value } of this.env.dbs.index.getRange({ ...childrenOf(['n*']), snapshot: true })) {
      const [, name, ns] = key as [string, string, string];
      builder.add(toCatalogRow(name, ns, value as CatalogSummary));
    }
    this.setColumns(builder.finish());
  }

  private setColumns(columns: Columns): void {
    this.columns = columns;
    this.removed = new Uint8Array(columns.length);
    this.removedCount = 0;
    this.changed = [];
  }

  private apply(refs: [string, string][]): void {
    if (refs.length === 0) return;
    const unique = new Map(refs.map(([ns, name]) => [`${ns}\u0000${name}`, [ns, name] as const]));
    const c = this.columns;
    const gone = new Set<ChangedRow>();
    const fresh: ChangedRow[] = [];
    for (const [ns, name] of unique.values()) {
      const at = c.position(name, ns);
      if (at < c.length && this.removed[at] === 0 && c.name(at) === name && c.namespace(at) === ns) {
        this.removed[at] = 1;
        this.removedCount++;
      }
      const old = this.changed[this.changedPosition(name, ns)];
      if (old && old.row.name === name && old.row.ns === ns) gone.add(old);
      const summary = this.env.dbs.index.get(['n*', name, ns]) as CatalogSummary | undefined;
      if (summary) fresh.push({ row: toCatalogRow(name, ns, summary), at });
    }
    fresh.sort((a, b) => compareNames(a.row.name, a.row.ns, b.row.name, b.row.ns));
    const kept = gone.size > 0 ? this.changed.filter((r) => !gone.has(r)) : this.changed;
    const merged: ChangedRow[] = new Array(kept.length + fresh.length);
    let i = 0;
    let j = 0;
    let k = 0;
    while (i < kept.length && j < fresh.length) {
      const a = kept[i]!.row;
      const b = fresh[j]!.row;
      merged[k++] = compareNames(a.name, a.ns, b.name, b.ns) <= 0 ? kept[i++]! : fresh[j++]!;
    }
    while (i < kept.length) merged[k++] = kept[i++]!;
    while (j < fresh.length) merged[k++] = fresh[j++]!;
    this.changed = merged;
    if (this.changed.length + this.removedCount > overlayLimit(c.length)) this.compact();
  }

  private changedPosition(name: string, ns: string): number {
    let lo = 0;
    let hi = this.changed.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const row = this.changed[mid]!.row;
      if (compareNames(row.name, row.ns, name, ns) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Merges the changes into new columns (over the same tables: every column id stays valid). */
  private compact(): void {
    const c = this.columns;
    const builder = new ColumnsBuilder(c.tables, c.length - this.removedCount + this.changed.length);
    // Runs of kept column rows are copied whole; changed rows go in before the column row they sort before.
    let run = 0;
    let k = 0;
    for (let i = 0; i < c.length; i++) {
      const before = k < this.changed.length && this.changed[k]!.at <= i;
      if (this.removed[i] === 0 && !before) continue;
      builder.copyRange(c, run, i);
      while (k < this.changed.length && this.changed[k]!.at <= i) builder.add(this.changed[k++]!.row);
      run = this.removed[i] === 1 ? i + 1 : i;
    }
    builder.copyRange(c, run, c.length);
    while (k < this.changed.length) builder.add(this.changed[k++]!.row);
    this.setColumns(builder.finish());
  }

  /**
   * Saves the columns after a scan, and again once the save falls half a change log behind, so that a new process can
   * still catch up from it. Not from read-only stores, nor inside a write (the save would share its transaction).
   */
  private saveIfBehind(): void {
    if (this.env.readOnly || this.env.inWrite) return;
    const rows = this.rowCount();
    const saving = this.savedSeq < 0 ? rows >= minSavedRows : this.seq - this.savedSeq >= changeLogLength / 2;
    if (!saving) return;
    if (this.changed.length > 0 || this.removedCount > 0) this.compact();
    // Tried once per such point whatever the outcome: a failing write (a full disk) is not retried on every change.
    saveCatalog(this.env, this.seq, this.columns);
    this.savedSeq = this.seq;
  }

  private row(id: RowId): CatalogRow {
    return id < this.columns.length ? this.columns.row(id) : this.changed[id - this.columns.length]!.row;
  }

  /** The query's rows in ascending order, memoized until an image changes. */
  private resolve(q: Pick<ListQuery, 'namespace' | 'filter' | 'sort'>): RowId[] {
    const f = q.filter ?? {};
    const id = JSON.stringify([
      q.namespace,
      f.name ?? '',
      [...(f.labels ?? [])].sort(),
      f.mediaType,
      f.dangling,
      q.sort,
    ]);
    const cached = this.results.get(id);
    if (cached) return cached;
    const needle = f.name ?? '';
    const labels = f.labels ?? [];
    const c = this.columns;
    const n = c.length;
    // Column rows compare table ids: -1 (a value no row has) matches nothing.
    const nsId = q.namespace === undefined ? undefined : c.tables.findNs(q.namespace);
    const mtId = f.mediaType === undefined ? undefined : c.tables.findMt(f.mediaType);
    const labelSets = labels.length === 0 ? undefined : c.tables.ls.holding(labels);
    const columnMatch = (i: number) =>
      this.removed[i] === 0 &&
      (nsId === undefined || c.ns[i] === nsId) &&
      (mtId === undefined || c.mt[i] === mtId) &&
      (labelSets === undefined || labelSets[c.ls[i]!] === 1) &&
      (f.dangling === undefined || c.dangling(i) === f.dangling);
    const rowMatch = (r: CatalogRow) =>
      (q.namespace === undefined || r.ns === q.namespace) &&
      (needle === '' || r.name.includes(needle)) &&
      (f.mediaType === undefined || r.mediaType === f.mediaType) &&
      (f.dangling === undefined || isDanglingFast(r.name) === f.dangling) &&
      labels.every((pair) => r.labels.includes(pair));
    const fromColumns: number[] = [];
    if (needle === '') {
      for (let i = 0; i < n; i++) if (columnMatch(i)) fromColumns.push(i);
    } else if (!needle.includes('\n')) {
      // A needle without a line break matches inside one name of the joined names, never across two (and no name
      // holds a line break, so a needle with one matches nothing).
      for (const i of c.containing(needle)) if (columnMatch(i)) fromColumns.push(i);
    }
    // Both lists are in name order: a changed row goes before column row `at`.
    const ids: RowId[] = [];
    let k = 0;
    const changedUpTo = (i: number) => {
      for (; k < this.changed.length && this.changed[k]!.at <= i; k++)
        if (rowMatch(this.changed[k]!.row)) ids.push(n + k);
    };
    for (const i of fromColumns) {
      changedUpTo(i);
      ids.push(i);
    }
    changedUpTo(Infinity);
    const ordered =
      q.sort === 'name' ? ids : this.sortByValue(ids, q.sort === 'created' ? 'created' : 'size');
    if (this.results.size >= 8) this.results.delete(this.results.keys().next().value!);
    this.results.set(id, ordered);
    return ordered;
  }

  /**
   * Rows (in name order) sorted by created or size, ties by (namespace, name) like the indexes. A comparator sort of
   * a million rows takes seconds; packing (value, tie rank) into one 64-bit integer and sorting a BigUint64Array
   * natively takes a tenth of that. Falls back to the comparator when a value or the row count does not fit.
   */
  private sortByValue(ids: RowId[], field: 'created' | 'size'): RowId[] {
    const c = this.columns;
    const n = ids.length;
    const values = new Float64Array(n);
    const namespaces = new Array<string>(n);
    for (let i = 0; i < n; i++) {
      const id = ids[i]!;
      const changed = id < c.length ? undefined : this.changed[id - c.length]!.row;
      values[i] = changed ? changed[field] : c[field][id]!;
      namespaces[i] = changed ? changed.ns : c.namespace(id);
    }
    const fits =
      n < 2 ** Number(rankBits) &&
      values.every((v) => Number.isSafeInteger(v) && v >= 0 && v < 2 ** Number(valueBits));
    if (!fits) {
      const order = Array.from({ length: n }, (_, i) => i);
      const names = ids.map((id) => this.row(id).name);
      order.sort(
        (a, b) =>
          values[a]! - values[b]! || compareNames(namespaces[a]!, names[a]!, namespaces[b]!, names[b]!),
      );
      return order.map((i) => ids[i]!);
    }
    // Tie rank: position in (namespace, name) order, a stable bucketing of the name-ordered rows by namespace.
    const bucketStart = new Map<string, number>();
    for (const ns of namespaces) bucketStart.set(ns, (bucketStart.get(ns) ?? 0) + 1);
    let start = 0;
    for (const ns of [...bucketStart.keys()].sort()) {
      const count = bucketStart.get(ns)!;
      bucketStart.set(ns, start);
      start += count;
    }
    const byRank: RowId[] = new Array(n);
    const packed = new BigUint64Array(n);
    for (let i = 0; i < n; i++) {
      const rank = bucketStart.get(namespaces[i]!)!;
      bucketStart.set(namespaces[i]!, rank + 1);
      byRank[rank] = ids[i]!;
      packed[i] = (BigInt(values[i]!) << rankBits) | BigInt(rank);
    }
    packed.sort();
    const mask = (1n << rankBits) - 1n;
    const out: RowId[] = new Array(n);
    for (let i = 0; i < n; i++) out[i] = byRank[Number(packed[i]! & mask)]!;
    return out;
  }

  list(q: ListQuery): Page<ImageRecord> {
    this.sync();
    const cursor = q.cursor !== undefined ? decodeCursor(q.cursor) : undefined;
    if (q.cursor !== undefined && !cursor) throw invalidArgument('cursor is not one this store issued');
    const ids = this.resolve(q);
    const total = ids.length;
    const offset = cursor ? this.continueAt(ids, q, cursor) : (q.offset ?? 0);
    const at = (i: number) => this.row(ids[q.order === 'desc' ? total - 1 - i : i]!);
    const items: ImageRecord[] = [];
    let last: CatalogRow | undefined;
    for (let i = offset; i < offset + q.limit && i < total; i++) {
      last = at(i);
      const s = this.env.dbs.images.get(namespacedKey(last.ns, last.name));
      if (s) items.push(toImageRecord(last.ns, last.name, s));
    }
    const next = offset + q.limit;
    const nextCursor =
      next < total && last
        ? encodeCursor({ o: next, p: 'c', s: this.seq, r: [last.name, last.ns, sortValue(last, q)] })
        : undefined;
    return { items, total, offset, nextCursor };
  }

  /**
   * Where a cursor's next page starts: its position while nothing changed, else just after its last item in the
   * current order, so that images created or deleted between pages neither repeat nor skip anything.
   */
  private continueAt(ids: RowId[], q: ListQuery, cursor: CursorState): number {
    if (cursor.s === this.seq || cursor.r === undefined) return cursor.o;
    const [name, ns, value] = cursor.r;
    const probe: CatalogRow = { name, ns, created: value, size: value, mediaType: '', labels: [] };
    const compare = rowOrder(q);
    let lo = 0;
    let hi = ids.length;
    if (q.order === 'desc') {
      // Rows are kept ascending; the next page holds the rows before the probe, read backwards.
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (compare(this.row(ids[mid]!), probe) < 0) lo = mid + 1;
        else hi = mid;
      }
      return ids.length - lo;
    }
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compare(this.row(ids[mid]!), probe) <= 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Every image a filter matches, for "delete all N matching". */
  matching(q: Pick<ListQuery, 'namespace' | 'filter'>): ImageRef[] {
    this.sync();
    return this.resolve({ ...q, sort: 'name' }).map((id) => {
      const r = this.row(id);
      return { namespace: r.ns, name: r.name };
    });
  }
}

const sortValue = (row: CatalogRow, q: Pick<ListQuery, 'sort'>) =>
  q.sort === 'size' ? row.size : q.sort === 'created' ? row.created : 0;

/** The ascending order of a query: (name, namespace) by name, else (value, namespace, name) like the indexes. */
function rowOrder(q: Pick<ListQuery, 'sort'>): (a: CatalogRow, b: CatalogRow) => number {
  if (q.sort === 'name') return (a, b) => compareNames(a.name, a.ns, b.name, b.ns);
  const field = q.sort === 'created' ? 'created' : 'size';
  return (a, b) => a[field] - b[field] || compareNames(a.ns, a.name, b.ns, b.name);
}

const valueBits = 43n;
const rankBits = 21n;
