import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isDanglingFast } from '../../src/main/store/catalog-columns';
import { insertImage, type ListQuery } from '../../src/main/store/images';
import { expectedList, type ModelRow } from '../helpers/list-model';
import { fakeDigest, oci, tempStore } from '../helpers/store';

/** Images come from a small pool, so that sequences create, change and delete the same ones again. */
const pool = Array.from({ length: 40 }, (_, i) => ({
  namespace: i % 3 === 0 ? 'two' : 'one',
  name:
    i % 9 === 0
      ? `r/loose${i}@${fakeDigest(i + 1)}`
      : `r/${'ab'[i % 2]}${i % 7}/app${i}:${i % 4 ? 'v1' : 'b2'}`,
}));

type Op =
  | { kind: 'create'; at: number; size: number; mediaType: string; prod: boolean }
  | { kind: 'delete'; at: number }
  | { kind: 'relabel'; at: number; prod: boolean; team: boolean };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant('create' as const),
    at: fc.nat(pool.length - 1),
    size: fc.integer({ min: 0, max: 5 }),
    mediaType: fc.constantFrom(oci.manifest, oci.index),
    prod: fc.boolean(),
  }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(pool.length - 1) }),
  fc.record({
    kind: fc.constant('relabel' as const),
    at: fc.nat(pool.length - 1),
    prod: fc.boolean(),
    team: fc.boolean(),
  }),
);

interface Held {
  namespace: string;
  name: string;
  created: number;
  size: number;
  mediaType: string;
  labels: Record<string, string>;
}

const queries: Omit<ListQuery, 'limit'>[] = [
  { sort: 'name', order: 'asc', filter: { name: 'app' } },
  { sort: 'name', order: 'desc', filter: { name: 'a1' } },
  { sort: 'size', order: 'asc', filter: { mediaType: oci.index } },
  { sort: 'size', order: 'desc', filter: { name: ':v1' } },
  { sort: 'created', order: 'asc', filter: { dangling: true } },
  { sort: 'created', order: 'desc', namespace: 'one', filter: { labels: ['env=prod', 'team=a'] } },
];

/** The model's images as the list model takes them. */
const modelRows = (held: Held[]): ModelRow[] =>
  held.map((h) => ({ ...h, ns: h.namespace, dangling: isDanglingFast(h.name) }));

describe('the catalog kept current from the change log', () => {
  it('answers every filter and order as a model of the same changes does, change after change', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(op, { minLength: 1, maxLength: 8 }), { minLength: 1, maxLength: 8 }),
        async (batches) => {
          const { store, service } = tempStore();
          const model = new Map<number, Held>();
          let clock = 1_700_000_000_000;
          for (const [b, batch] of batches.entries()) {
            // Even batches go through the service one operation (one transaction) at a time; odd ones create in one
            // transaction, so that one change-log entry names several images.
            if (b % 2 === 1) {
              const creates = batch.filter((o): o is Extract<Op, { kind: 'create' }> => o.kind === 'create');
              const fresh = [
                ...new Map(creates.filter((o) => !model.has(o.at)).map((o) => [o.at, o])).values(),
              ];
              store.write((ctx) => {
                for (const o of fresh) {
                  const created = ++clock;
                  const held = heldFor(o, created);
                  insertImage(
                    store.env,
                    ctx,
                    { ...pool[o.at]!, target: target(o), labels: held.labels },
                    {
                      createdAt: created,
                      updatedAt: created,
                    },
                  );
                  model.set(o.at, held);
                }
              });
            } else {
              for (const o of batch) {
                const ref = pool[o.at]!;
                if (o.kind === 'create' && !model.has(o.at)) {
                  const record = await service['images.create']({
                    ...ref,
                    target: target(o),
                    labels: heldFor(o, 0).labels,
                  });
                  model.set(o.at, { ...heldFor(o, 0), created: Date.parse(record.createdAt) });
                } else if (o.kind === 'delete' && model.has(o.at)) {
                  await service['images.delete']({ images: [ref], purge: true });
                  model.delete(o.at);
                } else if (o.kind === 'relabel' && model.has(o.at)) {
                  const labels: Record<string, string> = {};
                  if (o.prod) labels.env = 'prod';
                  if (o.team) labels.team = 'a';
                  await service['images.update']({ ...ref, labels });
                  model.get(o.at)!.labels = labels;
                }
              }
            }
            const held = [...model.values()];
            for (const q of queries) {
              const answer = store.listImages({ ...q, limit: 1000 });
              expect(answer.items.map((i) => `${i.namespace}/${i.name}`)).toEqual(
                expectedList(modelRows(held), q),
              );
              expect(answer.total).toBe(answer.items.length);
            }
          }
        },
      ),
      { seed: 17, numRuns: 40 },
    );
  });
});

const target = (o: Extract<Op, { kind: 'create' }>) => ({
  mediaType: o.mediaType,
  digest: fakeDigest(1000 + o.at),
  size: o.size,
});

function heldFor(o: Extract<Op, { kind: 'create' }>, created: number): Held {
  return {
    ...pool[o.at]!,
    created,
    // An image's size is its target's size here: no stored content adds to it.
    size: o.size,
    mediaType: o.mediaType,
    labels: o.prod ? { env: 'prod', team: 'a' } : {},
  };
}
