import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  keyTexts,
  lastKeyAtOrBelow,
  packSamples,
  shiftSamples,
  spacing,
  unpackSamples,
  type RankSamples,
  type SampleKeys,
} from '../../src/main/store/samples';

/** The reference: Buffer.compare, LMDB's own (memcmp) key order. */
function reference(keys: Buffer[], key: Buffer): number {
  let found = -1;
  keys.forEach((k, i) => {
    if (Buffer.compare(k, key) <= 0) found = i;
  });
  return found;
}

/** The keys as a store loads them back (PackedKeys: one buffer, a key made a Buffer when read). */
function loaded(keys: Buffer[]): SampleKeys {
  return unpackSamples(packSamples({ seq: 0, keys, ranks: keys.map((_, i) => i * spacing) })!)!.keys;
}

const plain = (s: RankSamples | undefined) =>
  s && { seq: s.seq, keys: Array.from({ length: s.keys.length }, (_, i) => s.keys.at(i)), ranks: s.ranks };

const bytes = fc.uint8Array({ maxLength: 12 }).map((a) => Buffer.from(a));
const sortedKeys = fc
  .array(bytes, { maxLength: 40 })
  .map((keys) => [...new Map(keys.map((k) => [k.toString('hex'), k])).values()].sort(Buffer.compare));

describe('rank samples find keys in LMDB byte order', () => {
  it('agrees with Buffer.compare for any bytes, including 0x00 and 0x80..0xff', () => {
    fc.assert(
      fc.property(sortedKeys, bytes, (keys, key) => {
        const ranks = keys.map((_, i) => i * 10);
        expect(lastKeyAtOrBelow({ seq: 0, keys, ranks }, key)).toBe(reference(keys, key));
        expect(lastKeyAtOrBelow({ seq: 0, keys: loaded(keys), ranks }, key)).toBe(reference(keys, key));
      }),
      { seed: 7, numRuns: 2000 },
    );
  });

  it('turns many keys into text that sorts as their bytes do', () => {
    fc.assert(
      fc.property(fc.array(bytes, { maxLength: 40 }), (keys) => {
        const texts = keyTexts(keys);
        expect(texts.map((t) => Buffer.from(t, 'latin1'))).toEqual(keys);
        expect(keyTexts(loaded(keys))).toEqual(texts);
        const byText = keys
          .map((_, i) => i)
          .sort((a, b) => (texts[a]! < texts[b]! ? -1 : texts[a]! > texts[b]! ? 1 : 0));
        const byBytes = keys.map((_, i) => i).sort((a, b) => Buffer.compare(keys[a]!, keys[b]!));
        expect(byText.map((i) => keys[i])).toEqual(byBytes.map((i) => keys[i]));
      }),
      { seed: 7, numRuns: 500 },
    );
  });

  it('shifts exactly the ranks of the samples above each added or removed key', () => {
    fc.assert(
      fc.property(
        sortedKeys,
        fc.array(fc.tuple(fc.constantFrom(1, -1), bytes), { maxLength: 600, size: 'max' }),
        (keys, changes) => {
          const samples: RankSamples = { seq: 0, keys, ranks: keys.map((_, i) => i * 1000) };
          const logged = changes.map(
            ([sign, key]) => [sign as 1 | -1, key.toString('latin1')] as [1 | -1, string],
          );
          shiftSamples(samples, logged);
          const load: RankSamples = { seq: 0, keys: loaded(keys), ranks: keys.map((_, i) => i * 1000) };
          shiftSamples(load, logged);
          expect(load.ranks).toEqual(samples.ranks);
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

  it('persist and load back: freshly taken samples without their ranks, shifted ones with them', () => {
    const keys = ['a', 'b', 'c'].map((k) => Buffer.from(k));
    const fresh: RankSamples = { seq: 4, keys, ranks: [0, spacing, 2 * spacing] };
    const stored = packSamples(fresh)!;
    expect(stored.r).toBeUndefined();
    expect(plain(unpackSamples(stored))).toEqual(fresh);
    const shifted: RankSamples = { seq: 5, keys, ranks: [0, spacing - 1, 2 * spacing + 3] };
    expect(plain(unpackSamples(packSamples(shifted)!))).toEqual(shifted);
    // An older build's samples, taken 512 apart, stored with their ranks.
    const older = { s: 2, k: packSamples(fresh)!.k, r: [0, 512, 1024] };
    expect(plain(unpackSamples(older))).toEqual({ seq: 2, keys, ranks: [0, 512, 1024] });
    // Loaded samples persist again as they were.
    expect(packSamples(unpackSamples(stored)!)).toEqual(stored);
  });

  it('stored damaged (a length running past the end, a stray byte) load as none, so readers sample afresh', () => {
    const k = packSamples({ seq: 1, keys: ['ab', 'cd'].map((x) => Buffer.from(x)), ranks: [0, spacing] })!.k;
    expect(unpackSamples({ s: 1, k: k.subarray(0, k.length - 1), g: spacing })).toBeUndefined();
    expect(unpackSamples({ s: 1, k: Buffer.concat([k, Buffer.from([0])]), g: spacing })).toBeUndefined();
    expect(plain(unpackSamples({ s: 1, k, g: spacing }))?.keys).toEqual(
      ['ab', 'cd'].map((x) => Buffer.from(x)),
    );
  });
});
