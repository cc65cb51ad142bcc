// The ceiling: lmdb-js used directly on the same records ([namespace, name] -> the same stored image object), with
// only the indexes a direct user needs for the measured queries, the same durability (overlappingSync off), page size
// and free-list limits, and no counts, change log or catalog. Deep pages skip with getKeys({ offset }), which walks
// every key before the offset.
import { open, type Database, type RootDatabase } from 'lmdb';
import { storeFreeSpace, storePageSize, type StoredImage } from '../src/main/store/env';
import { childrenOf, startingWith, type Key } from '../src/main/store/keys';
import type { ImageRef } from '../src/shared/types';
import { metadataNamespace, type BlobSpec, type ImageSpec } from './data';
import type { ImagePeer, Item, MetadataListing, MetadataPeer, PageQuery, PageResult } from './peers';

interface RawContent {
  m: string;
  s: number;
  /** Child digests. */
  k: string[];
}

function isEmpty(items: Iterable<unknown>): boolean {
  for (const _ of items) return false;
  return true;
}

const labelPairs = (labels: Record<string, string>) => Object.entries(labels).map(([k, v]) => `${k}=${v}`);

/**
 * Index keys (one `index` database):
 *   ['n', name, ns]  ['c', created, ns, name]  ['s', size, ns, name]  ['d', digest, ns, name]  ['l', 'k=v', name, ns]
 */
function indexKeys(ns: string, name: string, s: StoredImage): Key[] {
  const keys: Key[] = [
    ['n', name, ns],
    ['c', s.c, ns, name],
    ['s', s.z, ns, name],
    ['d', s.t.digest, ns, name],
  ];
  for (const pair of labelPairs(s.l)) keys.push(['l', pair, name, ns]);
  return keys;
}

/** Where a query's keys live and how to get the image back from one. */
function plan(q: PageQuery): { prefix: Key[]; ref: (k: Key[]) => Item } {
  if (q.label !== undefined)
    return { prefix: ['l', q.label], ref: (k) => ({ namespace: k[3] as string, name: k[2] as string }) };
  switch (q.sort) {
    case 'name':
      return { prefix: ['n'], ref: (k) => ({ namespace: k[2] as string, name: k[1] as string }) };
    case 'created':
      return { prefix: ['c'], ref: (k) => ({ namespace: k[2] as string, name: k[3] as string }) };
    case 'size':
      return { prefix: ['s'], ref: (k) => ({ namespace: k[2] as string, name: k[3] as string }) };
  }
}

export class RawLmdb implements ImagePeer, MetadataPeer {
  readonly id = 'lmdb';
  private readonly root: RootDatabase;
  private readonly images: Database<StoredImage, Key>;
  private readonly index: Database<boolean, Key>;
  private readonly content: Database<RawContent, string>;
  private readonly blobs: Database<Buffer, string>;
  private readonly metadata: Database<Buffer, Key>;

  constructor(path: string) {
    // The store's page size and free-list limits, so that both sides pay the same free-list cost after bulk writes.
    this.root = open({ path, maxDbs: 8, overlappingSync: false, pageSize: storePageSize, ...storeFreeSpace });
    this.images = this.root.openDB('images', {});
    this.index = this.root.openDB('index', {});
    this.content = this.root.openDB('content', {});
    this.blobs = this.root.openDB('blobs', { encoding: 'binary' });
    this.metadata = this.root.openDB('metadata', { encoding: 'binary' });
  }

  putBlobs(blobs: BlobSpec[]): void {
    this.root.transactionSync(() => {
      for (const b of blobs) {
        this.content.put(b.digest, {
          m: b.mediaType,
          s: b.bytes.byteLength,
          k: b.children.map((c) => c.digest),
        });
        this.blobs.put(b.digest, Buffer.from(b.bytes));
      }
    });
  }

  createImages(images: ImageSpec[]): void {
    this.root.transactionSync(() => {
      for (const i of images) {
        const s: StoredImage = { t: i.target, l: i.labels, c: i.createdAt, u: i.updatedAt, z: i.totalSize };
        this.images.put([i.namespace, i.name], s);
        for (const key of indexKeys(i.namespace, i.name, s)) this.index.put(key, true);
      }
    });
  }

  countAll(): number {
    return (this.images.getStats() as { entryCount: number }).entryCount;
  }

  countNamespace(namespace: string): number {
    return this.images.getKeysCount(childrenOf([namespace]));
  }

  private fetch(refs: Item[]): Item[] {
    return refs.map((r) => ({ ...r, record: this.images.get([r.namespace, r.name]) }));
  }

  page(q: PageQuery): PageResult {
    const { prefix, ref } = plan(q);
    const range = childrenOf(prefix);
    const reverse = q.order === 'desc';
    const keys = [
      ...this.index.getKeys({
        start: reverse ? range.end : range.start,
        end: reverse ? range.start : range.end,
        reverse,
        offset: q.offset,
        limit: q.limit,
      }),
    ] as Key[][];
    return { items: this.fetch(keys.map(ref)), cursor: keys[keys.length - 1] };
  }

  nextPage(q: PageQuery, previous: PageResult): PageResult {
    const { prefix, ref } = plan(q);
    const range = childrenOf(prefix);
    const reverse = q.order === 'desc';
    const keys: Key[][] = [];
    // Continue from the previous page's last key: one seek, then the next `limit` keys after it.
    for (const key of this.index.getKeys({
      start: previous.cursor as Key,
      end: reverse ? range.start : range.end,
      reverse,
      limit: q.limit + 1,
    })) {
      if (keys.length === 0 && JSON.stringify(key) === JSON.stringify(previous.cursor)) continue;
      keys.push(key as Key[]);
      if (keys.length === q.limit) break;
    }
    return { items: this.fetch(keys.map(ref)), cursor: keys[keys.length - 1] };
  }

  /** A plain scan of the name index: every key decoded and tested. */
  nameContains(needle: string, limit: number): PageResult {
    const refs: Item[] = [];
    let total = 0;
    for (const key of this.index.getKeys(childrenOf(['n']))) {
      const [, name, namespace] = key as [string, string, string];
      if (!name.includes(needle)) continue;
      total++;
      if (refs.length < limit) refs.push({ namespace, name });
    }
    return { items: this.fetch(refs), total };
  }

  deleteImages(refs: ImageRef[]): void {
    this.root.transactionSync(() => {
      for (const { namespace, name } of refs) {
        const s = this.images.get([namespace, name]);
        if (!s) continue;
        this.images.remove([namespace, name]);
        for (const key of indexKeys(namespace, name, s)) this.index.remove(key);
      }
    });
  }

  /** Mark from the blobs some image targets (a digest-index lookup per blob), then sweep the rest. */
  gc(): number {
    return this.root.transactionSync(() => {
      const live = new Set<string>();
      const stack: string[] = [];
      for (const digest of this.content.getKeys()) {
        if (isEmpty(this.index.getKeys({ ...childrenOf(['d', digest]), limit: 1 }))) continue;
        stack.push(digest);
      }
      while (stack.length > 0) {
        const digest = stack.pop()!;
        if (live.has(digest)) continue;
        live.add(digest);
        stack.push(...(this.content.get(digest)?.k ?? []));
      }
      let removed = 0;
      for (const digest of [...this.content.getKeys()]) {
        if (live.has(digest)) continue;
        this.content.remove(digest);
        this.blobs.remove(digest);
        removed++;
      }
      return removed;
    });
  }

  // ---- metadata: [namespace, key] -> the value bytes ----

  setMany(entries: { key: string; value: Uint8Array }[]): void {
    this.root.transactionSync(() => {
      for (const e of entries) this.metadata.put([metadataNamespace, e.key], Buffer.from(e.value));
    });
  }

  setOne(key: string, value: Uint8Array): void {
    // A block body: put() returns a promise, and a transactionSync callback that returns one defers the commit.
    this.root.transactionSync(() => {
      this.metadata.put([metadataNamespace, key], Buffer.from(value));
    });
  }

  get(key: string): Uint8Array | undefined {
    return this.metadata.get([metadataNamespace, key]);
  }

  list(prefix: string, limit: number): MetadataListing {
    const range = startingWith([metadataNamespace], prefix);
    const keys = [...this.metadata.getRange({ ...range, limit })].map(({ key, value }) => {
      void value.byteLength; // what a listing shows per key: its size
      return (key as [string, string])[1];
    });
    // One namespace in this database: the whole-database entry count is exact and O(1); a prefix needs a count scan.
    const total =
      prefix === ''
        ? (this.metadata.getStats() as { entryCount: number }).entryCount
        : this.metadata.getKeysCount(range);
    return { keys, total };
  }

  close(): void {
    this.root.close();
  }
}
