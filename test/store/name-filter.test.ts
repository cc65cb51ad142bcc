import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { insertImage } from '../../src/main/store/images';
import { fakeDigest, oci, tempStore } from '../helpers/store';

// Names from a small alphabet so that needles hit often, across name boundaries too ("a" ending one name, "b"
// starting the next must not match "ab").
const part = fc.stringMatching(/^[ab][ab.-]{0,5}$/);
const name = fc.tuple(part, fc.constantFrom('', ':1', ':ab')).map(([p, tag]) => `r/${p}${tag}`);

describe('name-substring filter', () => {
  it('finds exactly the names that contain the needle, in name order, also after the images change', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(name, { minLength: 1, maxLength: 40 }),
        fc.array(fc.stringMatching(/^[ab.:-]{1,3}$/), { minLength: 1, maxLength: 4 }),
        (names, needles) => {
          const { store } = tempStore();
          const add = (list: string[]) =>
            store.write((ctx) => {
              for (const [i, n] of list.entries())
                insertImage(store.env, ctx, {
                  namespace: i % 2 ? 'one' : 'two',
                  name: n,
                  target: { mediaType: oci.manifest, digest: fakeDigest(i + 1), size: 10 },
                  labels: {},
                });
            });
          const half = Math.ceil(names.length / 2);
          add(names.slice(0, half));
          const check = (held: string[]) => {
            for (const needle of needles) {
              const page = store.listImages({
                sort: 'name',
                order: 'asc',
                limit: 1000,
                filter: { name: needle },
              });
              const expected = held.filter((n) => n.includes(needle));
              expect(page.total).toBe(expected.length);
              expect(page.items.map((i) => i.name)).toEqual([...expected].sort());
            }
          };
          check(names.slice(0, half));
          add(names.slice(half));
          check(names);
          store.close();
        },
      ),
      { seed: 11, numRuns: 60 },
    );
  });
});
