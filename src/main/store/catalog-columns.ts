import { isAscii } from 'node:buffer';
import type { CatalogSummary } from './images';

/** One image as the catalog sees it: its filter and sort fields. */
export interface CatalogRow {
  name: string;
  ns: string;
  created: number;
  size: number;
  mediaType: string;
  /** `k=v` pairs. */
  labels: string[];
}

export const toCatalogRow = (
  name: string,
  ns: string,
  [created, size, mediaType, labels]: CatalogSummary,
): CatalogRow => ({
  name,
  ns,
  created,
  size,
  mediaType,
  labels,
});

const compareStrings = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The catalog's order: by name, then namespace. */
export const compareNames = (aName: string, aNs: string, bName: string, bNs: string) =>
  compareStrings(aName, bName) || compareStrings(aNs, bNs);

/**
 * Namespaces, media types and label sets, each stored once and referred to by number. Append-only, so that columns
 * built from older columns share their ids.
 */
export class Tables {
  // Each lookup map is made on first use from its table.
  private nsIds: Map<string, number> | undefined;
  private mtIds: Map<string, number> | undefined;

  constructor(
    readonly ns: string[] = [],
    readonly mt: string[] = [],
    readonly ls: LabelSets = new LabelSets(),
  ) {}

  nsId(ns: string): number {
    // A store holds a few namespaces and media types: comparing with each beats hashing a fresh string per row.
    const at = this.ns.length <= 8 ? this.ns.indexOf(ns) : -1;
    return at >= 0 ? at : intern(this.ns, (this.nsIds ??= lookup(this.ns)), ns);
  }

  mtId(mediaType: string): number {
    const at = this.mt.length <= 8 ? this.mt.indexOf(mediaType) : -1;
    return at >= 0 ? at : intern(this.mt, (this.mtIds ??= lookup(this.mt)), mediaType);
  }

  /** An existing id, or -1: what a filter for a value no row has compares against. */
  findNs(ns: string): number {
    return (this.nsIds ??= lookup(this.ns)).get(ns) ?? -1;
  }

  findMt(mediaType: string): number {
    return (this.mtIds ??= lookup(this.mt)).get(mediaType) ?? -1;
  }

  /**
   * Whether each namespace and media type appears once: a filter looks one id up, and the rows of a second one would
   * not match. (A label filter flags every set that holds its pairs, so a repeated set or pair does no harm.)
   */
  distinct(): boolean {
    return lookup(this.ns).size === this.ns.length && lookup(this.mt).size === this.mt.length;
  }
}

/**
 * Label sets as numbers: each distinct `k=v` pair stored once, each set a run of pair ids (in the set's order). A
 * million images with version labels carry ~220,000 sets of ~61,000 pairs: as arrays of strings they took ~0.25 s
 * to parse per process and as long again in collections; as numbers a set becomes strings only when a row of it is
 * read.
 */
export class LabelSets {
  private pairIds: Map<string, number> | undefined;
  private setIds: Map<string, number> | undefined;
  private readonly read = new Map<number, string[]>();

  /** starts[s]..starts[s + 1]: set s's pair ids in members. */
  constructor(
    readonly pairs: string[] = [],
    readonly starts: number[] = [0],
    readonly members: number[] = [],
  ) {}

  get size(): number {
    return this.starts.length - 1;
  }

  at(set: number): string[] {
    let labels = this.read.get(set);
    if (!labels) {
      labels = this.members.slice(this.starts[set], this.starts[set + 1]).map((pair) => this.pairs[pair]!);
      this.read.set(set, labels);
    }
    return labels;
  }

  /** The id of a set of pairs, added if new. */
  id(labels: string[]): number {
    // Most images carry no labels: no key to build for them.
    if (labels.length === 0 && this.size > 0 && this.starts[1] === 0) return 0;
    this.setIds ??= new Map(Array.from({ length: this.size }, (_, set) => [labelSetKey(this.at(set)), set]));
    const key = labelSetKey(labels);
    let set = this.setIds.get(key);
    if (set === undefined) {
      this.pairIds ??= lookup(this.pairs);
      for (const pair of labels) this.members.push(intern(this.pairs, this.pairIds, pair));
      set = this.size;
      this.starts.push(this.members.length);
      this.setIds.set(key, set);
    }
    return set;
  }

  /** flags[s] = 1 when set s holds every one of `pairs`. */
  holding(pairs: string[]): Uint8Array {
    const flags = new Uint8Array(this.size);
    this.pairIds ??= lookup(this.pairs);
    const wanted = pairs.map((pair) => this.pairIds!.get(pair));
    if (wanted.some((id) => id === undefined)) return flags;
    for (let set = 0; set < flags.length; set++)
      flags[set] = wanted.every((id) => this.holds(set, id!)) ? 1 : 0;
    return flags;
  }

  private holds(set: number, pair: number): boolean {
    for (let k = this.starts[set]!; k < this.starts[set + 1]!; k++) if (this.members[k] === pair) return true;
    return false;
  }
}

/** Label pairs are printable, so pairs joined by '\n' name a set. */
const labelSetKey = (labels: string[]) => labels.join('\n');

function lookup(table: string[]): Map<string, number> {
  return new Map(table.map((value, id) => [value, id]));
}

function intern(table: string[], ids: Map<string, number>, value: string): number {
  let id = ids.get(value);
  if (id === undefined) {
    id = table.length;
    table.push(value);
    ids.set(value, id);
  }
  return id;
}

/**
 * Rows in (name, namespace) order, one array per field: all names in one string joined by '\n' (image names never
 * hold one), the rest in typed arrays of numbers and table ids. A million rows as objects took ~0.5-1 s to create
 * and as long again in collections; as columns they load from the store in a few buffer conversions, and a
 * substring search is native indexOf calls over the one string (9-24 ms per needle over a million names).
 */
export class Columns {
  private danglingFlags: Uint8Array | undefined;

  private constructor(
    readonly tables: Tables,
    /** Every name, joined by '\n'. */
    readonly text: string,
    /** starts[i]: where name i starts in text; starts[length] = text.length + 1. */
    readonly starts: Int32Array,
    readonly created: Float64Array,
    readonly size: Float64Array,
    readonly ns: Uint32Array,
    readonly mt: Uint32Array,
    readonly ls: Uint32Array,
  ) {}

  static empty(): Columns {
    return new ColumnsBuilder(new Tables()).finish();
  }

  static of(
    tables: Tables,
    text: string,
    starts: Int32Array,
    fields: Pick<Columns, 'created' | 'size' | 'ns' | 'mt' | 'ls'>,
  ): Columns {
    return new Columns(tables, text, starts, fields.created, fields.size, fields.ns, fields.mt, fields.ls);
  }

  get length(): number {
    return this.created.length;
  }

  name(i: number): string {
    return this.text.slice(this.starts[i]!, this.starts[i + 1]! - 1);
  }

  namespace(i: number): string {
    return this.tables.ns[this.ns[i]!]!;
  }

  row(i: number): CatalogRow {
    return {
      name: this.name(i),
      ns: this.namespace(i),
      created: this.created[i]!,
      size: this.size[i]!,
      mediaType: this.tables.mt[this.mt[i]!]!,
      labels: this.tables.ls.at(this.ls[i]!),
    };
  }

  /** Whether row i's name is dangling; worked out for every row by the first dangling filter. */
  dangling(i: number): boolean {
    if (!this.danglingFlags) {
      const flags = new Uint8Array(this.length);
      for (let j = 0; j < flags.length; j++) flags[j] = isDanglingFast(this.name(j)) ? 1 : 0;
      this.danglingFlags = flags;
    }
    return this.danglingFlags[i] === 1;
  }

  /** Where (name, ns) is or would go: the number of rows that sort before it. */
  position(name: string, ns: string): number {
    let lo = 0;
    let hi = this.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareNames(this.name(mid), this.namespace(mid), name, ns) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The rows whose name contains `needle` (which holds no '\n'), ascending. */
  containing(needle: string): number[] {
    const { text, starts } = this;
    const n = this.length;
    const found: number[] = [];
    let row = 0;
    for (let hit = text.indexOf(needle); hit >= 0 && row < n; hit = text.indexOf(needle, starts[row]!)) {
      // The row holding the hit: the last start at or before it (hits come in order, so search forward only).
      let lo = row;
      let hi = n - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >>> 1;
        if (starts[mid]! <= hit) lo = mid;
        else hi = mid - 1;
      }
      found.push(lo);
      row = lo + 1;
    }
    return found;
  }
}

/**
 * Columns row by row, in order: new rows, or rows of existing columns that share these tables. The fields go into
 * typed arrays sized for the expected count (grown if it is exceeded): at a million rows, plain arrays filled by
 * push and copied at the end took ~1.2 s of a rebuild.
 */
export class ColumnsBuilder {
  /** Names, or whole runs of them copied from other columns, to be joined by '\n'. */
  private readonly parts: string[] = [];
  private n = 0;
  private starts: Int32Array;
  private created: Float64Array;
  private size: Float64Array;
  private ns: Uint32Array;
  private mt: Uint32Array;
  private ls: Uint32Array;
  private textLength = 0;

  constructor(
    readonly tables: Tables,
    expected = 0,
  ) {
    const capacity = Math.max(16, expected);
    this.starts = new Int32Array(capacity + 1);
    this.created = new Float64Array(capacity);
    this.size = new Float64Array(capacity);
    this.ns = new Uint32Array(capacity);
    this.mt = new Uint32Array(capacity);
    this.ls = new Uint32Array(capacity);
  }

  add(row: CatalogRow): void {
    const i = this.next(row.name);
    this.created[i] = row.created;
    this.size[i] = row.size;
    this.ns[i] = this.tables.nsId(row.ns);
    this.mt[i] = this.tables.mtId(row.mediaType);
    this.ls[i] = this.tables.ls.id(row.labels);
  }

  /**
   * Rows [from, to) of columns built over the same tables, in one piece: their names as one slice, their fields as
   * typed-array copies. Merging changes into a million rows took 0.6-0.8 s row by row, 0.1 s by such runs (the
   * stretches between changed rows).
   */
  copyRange(source: Columns, from: number, to: number): void {
    if (from >= to) return;
    const count = to - from;
    while (this.n + count > this.created.length) this.grow();
    const i = this.n;
    const shift = this.textLength - source.starts[from]!;
    for (let k = 0; k < count; k++) this.starts[i + k] = source.starts[from + k]! + shift;
    this.created.set(source.created.subarray(from, to), i);
    this.size.set(source.size.subarray(from, to), i);
    this.ns.set(source.ns.subarray(from, to), i);
    this.mt.set(source.mt.subarray(from, to), i);
    this.ls.set(source.ls.subarray(from, to), i);
    // Joined by '\n' with the other parts, the run's names come out as they were.
    this.parts.push(source.text.slice(source.starts[from]!, source.starts[to]! - 1));
    this.textLength += source.starts[to]! - source.starts[from]!;
    this.n += count;
  }

  private next(name: string): number {
    if (this.n === this.created.length) this.grow();
    const i = this.n++;
    this.parts.push(name);
    this.starts[i] = this.textLength;
    this.textLength += name.length + 1;
    return i;
  }

  private grow(): void {
    const capacity = this.created.length * 2;
    const larger = <T extends Float64Array | Uint32Array | Int32Array>(
      a: T,
      make: (n: number) => T,
      extra = 0,
    ) => {
      const b = make(capacity + extra);
      b.set(a);
      return b;
    };
    this.starts = larger(this.starts, (k) => new Int32Array(k), 1);
    this.created = larger(this.created, (k) => new Float64Array(k));
    this.size = larger(this.size, (k) => new Float64Array(k));
    this.ns = larger(this.ns, (k) => new Uint32Array(k));
    this.mt = larger(this.mt, (k) => new Uint32Array(k));
    this.ls = larger(this.ls, (k) => new Uint32Array(k));
  }

  finish(): Columns {
    const n = this.n;
    this.starts[n] = this.textLength;
    // Filled to the expected count (the usual case), the arrays are kept as they are rather than copied.
    const fit = <T extends Float64Array | Uint32Array | Int32Array>(a: T, length: number) =>
      a.length === length ? a : (a.slice(0, length) as T);
    return Columns.of(this.tables, this.parts.join('\n'), fit(this.starts, n + 1), {
      created: fit(this.created, n),
      size: fit(this.size, n),
      ns: fit(this.ns, n),
      mt: fit(this.mt, n),
      ls: fit(this.ls, n),
    });
  }
}

/**
 * Dangling names carry no tag: a bare digest, or `repository@digest` whose repository has no `:tag`. Names were
 * validated on the way in, so this only has to find the tag, not re-parse the grammar (a million times).
 */
export function isDanglingFast(name: string): boolean {
  const at = name.indexOf('@');
  if (at < 0) return name.startsWith('sha256:') || name.startsWith('sha512:');
  const repository = name.slice(0, at);
  return repository.indexOf(':', repository.lastIndexOf('/') + 1) < 0;
}

/**
 * Columns as one buffer, how the store saves them (saved-catalog.ts):
 *
 *   'IMC1', n (u32), tables length (u32), tables (JSON: namespaces, media types, label pairs, set and member counts),
 *   names length (u32), names (UTF-8, joined by '\n'), padding to 8,
 *   created (f64 x n), size (f64 x n), starts (u32 x n + 1), namespace id, media type id, label set id (u32 x n each),
 *   label set starts (u32 x sets + 1), label set members (u32 x members)
 */
const magic = 0x494d4331;

interface StoredTables {
  ns: string[];
  mt: string[];
  pairs: string[];
  sets: number;
  members: number;
}

export function packColumns(c: Columns): Buffer {
  const n = c.length;
  const ls = c.tables.ls;
  const stored: StoredTables = {
    ns: c.tables.ns,
    mt: c.tables.mt,
    pairs: ls.pairs,
    sets: ls.size,
    members: ls.members.length,
  };
  const tables = Buffer.from(JSON.stringify(stored), 'utf8');
  const names = Buffer.from(c.text, 'utf8');
  const head = Buffer.alloc(12);
  head.writeUInt32BE(magic, 0);
  head.writeUInt32BE(n, 4);
  head.writeUInt32BE(tables.length, 8);
  const namesLength = Buffer.alloc(4);
  namesLength.writeUInt32BE(names.length, 0);
  const before = 12 + tables.length + 4 + names.length;
  const bytesOf = (a: Float64Array | Uint32Array | Int32Array) =>
    Buffer.from(a.buffer, a.byteOffset, a.byteLength);
  return Buffer.concat([
    head,
    tables,
    namesLength,
    names,
    Buffer.alloc((8 - (before % 8)) % 8),
    bytesOf(c.created),
    bytesOf(c.size),
    bytesOf(c.starts),
    bytesOf(c.ns),
    bytesOf(c.mt),
    bytesOf(c.ls),
    bytesOf(Uint32Array.from(ls.starts)),
    bytesOf(Uint32Array.from(ls.members)),
  ]);
}

/** The columns of a packed buffer, or undefined when it is not one this build wrote (any inconsistency). */
export function unpackColumns(bytes: Buffer): Columns | undefined {
  try {
    if (bytes.length < 16 || bytes.readUInt32BE(0) !== magic) return undefined;
    const n = bytes.readUInt32BE(4);
    let at = 12 + bytes.readUInt32BE(8);
    const t = JSON.parse(bytes.toString('utf8', 12, at)) as unknown;
    if (!isStoredTables(t)) return undefined;
    const namesEnd = at + 4 + bytes.readUInt32BE(at);
    if (namesEnd > bytes.length) return undefined;
    // Image names are ASCII (the reference grammar): latin1 decodes those bytes alike, at ~2.5x utf8's speed.
    const names = bytes.subarray(at + 4, namesEnd);
    const text = names.toString(isAscii(names) ? 'latin1' : 'utf8');
    at = namesEnd + ((8 - (namesEnd % 8)) % 8);
    if (bytes.length !== at + n * 32 + 4 + (t.sets + 1) * 4 + t.members * 4) return undefined;
    // Typed arrays over the bytes where they are aligned for them (a buffer of its own starts at 0), else over a copy.
    const aligned = (bytes.byteOffset + at) % 8 === 0;
    const buffer = aligned
      ? bytes.buffer
      : bytes.buffer.slice(bytes.byteOffset + at, bytes.byteOffset + bytes.length);
    const base = aligned ? bytes.byteOffset + at : 0;
    const u32 = (offset: number, length: number) => new Uint32Array(buffer, base + offset, length);
    const starts = new Int32Array(buffer, base + n * 16, n + 1);
    const fields = {
      created: new Float64Array(buffer, base, n),
      size: new Float64Array(buffer, base + n * 8, n),
      ns: u32(n * 20 + 4, n),
      mt: u32(n * 24 + 4, n),
      ls: u32(n * 28 + 4, n),
    };
    // Plain arrays: sets are appended to as rows change.
    const setStarts = plain(u32(n * 32 + 4, t.sets + 1));
    const members = plain(u32(n * 32 + 4 + (t.sets + 1) * 4, t.members));
    const tables = new Tables(t.ns, t.mt, new LabelSets(t.pairs, setStarts, members));
    if (!tables.distinct() || !validStarts(text, starts)) return undefined;
    if (!under(fields.ns, t.ns.length) || !under(fields.mt, t.mt.length) || !under(fields.ls, t.sets))
      return undefined;
    if (!under(members, t.pairs.length) || setStarts[0] !== 0 || setStarts[t.sets] !== t.members)
      return undefined;
    for (let set = 0; set < t.sets; set++) if (setStarts[set]! > setStarts[set + 1]!) return undefined;
    return Columns.of(tables, text, starts, fields);
  } catch {
    return undefined;
  }
}

function plain(a: Uint32Array): number[] {
  const out = new Array<number>(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]!;
  return out;
}

/** Whether every id is below size (a loop: every() over a million typed-array entries took ~30 ms). */
function under(ids: ArrayLike<number>, size: number): boolean {
  for (let i = 0; i < ids.length; i++) if (ids[i]! >= size) return false;
  return true;
}

/** n non-empty names separated by single '\n's: each starts after the previous one's separator. */
function validStarts(text: string, starts: Int32Array): boolean {
  const n = starts.length - 1;
  if (n === 0) return text === '' && starts[0] === 0;
  if (starts[0] !== 0 || starts[n] !== text.length + 1) return false;
  for (let i = 1; i <= n; i++) {
    if (starts[i]! <= starts[i - 1]! + 1) return false;
    if (i < n && text.charCodeAt(starts[i]! - 1) !== 10) return false;
  }
  return true;
}

const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === 'string');
const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

function isStoredTables(t: unknown): t is StoredTables {
  const v = t as Partial<Record<keyof StoredTables, unknown>> | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    isStrings(v.ns) &&
    isStrings(v.mt) &&
    isStrings(v.pairs) &&
    isCount(v.sets) &&
    isCount(v.members)
  );
}
