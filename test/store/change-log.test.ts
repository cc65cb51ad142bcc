import { describe, expect, it } from 'vitest';
import { changeLogLength, changeLogPruneEvery } from '../../src/main/store/env';
import { listKeys, setValue } from '../../src/main/store/metadata';
import type { Store } from '../../src/main/store/store';
import { openStore, tempStore } from '../helpers/store';

const value = new TextEncoder().encode('v');
const key = (i: number) => `k${String(i).padStart(6, '0')}`;
const keysAt = (store: Store, offset: number) =>
  listKeys(store.env, store.positions, { namespace: 'n', prefix: '', offset, limit: 3 }).items.map(
    (i) => i.key,
  );

describe('the change log keeps the last 10,000 changes for readers to catch up', () => {
  it('holds every sequence of the last changeLogLength, prunes older ones in chunks, and a reader further behind still answers exactly', async () => {
    const { store, dir } = tempStore();
    const write = (from: number, to: number) => {
      for (let i = from; i < to; i++)
        store.write((ctx) => setValue(store.env, ctx, { namespace: 'n', key: key(i), value }));
    };
    write(0, 1000);
    const reader = openStore(dir);
    try {
      // The reader samples the namespace at this sequence (a jump past 512 keys)...
      expect(keysAt(reader.store, 600)).toEqual([key(600), key(601), key(602)]);
      write(1000, 1000 + changeLogLength + 150);
      const seq = store.changeSeq();
      const logged = [...store.env.dbs.changes.getKeys()] as number[];
      for (let s = seq - changeLogLength + 1; s <= seq; s++) expect(logged).toContain(s);
      expect(logged.length).toBeGreaterThanOrEqual(changeLogLength);
      expect(logged.length).toBeLessThan(changeLogLength + changeLogPruneEvery);
      // ...and is now further behind than the log reaches: it samples again instead of shifting. (lmdb-js renews
      // another environment handle's read snapshot between event-loop turns, as it would between a process's requests.)
      await new Promise((resolve) => setTimeout(resolve, 0));
      expect(reader.store.changeSeq()).toBe(seq);
      expect(keysAt(reader.store, 600)).toEqual([key(600), key(601), key(602)]);
      expect(keysAt(reader.store, 9000)).toEqual([key(9000), key(9001), key(9002)]);
    } finally {
      reader.dispose();
    }
  }, 120_000);
});
