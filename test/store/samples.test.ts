import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { lastKeyAtOrBelow, shiftSamples, type RankSamples } from '../../src/main/store/samples';

/** The reference: Buffer.compare, LMDB's own (memcmp) key order. */
function reference(keys: Buffer[], key: Buffer): number {
  let found = -1;
  keys.forEach((k, i) => {
    if (Buffer.compare(k, key) <= 0) found = i;
  });
  return found;
}

const bytes = fc.uint8Array({ maxLength: 12 }).map((a) => Buffer.from(a));
const sortedKeys = fc
  .array(bytes, { maxLength: 40 })
  .map((keys) => [...new Map(keys.map((k) => [k.toString('hex'), k])).values()].sort(Buffer.compare));

describe('rank samples find keys in LMDB byte order', () => {
  it('agrees with Buffer.compare for any bytes, including 0x00 and 0x80..0xff', () => {
    fc.assert(
      fc.property(sortedKeys, bytes, (keys, key) => {
        const samples: RankSamples = { seq: 0, keys, ranks: keys.map((_, i) => i * 10) };
        expect(lastKeyAtOrBelow(samples, key)).toBe(reference(keys, key));
      }),
      { seed: 7, numRuns: 2000 },
    );
  });

  it('shifts exactly the ranks of the samples above each added or removed key', () => {
    fc.assert(
      fc.property(
        sortedKeys,
        fc.array(fc.tuple(fc.constantFrom(1, -1), bytes), { maxLength: 600, size: 'max' }),
        (keys, changes) => {
          const samples: RankSamples = { seq: 0, keys, ranks: keys.map((_, i) => i * 1000) };
          shiftSamples(samples, changes as [1 | -1, Buffer][]);
          const expected = keys.map(
            (k, i) =>
              i * 1000 +
              changes
                .filter(([, key]) => Buffer.compare(key, k) < 0 && reference(keys, key) < i)
                .reduce((n, [sign]) => n + sign, 0),
          );
          expect(samples.ranks).toEqual(expected);
        },
      ),
      { seed: 7, numRuns: 300 },
    );
  });
});
