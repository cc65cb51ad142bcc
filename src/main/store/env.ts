import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Database, DatabaseOptions, RootDatabase } from 'lmdb';
import { failedPrecondition, ImgmetaError } from '../../shared/errors';
import type { Descriptor, Labels } from '../../shared/types';
import { CommitGate, gateFiles } from './commit-gate';
import { checkDataFileHead } from './data-file';
import { assertRoomToCreate, commitFailure } from './disk-full';
import { imagesDatabase } from './image-codec';
import { childrenOf, type Key } from './keys';
import { LoggedKeys, type KeySpace, type StoredLoggedKeys } from './logged-keys';
import { metadataDatabase } from './metadata-codec';
import { openEnvironment } from './open-environment';
import { packSamples, sampleDatabase } from './samples';

/**
 * Bump when the on-disk layout changes; a store written by a newer schema is refused, never half-read.
 * 2: image records and metadata values as MessagePack arrays (image-codec.ts, metadata-codec.ts), which a schema-1
 * build would misread. This build reads schema-1 values as they are.
 */
export const schemaVersion = 2;

/** An image record as stored: short field names because a million of them are read per full scan. */
export interface StoredImage {
  t: Descriptor;
  l: Labels;
  /** created, updated: ms since the epoch. */
  c: number;
  u: number;
  /** total size of the content tree as far as known. */
  z: number;
}

export type ChildRole = 'manifest' | 'config' | 'layer' | 'subject' | 'blob';

export interface StoredContent {
  s: number;
  m: string;
  l: Labels;
  k: [ChildRole, Descriptor][];
  c: number;
  /** The bytes are in the blobs database. */
  p: boolean;
}

export interface StoredMetadata {
  /** version: the change sequence number of the write that produced this value. */
  v: number;
  u: number;
  b: Uint8Array;
}

export interface StoredTrash {
  image: StoredImage;
  ns: string;
  name: string;
  d: number;
}

/**
 * The named databases of one environment:
 * - images:   [namespace, name] -> StoredImage
 * - index:    secondary keys (see images.ts) -> covering summary or `true`
 * - counts:   [kind, ...] -> number, maintained in the same transaction as the records they count
 * - content:  digest -> StoredContent; blobs: digest -> bytes; parents: [child, parent] -> role
 * - metadata: [namespace, key] -> StoredMetadata
 * - trash:    [seq, namespace, name] -> StoredTrash
 * - changes:  seq -> what a transaction touched (ChangeEntry), so readers catch up without rescanning
 * - pending:  digest -> true: content whose last reference went away, or that arrived unreferenced: where GC looks
 * - meta:     'schema' | 'seq' (the change counter) | 'imagesSeq' (its value at the last image change) | 'createdAt'
 * - derived:  name -> bytes: data any process can rebuild from the rest, kept to spare the next process the work (the
 *             saved catalog, saved-catalog.ts); written by writeDerived, outside the change counter
 */
export interface Databases {
  meta: Database<unknown, string>;
  images: Database<StoredImage, Key>;
  index: Database<unknown, Key>;
  counts: Database<number, Key>;
  content: Database<StoredContent, string>;
  blobs: Database<Buffer, string>;
  parents: Database<string, Key>;
  metadata: Database<StoredMetadata, Key>;
  trash: Database<StoredTrash, Key>;
  changes: Database<ChangeEntry, number>;
  pending: Database<true, string>;
  /** Absent from a store opened read-only that no build with it has written to (read-only opens make no database). */
  derived: Database<Buffer, string> | undefined;
}

/**
 * What one transaction changed, for other readers to catch up without rescanning: the image names it touched (for
 * the catalog) and the keys it added and removed (for the position samples). Past a bound, 'reset': rebuild.
 */
export interface ChangeEntry {
  r: [string, string][] | 'reset';
  /** The keys it added and removed (logged-keys.ts), so readers can shift their position samples. */
  k: StoredLoggedKeys | 'reset';
  /** With k 'reset': the key spaces the transaction changed (absent in older logs: assume all of them). */
  z?: KeySpace[];
}

/** Where a key space's persisted rank samples live in `meta` (see samples.ts), and the sequence they are true at. */
export const samplesKey = (space: KeySpace) => `positions:${space}`;
export const samplesSeqKey = (space: KeySpace) => `positionsSeq:${space}`;

/** How many change-log entries stay readable; a reader further behind rebuilds from the indexes. */
export const changeLogLength = 10_000;
/**
 * Entries older than changeLogLength are removed every this many sequences (so at most this many linger). With 64,
 * each prune commit took ~2.4x a plain one (0.87 ms against 0.36 ms p50, 10,500 single sets in), 16 in every 1,024
 * commits; removing 1,024 at once takes ~3 ms, once, and less time in all.
 */
export const changeLogPruneEvery = 1024;
/** A transaction touching more images than this logs one 'reset' (readers rebuild) instead of every name. */
export const changeLogResetThreshold = 20_000;
/** Likewise for added and removed keys (about ten per image), keeping a log entry far below lmdb-js's value limits. */
const loggedKeysThreshold = 20_000;

export class WriteContext {
  readonly now = Date.now();
  private readonly countDeltas = new Map<string, { key: Key; delta: number }>();
  private changed: [string, string][] | 'reset' = [];
  private keys: LoggedKeys | 'reset' = new LoggedKeys();
  private readonly unheld = new Set<string>();
  private readonly spaces = new Set<KeySpace>();

  constructor(readonly seq: number) {}

  addCount(key: Key, delta: number): void {
    // Count keys are arrays of strings; NUL never occurs in them (keys refuse it), so it joins them unambiguously.
    const id = Array.isArray(key) ? key.join('\u0000') : String(key);
    const entry = this.countDeltas.get(id);
    if (entry) entry.delta += delta;
    else this.countDeltas.set(id, { key, delta });
  }

  imageChanged(namespace: string, name: string): void {
    if (this.changed === 'reset') return;
    this.changed.push([namespace, name]);
    if (this.changed.length > changeLogResetThreshold) this.changed = 'reset';
  }

  /** New content: queued for GC at commit unless by then an image, a trash entry or another blob holds it. */
  contentArrived(digest: string): void {
    this.unheld.add(digest);
  }

  keyChanged(space: KeySpace, sign: 1 | -1, key: Key): void {
    this.spaces.add(space);
    if (this.keys === 'reset') return;
    this.keys.add(space, sign, key);
    if (this.keys.count > loggedKeysThreshold) this.keys = 'reset';
  }

  /** Applied inside the transaction, after the caller's writes. */
  finish(dbs: Databases): void {
    for (const { key, delta } of this.countDeltas.values()) {
      if (delta === 0) continue;
      const next = (dbs.counts.get(key) ?? 0) + delta;
      if (next < 0) throw new ImgmetaError('internal', `count ${JSON.stringify(key)} would go negative`);
      if (next === 0) {
        dbs.counts.remove(key);
        // The last image or trash entry pointing at this digest is gone: GC looks here (and below) next time.
        if (Array.isArray(key) && key[0] === 'ref') dbs.pending.put(key[1] as string, true);
      } else dbs.counts.put(key, next);
    }
    for (const digest of this.unheld) {
      const held =
        (dbs.counts.get(['ref', digest]) ?? 0) > 0 ||
        dbs.parents.getKeysCount({ ...childrenOf([digest]), limit: 1 }) > 0;
      if (!held) dbs.pending.put(digest, true);
    }
    dbs.meta.put('seq', this.seq);
    const imagesChanged = this.changed === 'reset' || this.changed.length > 0;
    if (imagesChanged || this.keys === 'reset' || this.keys.count > 0)
      dbs.changes.put(
        this.seq,
        this.keys === 'reset'
          ? { r: this.changed, k: 'reset', z: [...this.spaces] }
          : { r: this.changed, k: this.keys.pack() },
      );
    // A bulk change logs no keys, so no reader could shift its positions past it: the writer samples each key space it
    // changed once here (about a second per ten million keys, in a transaction that wrote at least 20,000) and
    // persists the samples, which every process then loads and shifts by the smaller transactions that follow.
    if (this.keys === 'reset') for (const space of this.spaces) persistSamples(dbs, space, this.seq);
    if (imagesChanged) dbs.meta.put('imagesSeq', this.seq);
    // The oldest entries go in chunks: removing one on every commit copied the log's first pages each time. A
    // single-key commit on a store past 10,000 changes wrote 11 pages of 16 KiB before its fsync, 9 with this (strace).
    if (this.seq > changeLogLength && this.seq % changeLogPruneEvery === 0) {
      for (const old of [...dbs.changes.getKeys({ end: this.seq - changeLogLength + 1 })])
        dbs.changes.remove(old);
    }
  }
}

function persistSamples(dbs: Databases, space: KeySpace, seq: number): void {
  const packed = packSamples(sampleDatabase(dbs[space] as Database<unknown, Key>, seq));
  if (packed) {
    dbs.meta.put(samplesKey(space), packed);
    dbs.meta.put(samplesSeqKey(space), seq);
  } else {
    dbs.meta.remove(samplesKey(space));
    dbs.meta.remove(samplesSeqKey(space));
  }
}

/**
 * The page size of new stores (an existing store keeps the one it was created with). After a large transaction LMDB
 * (lmdb-js's build) holds every page it copied on a free list that each later commit loads and rewrites: with 4 KiB
 * pages a store that bulk-imported a few hundred MiB took 0.3-0.9 s for every single-key commit afterwards; 16 KiB
 * pages mean a quarter of the entries and brought the same commits to ~1 ms (measured with raw lmdb-js, see README).
 */
export const storePageSize = 16_384;

/**
 * How much of LMDB's free list (page numbers) a writer holds in memory: lmdb-js options its maintainer points users to
 * (kriszyp/lmdb-js#335), missing from its typings; the defaults are 50,000 and 75,000. With them, for ~300 commits
 * after a bulk import each commit rewrote the tens of thousands of entries it held and then read them back and merged
 * them one by one to verify them: single-key durable sets took 13-60 ms each, CPU inside LMDB (raw lmdb-js alike; 1M
 * metadata keys imported in 50k batches), against ~0.6 ms with these. Freed pages are still reused, the list only
 * loaded in smaller parts: an import then a rewrite of every key ended within 0.2% of the default's file size (see
 * README). Runtime options, not stored: stores created before get them too.
 *
 * Retaining at most 1,000 (not 2,000): the writer keeps what it holds for up to 300 commits, and writes it back as a
 * free-list record each commit; 2,000 page numbers (16 KB) no longer fit in a 16 KiB page, so that record went to
 * overflow pages, freed and reallocated one by one in the same commit. After 1M images, a 10,000-image delete and a
 * 1M-key metadata import (in a process of its own), the next ~300 single sets took ~5.4 ms each with 2,000 and 0.9 ms
 * (p50, 0.09 s of CPU for 200 instead of 0.72) with 1,000; the first single set after the delete took 48 ms instead
 * of 174 (one run each).
 */
export const storeFreeSpace = { maxFreeSpaceToLoad: 1_000, maxFreeSpaceToRetain: 1_000 };

/** The files of a store: LMDB's data and lock files, and the commit gate's. */
const storeFiles = ['data.mdb', 'lock.mdb', ...gateFiles];

/**
 * The memory map reserved at open (address space, not disk: the file grows only with the data, checked on Linux). With
 * lmdb-js's default the map is the file's size and doubles when a write needs more: every growth unmaps and remaps
 * the file, and the next reads fault every page in again (the first page after a one-key write to a freshly filled
 * store: 137 page faults, 12.8 ms instead of 4 ms at 300k images). A larger store still grows past this as before.
 * Not on Windows, where LMDB sizes the file to the map.
 */
export const storeMapSize =
  process.platform === 'win32' ? undefined : mapSizeWithin(addressSpaceLimit(), 64 * 2 ** 30);

/**
 * The map to reserve under a cap on this process's address space (`ulimit -v`): a map the cap cannot hold makes
 * lmdb-js crash the process at open (a segfault, not an error), so under a cap it takes at most a quarter of it,
 * and none at all (lmdb-js's default, grown as needed) when that is under 1 GiB.
 */
export function mapSizeWithin(limit: number | undefined, wanted: number): number | undefined {
  if (limit === undefined) return wanted;
  const quarter = Math.floor(limit / 4 / storePageSize) * storePageSize;
  return quarter >= 2 ** 30 ? Math.min(wanted, quarter) : undefined;
}

/** The soft limit on this process's address space in bytes, where the system says (Linux); undefined if none. */
function addressSpaceLimit(): number | undefined {
  try {
    const limit = /^Max address space\s+(\S+)/m.exec(readFileSync('/proc/self/limits', 'utf8'))?.[1];
    return limit === undefined || limit === 'unlimited' ? undefined : Number(limit);
  } catch {
    return undefined;
  }
}

/** Each named database with its lmdb-js options: what an environment opens, and the names it recognizes as a store's. */
const databaseOptions: Record<keyof Databases, DatabaseOptions> = {
  meta: {},
  images: imagesDatabase,
  index: {},
  counts: {},
  content: {},
  blobs: { encoding: 'binary' },
  parents: {},
  metadata: metadataDatabase,
  trash: {},
  changes: { keyEncoding: 'uint32' },
  pending: {},
  derived: { encoding: 'binary' },
};

/**
 * Whether the environment is another program's: its main database holds keys, and not the `meta` database every store
 * opens first (a store without a schema record yet is told apart later, by initialize).
 */
function anotherProgramsEnvironment(root: RootDatabase): boolean {
  let keys = 0;
  for (const key of root.getKeys({ limit: 50 })) {
    if (key === 'meta') return false;
    keys++;
  }
  return keys > 0;
}

/** Whether the main database holds anything but this store's named databases. */
function holdsForeignKeys(root: RootDatabase): boolean {
  for (const key of root.getKeys({ limit: 50 }))
    if (typeof key !== 'string' || !Object.hasOwn(databaseOptions, key)) return true;
  return false;
}

export interface StoreEnvOptions {
  readOnly?: boolean;
}

export class StoreEnv {
  readonly root: RootDatabase;
  readonly dbs: Databases;
  /** Inside write(): derived data is not written then (see writeDerived). */
  private writing = false;

  private constructor(
    readonly path: string,
    root: RootDatabase,
    readonly readOnly: boolean,
    private readonly gate: CommitGate,
  ) {
    this.root = root;
    const openAll = () =>
      Object.fromEntries(
        Object.entries(databaseOptions).map(([name, options]) => [name, root.openDB(name, options)]),
      ) as unknown as Databases;
    // Read-write, lmdb-js opens (and on a new store creates) each database in a write transaction of its own; inside
    // one transaction they are one commit, made through the gate like every other.
    this.dbs = readOnly ? openAll() : this.commit(openAll);
  }

  static open(path: string, options: StoreEnvOptions = {}): StoreEnv {
    const readOnly = options.readOnly ?? false;
    // A read-only open creates the lock and gate files of an existing store that lacks them, and nothing elsewhere.
    const creates = !readOnly || existsSync(join(path, 'data.mdb'));
    if (creates && storeFiles.some((file) => !existsSync(join(path, file)))) assertRoomToCreate(path);
    checkDirectory(path, readOnly);
    checkDataFileHead(path);
    // A read-only open of a directory without a store fails below; it makes no gate files there either.
    const gate = readOnly && !existsSync(join(path, 'data.mdb')) ? CommitGate.none() : CommitGate.open(path);
    let foreign = false;
    let root: RootDatabase | undefined;
    try {
      // overlappingSync off: a commit returns only once it is on disk, so "acknowledged" means durable. noSubdir off:
      // lmdb-js otherwise takes a path with an extension ("images.store") for the data file itself. LMDB's own open
      // holds the gate (see commit-gate.ts); the root's first transaction after it only opens the main database, an
      // empty transaction that commits nothing.
      root = openEnvironment(
        {
          path,
          noSubdir: false,
          maxDbs: 16,
          overlappingSync: false,
          readOnly,
          pageSize: storePageSize,
          ...storeFreeSpace,
          ...(storeMapSize !== undefined ? { mapSize: storeMapSize } : {}),
        },
        (open) => gate.hold(open),
      );
      // Before any named database is made: another program's environment is left as it was.
      foreign = anotherProgramsEnvironment(root);
      if (foreign) throw failedPrecondition(`${path} is an LMDB environment but not an imgmeta store`);
      const env = new StoreEnv(path, root, readOnly, gate);
      env.initialize();
      return env;
    } catch (err) {
      root?.close();
      if (foreign) gate.discard();
      else gate.close();
      throw err;
    }
  }

  /**
   * Writes the first records of a new store, unless a store is already there. The schema is read again inside the
   * transaction because two processes opening a new store at once both find it empty, and the later one must not
   * set the change counter back to 0 (other processes would miss writes, change-log entries would be overwritten)
   * after the first has already written. Answers whether it initialized the store.
   */
  writeSchema(): boolean {
    return this.commit(() => {
      if (this.dbs.meta.get('schema') !== undefined) return false;
      this.dbs.meta.put('schema', schemaVersion);
      this.dbs.meta.put('seq', 0);
      this.dbs.meta.put('createdAt', new Date().toISOString());
      return true;
    });
  }

  private initialize(): void {
    const schema = this.dbs.meta.get('schema');
    if (schema === undefined) {
      if (this.readOnly) throw failedPrecondition(`${this.path} is not an imgmeta store (no schema record)`);
      if (holdsForeignKeys(this.root))
        throw failedPrecondition(`${this.path} is an LMDB environment but not an imgmeta store`);
      // Synchronous on purpose: a fresh store is initialized before open() returns; if this first write is lost to
      // a crash, the next open simply initializes it again.
      this.writeSchema();
      return this.initialize();
    }
    if (typeof schema !== 'number')
      throw failedPrecondition(`${this.path} is not an imgmeta store (bad schema record)`);
    if (schema > schemaVersion) {
      throw failedPrecondition(
        `the store at ${this.path} has schema ${schema}, written by a newer imgmeta; this build reads schema ${schemaVersion} and earlier: upgrade imgmeta`,
      );
    }
    if (schema < schemaVersion && !this.readOnly) this.markSchema();
  }

  /**
   * Marks an older store with this build's schema before this build writes to it: what it writes, an older build
   * would misread, and the mark makes such a build refuse the store with its own clear error instead. Nothing else
   * changes (every older layout still reads here); read-only opens leave the mark alone.
   */
  private markSchema(): void {
    this.commit(() => {
      const schema = this.dbs.meta.get('schema');
      if (typeof schema === 'number' && schema < schemaVersion) this.dbs.meta.put('schema', schemaVersion);
    });
  }

  /** The schema the store is marked with. */
  schema(): number {
    return this.dbs.meta.get('schema') as number;
  }

  /** The change counter: one cheap read, so pollers in other processes can notice writes. */
  changeSeq(): number {
    return (this.dbs.meta.get('seq') as number | undefined) ?? 0;
  }

  /**
   * Every change runs here: one synchronous LMDB transaction (a throw rolls all of it back) that also maintains the
   * counts, bumps the change counter and appends to the change log. It returns once the commit is on disk
   * (overlappingSync is off). `fn` must be synchronous: if a transactionSync callback returns a promise, lmdb-js
   * defers the commit until it settles, and a write acknowledged in between is lost to a crash.
   */
  write<T>(fn: (ctx: WriteContext) => T): T {
    if (this.readOnly) throw failedPrecondition('the store is open read-only');
    return this.commit(() => {
      this.writing = true;
      try {
        const ctx = new WriteContext(this.changeSeq() + 1);
        const result = fn(ctx);
        ctx.finish(this.dbs);
        return result;
      } finally {
        this.writing = false;
      }
    });
  }

  /**
   * Every commit to the store: one synchronous LMDB transaction that takes the gate at its end, so that its commit
   * (which lmdb-js runs once the callback returned) never overlaps another process's open (see commit-gate.ts).
   * A callback that returns a promise (an expression-bodied arrow around lmdb-js's `put`, which returns one, is
   * enough) is refused and rolled back: lmdb-js would keep that transaction open until the promise settled, and every
   * commit made in between, on any path, would run inside it, acknowledged without being on disk.
   */
  private commit<T>(fn: () => T): T {
    let entered = false;
    try {
      return this.root.transactionSync(() => {
        const result = fn();
        if (isThenable(result)) throw new ImgmetaError('internal', 'a store write must be synchronous');
        this.gate.enter();
        entered = true;
        return result;
      });
    } catch (err) {
      throw commitFailure(this.path, err);
    } finally {
      if (entered) this.gate.leave();
    }
  }

  /** Whether this process is inside write(). */
  get inWrite(): boolean {
    return this.writing;
  }

  /**
   * Writes derived data (a cache any process can rebuild, such as the saved catalog) in a transaction of its own,
   * without counting it as a change: the change counter stays, so no poller refreshes for it. Best effort: false when
   * the store is read-only, when this process is inside a write (the cache would commit or roll back with it), or when
   * the write fails (a full disk); callers work the same without the cache.
   */
  writeDerived(fn: () => void): boolean {
    if (this.readOnly || this.writing) return false;
    try {
      this.commit(fn);
      return true;
    } catch {
      return false;
    }
  }

  /** The change counter's value at the last write that touched an image: what image listings depend on. */
  imagesSeq(): number {
    return (this.dbs.meta.get('imagesSeq') as number | undefined) ?? 0;
  }

  count(key: Key): number {
    return this.dbs.counts.get(key) ?? 0;
  }

  /** Every count under a prefix: `[...prefix, rest]` -> n. */
  *countsUnder(prefix: Key[]): Generator<{ key: Key[]; value: number }> {
    for (const { key, value } of this.dbs.counts.getRange(childrenOf(prefix)))
      yield { key: key as Key[], value };
  }

  bytesOnDisk(): number {
    let total = 0;
    for (const file of storeFiles) {
      const p = join(this.path, file);
      if (existsSync(p)) total += statSync(p).blocks * 512;
    }
    return total;
  }

  close(): void {
    this.root.close();
    this.gate.close();
  }
}

const isThenable = (value: unknown): boolean =>
  typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';

function checkDirectory(path: string, readOnly: boolean): void {
  if (!existsSync(path)) {
    if (readOnly) throw failedPrecondition(`no store at ${path}`);
    mkdirSync(path, { recursive: true, mode: 0o700 });
    return;
  }
  if (!statSync(path).isDirectory())
    throw failedPrecondition(`${path} is not a store: it is a file, not a directory`);
  // Gate files alone are a store whose first open stopped before LMDB created its files.
  const entries = readdirSync(path).filter((entry) => !(gateFiles as readonly string[]).includes(entry));
  if (entries.length > 0 && !entries.includes('data.mdb')) {
    throw failedPrecondition(`${path} is not a store: the directory holds other files and no data.mdb`);
  }
}
