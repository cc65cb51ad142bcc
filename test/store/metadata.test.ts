import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Service } from '../../src/main/service';
import { limits } from '../../src/shared/schemas';
import type { MetadataKeyInfo } from '../../src/shared/types';
import { setValue } from '../../src/main/store/metadata';
import { openStore, tempStore } from '../helpers/store';

const iso = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);
/** Key order is the order of the UTF-8 bytes (= code point order), the order LMDB keeps. */
const byKey = (a: string, b: string) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

async function listEvery(
  service: Service,
  namespace: string,
  prefix: string,
  limit: number,
): Promise<{ keys: string[]; totals: number[] }> {
  const keys: string[] = [];
  const totals: number[] = [];
  let cursor: string | undefined;
  do {
    const page = await service['metadata.list']({
      namespace,
      prefix,
      limit,
      ...(cursor !== undefined ? { cursor } : {}),
    });
    expect(page.offset).toBe(keys.length);
    keys.push(...page.items.map((i: MetadataKeyInfo) => i.key));
    totals.push(page.total);
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  return { keys, totals };
}

describe('metadata namespaces', () => {
  it('lists every namespace that holds keys, with its key count', async () => {
    const { service } = tempStore();
    expect(await service['metadata.namespaces']({})).toEqual([]);
    for (let i = 0; i < 3; i++)
      await service['metadata.set']({ namespace: 'distribution', key: `k${i}`, value: bytes('x') });
    await service['metadata.set']({ namespace: 'buildkit', key: 'only', value: bytes('y') });
    await service['metadata.set']({ namespace: 'distribution', key: 'k0', value: bytes('replaced') }); // not a new key
    expect(await service['metadata.namespaces']({})).toEqual([
      { namespace: 'buildkit', keys: 1 },
      { namespace: 'distribution', keys: 3 },
    ]);
    await service['metadata.delete']({ namespace: 'buildkit', key: 'only' });
    expect(await service['metadata.namespaces']({})).toEqual([{ namespace: 'distribution', keys: 3 }]);
    const info = await service['store.info']({});
    expect([info.metadataNamespaces, info.metadataKeys]).toEqual([1, 3]);
  });
});

describe('setting, getting and deleting a value', () => {
  it('set replaces the whole value; get returns it with its version; delete removes it', async () => {
    const { service } = tempStore();
    const first = await service['metadata.set']({
      namespace: 'ns',
      key: 'sha256/abc',
      value: bytes('first value, long'),
    });
    expect(first).toMatchObject({ key: 'sha256/abc', size: 17 });
    expect(first.updatedAt).toMatch(iso);
    expect(first.version).toBeGreaterThan(0);
    const second = await service['metadata.set']({ namespace: 'ns', key: 'sha256/abc', value: bytes('2nd') });
    expect(second.version).toBeGreaterThan(first.version);
    const got = await service['metadata.get']({ namespace: 'ns', key: 'sha256/abc' });
    expect(got).toMatchObject({
      namespace: 'ns',
      key: 'sha256/abc',
      size: 3,
      version: second.version,
      updatedAt: second.updatedAt,
    });
    expect(text(got.value)).toBe('2nd');
    expect(await service['metadata.delete']({ namespace: 'ns', key: 'sha256/abc' })).toEqual({ deleted: 1 });
    await expect(service['metadata.get']({ namespace: 'ns', key: 'sha256/abc' })).rejects.toMatchObject({
      code: 'not_found',
    });
  });

  it('get and delete of a missing key are not_found', async () => {
    const { service } = tempStore();
    await service['metadata.set']({ namespace: 'ns', key: 'a', value: bytes('1') });
    await expect(service['metadata.get']({ namespace: 'ns', key: 'b' })).rejects.toMatchObject({
      code: 'not_found',
    });
    await expect(service['metadata.get']({ namespace: 'other', key: 'a' })).rejects.toMatchObject({
      code: 'not_found',
    });
    await expect(service['metadata.delete']({ namespace: 'ns', key: 'b' })).rejects.toMatchObject({
      code: 'not_found',
    });
    expect(text((await service['metadata.get']({ namespace: 'ns', key: 'a' })).value)).toBe('1');
  });

  it('the same key in two namespaces holds two values', async () => {
    const { service } = tempStore();
    await service['metadata.set']({ namespace: 'one', key: 'k', value: bytes('1') });
    await service['metadata.set']({ namespace: 'two', key: 'k', value: bytes('2') });
    expect(text((await service['metadata.get']({ namespace: 'one', key: 'k' })).value)).toBe('1');
    expect(text((await service['metadata.get']({ namespace: 'two', key: 'k' })).value)).toBe('2');
  });
});

describe('binary values', () => {
  it('all 256 byte values, the empty value and a large value round-trip exactly', async () => {
    const { service } = tempStore();
    const every = new Uint8Array(256).map((_, i) => i);
    const large = new Uint8Array(3 * 1024 * 1024).map((_, i) => (i * 131) & 0xff);
    for (const [key, value] of [
      ['every-byte', every],
      ['reversed', every.slice().reverse()],
      ['empty', new Uint8Array(0)],
      ['nul', new Uint8Array([0])],
      ['large', large],
      ['at-limit', new Uint8Array(limits.valueBytes).fill(0xff)],
      ['view', every.subarray(100, 110)],
      ['buffer', Buffer.from('a node Buffer')],
    ] as const) {
      const set = await service['metadata.set']({ namespace: 'bin', key, value });
      expect(set.size).toBe(value.byteLength);
      const got = await service['metadata.get']({ namespace: 'bin', key });
      expect(got.size).toBe(value.byteLength);
      expect(got.value).toBeInstanceOf(Uint8Array);
      expect(got.value.constructor, 'a plain Uint8Array, not a Buffer').toBe(Uint8Array);
      expect(Buffer.from(got.value).equals(Buffer.from(value)), key).toBe(true);
      // Each get is the caller's own copy: changing it changes neither the store nor the next get.
      got.value.fill(7);
      const again = await service['metadata.get']({ namespace: 'bin', key });
      expect(Buffer.from(again.value).equals(Buffer.from(value)), key).toBe(true);
    }
  });

  it('arbitrary byte strings round-trip', async () => {
    const { service } = tempStore();
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 2048 }), async (value) => {
        await service['metadata.set']({ namespace: 'bin', key: 'k', value: new Uint8Array(value) });
        const got = await service['metadata.get']({ namespace: 'bin', key: 'k' });
        expect(Buffer.from(got.value).equals(Buffer.from(value))).toBe(true);
      }),
      { numRuns: 50 },
    );
  });

  it(`values above ${limits.valueBytes} bytes are invalid_argument and the old value stays`, async () => {
    const { service } = tempStore();
    await service['metadata.set']({ namespace: 'bin', key: 'k', value: bytes('old') });
    await expect(
      service['metadata.set']({ namespace: 'bin', key: 'k', value: new Uint8Array(limits.valueBytes + 1) }),
    ).rejects.toMatchObject({
      code: 'invalid_argument',
    });
    expect(text((await service['metadata.get']({ namespace: 'bin', key: 'k' })).value)).toBe('old');
  });
});

describe('optimistic concurrency with expectedVersion', () => {
  it('0 means the key must not exist yet', async () => {
    const { service } = tempStore();
    const created = await service['metadata.set']({
      namespace: 'ns',
      key: 'k',
      value: bytes('mine'),
      expectedVersion: 0,
    });
    await expect(
      service['metadata.set']({ namespace: 'ns', key: 'k', value: bytes('theirs'), expectedVersion: 0 }),
    ).rejects.toMatchObject({
      code: 'conflict',
    });
    const got = await service['metadata.get']({ namespace: 'ns', key: 'k' });
    expect(text(got.value)).toBe('mine');
    expect(got.version).toBe(created.version);
  });

  it('a stale version is conflict and the value is unchanged; the current version wins', async () => {
    const { service } = tempStore();
    const v1 = await service['metadata.set']({ namespace: 'ns', key: 'k', value: bytes('one') });
    const v2 = await service['metadata.set']({
      namespace: 'ns',
      key: 'k',
      value: bytes('two'),
      expectedVersion: v1.version,
    });
    await expect(
      service['metadata.set']({
        namespace: 'ns',
        key: 'k',
        value: bytes('stale'),
        expectedVersion: v1.version,
      }),
    ).rejects.toMatchObject({
      code: 'conflict',
    });
    expect(text((await service['metadata.get']({ namespace: 'ns', key: 'k' })).value)).toBe('two');
    // a version from the future, and a version for a key that does not exist
    await expect(
      service['metadata.set']({
        namespace: 'ns',
        key: 'k',
        value: bytes('x'),
        expectedVersion: v2.version + 100,
      }),
    ).rejects.toMatchObject({
      code: 'conflict',
    });
    await expect(
      service['metadata.set']({
        namespace: 'ns',
        key: 'new',
        value: bytes('x'),
        expectedVersion: v2.version,
      }),
    ).rejects.toMatchObject({
      code: 'conflict',
    });
    await expect(service['metadata.get']({ namespace: 'ns', key: 'new' })).rejects.toMatchObject({
      code: 'not_found',
    });
    const v3 = await service['metadata.set']({
      namespace: 'ns',
      key: 'k',
      value: bytes('three'),
      expectedVersion: v2.version,
    });
    expect(v3.version).toBeGreaterThan(v2.version);
    expect(text((await service['metadata.get']({ namespace: 'ns', key: 'k' })).value)).toBe('three');
  });

  it('delete with a stale version is conflict and the key stays; with the current one it goes', async () => {
    const { service } = tempStore();
    const v1 = await service['metadata.set']({ namespace: 'ns', key: 'k', value: bytes('one') });
    const v2 = await service['metadata.set']({ namespace: 'ns', key: 'k', value: bytes('two') });
    await expect(
      service['metadata.delete']({ namespace: 'ns', key: 'k', expectedVersion: v1.version }),
    ).rejects.toMatchObject({ code: 'conflict' });
    expect(text((await service['metadata.get']({ namespace: 'ns', key: 'k' })).value)).toBe('two');
    expect(
      await service['metadata.delete']({ namespace: 'ns', key: 'k', expectedVersion: v2.version }),
    ).toEqual({ deleted: 1 });
    await expect(service['metadata.get']({ namespace: 'ns', key: 'k' })).rejects.toMatchObject({
      code: 'not_found',
    });
  });
});

describe('deleting by prefix', () => {
  it('returns the count and leaves every other key', async () => {
    const { service } = tempStore();
    const keys = ['sha256/a', 'sha256/b', 'sha256/c/d', 'sha256', 'sha2560', 'sha512/a', 'other'];
    for (const key of keys) await service['metadata.set']({ namespace: 'ns', key, value: bytes(key) });
    await service['metadata.set']({ namespace: 'ns2', key: 'sha256/a', value: bytes('elsewhere') });
    expect(
      await service['metadata.deletePrefix']({ namespace: 'ns', prefix: 'sha256/', dryRun: true }),
    ).toEqual({ deleted: 3 });
    expect((await listEvery(service, 'ns', '', 100)).keys).toHaveLength(keys.length);
    expect(await service['metadata.deletePrefix']({ namespace: 'ns', prefix: 'sha256/' })).toEqual({
      deleted: 3,
    });
    expect((await listEvery(service, 'ns', '', 100)).keys).toEqual([
      'other',
      'sha256',
      'sha2560',
      'sha512/a',
    ]);
    expect(text((await service['metadata.get']({ namespace: 'ns2', key: 'sha256/a' })).value)).toBe(
      'elsewhere',
    );
    expect(await service['metadata.namespaces']({})).toEqual([
      { namespace: 'ns', keys: 4 },
      { namespace: 'ns2', keys: 1 },
    ]);
    expect(await service['metadata.deletePrefix']({ namespace: 'ns', prefix: 'nothing-here' })).toEqual({
      deleted: 0,
    });
    expect(await service['metadata.deletePrefix']({ namespace: 'ns', prefix: '' })).toEqual({ deleted: 4 });
    expect(await service['metadata.namespaces']({})).toEqual([{ namespace: 'ns2', keys: 1 }]);
    expect((await service['store.check']({})).errors).toEqual([]);
  });
});

describe('listing keys', () => {
  const keys = [
    ...Array.from({ length: 120 }, (_, i) => `sha256/${i.toString(16).padStart(4, '0')}`),
    ...Array.from({ length: 30 }, (_, i) => `v2metadata-by-diffid/sha256/${i}`),
    'a',
    'A',
    'sha256',
    'sha256/',
    'z',
    'é',
    'ÿ',
    '\uff01',
    '😀',
    '日本',
    'with space',
    '~',
  ];

  async function seeded() {
    const { service } = tempStore();
    const order = keys.map((_, i) => keys[(i * 7) % keys.length]!); // insertion order is not key order (7 and the length are coprime)
    for (const key of order) await service['metadata.set']({ namespace: 'ns', key, value: bytes(key) });
    await service['metadata.set']({ namespace: 'ns-other', key: 'sha256/0000', value: bytes('x') });
    return service;
  }

  it('paging by cursor gives every key once, in key order, with the total on every page', async () => {
    const service = await seeded();
    for (const limit of [1, 7, 50, 1000]) {
      const { keys: got, totals } = await listEvery(service, 'ns', '', limit);
      expect(got).toEqual([...keys].sort(byKey));
      expect(new Set(totals)).toEqual(new Set([keys.length]));
    }
  });

  it('a prefix lists only the keys that start with it, all of them', async () => {
    const service = await seeded();
    for (const prefix of [
      'sha256/',
      'sha256',
      'sha256/00',
      'v2metadata-by-diffid/',
      'é',
      '😀',
      'nothing',
      'A',
    ]) {
      const want = keys.filter((k) => k.startsWith(prefix)).sort(byKey);
      const { keys: got, totals } = await listEvery(service, 'ns', prefix, 13);
      expect(got, prefix).toEqual(want);
      expect(totals.every((t) => t === want.length)).toBe(true);
    }
  });

  it('offset lands where cursor paging does', async () => {
    const service = await seeded();
    const all = [...keys].sort(byKey);
    for (const offset of [0, 1, 13, 99, all.length - 1, all.length, all.length + 10]) {
      const page = await service['metadata.list']({ namespace: 'ns', offset, limit: 20 });
      expect(
        page.items.map((i) => i.key),
        `offset ${offset}`,
      ).toEqual(all.slice(offset, offset + 20));
      expect(page.offset).toBe(offset);
      expect(page.total).toBe(all.length);
      if (page.nextCursor) {
        const next = await service['metadata.list']({ namespace: 'ns', cursor: page.nextCursor, limit: 20 });
        expect(next.items.map((i) => i.key)).toEqual(all.slice(offset + 20, offset + 40));
      }
    }
    const prefixed = all.filter((k) => k.startsWith('sha256/'));
    const page = await service['metadata.list']({
      namespace: 'ns',
      prefix: 'sha256/',
      offset: 100,
      limit: 50,
    });
    expect(page.items.map((i) => i.key)).toEqual(prefixed.slice(100));
    expect(page.total).toBe(prefixed.length);
  });

  it('items carry size, version and time; an unknown namespace is an empty page', async () => {
    const service = await seeded();
    const page = await service['metadata.list']({ namespace: 'ns', prefix: 'with space' });
    expect(page.items).toHaveLength(1);
    expect(page.items[0]).toMatchObject({ key: 'with space', size: 10 });
    expect(page.items[0]!.updatedAt).toMatch(iso);
    const got = await service['metadata.get']({ namespace: 'ns', key: 'with space' });
    expect(page.items[0]!.version).toBe(got.version);
    expect(await service['metadata.list']({ namespace: 'nobody' })).toEqual({
      items: [],
      total: 0,
      offset: 0,
    });
  });

  it('a cursor keeps its place when keys before it are deleted', async () => {
    const service = await seeded();
    const all = [...keys].sort(byKey);
    const first = await service['metadata.list']({ namespace: 'ns', limit: 10 });
    await service['metadata.delete']({ namespace: 'ns', key: all[0]! });
    const second = await service['metadata.list']({ namespace: 'ns', limit: 10, cursor: first.nextCursor! });
    expect(second.items.map((i) => i.key)).toEqual(all.slice(10, 20));
  });
});

describe('jumping deep into a large namespace', () => {
  it('offsets past the position samples land exactly, before and after writes, with and without a prefix', async () => {
    const { store, service } = tempStore();
    const hex = (n: number) => n.toString(16).padStart(64, '0');
    const all = Array.from({ length: 3000 }, (_, i) => `sha256/${hex(i * 7919)}`).sort(byKey);
    store.write((ctx) => {
      for (const key of all)
        setValue(store.env, ctx, { namespace: 'v2metadata-by-diffid', key, value: bytes(key) });
    });
    const check = async (keys: string[], prefix: string) => {
      for (const offset of [0, 511, 512, 513, 1024, 1500, keys.length - 1]) {
        const page = await service['metadata.list']({
          namespace: 'v2metadata-by-diffid',
          prefix,
          offset,
          limit: 3,
        });
        expect(page.items.map((i) => i.key)).toEqual(keys.slice(offset, offset + 3));
        expect(page.total).toBe(keys.length);
      }
    };
    await check(all, '');
    // A write moves every position after it; the samples must not answer from before it.
    await service['metadata.set']({
      namespace: 'v2metadata-by-diffid',
      key: 'sha256/0',
      value: bytes('first'),
    });
    await check(['sha256/0', ...all], '');
    await service['metadata.set']({
      namespace: 'v2metadata-by-diffid',
      key: 'other/key',
      value: bytes('not under the prefix'),
    });
    await check(['sha256/0', ...all], 'sha256/');
  });
});

describe('jumping deep after a bulk metadata import', () => {
  it('the stored samples answer exactly in a reopened store, beside another namespace and after writes', async () => {
    const { store, service, dir } = tempStore();
    const hex = (n: number) => n.toString(16).padStart(64, '0');
    const all = Array.from({ length: 22_000 }, (_, i) => `sha256/${hex(i * 7919)}`).sort(byKey);
    const others = Array.from({ length: 3000 }, (_, i) => `k${i}`);
    // More than 20,000 keys in one transaction: the change log records a reset and the writer stores rank samples.
    store.write((ctx) => {
      for (const key of all) setValue(store.env, ctx, { namespace: 'diffid', key, value: bytes(key) });
      for (const key of others) setValue(store.env, ctx, { namespace: 'a-first', key, value: bytes(key) });
    });
    await service['metadata.set']({ namespace: 'diffid', key: 'sha256/0', value: bytes('first') });
    const keys = ['sha256/0', ...all];
    const reader = openStore(dir);
    try {
      for (const offset of [0, 512, 4_097, 11_000, 21_999, keys.length - 1, keys.length]) {
        const page = await reader.service['metadata.list']({ namespace: 'diffid', offset, limit: 3 });
        expect(
          page.items.map((i) => i.key),
          `offset ${offset}`,
        ).toEqual(keys.slice(offset, offset + 3));
        const prefixed = keys.filter((k) => k.startsWith('sha256/00'));
        const at = Math.min(offset, prefixed.length);
        const sub = await reader.service['metadata.list']({
          namespace: 'diffid',
          prefix: 'sha256/00',
          offset: at,
          limit: 3,
        });
        expect(sub.items.map((i) => i.key)).toEqual(prefixed.slice(at, at + 3));
      }
      expect(reader.store.positions.rangesSampled).toBe(0);
    } finally {
      reader.dispose();
    }
  });
});
