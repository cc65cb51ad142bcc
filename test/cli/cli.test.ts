import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it, type ExpectStatic } from 'vitest';
import { createService, type Service } from '../../src/main/service';
import { setValues } from '../../src/main/store/metadata';
import { Store } from '../../src/main/store/store';
import type {
  CheckReport,
  ContentInfo,
  GcResult,
  ImageRecord,
  MetadataKeyInfo,
  NamespaceCount,
  StoreInfo,
  TrashEntry,
  TreeNode,
} from '../../src/shared/types';
import {
  fakeDigest,
  imageInput,
  makeImage,
  nextTurn,
  oci,
  putImageContent,
  seedImages,
  snapshot,
} from '../helpers/store';
import { writeLayout } from '../helpers/layout';
import { buildCli, cli, cliEnv, root, run, tempDirs, type Cli, type Result } from './run';

/**
 * The command line, run as users run it: the built bin/imgmeta.js in its own process, one fresh store per test.
 * Fixtures are seeded in this process through the service (faster than dozens of CLI runs) and the store is closed
 * again before any CLI process starts. Tests run concurrently: each CLI run is a Node start-up, mostly waiting.
 */
const dirs = tempDirs();
beforeAll(() => buildCli(), 60_000);
afterAll(() => dirs.removeAll());

function fresh(): { imgmeta: Cli; dir: string; store: string } {
  const dir = dirs.make();
  const store = join(dir, 'store');
  return { imgmeta: cli(store), dir, store };
}

/** Opens the store in this process, runs `fn` and closes it (after a turn, so lmdb-js has settled the last write). */
async function withStore<T>(
  path: string,
  fn: (service: Service, store: Store) => T | Promise<T>,
): Promise<T> {
  const store = Store.open(path);
  try {
    return await fn(createService(store), store);
  } finally {
    await nextTurn();
    store.close();
  }
}

/** An image with its config and manifest stored (its one layer is a descriptor only), named `name`. */
async function seedImage(
  path: string,
  name: string,
  seed: string,
  labels: Record<string, string> = {},
  namespace = 'default',
) {
  const image = makeImage(seed);
  await withStore(path, async (service) => {
    await putImageContent(service, image);
    await service['images.create']({ namespace, name, target: image.target, labels });
  });
  return image;
}

/** Runs failing commands and checks, through the API in this process, that the store is exactly as before. */
async function expectUnchanged(expect: ExpectStatic, path: string, commands: () => Promise<void>) {
  const before = await withStore(path, (service, store) => snapshot(service, store));
  await commands();
  const after = await withStore(path, (service, store) => snapshot(service, store));
  expect(after).toEqual(before);
}

function expectFailure(expect: ExpectStatic, result: Result, code: string, message?: RegExp) {
  expect(result.code, result.err).toBe(1);
  expect(result.out).toBe('');
  // lmdb-js prints this line itself when a process opens the store in the lock race (open-environment.ts retries;
  // the CLI tests start up to four processes on one store at once); the CLI ends it, so its own line stays whole.
  const lines = result.err
    .trimEnd()
    .split('\n')
    .filter((line) => line !== 'No current read transaction available');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(new RegExp(`^imgmeta: ${code}: \\S`));
  if (message) expect(lines[0]).toMatch(message);
}

function expectUsage(expect: ExpectStatic, result: Result, message?: RegExp) {
  expect(result.code, result.err).toBe(2);
  expect(result.out).toBe('');
  expect(result.err).toMatch(/^imgmeta: usage: \S/);
  if (message) expect(result.err.split('\n')[0]).toMatch(message);
}

const isoTime = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const manifestArgs = (digest: string, size = '100') => [
  '--digest',
  digest,
  '--media-type',
  oci.manifest,
  '--size',
  size,
];
const headerColumn = (header: string, column: string) => header.indexOf(` ${column} `) + 1;

describe.concurrent('images', { timeout: 120_000 }, () => {
  it('content put, images add, ls (table, -q, --json), inspect, tag, label', async ({ expect }) => {
    const { imgmeta, dir } = fresh();
    const image = makeImage('a');
    writeFileSync(join(dir, 'config.json'), image.config);
    writeFileSync(join(dir, 'manifest.json'), image.manifest);
    const [putConfig, put] = await Promise.all([
      imgmeta.ok(['content', 'put', join(dir, 'config.json'), '--media-type', oci.config]),
      imgmeta.json<ContentInfo>(['content', 'put', join(dir, 'manifest.json'), '--media-type', oci.manifest]),
    ]);
    expect(putConfig.out).toMatch(/^sha256:[0-9a-f]{64}\n$/);
    expect(put).toMatchObject({
      digest: image.target.digest,
      size: image.target.size,
      mediaType: oci.manifest,
    });
    const t = image.target;
    const [added, other] = await Promise.all([
      imgmeta.ok([
        'images',
        'add',
        'example.com/app:1.0',
        '--digest',
        t.digest,
        '--media-type',
        t.mediaType,
        '--size',
        String(t.size),
        '--label',
        'team=x',
        '--label',
        'tier=web',
      ]),
      imgmeta.json<ImageRecord>([
        'images',
        'add',
        'example.com/other:2',
        ...manifestArgs(fakeDigest(1)),
        '-n',
        'prod',
      ]),
    ]);
    expect(added.out).toBe('example.com/app:1.0\n');
    expect(other).toMatchObject({
      namespace: 'prod',
      name: 'example.com/other:2',
      labels: {},
      totalSize: 100,
    });

    const [list, tableOut, inspected, inspectedHuman] = await Promise.all([
      imgmeta.json<ImageRecord[]>(['images', 'ls']),
      imgmeta.ok(['images', 'ls']),
      imgmeta.json<ImageRecord>(['images', 'inspect', 'example.com/app:1.0']),
      imgmeta.ok(['images', 'inspect', 'example.com/app:1.0']),
    ]);
    expect(list.map((i) => [i.namespace, i.name])).toEqual([
      ['default', 'example.com/app:1.0'],
      ['prod', 'example.com/other:2'],
    ]);
    const record = list[0]!;
    expect(Object.keys(record).sort()).toEqual([
      'createdAt',
      'labels',
      'name',
      'namespace',
      'target',
      'totalSize',
      'updatedAt',
    ]);
    expect(record.target).toEqual(image.target);
    expect(record.labels).toEqual({ team: 'x', tier: 'web' });
    expect(record.createdAt).toMatch(isoTime);
    expect(record.updatedAt).toMatch(isoTime);
    expect(record.totalSize).toBe(image.target.size + image.config.byteLength + image.layer.size);

    const table = tableOut.out.trimEnd().split('\n');
    expect(table[0]).toMatch(/^NAMESPACE +NAME +DIGEST +MEDIA TYPE +SIZE +CREATED$/);
    expect(table).toHaveLength(3);
    const short = image.target.digest.slice('sha256:'.length, 'sha256:'.length + 12);
    expect(table[1]).toMatch(
      new RegExp(
        `^default +example\\.com/app:1\\.0 +${short} +manifest +1\\.\\d kB +(just now|\\d+ seconds? ago)$`,
      ),
    );
    expect(table[2]!.indexOf('example.com/other:2')).toBe(headerColumn(table[0]!, 'NAME'));
    expect(table[2]!.indexOf('100 B')).toBe(headerColumn(table[0]!, 'SIZE'));

    expect(inspected).toEqual(record);
    const human = inspectedHuman.out;
    expect(human).toContain(`Digest:     ${image.target.digest}\n`);
    expect(human).toMatch(/^ {2}team=x$/m);
    expect(human).toMatch(
      new RegExp(`^ {2}target ${image.target.digest} ${oci.manifest.replace(/[.+]/g, '\\$&')} \\d+ B$`, 'm'),
    );
    expect(human).toMatch(
      /^ {4}config sha256:[0-9a-f]{64} application\/vnd\.oci\.image\.config\.v1\+json \d+ B$/m,
    );
    expect(human).toMatch(new RegExp(`^ {4}layer ${image.layer.digest} .*\\(not stored\\)$`, 'm'));

    expect((await imgmeta.ok(['images', 'tag', 'example.com/app:1.0', 'example.com/app:latest'])).out).toBe(
      'example.com/app:latest\n',
    );
    const labelled = await imgmeta.json<ImageRecord>([
      'images',
      'label',
      'example.com/app:latest',
      'team=',
      'env=prod',
      'note=a=b',
    ]);
    expect(labelled.target).toEqual(image.target);
    expect(labelled.labels).toEqual({ tier: 'web', env: 'prod', note: 'a=b' });
    expect((await imgmeta.ok(['images', 'ls', '-q', '-n', 'default'])).out).toBe(
      'example.com/app:1.0\nexample.com/app:latest\n',
    );
  });

  it('ls filters, sorts, limits and scopes', async ({ expect }) => {
    const { imgmeta, store } = fresh();
    await withStore(store, (_, s) =>
      seedImages(s, [
        {
          ...imageInput('default', 'a.example/small:1', 1, { size: 10, labels: { team: 'x' } }),
          createdAt: 3000,
        },
        {
          ...imageInput('default', 'b.example/big:1', 2, { size: 3000, labels: { team: 'y' } }),
          createdAt: 1000,
        },
        {
          ...imageInput('other', 'c.example/mid:latest', 3, { size: 500, labels: { team: 'x' } }),
          createdAt: 2000,
        },
        { ...imageInput('default', `d.example/untagged@${fakeDigest(4)}`, 4, { size: 20 }), createdAt: 5000 },
        {
          ...imageInput('default', 'e.example/index:1', 5, { size: 7, mediaType: oci.index }),
          createdAt: 4000,
        },
      ]),
    );
    const names = async (...args: string[]) =>
      (await imgmeta.json<ImageRecord[]>(['images', 'ls', ...args])).map((i) => i.name);
    const untagged = `d.example/untagged@${fakeDigest(4)}`;

    // Read-only: all at once.
    const cases: [string[], string[]][] = [
      [
        ['--all-namespaces'],
        ['a.example/small:1', 'b.example/big:1', 'c.example/mid:latest', untagged, 'e.example/index:1'],
      ],
      [['--filter', 'team=x', '--limit', '1'], ['a.example/small:1']],
      [['--filter', 'label=team=x', '--filter', 'name=mid', '-n', 'other'], ['c.example/mid:latest']],
      [['--filter', 'dangling=true'], [untagged]],
      [['--filter', `media-type=${oci.index}`, '-n', 'default'], ['e.example/index:1']],
      [
        ['--sort', 'size', '--desc', '--limit', '3'],
        ['b.example/big:1', 'c.example/mid:latest', untagged],
      ],
      [
        ['--sort', 'created'],
        ['b.example/big:1', 'c.example/mid:latest', 'a.example/small:1', 'e.example/index:1', untagged],
      ],
      // An empty result is still one JSON document.
      [['--filter', 'name=nothing', '-n', 'empty'], []],
    ];
    const [results, table, empty] = await Promise.all([
      Promise.all(cases.map(([args]) => names(...args))),
      imgmeta.ok(['images', 'ls', '--filter', 'name=e.example']),
      imgmeta.ok(['images', 'ls', '-n', 'empty']),
    ]);
    results.forEach((result, i) => expect(result, cases[i]![0].join(' ')).toEqual(cases[i]![1]));
    expect(table.out.trimEnd().split('\n')[1]).toMatch(
      /^default +e\.example\/index:1 +0{12} +index +7 B +1970-01-01$/,
    );
    // And an empty table is its header.
    expect(empty.out).toMatch(/^NAMESPACE +NAME +DIGEST +MEDIA TYPE +SIZE +CREATED\n$/);
  });

  it('rm: dry run, pinned needs --force, trash, restore, purge', async ({ expect }) => {
    const { imgmeta, store } = fresh();
    const image = await seedImage(store, 'example.com/app:1.0', 'rm');
    await withStore(store, async (service) => {
      await service['images.tag']({
        namespace: 'default',
        source: 'example.com/app:1.0',
        name: 'example.com/app:2.0',
      });
      await service['images.create']({
        ...imageInput('default', 'example.com/pinned:1', 9),
        labels: { 'imgmeta.pinned': 'true' },
      });
    });
    const blobBytes = image.manifest.byteLength + image.config.byteLength;
    type RmJson = {
      deleted: string[];
      reclaimedBytes: number;
      dryRun: boolean;
      purged: boolean;
      pinned: string[];
    };

    const listBefore = (await imgmeta.ok(['images', 'ls', '--json'])).out;
    await expectUnchanged(expect, store, async () => {
      const [dry, dryBoth, pinned, missing] = await Promise.all([
        imgmeta.json<RmJson>(['images', 'rm', 'example.com/app:1.0', '--dry-run']),
        imgmeta.ok(['images', 'rm', 'example.com/app:1.0', 'example.com/app:2.0', '--dry-run', '--purge']),
        imgmeta(['images', 'rm', 'example.com/app:1.0', 'example.com/pinned:1']),
        imgmeta(['images', 'rm', 'example.com/app:1.0', 'missing:1']),
      ]);
      expect(dry).toMatchObject({ deleted: ['example.com/app:1.0'], reclaimedBytes: 0, dryRun: true });
      expect(dryBoth.out).toBe(
        `would delete: example.com/app:1.0\nwould delete: example.com/app:2.0\nwould delete 2 image(s) for good; ${blobBytes} B reclaimable by gc\n`,
      );
      expectFailure(expect, pinned, 'failed_precondition', /pinned/);
      expectFailure(expect, missing, 'not_found');
    });
    expect((await imgmeta.ok(['images', 'ls', '--json'])).out).toBe(listBefore);

    const deleted = await imgmeta.json<RmJson>([
      'images',
      'rm',
      'example.com/pinned:1',
      'example.com/app:1.0',
      '--force',
    ]);
    expect(deleted).toEqual({
      deleted: ['example.com/pinned:1', 'example.com/app:1.0'],
      reclaimedBytes: 0,
      dryRun: false,
      purged: false,
      pinned: ['example.com/pinned:1'],
      namespace: 'default',
    });
    const [names, trash, trashTable] = await Promise.all([
      imgmeta.ok(['images', 'ls', '-q']),
      imgmeta.json<TrashEntry[]>(['trash', 'ls']),
      imgmeta.ok(['trash', 'ls']),
    ]);
    expect(names.out).toBe('example.com/app:2.0\n');
    expect(trash.map((e) => e.image.name).sort()).toEqual(['example.com/app:1.0', 'example.com/pinned:1']);
    expect(trash[0]!.deletedAt).toMatch(isoTime);
    expect(trashTable.out).toMatch(
      /^ID +NAMESPACE +NAME +DIGEST +SIZE +DELETED\n\S+ +default +example\.com\//,
    );

    expect((await imgmeta.ok(['images', 'restore', 'example.com/app:1.0'])).out).toBe(
      'restored: example.com/app:1.0\n',
    );
    expectFailure(expect, await imgmeta(['images', 'restore', 'example.com/app:1.0']), 'not_found', /trash/);

    const purged = await imgmeta.ok([
      'images',
      'rm',
      'example.com/app:1.0',
      'example.com/app:2.0',
      '--purge',
    ]);
    expect(purged.out).toMatch(
      new RegExp(`\ndeleted 2 image\\(s\\) for good; ${blobBytes} B reclaimable by gc\n$`),
    );
    const [restoreGone, restored] = await Promise.all([
      imgmeta(['images', 'restore', 'example.com/app:2.0']),
      imgmeta.json<ImageRecord[]>(['images', 'restore', 'example.com/pinned:1']),
    ]);
    expectFailure(expect, restoreGone, 'not_found');
    expect(restored.map((r) => [r.name, r.labels])).toEqual([
      ['example.com/pinned:1', { 'imgmeta.pinned': 'true' }],
    ]);
  });

  it('invalid digest, name, size, namespace, label: exit 1 invalid_argument, store unchanged', async ({
    expect,
  }) => {
    const { imgmeta, store } = fresh();
    await withStore(store, (service) => service['images.create'](imageInput('default', 'ok:1', 1)));
    const cases: [string[], string, RegExp][] = [
      [['images', 'add', 'bad:1', ...manifestArgs('sha256:abc')], 'invalid_argument', /digest/],
      [['images', 'add', 'Bad Name', ...manifestArgs(fakeDigest(2))], 'invalid_argument', /image name/],
      [
        ['images', 'add', 'bad:1', ...manifestArgs(fakeDigest(2), '-5')],
        'invalid_argument',
        /size must be >= 0/,
      ],
      [
        ['images', 'add', 'bad:1', '--digest', fakeDigest(2), '--media-type', 'nonsense', '--size', '1'],
        'invalid_argument',
        /media type/,
      ],
      [
        ['images', 'add', 'bad:1', ...manifestArgs(fakeDigest(2)), '-n', 'bad namespace'],
        'invalid_argument',
        /namespace/,
      ],
      [['images', 'label', 'ok:1', 'bad\u0001key=v'], 'invalid_argument', /label/],
      [['images', 'rm', 'ok:1', 'NOT valid'], 'invalid_argument', /image name/],
      [['images', 'add', 'ok:1', ...manifestArgs(fakeDigest(3))], 'already_exists', /ok:1/],
      [['images', 'tag', 'ok:1', 'ok:1'], 'already_exists', /ok:1/],
      [['images', 'tag', 'missing:1', 'new:1'], 'not_found', /missing:1/],
      [['images', 'inspect', 'missing:1'], 'not_found', /missing:1/],
    ];
    await expectUnchanged(expect, store, async () => {
      const results = await Promise.all(cases.map(([args]) => imgmeta(args)));
      results.forEach((result, i) => expectFailure(expect, result, cases[i]![1], cases[i]![2]));
    });
  });
});

describe.concurrent('meta', { timeout: 120_000 }, () => {
  const allBytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));

  it('set and get round-trip every byte value through --file, stdin and VALUE', async ({ expect }) => {
    const { imgmeta, dir } = fresh();
    const file = join(dir, 'bytes.bin');
    writeFileSync(file, allBytes);

    // Every byte value, in both orders, through each way in.
    const twice = Buffer.concat([Buffer.from(allBytes).reverse(), allBytes]);
    const [set, info] = await Promise.all([
      imgmeta.ok(['meta', 'set', 'distribution', 'blobs/one', '--file', file]),
      imgmeta.ok(['meta', 'set', 'distribution', 'blobs/two', '-', '--json'], { input: twice }),
      imgmeta.ok(['meta', 'set', 'distribution', 'text', 'héllo wörld']),
    ]);
    expect(set.out).toMatch(/^set blobs\/one in distribution: 256 bytes, version \d+\n$/);
    expect(JSON.parse(info.out)).toMatchObject({ namespace: 'distribution', key: 'blobs/two', size: 512 });
    const [one, two, text] = await Promise.all([
      imgmeta.ok(['meta', 'get', 'distribution', 'blobs/one']),
      imgmeta.ok(['meta', 'get', 'distribution', 'blobs/two']),
      imgmeta.ok(['meta', 'get', 'distribution', 'text']),
    ]);
    expect(one.stdout.equals(allBytes)).toBe(true);
    expect(two.stdout.equals(twice)).toBe(true);
    expect(text.stdout.equals(Buffer.from('héllo wörld'))).toBe(true);
  });

  it('ls with --prefix, namespaces, rm, rm --prefix, versions', async ({ expect }) => {
    const { imgmeta, store } = fresh();
    await withStore(store, (_, s) =>
      s.write((ctx) => {
        setValues(
          s.env,
          ctx,
          'ns1',
          ['a/1', 'a/2', 'a/3', 'b/1'].map((key) => [key, Buffer.from(`value of ${key}`)]),
        );
        setValues(s.env, ctx, 'ns2', [['k', Buffer.from('v')]]);
      }),
    );

    const [lsBefore, prefixed, table, namespaces, namespacesTable] = await Promise.all([
      imgmeta.ok(['meta', 'ls', 'ns1', '--json']),
      imgmeta.ok(['meta', 'ls', 'ns1', '--prefix', 'a/', '-q']),
      imgmeta.ok(['meta', 'ls', 'ns1']),
      imgmeta.json<unknown>(['meta', 'namespaces']),
      imgmeta.ok(['meta', 'namespaces']),
    ]);
    const all = JSON.parse(lsBefore.out) as MetadataKeyInfo[];
    expect(all.map((k) => k.key)).toEqual(['a/1', 'a/2', 'a/3', 'b/1']);
    expect(Object.keys(all[0]!).sort()).toEqual(['key', 'size', 'updatedAt', 'version']);
    expect(all[0]).toMatchObject({ size: 'value of a/1'.length });
    expect(all[0]!.updatedAt).toMatch(isoTime);
    expect(prefixed.out).toBe('a/1\na/2\na/3\n');
    expect(table.out).toMatch(/^KEY +SIZE +VERSION +UPDATED\na\/1 +12 B +\d+ +/);
    expect(namespaces).toEqual([
      { namespace: 'ns1', keys: 4 },
      { namespace: 'ns2', keys: 1 },
    ]);
    expect(namespacesTable.out).toMatch(/^NAMESPACE +KEYS\nns1 +4\nns2 +1\n$/);

    // A stale --expected-version is a conflict; like every failure, it changes nothing.
    const version = all[0]!.version;
    await expectUnchanged(expect, store, async () => {
      const [stale, mustNotExist, missing, rmMissing, badNs, badKey, noFile] = await Promise.all([
        imgmeta(['meta', 'set', 'ns1', 'a/1', 'new', '--expected-version', String(version + 100)]),
        imgmeta(['meta', 'set', 'ns1', 'a/1', 'new', '--expected-version', '0']),
        imgmeta(['meta', 'get', 'ns1', 'missing']),
        imgmeta(['meta', 'rm', 'ns1', 'missing']),
        imgmeta(['meta', 'set', 'bad ns', 'k', 'v']),
        imgmeta(['meta', 'set', 'ns1', 'bad\u0007key', 'v']),
        imgmeta(['meta', 'set', 'ns1', 'k', '--file', join(store, 'no-such-file')]),
      ]);
      expectFailure(expect, stale, 'conflict', /version/);
      expectFailure(expect, mustNotExist, 'conflict');
      expectFailure(expect, missing, 'not_found', /missing/);
      expectFailure(expect, rmMissing, 'not_found', /missing/);
      expectFailure(expect, badNs, 'invalid_argument', /namespace/);
      expectFailure(expect, badKey, 'invalid_argument', /printable/);
      expectFailure(expect, noFile, 'not_found', /cannot read/);
    });
    expect((await imgmeta.ok(['meta', 'ls', 'ns1', '--json'])).out).toBe(lsBefore.out);
    const replaced = await imgmeta.json<MetadataKeyInfo>([
      'meta',
      'set',
      'ns1',
      'a/1',
      'new',
      '--expected-version',
      String(version),
    ]);
    expect(replaced.version).toBeGreaterThan(version);

    expect(await imgmeta.json<unknown>(['meta', 'rm', 'ns1', 'b/1'])).toEqual({ deleted: 1, dryRun: false });
    expect(await imgmeta.json<unknown>(['meta', 'rm', 'ns1', '--prefix', 'a/', '--dry-run'])).toEqual({
      deleted: 3,
      dryRun: true,
    });
    expect((await imgmeta.ok(['meta', 'rm', 'ns1', '--prefix', 'a/'])).out).toBe('deleted 3 key(s)\n');
    expect(await imgmeta.json<unknown>(['meta', 'namespaces'])).toEqual([{ namespace: 'ns2', keys: 1 }]);
  });
});

describe.concurrent('content, gc, check, trash, namespaces, info', { timeout: 120_000 }, () => {
  it('content get, info, put from stdin, tree', async ({ expect }) => {
    const { imgmeta, dir, store } = fresh();
    const image = await seedImage(store, 'example.com/app:1.0', 'content');
    const info = await imgmeta.json<ContentInfo>(['content', 'info', image.target.digest]);
    expect(info.children.map((c) => c.role)).toEqual(['config', 'layer']);
    const configDigest = info.children[0]!.descriptor.digest;
    const [config, infoHuman, putAgain, tree, treeOfDigest, treeHuman] = await Promise.all([
      imgmeta.ok(['content', 'get', configDigest]),
      imgmeta.ok(['content', 'info', image.target.digest]),
      imgmeta.ok(['content', 'put', '-', '--media-type', oci.config], { input: image.config }),
      imgmeta.json<TreeNode>(['content', 'tree', 'example.com/app:1.0']),
      imgmeta.json<TreeNode>(['content', 'tree', '--digest', image.target.digest]),
      imgmeta.ok(['content', 'tree', 'example.com/app:1.0']),
    ]);
    expect(config.stdout.equals(Buffer.from(image.config))).toBe(true);
    expect(infoHuman.out).toMatch(
      /^Digest: +sha256:.*\nMedia type: +application\/vnd\.oci\.image\.manifest\.v1\+json\n/,
    );
    expect(putAgain.out).toBe(`${configDigest}\n`);
    expect(tree).toMatchObject({ role: 'target', present: true, descriptor: image.target });
    expect(tree.children.map((c) => [c.role, c.present])).toEqual([
      ['config', true],
      ['layer', false],
    ]);
    expect(treeOfDigest).toEqual(tree);
    const human = treeHuman.out.split('\n');
    expect(human[0]).toMatch(new RegExp(`^target ${image.target.digest} `));
    expect(human[2]).toMatch(/^ {2}layer .*\(not stored\)$/);

    writeFileSync(join(dir, 'config.json'), image.config);
    writeFileSync(join(dir, 'broken.json'), '{"schemaVersion": 2, "layers": [');
    await expectUnchanged(expect, store, async () => {
      const [mismatch, broken, missing, noTree] = await Promise.all([
        imgmeta([
          'content',
          'put',
          join(dir, 'config.json'),
          '--media-type',
          oci.config,
          '--digest',
          fakeDigest(1),
        ]),
        imgmeta(['content', 'put', join(dir, 'broken.json'), '--media-type', oci.manifest]),
        imgmeta(['content', 'get', fakeDigest(2)]),
        imgmeta(['content', 'tree', 'missing:1', '-n', 'other']),
      ]);
      expectFailure(expect, mismatch, 'invalid_argument', /digest mismatch/);
      expectFailure(expect, broken, 'invalid_argument', /not valid JSON/);
      expectFailure(expect, missing, 'not_found');
      expectFailure(expect, noTree, 'not_found', /other/);
    });
  });

  it('gc --dry-run and gc remove what no image or trash entry reaches; trash purge', async ({ expect }) => {
    const { imgmeta, store } = fresh();
    const image = await seedImage(store, 'example.com/app:1.0', 'gc');
    await withStore(store, (service) => service['images.create'](imageInput('other', 'b:1', 2)));
    const bytes = image.manifest.byteLength + image.config.byteLength;
    expect(await imgmeta.json<GcResult>(['gc', '--dry-run'])).toEqual({
      digests: [],
      bytes: 0,
      dryRun: true,
    });
    await Promise.all([
      imgmeta.ok(['images', 'rm', 'example.com/app:1.0']),
      imgmeta.ok(['images', 'rm', 'b:1', '-n', 'other']),
    ]);
    const [held, other] = await Promise.all([
      imgmeta.json<GcResult>(['gc', '--dry-run']),
      imgmeta.json<TrashEntry[]>(['trash', 'ls', '-n', 'other']),
    ]);
    // The trash entries still hold the content.
    expect(held.digests).toEqual([]);
    expect(other.map((e) => e.image.name)).toEqual(['b:1']);
    expect((await imgmeta.ok(['trash', 'purge', other[0]!.id])).out).toBe(
      'purged 1 trash entry; 0 B reclaimable by gc\n',
    );
    const [again, garbage, dryPurge, left] = await Promise.all([
      imgmeta(['trash', 'purge', other[0]!.id]),
      imgmeta(['trash', 'purge', 'garbage']),
      imgmeta.json<unknown>(['trash', 'purge', '--dry-run']),
      imgmeta.ok(['trash', 'ls', '-q']),
    ]);
    expectFailure(expect, again, 'not_found');
    expectFailure(expect, garbage, 'invalid_argument');
    expect(dryPurge).toEqual({ purged: 1, reclaimedBytes: bytes, dryRun: true });
    expect(left.out).toMatch(/^\S+example\.com\/app:1\.0\n$/);
    expect((await imgmeta.ok(['trash', 'purge'])).out).toBe(
      `purged 1 trash entry; ${bytes} B reclaimable by gc\n`,
    );

    const [preview, previewHuman] = await Promise.all([
      imgmeta.json<GcResult>(['gc', '--dry-run']),
      imgmeta.ok(['gc', '--dry-run']),
    ]);
    expect(preview).toMatchObject({ bytes, dryRun: true });
    expect(preview.digests).toHaveLength(2);
    expect(preview.digests).toContain(image.target.digest);
    expect(previewHuman.out).toBe(
      `${preview.digests.map((d) => `would remove: ${d}\n`).join('')}would remove 2 blobs, ${bytes} B to free\n`,
    );
    expect((await imgmeta.ok(['gc'])).out).toBe(`2 blobs, ${bytes} B freed\n`);
    const [after, gone] = await Promise.all([
      imgmeta.json<GcResult>(['gc']),
      imgmeta(['content', 'get', image.target.digest]),
    ]);
    expect(after).toEqual({ digests: [], bytes: 0, dryRun: false });
    expectFailure(expect, gone, 'not_found');
  });

  it('check: exit 0 on a sane store (incomplete images listed), exit 1 when an invariant is broken', async ({
    expect,
  }) => {
    const { imgmeta, store } = fresh();
    await seedImage(store, 'example.com/app:1.0', 'check');
    await withStore(store, (service) =>
      service['images.create'](imageInput('default', 'example.com/incomplete:1', 7)),
    );
    const report = await imgmeta.json<CheckReport>(['check', '--deep']);
    expect(report).toEqual({
      ok: true,
      checkedImages: 2,
      checkedContent: 2,
      errors: [],
      incomplete: [{ namespace: 'default', name: 'example.com/incomplete:1', missing: [fakeDigest(7)] }],
    });
    const human = await imgmeta.ok(['check']);
    expect(human.out).toMatch(
      /^checked 2 image\(s\), 2 blob\(s\)\nincomplete: default example\.com\/incomplete:1: not stored: sha256:0+7\nok \(1 incomplete image\(s\)\)\n$/,
    );

    // Break a count behind the service's back, the way a crashed or buggy writer would.
    await withStore(store, (_, s) => {
      s.env.root.transactionSync(() => {
        s.env.dbs.counts.put(['images*'], 99);
      });
    });
    const [broken, brokenJson] = await Promise.all([imgmeta(['check']), imgmeta(['check', '--json'])]);
    expect(broken.code).toBe(1);
    expect(broken.out).toMatch(/^error: counts: .*\n1 problem\(s\) found\n$/m);
    expect(broken.err).toMatch(/^imgmeta: internal: store check found 1 problem\(s\) in .*\n$/);
    expect(brokenJson.code).toBe(1);
    expect(JSON.parse(brokenJson.out)).toMatchObject({ ok: false, errors: [{ kind: 'counts' }] });
  });

  it('namespaces ls and info', async ({ expect }) => {
    const { imgmeta, store } = fresh();
    await withStore(store, async (service) => {
      await service['images.create'](imageInput('default', 'a:1', 1));
      await service['images.create'](imageInput('other', 'b:1', 2));
      await service['images.create'](imageInput('other', 'c:1', 3));
      await service['images.delete']({ images: [{ namespace: 'other', name: 'c:1' }] });
      await service['metadata.set']({ namespace: 'm', key: 'k', value: new Uint8Array([1]) });
    });
    const [namespaces, namespacesTable, info, infoHuman] = await Promise.all([
      imgmeta.json<NamespaceCount[]>(['namespaces', 'ls']),
      imgmeta.ok(['namespaces', 'ls']),
      imgmeta.json<StoreInfo>(['info']),
      imgmeta.ok(['info']),
    ]);
    expect(namespaces).toEqual([
      { namespace: 'default', images: 1, trash: 0 },
      { namespace: 'other', images: 1, trash: 1 },
    ]);
    expect(namespacesTable.out).toMatch(/^NAMESPACE +IMAGES +TRASH\ndefault +1 +0\nother +1 +1\n$/);
    expect(info).toMatchObject({
      path: store,
      schema: 2,
      changeSeq: 5,
      images: 2,
      namespaces: 2,
      trash: 1,
      content: 0,
      metadataNamespaces: 1,
      metadataKeys: 1,
    });
    expect(info.bytesOnDisk).toBeGreaterThan(0);
    expect(infoHuman.out.startsWith(`Path:           ${store}\nSchema:         2\nChange counter: 5\n`)).toBe(
      true,
    );
  });
});

describe.concurrent('command line contract', { timeout: 120_000 }, () => {
  it('import detects, rehearses and imports a layout; export and meta export write it back out', async ({
    expect,
  }) => {
    const { imgmeta, dir } = fresh();
    const layout = join(dir, 'layout');
    writeLayout(layout, [{ ref: 'example.com/cli/app:1.0', seed: 'cli' }]);

    const detect = await imgmeta(['import', layout, '--detect', '--json']);
    expect(detect.code).toBe(0);
    expect(JSON.parse(detect.out)).toMatchObject({ kind: 'oci-layout', images: 1 });

    const dry = await imgmeta(['import', layout, '--dry-run']);
    expect(dry.out).toMatch(
      /^would import oci-layout .* into default\n {2}images: 1 new, 0 updated, 0 unchanged\n/,
    );
    expect((await imgmeta(['images', 'ls', '-q'])).out).toBe('');

    const real = await imgmeta(['import', layout, '-n', 'lab', '--json']);
    expect(real.code).toBe(0);
    expect(JSON.parse(real.out)).toMatchObject({
      dryRun: false,
      images: { created: [{ namespace: 'lab', name: 'example.com/cli/app:1.0' }] },
    });
    const again = await imgmeta(['import', layout, '-n', 'lab']);
    expect(again.out).toContain('images: 0 new, 0 updated, 1 unchanged');

    const out = join(dir, 'exported');
    const exported = await imgmeta(['export', 'example.com/cli/app:1.0', '-n', 'lab', '--to', out]);
    expect(exported.code).toBe(0);
    expect(exported.out).toMatch(
      /^wrote 1 image to .*: 2 blobs, .*\nnot in the store, so not in the layout \(1 blob\):\n {2}sha256:/,
    );
    expect(JSON.parse(readFileSync(join(out, 'index.json'), 'utf8')).manifests[0].annotations).toMatchObject({
      'org.opencontainers.image.ref.name': 'example.com/cli/app:1.0',
    });
    // Another store takes the export back, the layer it lacks declared absent.
    const other = await run(['--store', join(dir, 'other-store'), 'import', out]);
    expect([other.code, other.out]).toEqual([
      0,
      expect.stringMatching(/images: 1 new.*\n[^]*note: 1 layer blob\(s\) are not in the layout/),
    ]);

    await imgmeta(['meta', 'set', 'distribution', 'sha256/ab', 'v']);
    const meta = await imgmeta(['meta', 'export', 'distribution', '--to', join(dir, 'meta')]);
    expect(meta.out).toBe(`wrote 1 key(s) to ${join(dir, 'meta', 'distribution')}\n`);
    expect(readFileSync(join(dir, 'meta', 'distribution', 'sha256', 'ab'), 'utf8')).toBe('v');

    const notASource = await imgmeta(['import', join(dir, 'nothing-here')]);
    expect([notASource.code, notASource.err]).toEqual([1, expect.stringMatching(/^imgmeta: not_found: /)]);
  });

  it('import names a skopeo dir: copy after its directory, untagged; a directory of such copies is refused', async ({
    expect,
  }) => {
    const { imgmeta, store } = fresh();
    const dirs = join(root, 'test', 'fixtures', 'skopeo-archives', 'dir');
    const digest = 'sha256:cc30474ef74ee939d74956f8595b2b4119168304b40b8a83e0d707a55764e874';
    await expectUnchanged(expect, store, async () => {
      const parent = await imgmeta(['import', dirs]);
      expect([parent.code, parent.err]).toEqual([
        1,
        expect.stringMatching(
          /^imgmeta: invalid_argument: .* holds image directories, not metadata: app-oci /,
        ),
      ]);
    });
    const imported = await imgmeta(['import', join(dirs, 'app-v2s2')]);
    expect(imported.code).toBe(0);
    expect(imported.out).toContain(`note: manifest.json has no name: imported as app-v2s2@${digest}`);
    expect((await imgmeta(['images', 'ls', '--filter', 'dangling=true', '-q'])).out).toBe(
      `app-v2s2@${digest}\n`,
    );
    expect(
      (await imgmeta(['images', 'tag', `app-v2s2@${digest}`, 'example.com/fixtures/app:v2s2'])).code,
    ).toBe(0);
    const tagged = JSON.parse(
      (await imgmeta(['images', 'inspect', 'example.com/fixtures/app:v2s2', '--json'])).out,
    );
    expect(tagged.target).toEqual({
      mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
      digest,
      size: 743,
    });
  });

  it('bad usage exits 2 with `imgmeta: usage:` and changes nothing', async ({ expect }) => {
    const { imgmeta, store } = fresh();
    await withStore(store, async (service) => {
      await service['images.create'](imageInput('default', 'a:1', 1));
      await service['metadata.set']({ namespace: 'ns', key: 'k', value: new Uint8Array([1]) });
    });
    const cases: [string[], RegExp][] = [
      [['bogus'], /unknown command 'bogus'/],
      [['images', 'ls', '--bogus'], /unknown option '--bogus'/],
      [
        ['images', 'add', 'b:1', '--digest', fakeDigest(2), '--media-type', oci.manifest],
        /required option '--size/,
      ],
      [['images', 'add', 'b:1', ...manifestArgs(fakeDigest(2), '12abc')], /--size.*'12abc' is invalid/],
      [['images', 'add', 'b:1', ...manifestArgs(fakeDigest(2), '1e3')], /--size.*'1e3' is invalid/],
      [['images', 'add', 'b:1', ...manifestArgs(fakeDigest(2)), '--label', 'novalue'], /KEY=VALUE/],
      [['images', 'add', '--digest', fakeDigest(2)], /missing required argument|required option/],
      [['images', 'label', 'a:1', 'novalue'], /KEY=VALUE/],
      [['images', 'rm'], /missing required argument 'names'/],
      [['images', 'ls', '--filter', 'novalue'], /--filter/],
      [['images', 'ls', '--filter', 'dangling=maybe'], /dangling/],
      [['images', 'ls', '--filter', 'label=novalue'], /label/],
      [['images', 'ls', '--sort', 'color'], /--sort/],
      [['images', 'ls', '--limit', '0'], /--limit/],
      [['images', 'ls', '-n', 'default', '--all-namespaces'], /exclude/],
      [['images', 'tag', 'a:1', 'b:1', 'c:1'], /too many arguments/],
      [['meta', 'set', 'ns', 'k'], /exactly one/],
      [['meta', 'set', 'ns', 'k', 'v', '--file', '/etc/hostname'], /exactly one/],
      [['meta', 'set', 'ns', 'k', 'v', '--expected-version', '1x'], /--expected-version/],
      [['meta', 'rm', 'ns'], /KEY or --prefix/],
      [['meta', 'rm', 'ns', 'k', '--prefix', 'k'], /KEY or --prefix/],
      [['meta', 'export', 'ns'], /--to/],
      [['content', 'tree'], /NAME or --digest/],
      [['serve', '--port', 'http'], /--port/],
      [['--store'], /argument missing/],
    ];
    await expectUnchanged(expect, store, async () => {
      const results = await Promise.all(cases.map(([args]) => imgmeta(args)));
      results.forEach((result, i) => expectUsage(expect, result, cases[i]![1]));
    });
  });

  it('help and version exit 0; a bare group shows its help and exits 2', async ({ expect }) => {
    const [help, sub, helpMeta, version, bare] = await Promise.all([
      run(['--help']),
      run(['images', 'ls', '--help']),
      run(['help', 'meta']),
      run(['--version']),
      run(['images']),
    ]);
    expect(help.code).toBe(0);
    expect(help.out).toMatch(/^Usage: imgmeta \[options\] \[command\]/);
    for (const command of [
      'images',
      'meta',
      'content',
      'trash',
      'namespaces',
      'gc',
      'check',
      'info',
      'import',
      'export',
      'serve',
    ]) {
      expect(help.out).toMatch(new RegExp(`^ {2}${command}\\b`, 'm'));
    }
    expect(sub.code).toBe(0);
    expect(sub.out).toContain('--filter <K=V>');
    expect(helpMeta.code).toBe(0);
    expect(helpMeta.out).toMatch(/^Usage: imgmeta meta/);
    expect(version.code).toBe(0);
    expect(version.out).toMatch(/^\d+\.\d+\.\d+\n$/);
    expect(bare.code).toBe(2);
    expect(bare.err).toMatch(/^Usage: imgmeta images/);
  });

  it('the store comes from --store, else $IMGMETA_STORE; a directory that is not a store is refused', async ({
    expect,
  }) => {
    const { store } = fresh();
    const other = fresh();
    await withStore(store, (service) => service['images.create'](imageInput('default', 'a:1', 1)));
    const [viaEnv, overridden, notAStore] = await Promise.all([
      run(['images', 'ls', '-q'], { env: cliEnv({ IMGMETA_STORE: store }) }),
      run(['--store', other.store, 'images', 'ls', '-q'], { env: cliEnv({ IMGMETA_STORE: store }) }),
      run(['--store', import.meta.dirname, 'info']),
    ]);
    expect(viaEnv.code).toBe(0);
    expect(viaEnv.out).toBe('a:1\n');
    expect(overridden.code).toBe(0);
    expect(overridden.out).toBe('');
    expectFailure(expect, notAStore, 'failed_precondition', /not a store/);
  });

  it('several processes write one store at once', async ({ expect }) => {
    const { imgmeta, store } = fresh();
    await withStore(store, () => undefined);
    const results = await Promise.all(
      Array.from({ length: 4 }, (_, i) =>
        imgmeta(['images', 'add', `parallel:${i}`, ...manifestArgs(fakeDigest(i + 1))]),
      ),
    );
    expect(results.map((r) => [r.code, r.err])).toEqual(Array.from({ length: 4 }, () => [0, '']));
    expect((await imgmeta.ok(['images', 'ls', '-q'])).out).toBe(
      'parallel:0\nparallel:1\nparallel:2\nparallel:3\n',
    );
  });

  it('lists every page; --limit stops early; a closed stdout ends the run quietly', async ({ expect }) => {
    const { store, imgmeta } = fresh();
    const count = 2500;
    const name = (i: number) => `example.com/app:${String(i).padStart(5, '0')}`;
    await withStore(store, (_, s) => {
      seedImages(
        s,
        Array.from({ length: count }, (_, i) =>
          imageInput(i % 2 ? 'odd' : 'even', name(i), i + 1, { size: i }),
        ),
      );
      s.write((ctx) =>
        setValues(
          s.env,
          ctx,
          'bulk',
          Array.from({ length: 1500 }, (_, i) => [
            `k${String(i).padStart(5, '0')}`,
            new Uint8Array([i & 0xff]),
          ]),
        ),
      );
    });
    const [all, bySize, quiet, table, keys] = await Promise.all([
      imgmeta.json<ImageRecord[]>(['images', 'ls']),
      imgmeta.json<ImageRecord[]>([
        'images',
        'ls',
        '-n',
        'odd',
        '--sort',
        'size',
        '--desc',
        '--limit',
        '1100',
      ]),
      imgmeta.ok(['images', 'ls', '-q', '--filter', 'name=app:01']),
      imgmeta.ok(['images', 'ls']),
      imgmeta.json<MetadataKeyInfo[]>(['meta', 'ls', 'bulk']),
    ]);
    expect(all.map((i) => i.name)).toEqual(Array.from({ length: count }, (_, i) => name(i)));
    expect(bySize).toHaveLength(1100);
    expect(bySize[0]!.totalSize).toBe(count - 1);
    expect(
      bySize.every((r, i) => r.namespace === 'odd' && (i === 0 || r.totalSize < bySize[i - 1]!.totalSize)),
    ).toBe(true);
    expect(quiet.out.trimEnd().split('\n')).toEqual(Array.from({ length: 1000 }, (_, i) => name(1000 + i)));
    // Rows of later pages line up with the first page's columns (no name gets longer here).
    const lines = table.out.trimEnd().split('\n');
    expect(lines).toHaveLength(count + 1);
    expect(new Set(lines.slice(1).map((line) => line.indexOf('example.com')))).toEqual(
      new Set([headerColumn(lines[0]!, 'NAME')]),
    );
    expect(keys).toHaveLength(1500);

    // `imgmeta images ls --json | head -c 1`: the reader goes away after the first chunk.
    const child = spawn(process.execPath, ['bin/imgmeta.js', '--store', store, 'images', 'ls', '--json'], {
      cwd: root,
      env: cliEnv(),
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });
});

// A store map larger than a process may address made lmdb-js crash at open (a segfault): under `ulimit -v` the store
// reserves what the cap allows (env.ts mapSizeWithin).
describe.skipIf(process.platform !== 'linux')('a store under an address-space cap (ulimit -v)', () => {
  it('opens, writes and reads with 6 GB of address space', async ({ expect }) => {
    const { store } = fresh();
    const bin = join(root, 'bin', 'imgmeta.js');
    const capped = (args: string) =>
      new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
        const child = spawn(
          'bash',
          ['-c', `ulimit -v 6000000 && exec "${process.execPath}" "${bin}" --store "${store}" ${args}`],
          { env: cliEnv() },
        );
        let out = '';
        let err = '';
        child.stdout.on('data', (c: Buffer) => (out += c.toString()));
        child.stderr.on('data', (c: Buffer) => (err += c.toString()));
        child.on('close', (code) => resolve({ code, out, err }));
      });
    const added = await capped(`images add capped:1 ${manifestArgs(fakeDigest(7)).join(' ')}`);
    expect(added.code, added.err).toBe(0);
    const listed = await capped('images ls -q');
    expect(listed).toEqual({ code: 0, out: 'capped:1\n', err: '' });
  });
});
