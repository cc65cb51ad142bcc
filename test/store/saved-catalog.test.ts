import fc from 'fast-check';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { minSavedRows, overlayLimit } from '../../src/main/store/catalog';
import {
  ColumnsBuilder,
  Tables,
  compareNames,
  packColumns,
  toCatalogRow,
  unpackColumns,
  type CatalogRow,
} from '../../src/main/store/catalog-columns';
import { childrenOf } from '../../src/main/store/keys';
import { saveCatalog } from '../../src/main/store/saved-catalog';
import { changeLogResetThreshold } from '../../src/main/store/env';
import { insertImage, type CatalogSummary, type ListQuery } from '../../src/main/store/images';
import { Store } from '../../src/main/store/store';
import { createService } from '../../src/main/service';
import { fakeDigest, oci, tempDir } from '../helpers/store';

/** An image of the fixture: two namespaces, two media types, dangling names, shared and one-off label sets. */
function imageAt(i: number) {
  const name =
    i % 50 === 0
      ? `example.com/loose-${i}@${fakeDigest(i + 1)}`
      : `example.com/app-${i % 97}/svc-${i}:v${i % 7}`;
  const labels: Record<string, string> = {};
  if (i % 3 === 0) labels.env = 'prod';
  if (i % 5 === 0) labels.team = 'a';
  if (i % 11 === 0) labels.version = `1.${i % 400}`;
  return {
    namespace: i % 4 === 0 ? 'two' : 'one',
    name,
    target: {
      mediaType: i % 6 === 0 ? oci.index : oci.manifest,
      digest: fakeDigest(i + 1),
      size: 1000 + (i % 977),
    },
    labels,
  };
}

function fill(store: Store, from: number, to: number): void {
  store.write((ctx) => {
    for (let i = from; i < to; i++) {
      const at = 1_700_000_000_000 + ((i * 7919) % 100_000);
      insertImage(store.env, ctx, imageAt(i), { createdAt: at, updatedAt: at });
    }
  });
}

/** The catalog's queries (each one the indexes cannot answer), every result in full and in order. */
const queries: Omit<ListQuery, 'limit'>[] = [
  { sort: 'name', order: 'asc', filter: { name: 'svc-1' } },
  { sort: 'created', order: 'desc', filter: { name: ':v3' } },
  { sort: 'size', order: 'asc', filter: { mediaType: oci.index } },
  { sort: 'name', order: 'desc', filter: { dangling: true } },
  { sort: 'name', order: 'asc', filter: { labels: ['env=prod', 'team=a'] } },
  { sort: 'size', order: 'desc', namespace: 'two', filter: { name: 'app-4' } },
  { sort: 'created', order: 'asc', filter: { labels: ['version=1.33'], mediaType: oci.manifest } },
];

function answers(store: Store): string[][] {
  return queries.map((q) =>
    store.listImages({ ...q, limit: 1_000_000 }).items.map((i) => `${i.namespace}/${i.name}`),
  );
}

/** A store at `path` for the duration of fn: what one process sees. */
function inProcess<T>(path: string, fn: (store: Store) => T, readOnly = false): T {
  const store = Store.open(path, { readOnly });
  try {
    return fn(store);
  } finally {
    store.close();
  }
}

/** Every image's catalog row, in the catalog's order, read from the name index. */
function allRows(store: Store): CatalogRow[] {
  const rows: CatalogRow[] = [];
  for (const { key, value } of store.env.dbs.index.getRange({ ...childrenOf(['n*']), snapshot: true })) {
    const [, name, ns] = key as [string, string, string];
    rows.push(toCatalogRow(name, ns, value as CatalogSummary));
  }
  return rows;
}

const dropSave = (store: Store) =>
  store.env.writeDerived(() => void store.env.dbs.derived!.remove('catalog'));
const saved = (store: Store) => store.env.dbs.derived?.get('catalog') !== undefined;

describe('the saved catalog', () => {
  it('is saved by a process that scanned the name index, and the next process loads it and answers alike', () => {
    const path = join(tempDir(), 'store');
    inProcess(path, (s) => fill(s, 0, minSavedRows));
    const first = inProcess(path, (s) => {
      expect(saved(s)).toBe(false);
      const a = answers(s);
      expect(s.catalog.origin).toBe('index');
      expect(saved(s)).toBe(true);
      return a;
    });
    expect(first.every((a) => a.length > 0)).toBe(true);
    inProcess(path, (s) => {
      expect(answers(s)).toEqual(first);
      expect(s.catalog.origin).toBe('saved');
    });
  });

  it('is brought up to date from the change log: creates, deletes, label changes, tags, and enough to merge', async () => {
    const path = join(tempDir(), 'store');
    inProcess(path, (s) => fill(s, 0, minSavedRows));
    const store = Store.open(path);
    const live = await (async (s: Store) => {
      answers(s); // saves
      const service = createService(s);
      await service['images.create']({ ...imageAt(minSavedRows + 1), name: 'example.com/app-1/new:v3' });
      await service['images.delete']({
        images: [1, 2, 50, 300].map((i) => ({ namespace: imageAt(i).namespace, name: imageAt(i).name })),
        purge: true,
      });
      await service['images.update']({
        ...imageAt(33),
        target: undefined,
        labels: { env: 'prod', team: 'a' },
      });
      await service['images.tag']({
        namespace: 'one',
        source: imageAt(1001).name,
        name: 'example.com/svc-1:tagged',
      });
      // More changes than the catalog keeps beside its columns: one transaction, logged name by name.
      const many = overlayLimit(minSavedRows) + 10;
      expect(many).toBeLessThan(changeLogResetThreshold);
      fill(s, minSavedRows + 10, minSavedRows + 10 + many);
      return answers(s);
    })(store).finally(() => store.close());
    const caughtUp = inProcess(path, (s) => {
      const a = answers(s);
      expect(s.catalog.origin).toBe('saved');
      return a;
    });
    const scanned = inProcess(path, (s) => {
      dropSave(s);
      const a = answers(s);
      expect(s.catalog.origin).toBe('index');
      return a;
    });
    expect(caughtUp).toEqual(scanned);
    expect(live).toEqual(scanned);
    expect(scanned[0]).toContain('one/example.com/svc-1:tagged');
    expect(scanned[0]).not.toContain(`${imageAt(1).namespace}/${imageAt(1).name}`);
    expect(scanned[4]).toContain(`${imageAt(33).namespace}/${imageAt(33).name}`);
  });

  it('is not used when the change log cannot bring it up to date (a bulk change logs a reset)', () => {
    const path = join(tempDir(), 'store');
    inProcess(path, (s) => {
      fill(s, 0, minSavedRows);
      answers(s);
      fill(s, minSavedRows, minSavedRows + changeLogResetThreshold + 1);
    });
    inProcess(path, (s) => {
      const all = s.listImages({ sort: 'name', order: 'asc', limit: 1, filter: { name: 'example.com/' } });
      expect(all.total).toBe(minSavedRows + changeLogResetThreshold + 1);
      expect(s.catalog.origin).toBe('index');
    });
  });

  it('is ignored when damaged, and replaced', () => {
    const path = join(tempDir(), 'store');
    inProcess(path, (s) => fill(s, 0, minSavedRows));
    const expected = inProcess(path, answers);
    inProcess(path, (s) => {
      const chunk = Buffer.from(s.env.dbs.derived!.get('catalog:0')!);
      const at = chunk.length >> 1;
      chunk[at] = chunk[at]! ^ 0x20;
      s.env.writeDerived(() => void s.env.dbs.derived!.put('catalog:0', chunk));
    });
    inProcess(path, (s) => {
      expect(answers(s)).toEqual(expected);
      expect(s.catalog.origin).toBe('index');
    });
    inProcess(path, (s) => {
      expect(answers(s)).toEqual(expected);
      expect(s.catalog.origin).toBe('saved');
    });
  });

  it('is not used when it does not add up to the store (a save that passed its checksum but misses an image)', () => {
    const path = join(tempDir(), 'store');
    inProcess(path, (s) => fill(s, 0, minSavedRows + 1));
    const expected = inProcess(path, answers);
    inProcess(path, (s) => {
      // Every row but one, saved the way a faulty build could: well formed, checksummed, one image short.
      const builder = new ColumnsBuilder(new Tables());
      for (const r of allRows(s).slice(1)) builder.add(r);
      expect(saveCatalog(s.env, s.env.imagesSeq(), builder.finish())).toBe(true);
    });
    inProcess(path, (s) => {
      expect(answers(s)).toEqual(expected);
      expect(s.catalog.origin).toBe('index');
    });
  });

  it('changes nothing a user sees: the change counter stays, and read-only opens and small stores save nothing', () => {
    const path = join(tempDir(), 'store');
    inProcess(path, (s) => fill(s, 0, minSavedRows - 1));
    inProcess(path, (s) => {
      answers(s);
      expect(saved(s)).toBe(false);
      fill(s, minSavedRows - 1, minSavedRows);
    });
    const before = inProcess(path, (s) => s.info(), true);
    inProcess(
      path,
      (s) => {
        answers(s);
        expect(s.catalog.origin).toBe('index');
        expect(saved(s)).toBe(false);
      },
      true,
    );
    inProcess(path, (s) => {
      answers(s);
      expect(saved(s)).toBe(true);
      const { bytesOnDisk: _, ...after } = s.info();
      const { bytesOnDisk: __, ...was } = before;
      expect(after).toEqual(was);
    });
  });
});

describe('catalog columns', () => {
  const text = fc.string({ minLength: 1, maxLength: 12, unit: 'grapheme' }).filter((s) => !s.includes('\n'));
  const row = fc.record({
    name: text,
    ns: fc.constantFrom('default', 'k8s.io', 'ünïcode'),
    created: fc.nat(),
    size: fc.nat(),
    mediaType: fc.constantFrom(oci.manifest, oci.index),
    labels: fc.uniqueArray(
      text.map((t) => `k=${t}`),
      { maxLength: 3 },
    ),
  });
  const sorted = (rows: CatalogRow[]) => {
    const seen = new Set<string>();
    return rows
      .filter((r) => !seen.has(`${r.ns}\0${r.name}`) && seen.add(`${r.ns}\0${r.name}`))
      .sort((a, b) => compareNames(a.name, a.ns, b.name, b.ns));
  };

  it('round-trip through their saved form, row for row; a cut or foreign buffer is refused', () => {
    fc.assert(
      fc.property(fc.array(row, { maxLength: 40 }).map(sorted), (rows) => {
        const builder = new ColumnsBuilder(new Tables());
        for (const r of rows) builder.add(r);
        const packed = packColumns(builder.finish());
        const back = unpackColumns(packed);
        expect(back).toBeDefined();
        expect(Array.from({ length: back!.length }, (_, i) => back!.row(i))).toEqual(rows);
        expect(unpackColumns(packed.subarray(0, packed.length - 1))).toBeUndefined();
        expect(unpackColumns(Buffer.concat([packed, Buffer.alloc(4)]))).toBeUndefined();
        expect(unpackColumns(Buffer.from('not a catalog at all'))).toBeUndefined();
      }),
      { seed: 5, numRuns: 200 },
    );
  });
});
