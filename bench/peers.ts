// What every store in the benchmark implements, so that each operation is one function measured on every peer.
import type { ImageRef, SortField, SortOrder } from '../src/shared/types';
import type { BlobSpec, ImageSpec } from './data';

export interface PageQuery {
  sort: SortField;
  order: SortOrder;
  offset: number;
  limit: number;
  /** One `k=v` label selector. */
  label?: string;
}

/** One image as a peer returns it (records are decoded; the benchmark only compares names). */
export interface Item {
  namespace: string;
  name: string;
}

export interface PageResult {
  items: Item[];
  /** Present when the peer's call returns it (imgmeta always does; the others only where asked for). */
  total?: number;
  /** The peer's own continuation token for the next page. */
  cursor?: unknown;
}

export interface ImagePeer {
  readonly id: PeerId;
  putBlobs(blobs: BlobSpec[]): void;
  /** One durable transaction. */
  createImages(images: ImageSpec[]): void;
  countAll(): number;
  countNamespace(namespace: string): number;
  page(q: PageQuery): PageResult;
  /** The page after `previous`, continuing from its last item. */
  nextPage(q: PageQuery, previous: PageResult): PageResult;
  /** The total number of names containing `needle` and the first `limit` of them in name order. */
  nameContains(needle: string, limit: number): PageResult;
  /** One durable transaction. */
  deleteImages(refs: ImageRef[]): void;
  /** Removes blobs that no image reaches; returns how many. */
  gc(): number;
  close(): void;
}

export interface MetadataListing {
  keys: string[];
  total: number;
}

export interface MetadataPeer {
  readonly id: PeerId;
  /** Many keys at once: one durable transaction where the store has them, one durable write per key otherwise. */
  setMany(entries: { key: string; value: Uint8Array }[]): void;
  /** One key, acknowledged once it is on disk. */
  setOne(key: string, value: Uint8Array): void;
  get(key: string): Uint8Array | undefined;
  /** The first `limit` keys under `prefix` in key order, with how many there are. */
  list(prefix: string, limit: number): MetadataListing;
  close(): void;
}

export const peerIds = ['imgmeta', 'lmdb', 'sqlite', 'files'] as const;
export type PeerId = (typeof peerIds)[number];

export const peerTitles: Record<PeerId, string> = {
  imgmeta: 'imgmeta',
  lmdb: 'raw lmdb-js',
  sqlite: 'better-sqlite3',
  files: 'file-per-key',
};
