import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImgmetaError, type ErrorCode } from '../../src/shared/errors';
import { operationNames, type OperationName } from '../../src/shared/operations';
import { limits } from '../../src/shared/schemas';
import {
  fakeDigest,
  imageInput,
  json,
  makeImage,
  oci,
  openStore,
  putImageContent,
  snapshot,
} from '../helpers/store';

/**
 * Every operation refuses bad input with a typed error, and a refused operation changes nothing. The table is keyed
 * by operation name, so a new operation without its bad-input cases fails to compile (and the loop below fails).
 */
interface Case {
  why: string;
  input: unknown;
  code: ErrorCode;
}

const cursorOf = (state: unknown) => Buffer.from(JSON.stringify(state)).toString('base64url');
const image = makeImage('bad-input');
const ref = { namespace: 'default', name: 'app:1' };
const target = { mediaType: oci.manifest, digest: fakeDigest(1), size: 100 };
const bytes = new Uint8Array([1, 2, 3]);
const tooBig = new Uint8Array(limits.valueBytes + 1);
const bad = (why: string, input: unknown): Case => ({ why, input, code: 'invalid_argument' });

/** Filled in once the fixture exists (trash ids and metadata versions are only known then). */
let known: { trashId: string; version: number };

const cases = (): Record<OperationName, Case[]> => ({
  'images.list': [
    bad('unknown sort', { sort: 'bogus' }),
    bad('limit 0', { limit: 0 }),
    bad('limit above the page size', { limit: limits.pageSize + 1 }),
    bad('negative offset', { offset: -1 }),
    bad('fractional offset', { offset: 1.5 }),
    bad('bad namespace', { namespace: 'bad ns' }),
    bad('label filter without =', { filter: { labels: ['novalue'] } }),
    bad('unknown filter field', { filter: { tag: 'x' } }),
    bad('bad media type filter', { filter: { mediaType: 'nope' } }),
    bad('cursor with foreign characters', { cursor: 'not a cursor!' }),
    bad('cursor that is not one the store issued', { cursor: 'abc' }),
    bad('forged cursor with a negative position', { cursor: cursorOf({ o: -5, p: 'i' }) }),
    bad('forged cursor for the catalog with a bad position', {
      cursor: cursorOf({ o: 'x', p: 'c' }),
      filter: { name: 'app' },
    }),
    bad('unknown field', { sort: 'name', extra: true }),
  ],
  'images.namespaces': [bad('unknown field', { namespace: 'default' })],
  'images.get': [
    bad('missing name', { namespace: 'default' }),
    bad('bad name', { namespace: 'default', name: 'Bad Name' }),
    bad('unknown field', { ...ref, digest: fakeDigest(1) }),
    { why: 'missing image', input: { namespace: 'default', name: 'nope:1' }, code: 'not_found' },
  ],
  'images.create': [
    { why: 'duplicate name', input: { ...ref, target }, code: 'already_exists' },
    bad('bad digest', { namespace: 'default', name: 'new:1', target: { ...target, digest: 'sha256:abc' } }),
    bad('negative size', { namespace: 'default', name: 'new:1', target: { ...target, size: -1 } }),
    bad('size as a string', { namespace: 'default', name: 'new:1', target: { ...target, size: '100' } }),
    bad('bad name', { namespace: 'default', name: 'new:1:2', target }),
    bad('bad label', { namespace: 'default', name: 'new:1', target, labels: { 'a=b': 'c' } }),
    bad('missing target', { namespace: 'default', name: 'new:1' }),
    bad('unknown field', { namespace: 'default', name: 'new:1', target, pinned: true }),
  ],
  'images.update': [
    { why: 'missing image', input: { namespace: 'default', name: 'nope:1', labels: {} }, code: 'not_found' },
    bad('nothing to change', ref),
    bad('fractional size', { ...ref, target: { ...target, size: 1.5 } }),
    bad('labels not a map', { ...ref, labels: ['a=b'] }),
    bad('unknown field', { ...ref, labels: {}, createdAt: 'now' }),
  ],
  'images.labels': [
    {
      why: 'missing image',
      input: { namespace: 'default', name: 'nope:1', set: { a: 'b' } },
      code: 'not_found',
    },
    bad('empty key to remove', { ...ref, remove: [''] }),
    bad('control character in a value', { ...ref, set: { a: 'b\u0007' } }),
    bad('unknown field', { ...ref, add: { a: 'b' } }),
  ],
  'images.tag': [
    {
      why: 'missing source',
      input: { namespace: 'default', source: 'nope:1', name: 'new:1' },
      code: 'not_found',
    },
    {
      why: 'taken name',
      input: { namespace: 'default', source: 'app:1', name: 'app:2' },
      code: 'already_exists',
    },
    bad('bad new name', { namespace: 'default', source: 'app:1', name: 'UPPER' }),
    bad('unknown field', { namespace: 'default', source: 'app:1', name: 'new:1', force: true }),
  ],
  'images.delete': [
    bad('neither images nor matching', {}),
    bad('bad reference', { images: [{ namespace: 'default', name: '' }] }),
    bad('bad filter', { matching: { filter: { dangling: 'yes' } } }),
    bad('purge not a boolean', { images: [ref], purge: 'yes' }),
    bad('unknown field', { images: [ref], everything: true }),
    {
      why: 'one of several is missing',
      input: { images: [ref, { namespace: 'default', name: 'nope:1' }] },
      code: 'not_found',
    },
    {
      why: 'one of several is pinned',
      input: { images: [ref, { namespace: 'default', name: 'pinned:1' }] },
      code: 'failed_precondition',
    },
    {
      why: 'a filter that matches a pinned image',
      input: { matching: { filter: { name: 'pinned' } }, purge: true },
      code: 'failed_precondition',
    },
  ],
  'images.restore': [
    bad('nothing named', {}),
    bad('empty lists', { ids: [], images: [] }),
    bad('malformed trash id', { ids: ['garbage'] }),
    bad('id not a string', { ids: [5] }),
    bad('unknown field', { images: [ref], overwrite: true }),
    { why: 'unknown trash id', input: { ids: ['99999:default:nope:1'] }, code: 'not_found' },
    {
      why: 'name not in the trash',
      input: { images: [{ namespace: 'default', name: 'nope:1' }] },
      code: 'not_found',
    },
    {
      why: 'the name exists again',
      input: { images: [{ namespace: 'default', name: 'app:2' }] },
      code: 'already_exists',
    },
    {
      why: 'one of two exists again',
      input: { ids: [known.trashId], images: [{ namespace: 'default', name: 'app:2' }] },
      code: 'already_exists',
    },
    bad('the same image twice', { ids: [known.trashId], images: [{ namespace: 'default', name: 'gone:1' }] }),
  ],
  'trash.list': [
    bad('limit 0', { limit: 0 }),
    bad('bad cursor', { cursor: 'zz' }),
    bad('unknown field', { order: 'asc' }),
  ],
  'trash.purge': [
    bad('malformed id', { ids: ['bad'] }),
    bad('dryRun not a boolean', { dryRun: 1 }),
    bad('unknown field', { all: true }),
    { why: 'unknown id', input: { ids: [known.trashId, '99999:default:nope:1'] }, code: 'not_found' },
  ],
  'content.get': [
    bad('bad digest', { digest: 'sha256:XYZ' }),
    bad('uppercase digest', { digest: image.target.digest.toUpperCase() }),
    { why: 'unknown digest', input: { digest: fakeDigest(9) }, code: 'not_found' },
  ],
  'content.info': [
    bad('no digest', {}),
    bad('unknown field', { digest: image.target.digest, bytes: true }),
    { why: 'unknown digest', input: { digest: fakeDigest(9) }, code: 'not_found' },
  ],
  'content.put': [
    bad('bytes as a string', { bytes: 'abc', mediaType: 'application/octet-stream' }),
    bad('bytes as an array of numbers', { bytes: [1, 2, 3], mediaType: 'application/octet-stream' }),
    bad('oversize', { bytes: tooBig, mediaType: 'application/octet-stream' }),
    bad('digest mismatch', { bytes, mediaType: 'application/octet-stream', digest: fakeDigest(3) }),
    bad('invalid JSON manifest', {
      bytes: new TextEncoder().encode('{"layers": ['),
      mediaType: oci.manifest,
    }),
    bad('bad media type', { bytes, mediaType: 'octet-stream' }),
    bad('unknown field', { bytes, mediaType: 'application/octet-stream', name: 'x' }),
  ],
  'content.platforms': [
    bad('missing digests', {}),
    bad('bad digest', { digests: ['sha256:0'] }),
    bad('more than 1,000 digests', { digests: Array.from({ length: 1001 }, (_, i) => fakeDigest(i)) }),
    bad('unknown field', { digests: [], name: 'x' }),
  ],
  'content.tree': [
    bad('digest and image together', { ...ref, digest: image.target.digest }),
    bad('bad digest', { digest: 'sha256:0' }),
    bad('nothing', {}),
    { why: 'missing image', input: { namespace: 'default', name: 'nope:1' }, code: 'not_found' },
    { why: 'unknown digest', input: { digest: fakeDigest(9) }, code: 'not_found' },
  ],
  'metadata.namespaces': [bad('unknown field', { prefix: 'a' })],
  'metadata.list': [
    bad('missing namespace', {}),
    bad('control character in the prefix', { namespace: 'meta', prefix: 'a\n' }),
    bad('limit 0', { namespace: 'meta', limit: 0 }),
    bad('garbage cursor', { namespace: 'meta', cursor: 'abc' }),
    bad('a cursor without a key', { namespace: 'meta', cursor: cursorOf({ o: 1, p: 'c' }) }),
    bad('unknown field', { namespace: 'meta', sort: 'desc' }),
  ],
  'metadata.folders': [
    bad('missing namespace', {}),
    bad('control character in the prefix', { namespace: 'meta', prefix: 'a\n' }),
    bad('limit 0', { namespace: 'meta', limit: 0 }),
    bad('limit above 1000', { namespace: 'meta', limit: 1001 }),
    bad('unknown field', { namespace: 'meta', depth: 2 }),
  ],
  'metadata.get': [
    bad('empty key', { namespace: 'meta', key: '' }),
    bad('key with NUL', { namespace: 'meta', key: 'a\u0000' }),
    bad('key too long', { namespace: 'meta', key: 'k'.repeat(limits.metadataKeyBytes + 1) }),
    { why: 'missing key', input: { namespace: 'meta', key: 'nope' }, code: 'not_found' },
  ],
  'metadata.set': [
    bad('value as a string', { namespace: 'meta', key: 'k', value: 'text' }),
    bad('oversize value', { namespace: 'meta', key: 'new', value: tooBig }),
    bad('negative expectedVersion', { namespace: 'meta', key: 'k', value: bytes, expectedVersion: -1 }),
    bad('unknown field', { namespace: 'meta', key: 'k', value: bytes, ttl: 5 }),
    {
      why: 'stale version',
      input: { namespace: 'meta', key: 'k', value: bytes, expectedVersion: known.version - 1 },
      code: 'conflict',
    },
    {
      why: 'must not exist but does',
      input: { namespace: 'meta', key: 'k', value: bytes, expectedVersion: 0 },
      code: 'conflict',
    },
  ],
  'metadata.delete': [
    bad('expectedVersion 0', { namespace: 'meta', key: 'k', expectedVersion: 0 }),
    bad('bad namespace', { namespace: '', key: 'k' }),
    { why: 'missing key', input: { namespace: 'meta', key: 'nope' }, code: 'not_found' },
    {
      why: 'stale version',
      input: { namespace: 'meta', key: 'k', expectedVersion: known.version + 1 },
      code: 'conflict',
    },
  ],
  'metadata.deletePrefix': [
    bad('no prefix', { namespace: 'meta' }),
    bad('control character in the prefix', { namespace: 'meta', prefix: '\u0001' }),
    bad('dryRun not a boolean', { namespace: 'meta', prefix: 'k', dryRun: 'no' }),
  ],
  'gc.preview': [bad('unknown field', { dryRun: false })],
  'sources.detect': [
    bad('empty path', { path: '' }),
    bad('path with NUL', { path: '/tmp/a\0b' }),
    { why: 'a path that does not exist', input: { path: '/nonexistent/imgmeta/source' }, code: 'not_found' },
    bad('a file that is no source', { path: import.meta.filename }),
    bad('bad namespace', { path: '/tmp', namespace: 'bad ns' }),
  ],
  'sources.import': [
    bad('missing path', {}),
    { why: 'a path that does not exist', input: { path: '/nonexistent/imgmeta/source' }, code: 'not_found' },
    bad('a file that is no source', { path: import.meta.filename }),
    bad('dryRun not a boolean', { path: '/tmp', dryRun: 'yes' }),
    bad('an id with spaces', { path: '/tmp', id: 'a b' }),
  ],
  'sources.cancel': [bad('missing id', {}), bad('an id with a slash', { id: '../x' })],
  'sources.export': [
    bad('no images', { images: [], to: '/tmp/x' }),
    bad('missing destination', { images: [ref] }),
    {
      why: 'an image that does not exist',
      input: { images: [{ namespace: 'default', name: 'nope:1' }], to: '/tmp/imgmeta-never' },
      code: 'not_found',
    },
  ],
  'sources.exportMetadata': [
    bad('bad namespace', { namespace: 'bad ns', to: '/tmp/x' }),
    {
      why: 'a namespace with no keys',
      input: { namespace: 'empty', to: '/tmp/imgmeta-never' },
      code: 'not_found',
    },
  ],
  'sources.discover': [bad('unknown field', { deep: true })],
  'gc.run': [bad('unknown field', { force: true })],
  'store.info': [bad('unknown field', { verbose: true })],
  'store.check': [bad('deep not a boolean', { deep: 'yes' }), bad('unknown field', { repair: true })],
});

describe('bad input to every operation', () => {
  let ctx: ReturnType<typeof openStore>;
  let table: Record<OperationName, Case[]>;

  beforeAll(async () => {
    ctx = openStore();
    const s = ctx.service;
    await putImageContent(s, image);
    await s['content.put']({ bytes: json({ loose: true }), mediaType: 'application/json' });
    await s['images.create']({ ...ref, target: image.target, labels: { team: 'x' } });
    await s['images.create'](imageInput('default', 'app:2', 2));
    await s['images.create'](imageInput('other', 'app:1', 3));
    await s['images.create'](imageInput('default', 'pinned:1', 4, { labels: { 'imgmeta.pinned': 'true' } }));
    await s['images.create'](imageInput('default', 'gone:1', 5));
    await s['images.create'](imageInput('default', 'app:2-old', 6));
    await s['images.delete']({ images: [{ namespace: 'default', name: 'gone:1' }] });
    await s['images.delete']({ images: [{ namespace: 'default', name: 'app:2' }] });
    await s['images.create'](imageInput('default', 'app:2', 7)); // app:2 is in the trash and exists again
    await s['metadata.set']({ namespace: 'meta', key: 'k', value: new Uint8Array([0, 255]) });
    const v = await s['metadata.set']({ namespace: 'meta', key: 'k', value: new Uint8Array([1, 254]) });
    await s['metadata.set']({ namespace: 'meta2', key: 'sha256/x', value: new Uint8Array([]) });
    const gone = (await s['trash.list']({})).items.find((e) => e.image.name === 'gone:1')!;
    known = { trashId: gone.id, version: v.version };
    table = cases();
  });
  afterAll(() => ctx.dispose());

  it('every operation has bad-input cases, at least one of them invalid_argument', () => {
    for (const name of operationNames) {
      expect(table[name], `no bad-input case for ${name}`).toBeDefined();
      expect(
        table[name].some((c) => c.code === 'invalid_argument'),
        `no invalid_argument case for ${name}`,
      ).toBe(true);
    }
  });

  it('the domain errors are all exercised', () => {
    const codes = new Set(Object.values(table).flatMap((list) => list.map((c) => c.code)));
    expect([...codes].sort()).toEqual([
      'already_exists',
      'conflict',
      'failed_precondition',
      'invalid_argument',
      'not_found',
    ]);
  });

  for (const name of operationNames) {
    it(`${name}: refused with a typed error, and the store is unchanged`, async () => {
      const call = ctx.service[name] as (input: unknown) => Promise<unknown>;
      // input of the wrong type altogether
      const generic: Case[] = [
        bad('a number', 42),
        bad('a string', 'input'),
        bad('an array', []),
        bad('an unknown field', { __unknown: 1 }),
      ];
      for (const c of [...generic, ...(table[name] ?? [])]) {
        const before = await snapshot(ctx.service, ctx.store);
        const error = await call(c.input).then(
          (result) => new Error(`${name} (${c.why}) succeeded: ${JSON.stringify(result)?.slice(0, 200)}`),
          (e: unknown) => e,
        );
        expect(error, `${name}: ${c.why}`).toBeInstanceOf(ImgmetaError);
        expect((error as ImgmetaError).code, `${name}: ${c.why}: ${(error as Error).message}`).toBe(c.code);
        expect((error as ImgmetaError).message.length).toBeGreaterThan(0);
        expect(await snapshot(ctx.service, ctx.store), `${name}: ${c.why} changed the store`).toEqual(before);
      }
    });
  }

  it('the store still checks clean', async () => {
    const check = await ctx.service['store.check']({ deep: true });
    expect(check.errors).toEqual([]);
  });
});
