import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeKey, type Key } from '../../src/main/store/keys';
import {
  LoggedKeys,
  loggedKeysOf,
  type KeySpace,
  type LoggedKeyArray,
} from '../../src/main/store/logged-keys';

const space = fc.constantFrom<KeySpace>('images', 'index', 'metadata');
// Index-like keys: a tag, strings (any text, long ones too) and numbers.
const key = fc.tuple(
  fc.constantFrom('n*', 'c', 'l'),
  fc.string({ maxLength: 300, unit: 'binary' }).filter((s) => !s.includes('\u0000')),
  fc.oneof(fc.string({ maxLength: 20 }), fc.integer({ min: 0, max: 2 ** 40 })),
);
const change = fc.tuple(space, fc.constantFrom<1 | -1>(1, -1), key);

describe("a transaction's logged keys", () => {
  it('read back per space, in logged order, as the text of their LMDB encoding', () => {
    fc.assert(
      fc.property(fc.array(change, { maxLength: 300 }), (changes) => {
        const logged = new LoggedKeys();
        for (const [s, sign, k] of changes) logged.add(s, sign, k as Key);
        expect(logged.count).toBe(changes.length);
        const packed = logged.pack();
        for (const s of ['images', 'index', 'metadata'] as const) {
          expect(loggedKeysOf(packed, s)).toEqual(
            changes
              .filter(([cs]) => cs === s)
              .map(([, sign, k]) => [sign, encodeKey(k as Key).toString('latin1')]),
          );
        }
      }),
      { seed: 3, numRuns: 200 },
    );
  });

  it("still reads an older build's entries (one array per key)", () => {
    const old: LoggedKeyArray[] = [
      ['index', 1, encodeKey(['c', 'default', 5, 'a'])],
      ['images', -1, encodeKey(['default', 'a'])],
      ['index', -1, encodeKey(['n*', 'a', 'default'])],
    ];
    expect(loggedKeysOf(old, 'index')).toEqual([
      [1, encodeKey(['c', 'default', 5, 'a']).toString('latin1')],
      [-1, encodeKey(['n*', 'a', 'default']).toString('latin1')],
    ]);
    expect(loggedKeysOf(old, 'metadata')).toEqual([]);
  });
});
