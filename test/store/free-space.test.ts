import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { setValue, setValues } from '../../src/main/store/metadata';
import { tempStore } from '../helpers/store';

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
    const rewrite = () => {
      for (let i = 0; i < keys.length; i += 2_000)
        store.write((ctx) =>
          setValues(
            store.env,
            ctx,
            'ns',
            keys.slice(i, i + 2_000).map((k) => [k, randomBytes(2_000)] as [string, Uint8Array]),
          ),
        );
    };
    const pages = () => (store.env.root.getStats() as { lastPageNumber: number }).lastPageNumber;
    rewrite();
    const first = pages();
    for (let round = 0; round < 5; round++) {
      rewrite();
      for (let i = 0; i < 100; i++)
        store.write((ctx) =>
          setValue(store.env, ctx, { namespace: 'ns', key: keys[i * 7]!, value: randomBytes(200) }),
        );
    }
    expect(pages()).toBeLessThan(first * 1.5);
  });

  it('are reused after bulk writes too: the file stops growing once a rewrite finds the pages the last one freed', () => {
    // 25,000 keys per transaction, half the keys: each frees more pages than the writer holds in memory at once, so
    // what a rewrite frees must be found again on disk. LMDB needs room for the old and the new copy of what one
    // transaction rewrites, so the file settles near twice its first size (lmdb-js's default limits give the same
    // sizes) and must then stay there.
    const { store } = tempStore();
    const keys = Array.from({ length: 50_000 }, (_, i) => `sha256/${i.toString(16).padStart(8, '0')}`);
    const rewrite = () => {
      for (let i = 0; i < keys.length; i += 25_000)
        store.write((ctx) =>
          setValues(
            store.env,
            ctx,
            'ns',
            keys.slice(i, i + 25_000).map((k) => [k, randomBytes(300)] as [string, Uint8Array]),
          ),
        );
      for (let i = 0; i < 50; i++)
        store.write((ctx) =>
          setValue(store.env, ctx, { namespace: 'ns', key: keys[i * 7]!, value: randomBytes(200) }),
        );
    };
    const pages = () => (store.env.root.getStats() as { lastPageNumber: number }).lastPageNumber;
    const sizes: number[] = [];
    for (let round = 0; round < 8; round++) {
      rewrite();
      sizes.push(pages());
    }
    expect(sizes.at(-1)!).toBeLessThan(sizes[0]! * 2.5);
    expect(sizes.at(-1)!).toBeLessThanOrEqual(Math.ceil(sizes[2]! * 1.1));
  });
});
