import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { digestOf } from '../../src/main/store/content';
import { ImgmetaError, type ErrorCode } from '../../src/shared/errors';
import { operationNames, type Api, type OperationName } from '../../src/shared/operations';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { scratchDir, writeLayout } from '../helpers/layout';
import { fakeDigest, imageInput, json, makeImage, oci } from '../helpers/store';

/** One transport connected to a fresh store: the typed API as a renderer or a script sees it. */
export interface Connection {
  api: Api;
  close(): Promise<void> | void;
}

type Case = [title: string, run: (api: Api) => Promise<void>];

/**
 * The API contract, operation by operation: what a success returns and which error code each kind of failure
 * carries. Typed as a record over every operation name, so a newly declared operation does not compile until it has
 * its cases here, and every transport is held to them.
 *
 * `cancelled` belongs to long-running imports and `internal` to failures that are not the caller's; no operation
 * declared today can be made to produce either on purpose, so they are not listed.
 */
const cases: Record<OperationName, Case[]> = {
  'images.list': [
    [
      'returns a sorted page with the total',
      async (api) => {
        await create(api, 'b', 2);
        await create(api, 'a', 1);
        const page = await api['images.list']({ namespace: 'default', limit: 1 });
        expect(page.total).toBe(2);
        expect(page.items.map((i) => i.name)).toEqual(['a']);
        const next = await api['images.list']({ namespace: 'default', limit: 1, cursor: page.nextCursor });
        expect(next.items.map((i) => i.name)).toEqual(['b']);
      },
    ],
    [
      'invalid_argument for a limit of 0',
      (api) => rejects(api['images.list']({ limit: 0 }), 'invalid_argument'),
    ],
  ],
  'images.namespaces': [
    [
      'counts images per namespace',
      async (api) => {
        await create(api, 'a', 1);
        await api['images.create']({ ...imageInput('k8s.io', 'b', 2) });
        expect(await api['images.namespaces']({})).toEqual([
          { namespace: 'default', images: 1, trash: 0 },
          { namespace: 'k8s.io', images: 1, trash: 0 },
        ]);
      },
    ],
  ],
  'images.get': [
    [
      'returns the record with ISO times',
      async (api) => {
        await create(api, 'docker.io/library/alpine:3.20', 1, { env: 'prod' });
        const image = await api['images.get']({
          namespace: 'default',
          name: 'docker.io/library/alpine:3.20',
        });
        expect(image).toMatchObject({ name: 'docker.io/library/alpine:3.20', labels: { env: 'prod' } });
        expect(image.target.digest).toBe(fakeDigest(1));
        expect(Date.parse(image.createdAt)).not.toBeNaN();
      },
    ],
    [
      'not_found for a missing name',
      (api) => rejects(api['images.get']({ namespace: 'default', name: 'nope' }), 'not_found'),
    ],
  ],
  'images.create': [
    [
      'creates a record',
      async (api) => {
        const image = await create(api, 'a', 1);
        expect(image.target.size).toBe(1001);
      },
    ],
    [
      'already_exists for a taken name',
      async (api) => {
        await create(api, 'a', 1);
        await rejects(create(api, 'a', 2), 'already_exists');
      },
    ],
    [
      'invalid_argument for a bad digest',
      (api) =>
        rejects(
          api['images.create']({
            namespace: 'default',
            name: 'a',
            target: { mediaType: oci.manifest, digest: 'sha256:zz', size: 1 },
          }),
          'invalid_argument',
        ),
    ],
  ],
  'images.update': [
    [
      'replaces the target',
      async (api) => {
        await create(api, 'a', 1);
        const updated = await api['images.update']({ ...imageInput('default', 'a', 9) });
        expect(updated.target.digest).toBe(fakeDigest(9));
      },
    ],
    [
      'not_found for a missing name',
      (api) => rejects(api['images.update']({ ...imageInput('default', 'nope', 1) }), 'not_found'),
    ],
  ],
  'images.labels': [
    [
      'sets and removes labels',
      async (api) => {
        await create(api, 'a', 1, { keep: '1', drop: '1' });
        const image = await api['images.labels']({
          namespace: 'default',
          name: 'a',
          set: { add: 'x' },
          remove: ['drop'],
        });
        expect(image.labels).toEqual({ keep: '1', add: 'x' });
      },
    ],
    [
      'not_found for a missing name',
      (api) =>
        rejects(api['images.labels']({ namespace: 'default', name: 'nope', set: { a: 'b' } }), 'not_found'),
    ],
  ],
  'images.tag': [
    [
      'gives the target a second name',
      async (api) => {
        await create(api, 'a', 1);
        const tagged = await api['images.tag']({ namespace: 'default', source: 'a', name: 'b' });
        expect(tagged.target.digest).toBe(fakeDigest(1));
      },
    ],
    [
      'already_exists when the new name is taken',
      async (api) => {
        await create(api, 'a', 1);
        await create(api, 'b', 2);
        await rejects(api['images.tag']({ namespace: 'default', source: 'a', name: 'b' }), 'already_exists');
      },
    ],
  ],
  'images.delete': [
    [
      'moves an image to the trash',
      async (api) => {
        await create(api, 'a', 1);
        const result = await api['images.delete']({ images: [{ namespace: 'default', name: 'a' }] });
        expect(result).toMatchObject({ deleted: [{ namespace: 'default', name: 'a' }], dryRun: false });
        expect((await api['trash.list']({})).total).toBe(1);
      },
    ],
    [
      'failed_precondition for a pinned image without force',
      async (api) => {
        await create(api, 'a', 1, { 'imgmeta.pinned': 'true' });
        await rejects(
          api['images.delete']({ images: [{ namespace: 'default', name: 'a' }] }),
          'failed_precondition',
        );
        expect((await api['images.list']({})).total).toBe(1);
      },
    ],
    [
      'not_found for a missing name',
      (api) =>
        rejects(api['images.delete']({ images: [{ namespace: 'default', name: 'nope' }] }), 'not_found'),
    ],
  ],
  'images.restore': [
    [
      'brings a deleted image back',
      async (api) => {
        await create(api, 'a', 1);
        await api['images.delete']({ images: [{ namespace: 'default', name: 'a' }] });
        const restored = await api['images.restore']({ images: [{ namespace: 'default', name: 'a' }] });
        expect(restored.map((i) => i.name)).toEqual(['a']);
      },
    ],
    [
      'not_found for a name not in the trash',
      (api) =>
        rejects(api['images.restore']({ images: [{ namespace: 'default', name: 'nope' }] }), 'not_found'),
    ],
  ],
  'trash.list': [
    [
      'lists deleted images with a total',
      async (api) => {
        await create(api, 'a', 1);
        await api['images.delete']({ images: [{ namespace: 'default', name: 'a' }] });
        const page = await api['trash.list']({});
        expect(page.total).toBe(1);
        expect(page.items[0]).toMatchObject({ image: { name: 'a' } });
      },
    ],
  ],
  'trash.purge': [
    [
      'removes trash entries for good',
      async (api) => {
        await create(api, 'a', 1);
        await api['images.delete']({ images: [{ namespace: 'default', name: 'a' }] });
        expect(await api['trash.purge']({})).toMatchObject({ purged: 1 });
        expect((await api['trash.list']({})).total).toBe(0);
      },
    ],
  ],
  'content.put': [
    [
      'stores verified bytes',
      async (api) => {
        const bytes = json({ schemaVersion: 2 });
        const info = await api['content.put']({ bytes, mediaType: oci.config });
        expect(info).toMatchObject({ digest: digestOf(bytes), size: bytes.byteLength });
      },
    ],
    [
      'invalid_argument when the digest does not match',
      (api) =>
        rejects(
          api['content.put']({ bytes: json({}), mediaType: oci.config, digest: fakeDigest(1) }),
          'invalid_argument',
        ),
    ],
  ],
  'content.get': [
    [
      'returns the exact bytes',
      async (api) => {
        const bytes = new Uint8Array(256).map((_, i) => i);
        const { digest } = await api['content.put']({ bytes, mediaType: 'application/octet-stream' });
        const blob = await api['content.get']({ digest });
        expect(blob.bytes).toBeInstanceOf(Uint8Array);
        expect([...blob.bytes]).toEqual([...bytes]);
      },
    ],
    [
      'not_found for a blob not stored',
      (api) => rejects(api['content.get']({ digest: fakeDigest(7) }), 'not_found'),
    ],
  ],
  'content.info': [
    [
      'describes a stored blob',
      async (api) => {
        const bytes = json({ a: 1 });
        const { digest } = await api['content.put']({ bytes, mediaType: oci.config });
        expect(await api['content.info']({ digest })).toMatchObject({
          digest,
          size: bytes.byteLength,
          mediaType: oci.config,
        });
      },
    ],
    [
      'not_found for a blob not stored',
      (api) => rejects(api['content.info']({ digest: fakeDigest(7) }), 'not_found'),
    ],
  ],
  'content.platforms': [
    [
      "reports an index's platforms and a manifest's from its config; leaves out what is not stored",
      async (api) => {
        const image = makeImage('platforms');
        await api['content.put']({ bytes: image.config, mediaType: oci.config });
        await api['content.put']({ bytes: image.manifest, mediaType: oci.manifest });
        const index = json({
          schemaVersion: 2,
          mediaType: oci.index,
          manifests: [
            { ...image.target, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
            { ...image.target, platform: { os: 'unknown', architecture: 'unknown' } },
          ],
        });
        const { digest } = await api['content.put']({ bytes: index, mediaType: oci.index });
        expect(
          await api['content.platforms']({ digests: [digest, image.target.digest, fakeDigest(5)] }),
        ).toEqual({
          [digest]: [{ os: 'linux', architecture: 'arm64', variant: 'v8' }],
          [image.target.digest]: [{ os: 'linux', architecture: 'amd64' }],
        });
      },
    ],
    [
      'invalid_argument for a bad digest',
      (api) => rejects(api['content.platforms']({ digests: ['sha256:nope'] }), 'invalid_argument'),
    ],
  ],
  'content.tree': [
    [
      "resolves an image's tree with present flags",
      async (api) => {
        const image = makeImage('tree');
        await api['content.put']({ bytes: image.config, mediaType: oci.config });
        await api['content.put']({ bytes: image.manifest, mediaType: oci.manifest });
        await api['images.create']({ namespace: 'default', name: 'a', target: image.target });
        const tree = await api['content.tree']({ namespace: 'default', name: 'a' });
        expect(tree).toMatchObject({ present: true, descriptor: { digest: image.target.digest } });
        expect(tree.children.map((c) => c.present)).toEqual([true, false]);
      },
    ],
    [
      'not_found for a missing image',
      (api) => rejects(api['content.tree']({ namespace: 'default', name: 'nope' }), 'not_found'),
    ],
  ],
  'metadata.namespaces': [
    [
      'lists namespaces with key counts',
      async (api) => {
        await api['metadata.set']({ namespace: 'distribution', key: 'k', value: new Uint8Array([1]) });
        expect(await api['metadata.namespaces']({})).toEqual([{ namespace: 'distribution', keys: 1 }]);
      },
    ],
  ],
  'metadata.list': [
    [
      'lists keys by prefix with a total',
      async (api) => {
        for (const key of ['a/1', 'a/2', 'b/1'])
          await api['metadata.set']({ namespace: 'ns', key, value: new Uint8Array([0]) });
        const page = await api['metadata.list']({ namespace: 'ns', prefix: 'a/' });
        expect([page.total, page.items.map((i) => i.key)]).toEqual([2, ['a/1', 'a/2']]);
      },
    ],
  ],
  'metadata.folders': [
    [
      'lists the next path segments under a prefix, once each, in key order',
      async (api) => {
        for (const key of ['sha256/aa', 'sha256/bb', 'v2/sha256/cc', 'v2/x', 'v20', 'plain', 'v2/sha256/dd'])
          await api['metadata.set']({ namespace: 'ns', key, value: new Uint8Array([0]) });
        expect(await api['metadata.folders']({ namespace: 'ns' })).toEqual({
          folders: ['sha256/', 'v2/'],
          complete: true,
        });
        expect(await api['metadata.folders']({ namespace: 'ns', prefix: 'v2/' })).toEqual({
          folders: ['v2/sha256/'],
          complete: true,
        });
        expect(await api['metadata.folders']({ namespace: 'ns', prefix: 'sha256/' })).toEqual({
          folders: [],
          complete: true,
        });
      },
    ],
    [
      'says when it stopped at the limit',
      async (api) => {
        for (const key of ['a/1', 'b/1', 'c/1'])
          await api['metadata.set']({ namespace: 'ns', key, value: new Uint8Array([0]) });
        expect(await api['metadata.folders']({ namespace: 'ns', limit: 2 })).toEqual({
          folders: ['a/', 'b/'],
          complete: false,
        });
      },
    ],
    [
      'invalid_argument for a limit out of range',
      (api) => rejects(api['metadata.folders']({ namespace: 'ns', limit: 0 }), 'invalid_argument'),
    ],
  ],
  'metadata.get': [
    [
      'returns every byte value exactly, with its version',
      async (api) => {
        const value = new Uint8Array(256).map((_, i) => 255 - i);
        const set = await api['metadata.set']({ namespace: 'ns', key: 'bin', value });
        const got = await api['metadata.get']({ namespace: 'ns', key: 'bin' });
        expect(got.value).toBeInstanceOf(Uint8Array);
        expect([...got.value]).toEqual([...value]);
        expect(got.version).toBe(set.version);
      },
    ],
    [
      'not_found for a missing key',
      (api) => rejects(api['metadata.get']({ namespace: 'ns', key: 'nope' }), 'not_found'),
    ],
  ],
  'metadata.set': [
    [
      'replaces the whole value',
      async (api) => {
        await api['metadata.set']({ namespace: 'ns', key: 'k', value: new Uint8Array([1, 2, 3]) });
        await api['metadata.set']({ namespace: 'ns', key: 'k', value: new Uint8Array([9]) });
        expect([...(await api['metadata.get']({ namespace: 'ns', key: 'k' })).value]).toEqual([9]);
      },
    ],
    [
      'conflict for a stale expected version',
      async (api) => {
        const first = await api['metadata.set']({ namespace: 'ns', key: 'k', value: new Uint8Array([1]) });
        await api['metadata.set']({ namespace: 'ns', key: 'k', value: new Uint8Array([2]) });
        await rejects(
          api['metadata.set']({
            namespace: 'ns',
            key: 'k',
            value: new Uint8Array([3]),
            expectedVersion: first.version,
          }),
          'conflict',
        );
      },
    ],
    [
      'invalid_argument for an empty key',
      (api) =>
        rejects(
          api['metadata.set']({ namespace: 'ns', key: '', value: new Uint8Array() }),
          'invalid_argument',
        ),
    ],
  ],
  'metadata.delete': [
    [
      'deletes one key',
      async (api) => {
        await api['metadata.set']({ namespace: 'ns', key: 'k', value: new Uint8Array([1]) });
        expect(await api['metadata.delete']({ namespace: 'ns', key: 'k' })).toEqual({ deleted: 1 });
      },
    ],
    [
      'not_found for a missing key',
      (api) => rejects(api['metadata.delete']({ namespace: 'ns', key: 'nope' }), 'not_found'),
    ],
  ],
  'metadata.deletePrefix': [
    [
      'deletes every key under a prefix and counts them',
      async (api) => {
        for (const key of ['a/1', 'a/2', 'b/1'])
          await api['metadata.set']({ namespace: 'ns', key, value: new Uint8Array([0]) });
        expect(await api['metadata.deletePrefix']({ namespace: 'ns', prefix: 'a/' })).toEqual({ deleted: 2 });
      },
    ],
  ],
  'sources.detect': [
    [
      'says what a layout holds, writing nothing',
      async (api) =>
        withLayout(async (dir) => {
          const detection = await api['sources.detect']({ path: dir });
          expect(detection).toMatchObject({ kind: 'oci-layout', path: dir, images: 2 });
          expect((await api['store.info']({})).images).toBe(0);
        }),
    ],
    [
      'not_found for a path that does not exist',
      (api) => rejects(api['sources.detect']({ path: '/nonexistent/imgmeta' }), 'not_found'),
    ],
  ],
  'sources.import': [
    [
      'imports a layout in one go, and a second time changes nothing',
      async (api) =>
        withLayout(async (dir) => {
          const first = await api['sources.import']({ path: dir });
          expect(first.images.created.map((r) => r.name).sort()).toEqual([
            'example.com/contract/a:1',
            'example.com/contract/b:2',
          ]);
          const second = await api['sources.import']({ path: dir });
          expect([second.images.created.length, second.images.unchanged, second.content.added]).toEqual([
            0, 2, 0,
          ]);
          expect((await api['images.list']({})).total).toBe(2);
        }),
    ],
    [
      'invalid_argument for a file that is no source, and nothing is written',
      async (api) => {
        await rejects(api['sources.import']({ path: import.meta.filename }), 'invalid_argument');
        expect((await api['store.info']({})).changeSeq).toBe(0);
      },
    ],
  ],
  'sources.cancel': [
    [
      'answers false for an import that is not running',
      async (api) => expect(await api['sources.cancel']({ id: 'not-running' })).toEqual({ cancelled: false }),
    ],
  ],
  'sources.export': [
    [
      'writes an OCI layout that imports back to the same records',
      async (api) =>
        withLayout(async (dir, out) => {
          await api['sources.import']({ path: dir });
          const ref = { namespace: 'default', name: 'example.com/contract/a:1' };
          const result = await api['sources.export']({ images: [ref], to: out });
          // Manifest and config are in the store; the layer never is (imports keep descriptors of layers only).
          expect([result.images, result.blobs, result.missing.map((d) => d.mediaType)]).toEqual([
            1,
            2,
            [oci.layer],
          ]);
          expect(await api['sources.detect']({ path: out })).toMatchObject({ kind: 'oci-layout', images: 1 });
        }),
    ],
    [
      'not_found for an image that does not exist',
      (api) =>
        rejects(
          api['sources.export']({ images: [{ namespace: 'default', name: 'nope:1' }], to: '/nonexistent/x' }),
          'not_found',
        ),
    ],
  ],
  'sources.exportMetadata': [
    [
      "writes the namespace in the seed's file-per-key layout",
      async (api) =>
        withLayout(async (_dir, out) => {
          await api['metadata.set']({
            namespace: 'distribution',
            key: 'sha256/ab',
            value: new Uint8Array([0, 255]),
          });
          const result = await api['sources.exportMetadata']({ namespace: 'distribution', to: out });
          expect(result.written).toBe(1);
          expect([...readFileSync(join(out, 'distribution', 'sha256', 'ab'))]).toEqual([0, 255]);
        }),
    ],
    [
      'not_found for a namespace with no keys',
      (api) =>
        rejects(api['sources.exportMetadata']({ namespace: 'empty', to: '/nonexistent/x' }), 'not_found'),
    ],
  ],
  'sources.discover': [
    [
      'lists the standard places that exist on this machine',
      async (api) => {
        for (const source of await api['sources.discover']({}))
          expect(source.readable ? source.detection?.kind : source.reason).toBeTruthy();
      },
    ],
  ],
  'gc.preview': [
    [
      'reports unreachable content without removing it',
      async (api) => {
        const { digest } = await api['content.put']({ bytes: json({ orphan: true }), mediaType: oci.config });
        const preview = await api['gc.preview']({});
        expect(preview.digests).toContain(digest);
        await api['content.info']({ digest });
      },
    ],
  ],
  'gc.run': [
    [
      'removes unreachable content',
      async (api) => {
        const { digest } = await api['content.put']({ bytes: json({ orphan: true }), mediaType: oci.config });
        expect((await api['gc.run']({})).digests).toContain(digest);
        await rejects(api['content.info']({ digest }), 'not_found');
      },
    ],
  ],
  'store.info': [
    [
      'reports counts and the change counter',
      async (api) => {
        const before = await api['store.info']({});
        await create(api, 'a', 1);
        const after = await api['store.info']({});
        expect([after.images, after.changeSeq > before.changeSeq, typeof after.readOnly]).toEqual([
          1,
          true,
          'boolean',
        ]);
      },
    ],
  ],
  'store.check': [
    [
      'finds a healthy store healthy',
      async (api) => {
        await create(api, 'a', 1);
        expect(await api['store.check']({ deep: true })).toMatchObject({ ok: true });
      },
    ],
  ],
};

/** Runs the whole contract against one transport; `connect` gives a fresh store behind it for every case. */
export function contractSuite(transport: string, connect: () => Promise<Connection>): void {
  describe(`API contract over ${transport}`, () => {
    let connection: Connection;
    beforeEach(async () => {
      connection = await connect();
    });
    afterEach(async () => {
      await connection.close();
    });

    it('covers every declared operation', () => {
      expect(Object.keys(cases).sort()).toEqual([...operationNames].sort());
    });

    for (const name of operationNames) {
      describe(name, () => {
        for (const [title, run] of cases[name]) it(title, () => run(connection.api));
      });
    }
  });
}

/** A two-image OCI layout in a temp directory, and an empty sibling directory to export into. */
async function withLayout(run: (dir: string, out: string) => Promise<void>): Promise<void> {
  const scratch = scratchDir();
  try {
    const dir = join(scratch.dir, 'layout');
    writeLayout(dir, [
      { ref: 'example.com/contract/a:1', seed: 'a' },
      { ref: 'example.com/contract/b:2', seed: 'b' },
    ]);
    await run(dir, join(scratch.dir, 'out'));
  } finally {
    scratch.done();
  }
}

function create(api: Api, name: string, n: number, labels: Record<string, string> = {}) {
  return api['images.create']({ ...imageInput('default', name, n), labels });
}

/** The call fails with a typed error carrying `code`, whatever the transport. */
async function rejects(call: Promise<unknown>, code: ErrorCode): Promise<void> {
  const err = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, `expected ${code}, the call succeeded`).toBeInstanceOf(ImgmetaError);
  expect((err as ImgmetaError).code).toBe(code);
}
