import fc from 'fast-check';
import { Packr } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { checkStore } from '../../src/main/store/check';
import type { StoredMetadata } from '../../src/main/store/env';
import type { Key } from '../../src/main/store/keys';
import { decodeMetadata, encodeMetadata } from '../../src/main/store/metadata-codec';
import { tempStore } from '../helpers/store';

const storedValue: fc.Arbitrary<StoredMetadata> = fc.record({
  v: fc.maxSafeNat(),
  u: fc.maxSafeNat(),
  b: fc.uint8Array({ maxLength: 5000 }),
});

// What lmdb-js's default encoding wrote before: a msgpackr record with its structure defined inline.
const olderPackr = new Packr({});

const same = (a: StoredMetadata, b: StoredMetadata) => {
  expect([a.v, a.u]).toEqual([b.v, b.u]);
  expect(Buffer.from(a.b).equals(Buffer.from(b.b))).toBe(true);
};

describe('metadata values on disk', () => {
  it('read back exactly as written, with bytes of their own', () => {
    fc.assert(
      fc.property(storedValue, (s) => {
        // Decoded from a buffer that is then overwritten, as lmdb-js's shared read buffer is by the next read.
        const encoded = Buffer.from(encodeMetadata(s));
        const back = decodeMetadata(encoded);
        encoded.fill(0xee);
        same(back, s);
      }),
    );
  });

  it('are shorter than the values written before, which still read as they were', () => {
    fc.assert(
      fc.property(storedValue, (s) => {
        const older = olderPackr.pack(s);
        same(decodeMetadata(older), s);
        expect(encodeMetadata(s).length).toBeLessThan(older.length);
      }),
    );
  });

  it('refuse a layout this build does not know', () => {
    expect(() => decodeMetadata(new Packr({ useRecords: false }).pack([2, 0, 0, new Uint8Array()]))).toThrow(
      /unknown layout/,
    );
  });

  it("from an older store get, list and set as before, and each write uses today's layout", async () => {
    const { store, service } = tempStore();
    const bytes = (text: string) => new TextEncoder().encode(text);
    for (let i = 0; i < 30; i++)
      await service['metadata.set']({ namespace: 'distribution', key: `k/${i}`, value: bytes(`value ${i}`) });
    const listed = await service['metadata.list']({ namespace: 'distribution', prefix: 'k/', limit: 100 });
    // Rewrite every value the way an older build stored it, through lmdb-js's default encoding.
    const older = store.env.root.openDB<StoredMetadata, Key>('metadata', {});
    store.write(() => {
      for (const { key, value } of [...store.env.dbs.metadata.getRange()]) older.put(key, value);
    });
    const firstByte = (key: string) => store.env.dbs.metadata.getBinary(['distribution', key])![0]!;
    expect(firstByte('k/7')).toBe(0xd4); // a msgpackr record: its structure definition first

    expect(await service['metadata.list']({ namespace: 'distribution', prefix: 'k/', limit: 100 })).toEqual(
      listed,
    );
    const got = await service['metadata.get']({ namespace: 'distribution', key: 'k/7' });
    expect(new TextDecoder().decode(got.value)).toBe('value 7');
    const set = await service['metadata.set']({
      namespace: 'distribution',
      key: 'k/7',
      value: bytes('new'),
      expectedVersion: got.version,
    });
    expect(set.version).toBeGreaterThan(got.version);
    expect(firstByte('k/7')).toBe(0x94); // an array of 4
    expect(
      new TextDecoder().decode(
        (await service['metadata.get']({ namespace: 'distribution', key: 'k/7' })).value,
      ),
    ).toBe('new');
    expect(checkStore(store.env, { deep: false }).errors).toEqual([]);
  });
});
