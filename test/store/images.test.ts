import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Service } from '../../src/main/service';
import type { ImageFilter, ImageRecord, SortField, SortOrder } from '../../src/shared/types';
import {
  fakeDigest,
  imageInput,
  listAll,
  makeImage,
  nextTurn,
  oci,
  openStore,
  putImageContent,
  refOf,
  seedImages,
  tempStore,
  type SeedImage,
} from '../helpers/store';
import { expectedList as expected, type ModelRow as Row } from '../helpers/list-model';

const iso = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const docker = 'application/vnd.docker.distribution.manifest.v2+json';

const sorts: SortField[] = ['name', 'created', 'size'];
const orders: SortOrder[] = ['asc', 'desc'];
const hexOf = (n: number) => n.toString(16).padStart(64, '0');
const sizes = [0, 1, 255, 256, 1000, 65_536, 2 ** 32, 2 ** 32 + 1, 2 ** 40, Number.MAX_SAFE_INTEGER];

/** ~600 images over three namespaces: shared names across namespaces, tied times and sizes, dangling names. */
function fixture(): { rows: Row[]; seed: SeedImage[] } {
  const namespaces = ['alpha', 'beta', 'gamma'];
  const rows: Row[] = [];
  const base = Date.UTC(2024, 0, 1);
  let n = 0;
  namespaces.forEach((ns, k) => {
    for (let i = 0; i < 200; i++) {
      const j = i + k * 60; // names 60..199 of alpha are in beta too, and so on
      const kind = j % 10;
      const name =
        kind === 0
          ? `sha256:${hexOf(j)}`
          : kind === 1
            ? `example.com/r${j % 7}/app@sha256:${hexOf(j)}`
            : kind === 2
              ? `example.com/r${j % 7}/app:${j}@sha256:${hexOf(j)}`
              : `${j % 3 === 0 ? 'localhost:5000/' : ''}r${j % 7}/app-${j % 4}:v${j}`;
      const labels: Record<string, string> = {};
      if (j % 2 === 0) labels.team = 'a';
      else if (j % 3 === 0) labels.team = 'b';
      if (j % 5 < 2) labels.env = 'prod';
      else if (j % 5 === 2) labels.env = 'dev';
      rows.push({
        ns,
        name,
        created: base + ((j * 37 + k) % 41) * 1000,
        size: sizes[(j * 3 + k) % sizes.length]!,
        mediaType: [oci.manifest, oci.index, docker][j % 3]!,
        labels,
        dangling: kind === 0 || kind === 1,
      });
      n++;
    }
  });
  const seed = rows.map((r, i) => ({
    namespace: r.ns,
    name: r.name,
    target: { mediaType: r.mediaType, digest: fakeDigest(10_000 + i), size: r.size },
    labels: r.labels,
    createdAt: r.created,
  }));
  expect(n).toBe(600);
  return { rows, seed };
}

// ---- single images ------------------------------------------------------------------------------------------------

describe('creating an image', () => {
  it('stores the record and get returns it, with ISO times and the total size', async () => {
    const { service } = tempStore();
    const image = makeImage('create');
    await putImageContent(service, image);
    const created = await service['images.create']({
      namespace: 'default',
      name: 'example.com/app:1.0',
      target: image.target,
      labels: { team: 'x' },
    });
    expect(created).toMatchObject({
      namespace: 'default',
      name: 'example.com/app:1.0',
      target: image.target,
      labels: { team: 'x' },
    });
    expect(created.createdAt).toMatch(iso);
    expect(created.updatedAt).toBe(created.createdAt);
    expect(created.totalSize).toBe(image.target.size + image.config.byteLength + image.layer.size);
    expect(await service['images.get']({ namespace: 'default', name: 'example.com/app:1.0' })).toEqual(
      created,
    );
  });

  it('refuses a name that exists with already_exists and keeps the first record', async () => {
    const { service } = tempStore();
    const first = await service['images.create'](imageInput('default', 'app:1', 1, { labels: { a: '1' } }));
    await expect(service['images.create'](imageInput('default', 'app:1', 2))).rejects.toMatchObject({
      code: 'already_exists',
    });
    expect(await service['images.get']({ namespace: 'default', name: 'app:1' })).toEqual(first);
    expect((await service['images.list']({})).total).toBe(1);
  });

  it('the same name in another namespace is another image', async () => {
    const { service } = tempStore();
    await service['images.create'](imageInput('one', 'app:1', 1));
    await service['images.create'](imageInput('two', 'app:1', 2));
    expect((await service['images.get']({ namespace: 'two', name: 'app:1' })).target.digest).toBe(
      fakeDigest(2),
    );
    expect(await service['images.namespaces']({})).toEqual([
      { namespace: 'one', images: 1, trash: 0 },
      { namespace: 'two', images: 1, trash: 0 },
    ]);
  });
});

describe('getting an image', () => {
  it('a missing name is not_found', async () => {
    const { service } = tempStore();
    await service['images.create'](imageInput('default', 'app:1', 1));
    await expect(service['images.get']({ namespace: 'default', name: 'app:2' })).rejects.toMatchObject({
      code: 'not_found',
    });
    await expect(service['images.get']({ namespace: 'other', name: 'app:1' })).rejects.toMatchObject({
      code: 'not_found',
    });
  });
});

describe('updating an image', () => {
  it('replaces the target, recomputes the total size and keeps createdAt', async () => {
    const { service } = tempStore();
    const before = await service['images.create'](
      imageInput('default', 'app:1', 1, { labels: { keep: 'me' } }),
    );
    const image = makeImage('update');
    await putImageContent(service, image);
    await sleep(5);
    const after = await service['images.update']({
      namespace: 'default',
      name: 'app:1',
      target: image.target,
    });
    expect(after.target).toEqual(image.target);
    expect(after.labels).toEqual({ keep: 'me' });
    expect(after.totalSize).toBe(image.target.size + image.config.byteLength + image.layer.size);
    expect(after.createdAt).toBe(before.createdAt);
    expect(after.updatedAt).toMatch(iso);
    expect(Date.parse(after.updatedAt)).toBeGreaterThan(Date.parse(before.updatedAt));
    expect(await service['images.get']({ namespace: 'default', name: 'app:1' })).toEqual(after);
    expect((await service['images.list']({ sort: 'size' })).items[0]!.totalSize).toBe(after.totalSize);
  });

  it('replaces the whole label set', async () => {
    const { service } = tempStore();
    await service['images.create'](imageInput('default', 'app:1', 1, { labels: { a: '1', b: '2' } }));
    const after = await service['images.update']({ namespace: 'default', name: 'app:1', labels: { c: '3' } });
    expect(after.labels).toEqual({ c: '3' });
    expect((await service['images.list']({ filter: { labels: ['a=1'] } })).total).toBe(0);
    expect((await service['images.list']({ filter: { labels: ['c=3'] } })).total).toBe(1);
  });

  it('a missing image is not_found; an update with nothing to change is invalid_argument', async () => {
    const { service } = tempStore();
    await expect(
      service['images.update']({ namespace: 'default', name: 'app:1', labels: {} }),
    ).rejects.toMatchObject({ code: 'not_found' });
    await service['images.create'](imageInput('default', 'app:1', 1));
    await expect(service['images.update']({ namespace: 'default', name: 'app:1' })).rejects.toMatchObject({
      code: 'invalid_argument',
    });
  });
});

describe('tagging an image', () => {
  it('gives the same target and labels a new name', async () => {
    const { service } = tempStore();
    const source = await service['images.create'](
      imageInput('default', 'app:1', 1, { labels: { team: 'x' } }),
    );
    const tagged = await service['images.tag']({
      namespace: 'default',
      source: 'app:1',
      name: 'registry.local/app:stable',
    });
    expect(tagged).toMatchObject({
      namespace: 'default',
      name: 'registry.local/app:stable',
      target: source.target,
      labels: source.labels,
    });
    expect((await service['images.list']({})).items.map((i) => i.name)).toEqual([
      'app:1',
      'registry.local/app:stable',
    ]);
  });

  it('a taken new name is already_exists, a missing source is not_found', async () => {
    const { service } = tempStore();
    await service['images.create'](imageInput('default', 'app:1', 1));
    await service['images.create'](imageInput('default', 'app:2', 2));
    await expect(
      service['images.tag']({ namespace: 'default', source: 'app:1', name: 'app:2' }),
    ).rejects.toMatchObject({ code: 'already_exists' });
    await expect(
      service['images.tag']({ namespace: 'default', source: 'app:3', name: 'app:4' }),
    ).rejects.toMatchObject({ code: 'not_found' });
    expect((await service['images.get']({ namespace: 'default', name: 'app:2' })).target.digest).toBe(
      fakeDigest(2),
    );
  });
});

describe('editing labels', () => {
  it('sets and removes individual labels, leaving the others', async () => {
    const { service } = tempStore();
    await service['images.create'](imageInput('default', 'app:1', 1, { labels: { a: '1', b: '2', c: '3' } }));
    const after = await service['images.labels']({
      namespace: 'default',
      name: 'app:1',
      set: { b: 'two', d: '4' },
      remove: ['c', 'missing'],
    });
    expect(after.labels).toEqual({ a: '1', b: 'two', d: '4' });
    expect((await service['images.get']({ namespace: 'default', name: 'app:1' })).labels).toEqual({
      a: '1',
      b: 'two',
      d: '4',
    });
    expect((await service['images.list']({ filter: { labels: ['b=2'] } })).total).toBe(0);
    expect((await service['images.list']({ filter: { labels: ['b=two'] } })).total).toBe(1);
    await expect(
      service['images.labels']({ namespace: 'default', name: 'nope:1', set: { a: '1' } }),
    ).rejects.toMatchObject({ code: 'not_found' });
  });

  it('the per-image label limit holds for edits too', async () => {
    const { service } = tempStore();
    const full = Object.fromEntries(Array.from({ length: 256 }, (_, i) => [`k${i}`, 'v']));
    await service['images.create'](imageInput('default', 'app:1', 1, { labels: full }));
    await expect(
      service['images.labels']({ namespace: 'default', name: 'app:1', set: { extra: 'v' } }),
    ).rejects.toMatchObject({
      code: 'invalid_argument',
    });
    expect(
      Object.keys((await service['images.get']({ namespace: 'default', name: 'app:1' })).labels),
    ).toHaveLength(256);
    // replacing one label within the limit is fine
    const edited = await service['images.labels']({
      namespace: 'default',
      name: 'app:1',
      set: { extra: 'v' },
      remove: ['k0'],
    });
    expect(Object.keys(edited.labels)).toHaveLength(256);
  });
});

describe('deleting an image', () => {
  it('removes it from get and list; a missing name is not_found', async () => {
    const { service } = tempStore();
    await service['images.create'](imageInput('default', 'app:1', 1));
    const result = await service['images.delete']({ images: [{ namespace: 'default', name: 'app:1' }] });
    expect(result.deleted).toEqual([{ namespace: 'default', name: 'app:1' }]);
    await expect(service['images.get']({ namespace: 'default', name: 'app:1' })).rejects.toMatchObject({
      code: 'not_found',
    });
    expect((await service['images.list']({})).total).toBe(0);
    await expect(
      service['images.delete']({ images: [{ namespace: 'default', name: 'app:1' }] }),
    ).rejects.toMatchObject({ code: 'not_found' });
  });
});

// ---- lists ----------------------------------------------------------------------------------------------------------

describe('listing ~600 images: every order, one namespace or all', () => {
  let ctx: ReturnType<typeof openStore>;
  let rows: Row[];
  beforeAll(async () => {
    ctx = openStore();
    const f = fixture();
    rows = f.rows;
    seedImages(ctx.store, f.seed);
  });
  afterAll(() => ctx.dispose());

  const scopes = [undefined, 'alpha', 'beta', 'gamma'];

  it('counts every image and every namespace', async () => {
    expect((await ctx.service['images.list']({ limit: 1 })).total).toBe(600);
    for (const ns of ['alpha', 'beta', 'gamma'])
      expect((await ctx.service['images.list']({ namespace: ns, limit: 1 })).total).toBe(200);
    expect((await ctx.service['images.list']({ namespace: 'nothing' })).total).toBe(0);
    expect(await ctx.service['images.namespaces']({})).toEqual(
      ['alpha', 'beta', 'gamma'].map((namespace) => ({ namespace, images: 200, trash: 0 })),
    );
  });

  for (const namespace of scopes) {
    for (const sort of sorts) {
      for (const order of orders) {
        it(`pages of 50 by cursor give every image once, by ${sort} ${order} in ${namespace ?? 'all namespaces'}`, async () => {
          const want = expected(rows, { namespace, sort, order });
          const seen: string[] = [];
          let cursor: string | undefined;
          do {
            const page = await ctx.service['images.list']({
              namespace,
              sort,
              order,
              limit: 50,
              ...(cursor ? { cursor } : {}),
            });
            expect(page.total).toBe(want.length);
            expect(page.offset).toBe(seen.length);
            expect(page.items.length).toBe(Math.min(50, want.length - seen.length));
            seen.push(...page.items.map(refOf));
            cursor = page.nextCursor;
          } while (cursor !== undefined);
          expect(seen).toEqual(want);
        });

        it(`offset jumps land where cursor paging does, by ${sort} ${order} in ${namespace ?? 'all namespaces'}`, async () => {
          const want = expected(rows, { namespace, sort, order });
          for (const offset of [0, 1, 49, 50, 51, 199, 200, 599, 600, 1000]) {
            const page = await ctx.service['images.list']({ namespace, sort, order, offset, limit: 50 });
            expect(page.items.map(refOf), `offset ${offset}`).toEqual(want.slice(offset, offset + 50));
            expect(page.total).toBe(want.length);
            expect(page.nextCursor === undefined).toBe(offset + 50 >= want.length);
            if (page.nextCursor) {
              const next = await ctx.service['images.list']({
                namespace,
                sort,
                order,
                cursor: page.nextCursor,
                limit: 50,
              });
              expect(next.items.map(refOf), `after offset ${offset}`).toEqual(
                want.slice(offset + 50, offset + 100),
              );
            }
          }
        });
      }
    }
  }

  it('records in a list are the records get returns', async () => {
    const { items } = await listAll(ctx.service, { sort: 'size', order: 'desc' }, 1000);
    for (const item of items.slice(0, 50))
      expect(await ctx.service['images.get']({ namespace: item.namespace, name: item.name })).toEqual(item);
    const byRef = new Map(rows.map((r) => [`${r.ns}/${r.name}`, r]));
    for (const item of items) {
      const row = byRef.get(refOf(item))!;
      expect(item.createdAt).toBe(new Date(row.created).toISOString());
      expect(item.totalSize).toBe(row.size);
      expect(item.labels).toEqual(row.labels);
    }
  });

  const filters: [string, ImageFilter][] = [
    ['name substring', { name: 'app-1' }],
    ['name substring matching a namespace-shared prefix', { name: 'localhost:5000/' }],
    ['one label (index path)', { labels: ['team=a'] }],
    ['two labels (catalog path)', { labels: ['team=a', 'env=prod'] }],
    ['a label nobody has', { labels: ['team=zzz'] }],
    ['media type', { mediaType: oci.index }],
    ['dangling', { dangling: true }],
    ['not dangling', { dangling: false }],
    ['combined', { name: 'r1', labels: ['env=dev'], dangling: false, mediaType: docker }],
    ['combined with dangling', { name: 'example.com', dangling: true, labels: ['team=a'] }],
  ];
  for (const [label, filter] of filters) {
    it(`filter: ${label}, in every order, totals right`, async () => {
      for (const namespace of [undefined, 'beta']) {
        for (const sort of sorts) {
          for (const order of orders) {
            const want = expected(rows, { namespace, sort, order, filter });
            const got = await listAll(ctx.service, { namespace, sort, order, filter }, 50);
            expect(got.items.map(refOf), `${sort} ${order} ${namespace}`).toEqual(want);
            expect(new Set(got.totals)).toEqual(new Set([want.length]));
            if (want.length > 60) {
              const page = await ctx.service['images.list']({
                namespace,
                sort,
                order,
                filter,
                offset: 30,
                limit: 30,
              });
              expect(page.items.map(refOf)).toEqual(want.slice(30, 60));
            }
          }
        }
      }
    });
  }

  it('the fixture exercises what it claims', () => {
    expect(expected(rows, { sort: 'name', order: 'asc', filter: { dangling: true } }).length).toBeGreaterThan(
      50,
    );
    expect(
      expected(rows, {
        sort: 'name',
        order: 'asc',
        filter: { name: 'r1', labels: ['env=dev'], dangling: false, mediaType: docker },
      }).length,
    ).toBeGreaterThan(0);
    const names = rows.map((r) => r.name);
    expect(new Set(names).size).toBeLessThan(names.length); // names shared across namespaces
  });
});

describe('label filters with = and non-ASCII in the value', () => {
  it('find the image through the index and through the catalog', async () => {
    const { service } = tempStore();
    await service['images.create'](
      imageInput('default', 'app:1', 1, { labels: { expr: 'a=b=c', ünï: 'ç ö' } }),
    );
    await service['images.create'](imageInput('default', 'app:2', 2, { labels: { expr: 'a=b' } }));
    for (const labels of [['expr=a=b=c'], ['ünï=ç ö'], ['expr=a=b=c', 'ünï=ç ö']]) {
      expect((await service['images.list']({ filter: { labels } })).items.map((i) => i.name)).toEqual([
        'app:1',
      ]);
      expect(
        (await service['images.list']({ namespace: 'default', filter: { labels, name: 'app' } })).items.map(
          (i) => i.name,
        ),
      ).toEqual(['app:1']);
    }
    expect(
      (await service['images.list']({ filter: { labels: ['expr=a=b'] } })).items.map((i) => i.name),
    ).toEqual(['app:2']);
    expect((await service['images.list']({ filter: { labels: ['expr=a'] } })).total).toBe(0);
  });
});

describe('dangling images: names without a tag', () => {
  it('sha256:<hex> and repo@sha256:<hex> are dangling; repo:tag and repo:tag@sha256:<hex> are not', async () => {
    const { service } = tempStore();
    const hex = hexOf(7);
    const dangling = [`sha256:${hex}`, `example.com/app@sha256:${hex}`, `app@sha256:${hex}`];
    const tagged = [
      'example.com/app:1.0',
      `example.com/app:1.0@sha256:${hex}`,
      'app',
      'localhost:5000/app:latest',
    ];
    let n = 0;
    for (const name of [...dangling, ...tagged])
      await service['images.create'](imageInput('default', name, ++n));
    const yes = await service['images.list']({ filter: { dangling: true } });
    const no = await service['images.list']({ filter: { dangling: false } });
    expect(yes.items.map((i) => i.name).sort()).toEqual([...dangling].sort());
    expect(no.items.map((i) => i.name).sort()).toEqual([...tagged].sort());
    expect([yes.total, no.total]).toEqual([dangling.length, tagged.length]);
  });
});

describe('listing ~12,000 images: offset jumps past the index skip', () => {
  let ctx: ReturnType<typeof openStore>;
  let rows: Row[];
  beforeAll(async () => {
    ctx = openStore();
    rows = [];
    const base = Date.UTC(2023, 5, 1);
    for (let i = 0; i < 12_000; i++) {
      const ns = i % 2 === 0 ? 'big0' : i % 4 === 1 ? 'big1' : 'big2';
      rows.push({
        ns,
        name: `reg.example/p${i % 13}/app-${(i * 7919) % 12_011}:${i % 3 === 0 ? 'x' : 'y'}${i}`,
        created: base + (i % 997) * 60_000,
        size: sizes[i % sizes.length]! + (i % 7),
        mediaType: oci.manifest,
        labels: i % 5 === 0 ? { tier: 'gold' } : {},
        dangling: false,
      });
    }
    // One transaction through the store module: the change log records a reset, the catalog rebuilds.
    seedImages(
      ctx.store,
      rows.map((r, i) => ({
        namespace: r.ns,
        name: r.name,
        target: { mediaType: r.mediaType, digest: fakeDigest(i), size: r.size },
        labels: r.labels,
        createdAt: r.created,
      })),
    );
  });
  afterAll(() => ctx.dispose());

  const queries: { namespace?: string; sort: SortField; order: SortOrder; filter?: ImageFilter }[] = [
    { sort: 'name', order: 'asc' },
    { sort: 'created', order: 'desc' },
    { sort: 'size', order: 'asc' },
    { namespace: 'big0', sort: 'name', order: 'desc' },
    { namespace: 'big0', sort: 'created', order: 'asc' },
    { sort: 'name', order: 'asc', filter: { name: '/p1' } },
    { sort: 'size', order: 'desc', filter: { labels: ['tier=gold'] } },
  ];
  for (const q of queries) {
    it(`offsets beyond 5,000 return what cursor paging returns there: ${JSON.stringify(q)}`, async () => {
      const want = expected(rows, q);
      const all = await listAll(ctx.service, q, 1000);
      expect(all.items.map(refOf)).toEqual(want);
      for (const offset of [0, 4_999, 5_000, 5_001, 6_123, 9_999, want.length - 1, want.length, 20_000]) {
        const page = await ctx.service['images.list']({ ...q, offset, limit: 100 });
        expect(page.items.map(refOf), `offset ${offset}`).toEqual(want.slice(offset, offset + 100));
        expect(page.total).toBe(want.length);
        if (page.nextCursor) {
          const next = await ctx.service['images.list']({ ...q, cursor: page.nextCursor, limit: 100 });
          expect(next.items.map(refOf), `after offset ${offset}`).toEqual(
            want.slice(offset + 100, offset + 200),
          );
        }
      }
    });
  }
});

// ---- lists stay current -------------------------------------------------------------------------------------------

describe('a list reflects every change', () => {
  // Name filters are answered by the in-memory catalog, which follows the change log.
  const names = async (service: Service, filter: ImageFilter = { name: 'app' }, namespace?: string) =>
    (await listAll(service, { filter, namespace }, 1000)).items.map(refOf);

  it('creates, deletes, label edits and target changes made between calls', async () => {
    const { service } = tempStore();
    expect(await names(service)).toEqual([]);
    for (let i = 0; i < 5; i++) await service['images.create'](imageInput('default', `app:${i}`, i));
    expect(await names(service)).toEqual([0, 1, 2, 3, 4].map((i) => `default/app:${i}`));
    await service['images.delete']({
      images: [
        { namespace: 'default', name: 'app:1' },
        { namespace: 'default', name: 'app:3' },
      ],
    });
    expect(await names(service)).toEqual(['default/app:0', 'default/app:2', 'default/app:4']);
    await service['images.labels']({ namespace: 'default', name: 'app:2', set: { a: '1', b: '2' } });
    expect(await names(service, { labels: ['a=1', 'b=2'] })).toEqual(['default/app:2']);
    await service['images.update']({
      namespace: 'default',
      name: 'app:4',
      target: { mediaType: oci.index, digest: fakeDigest(99), size: 5 },
    });
    expect(await names(service, { mediaType: oci.index })).toEqual(['default/app:4']);
    expect((await service['images.list']({ filter: { name: 'app' }, sort: 'size' })).items[0]!.name).toBe(
      'app:4',
    );
    await service['images.restore']({ images: [{ namespace: 'default', name: 'app:3' }] });
    expect(await names(service)).toEqual([
      'default/app:0',
      'default/app:2',
      'default/app:3',
      'default/app:4',
    ]);
    await service['metadata.set']({ namespace: 'm', key: 'k', value: new Uint8Array([1]) }); // logs no image change
    await service['images.tag']({ namespace: 'default', source: 'app:0', name: 'app:5' });
    expect(await names(service)).toEqual([
      'default/app:0',
      'default/app:2',
      'default/app:3',
      'default/app:4',
      'default/app:5',
    ]);
  });

  it('changes another Store instance on the same directory made', async () => {
    const { service, dir } = tempStore();
    const other = openStore(dir);
    try {
      await service['images.create'](imageInput('default', 'app:mine', 1));
      expect(await names(service)).toEqual(['default/app:mine']); // the catalog is built now
      await other.service['images.create'](imageInput('default', 'app:theirs', 2));
      await other.service['images.create'](imageInput('ns2', 'app:theirs', 3));
      await nextTurn();
      expect(await names(service)).toEqual(['default/app:mine', 'default/app:theirs', 'ns2/app:theirs']);
      expect((await service['images.list']({})).total).toBe(3);
      await other.service['images.delete']({ images: [{ namespace: 'default', name: 'app:mine' }] });
      await nextTurn();
      expect(await names(service)).toEqual(['default/app:theirs', 'ns2/app:theirs']);
      // and the other way round
      expect(await names(other.service)).toEqual(['default/app:theirs', 'ns2/app:theirs']);
      await service['images.labels']({ namespace: 'ns2', name: 'app:theirs', set: { x: 'y' } });
      await nextTurn();
      expect(await names(other.service, { name: 'app', labels: ['x=y'] })).toEqual(['ns2/app:theirs']);
    } finally {
      other.dispose();
    }
    // closing the other instance leaves this one working
    await service['images.create'](imageInput('default', 'app:after', 4));
    expect(await names(service)).toEqual(['default/app:after', 'default/app:theirs', 'ns2/app:theirs']);
  });

  it('more than 200 changes in one transaction, and in many small ones', async () => {
    const { store, service } = tempStore();
    await service['images.create'](imageInput('default', 'app:first', 1));
    expect(await names(service)).toEqual(['default/app:first']);
    seedImages(
      store,
      Array.from({ length: 250 }, (_, i) => ({
        namespace: 'bulk',
        name: `app:${String(i).padStart(3, '0')}`,
        target: { mediaType: oci.manifest, digest: fakeDigest(i), size: i },
      })),
    );
    const afterBulk = await names(service);
    expect(afterBulk).toHaveLength(251);
    expect(afterBulk[0]).toBe('bulk/app:000');
    const del = await service['images.delete']({
      matching: { namespace: 'bulk', filter: { name: 'app:1' } },
    });
    expect(del.deleted).toHaveLength(100);
    expect(await names(service, { name: 'app:1' }, 'bulk')).toEqual([]);
    expect(await names(service)).toHaveLength(151);
    for (let i = 0; i < 210; i++) await service['images.create'](imageInput('small', `app:${i}`, 1000 + i));
    expect(await names(service)).toHaveLength(361);
    expect(await names(service, { name: 'app:20' }, 'small')).toEqual([
      'small/app:20',
      'small/app:200',
      'small/app:201',
      'small/app:202',
      'small/app:203',
      'small/app:204',
      'small/app:205',
      'small/app:206',
      'small/app:207',
      'small/app:208',
      'small/app:209',
    ]);
    expect((await service['store.check']({})).errors).toEqual([]);
  });
});

describe('paging by cursor while the store changes', () => {
  // A cursor continues after the last item the caller saw: images that did not change are neither skipped nor
  // repeated when others are created or deleted between pages.
  type Query = Parameters<Service['images.list']>[0];
  const seed = async (service: Service) => {
    for (let i = 0; i < 40; i++)
      await service['images.create'](imageInput('default', `app:${String(i).padStart(3, '0')}`, i));
  };
  const changes: [string, (service: Service, firstPage: ImageRecord[]) => Promise<unknown>][] = [
    [
      'an image before the cursor is deleted',
      (service, page) =>
        service['images.delete']({ images: [{ namespace: page[0]!.namespace, name: page[0]!.name }] }),
    ],
    [
      'an image is created before the cursor',
      (service) => service['images.create'](imageInput('default', 'app:000-new', 999)),
    ],
  ];
  const paths: [string, Query][] = [
    ['through the index (no filter)', { namespace: 'default' }],
    ['through the catalog (name filter)', { filter: { name: 'app:' } }],
  ];
  for (const [pathName, query] of paths) {
    for (const [changeName, change] of changes) {
      it(`${pathName}: ${changeName}`, async () => {
        const { service } = tempStore();
        await seed(service);
        const before = (await listAll(service, query, 1000)).items.map(refOf);
        const first = await service['images.list']({ ...query, limit: 10 });
        expect(first.items.map(refOf)).toEqual(before.slice(0, 10));
        await change(service, first.items);
        const second = await service['images.list']({ ...query, limit: 10, cursor: first.nextCursor! });
        expect(second.items.map(refOf)).toEqual(before.slice(10, 20));
      });
    }
  }
});

describe('record times', () => {
  it('createdAt stays, updatedAt moves forward, both ISO-8601', async () => {
    const { service } = tempStore();
    const created = await service['images.create'](imageInput('default', 'app:1', 1));
    const records: ImageRecord[] = [created];
    for (const change of [
      () => service['images.labels']({ namespace: 'default', name: 'app:1', set: { a: 'b' } }),
      () =>
        service['images.update']({
          namespace: 'default',
          name: 'app:1',
          target: { mediaType: oci.manifest, digest: fakeDigest(2), size: 1 },
        }),
    ]) {
      await sleep(3);
      records.push(await change());
    }
    for (const r of records) {
      expect(r.createdAt).toBe(created.createdAt);
      expect(r.updatedAt).toMatch(iso);
      expect(new Date(r.updatedAt).toISOString()).toBe(r.updatedAt);
    }
    const times = records.map((r) => Date.parse(r.updatedAt));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(new Set(times).size).toBe(3);
  });
});

describe('deep jumps stay exact while the store changes', () => {
  it('positions after a create, a delete and a label change, in every order and for a label page', async () => {
    const { store, service } = tempStore();
    const base = Date.UTC(2024, 0, 1);
    seedImages(
      store,
      Array.from({ length: 2000 }, (_, i) => ({
        ...imageInput(
          ['a', 'b'][i % 2]!,
          `example.com/app${String((i * 7919) % 2000).padStart(4, '0')}:v1`,
          i + 1,
          {
            size: 5000 + ((i * 31) % 997),
            labels: i % 3 === 0 ? { tier: 'gold' } : {},
          },
        ),
        createdAt: base + ((i * 104729) % 1_000_000),
      })),
    );
    const queries: Parameters<Service['images.list']>[0][] = [
      { sort: 'name', order: 'asc' },
      { sort: 'created', order: 'desc' },
      { sort: 'size', order: 'asc', namespace: 'a' },
      { sort: 'name', order: 'desc', filter: { labels: ['tier=gold'] } },
    ];
    const check = async () => {
      for (const query of queries) {
        const every = (await listAll(service, query, 500)).items.map((i) => `${i.namespace}/${i.name}`);
        for (const offset of [0, 511, 512, 700, 1024, every.length - 2]) {
          if (offset < 0 || offset >= every.length) continue;
          const page = await service['images.list']({ ...query, offset, limit: 2 });
          expect(page.items.map((i) => `${i.namespace}/${i.name}`)).toEqual(every.slice(offset, offset + 2));
        }
      }
    };
    await check();
    await service['images.create']({
      ...imageInput('a', 'example.com/aaa:first', 9001, { size: 1, labels: { tier: 'gold' } }),
    });
    await check();
    await service['images.delete']({
      images: [
        { namespace: 'a', name: 'example.com/aaa:first' },
        { namespace: 'b', name: 'example.com/app0001:v1' },
      ],
      purge: true,
    });
    await check();
    await service['images.labels']({ namespace: 'a', name: 'example.com/app0000:v1', set: { tier: 'gold' } });
    await check();
  });
});

describe('labels as long as containerd allows (4 KiB)', () => {
  it('are stored whole and found by an exact label filter, in one namespace and across all', async () => {
    const { service } = tempStore();
    const long = 'x'.repeat(3900);
    // Two pairs that share their first 512 characters: the index must still tell them apart.
    await service['images.create']({ ...imageInput('default', 'a:1', 1), labels: { note: `${long}-a` } });
    await service['images.create']({ ...imageInput('default', 'b:1', 2), labels: { note: `${long}-b` } });
    await service['images.create']({ ...imageInput('k8s.io', 'c:1', 3), labels: { note: `${long}-a` } });
    expect((await service['images.get']({ namespace: 'default', name: 'a:1' })).labels.note).toBe(
      `${long}-a`,
    );
    const names = async (namespace?: string) =>
      (await service['images.list']({ namespace, filter: { labels: [`note=${long}-a`] } })).items.map(
        (i) => i.name,
      );
    expect(await names('default')).toEqual(['a:1']);
    expect(await names()).toEqual(['a:1', 'c:1']);
    expect((await service['images.list']({ filter: { labels: [`note=${long}-a`] } })).total).toBe(2);
    await service['images.labels']({ namespace: 'default', name: 'a:1', remove: ['note'] });
    expect(await names('default')).toEqual([]);
    expect((await service['store.check']({})).errors).toEqual([]);
  });
});

describe('deep jumps after a bulk import use the positions the importer persisted', () => {
  it('a reopened store answers deep pages exactly, in every order, also after another instance writes', async () => {
    const { store, service, dir } = tempStore();
    const base = Date.UTC(2024, 0, 1);
    // 3,000 images log more than 20,000 keys: one bulk change, after which the writer persists rank samples.
    seedImages(
      store,
      Array.from({ length: 3000 }, (_, i) => ({
        ...imageInput(
          ['a', 'b', 'c'][i % 3]!,
          `example.com/p${i % 7}/app${String((i * 7919) % 3000).padStart(4, '0')}:v${i % 5}`,
          i + 1,
          { size: 5000 + ((i * 31) % 997), labels: i % 3 === 0 ? { tier: 'gold' } : { tier: 'blue' } },
        ),
        createdAt: base + ((i * 104729) % 1_000_000),
      })),
    );
    const queries: Parameters<Service['images.list']>[0][] = [
      { sort: 'name', order: 'asc' },
      { sort: 'name', order: 'desc' },
      { sort: 'created', order: 'desc' },
      { sort: 'size', order: 'asc' },
      { sort: 'created', order: 'asc', namespace: 'b' },
      { sort: 'name', order: 'desc', namespace: 'c' },
      { sort: 'name', order: 'asc', filter: { labels: ['tier=blue'] } },
      { sort: 'name', order: 'desc', filter: { labels: ['tier=gold'] }, namespace: 'a' },
    ];
    const check = async (svc: Service) => {
      for (const query of queries) {
        const every = (await listAll(svc, query, 1000)).items.map(refOf);
        for (const offset of [0, 511, 512, 513, 700, 1023, 1024, 1500, every.length - 2, every.length]) {
          if (offset < 0) continue;
          const page = await svc['images.list']({ ...query, offset, limit: 3 });
          expect(page.items.map(refOf), `${JSON.stringify(query)} at ${offset}`).toEqual(
            every.slice(offset, offset + 3),
          );
        }
      }
    };
    const other = openStore(dir);
    try {
      await check(other.service);
      // The other instance never sampled a range: every jump went through the persisted samples.
      expect(other.store.positions.rangesSampled).toBe(0);
      // Small writes are shifted in from the change log.
      await service['images.create']({
        ...imageInput('a', 'example.com/aaa:first', 9001, { size: 1, labels: { tier: 'gold' } }),
      });
      const sample = (await service['images.list']({ sort: 'name', order: 'asc', offset: 1200, limit: 3 }))
        .items;
      const [x, y, z] = sample.map((r) => ({ namespace: r.namespace, name: r.name }));
      await service['images.delete']({ images: [x!, y!], purge: true });
      await service['images.labels']({ ...z!, set: { tier: 'gold' } });
      await check(service);
      expect(store.positions.rangesSampled).toBe(0);
      // A second bulk change (a deletion of 2,500 images) persists new samples; both instances follow.
      const doomed = (await listAll(service, { sort: 'name', order: 'asc' }, 1000)).items
        .filter((_, i) => i % 6 !== 0)
        .map((r) => ({ namespace: r.namespace, name: r.name }));
      await other.service['images.delete']({ images: doomed, purge: true });
      await check(other.service);
      expect(other.store.positions.rangesSampled).toBe(0);
    } finally {
      other.dispose();
    }
    const third = openStore(dir);
    try {
      await check(third.service);
      expect(third.store.positions.rangesSampled).toBe(0);
    } finally {
      third.dispose();
    }
  });
});
