import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { setValue, setValues } from '../../src/main/store/metadata';
import type { Store } from '../../src/main/store/store';
import { tempStore } from '../helpers/store';

/** Writes every key again with fresh random values, `batch` keys per transaction. */
function rewriteAll(store: Store, keys: string[], batch: number, valueBytes: number): void {
  for (let i = 0; i < keys.length; i += batch)
    store.write((ctx) =>
      setValues(
        store.env,
        ctx,
        'ns',
        keys.slice(i, i + batch).map((k) => [k, randomBytes(valueBytes)] as [string, Uint8Array]),
      ),
    );
}

/** Single-key transactions in between, as a user's edits after an import. */
function setSome(store: Store, keys: string[], count: number): void {
  for (let i = 0; i < count; i++)
    store.write((ctx) =>
      setValue(store.env, ctx, { namespace: 'ns', key: keys[i * 7]!, value: randomBytes(200) }),
    );
}

const pages = (store: Store) => (store.env.root.getStats() as { lastPageNumber: number }).lastPageNumber;

// The store holds only a small part of LMDB's free list in memory (storeFreeSpace, for fast commits after a bulk
// import); the pages it frees must still be found and reused, or the file would grow with every rewrite. Here the
// free list outgrows those limits (2 KB values, ~3,500 pages); lmdb-js's default limits end at the same size, and a
// read transaction held open (which pins every page it can see) makes the file grow ~7x.
describe('free pages', () => {
  it('are reused: rewriting every key again and again leaves the file near its first size', () => {
    const { store } = tempStore();
    const keys = Array.from(
      { length: 20_000 },
      (_, i) => `sha256/${i.toString(16).padStart(8, '0')}${randomBytes(28).toString('hex')}`,
    );
    rewriteAll(store, keys, 2_000, 2_000);
    const first = pages(store);
    for (let round = 0; round < 5; round++) {
      rewriteAll(store, keys, 2_000, 2_000);
      setSome(store, keys, 100);
    }
    expect(pages(store)).toBeLessThan(first * 1.5);
  });

  it('are reused after bulk writes too: the file stops growing once a rewrite finds the pages the last one freed', () => {
    // 25,000 keys per transaction, half the keys: each frees more pages than the writer holds in memory at once, so
    // what a rewrite frees must be found again on disk. LMDB needs room for the old and the new copy of what one
    // transaction rewrites, so the file settles near twice its first size (lmdb-js's default limits give the same
    // sizes) and must then stay there; with a read transaction held open it grows every round.
    const { store } = tempStore();
    const keys = Array.from({ length: 50_000 }, (_, i) => `sha256/${i.toString(16).padStart(8, '0')}`);
    const sizes: number[] = [];
    for (let round = 0; round < 8; round++) {
      rewriteAll(store, keys, 25_000, 300);
      setSome(store, keys, 50);
      sizes.push(pages(store));
    }
    expect(sizes.at(-1)!).toBeLessThan(sizes[0]! * 2.5);
    expect(sizes.at(-1)!).toBeLessThanOrEqual(Math.ceil(sizes[2]! * 1.1));
  });
});
